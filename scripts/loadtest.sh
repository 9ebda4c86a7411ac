#!/usr/bin/env bash
# inkgraph's load tests (not part of CI), in two modes:
#
#   MODE=steps (default): the issue #8 harness (docs/PERFORMANCE.md, "Serving under load"),
#                 below.
#   MODE=soak:    a bounded soak: DURATION (default 60) seconds of mixed GraphQL requests
#                 (scripts/loadtest/soak.lua: lists with varying page sizes, filters by year,
#                 single posts with HTML, the tag cloud, archive, site facts, related posts,
#                 persisted-query GETs, conditional GETs and batches) at CONNECTIONS (default
#                 64) connections against a release server on the sample blog
#                 (INKGRAPH_CONTENT, default content/, whose serial numbers the mix uses). It
#                 passes only with zero errors: no status other than 200/304, no GraphQL
#                 errors, no socket errors or timeouts. Needs wrk and curl (wrk is installed
#                 with apt-get when missing and running as root).
#
#   MODE=soak scripts/loadtest.sh                      # 60 s, 64 connections
#   MODE=soak DURATION=20 CONNECTIONS=16 scripts/loadtest.sh
#
# MODE=steps:
#
# Starts a release `inkgraph serve` on a generated corpus and drives it with wrk: a trivial
# static route (GET /healthz) and, for each standard query of scripts/loadtest/queries.json,
# a POST and a GET with an Apollo persisted-query hash (registered first). All steps hit the
# same server in the same run. For each step it prints requests/s, p50, p99, errors and the
# ratio to the static route, then checks the issue's targets. With PEER=node it runs the
# same steps against the Node.js peer (benches/peers/node/) too, step by step, and prints
# inkgraph's requests/s over the peer's.
#
# queries.json is an array of {name, query, variables}; in variables, the strings "$SLUG"
# (the newest post's slug) and "$TAG" (the most used tag's slug) are replaced with values
# asked of the server. Every request is checked once with curl before any load.
#
#   scripts/loadtest.sh                                # 10,000 posts, 3 rounds of 10 s steps
#   POSTS=1000 DURATION=5 ROUNDS=1 scripts/loadtest.sh # quicker
#   PEER=node scripts/loadtest.sh                      # also the Node.js peer
#   KEEP=1 WORK=/tmp/inkgraph-load scripts/loadtest.sh # keep (and reuse) the corpus
#
# Environment:
#   POSTS         posts in the generated corpus (default 10000; seed SEED, default 42)
#   PROFILE       gen-corpus body profile: small (default, median ~4 KB) or real (median
#                 ~15 KB, tail to 200 KB, more code: the size of real blogs' posts)
#   DURATION      seconds of measured load per step (default 10)
#   WARMUP        seconds of unmeasured load before each step (default 1; 0 for none)
#   ROUNDS        rounds of all steps (default 3): each figure is the median over rounds,
#                 so a burst of other work on the machine moves one round, not the result
#   CONNECTIONS   concurrent connections (default 32)
#   THREADS       wrk threads (default 2)
#   INKGRAPH_BIN  the server binary (default target/release/inkgraph; build it with
#                 `cargo build --release --bin inkgraph`)
#   GEN_CORPUS_BIN the corpus generator (default gen-corpus beside INKGRAPH_BIN; build it
#                 with `cargo build --release --package gen-corpus`)
#   INKGRAPH_ARGS more `serve` arguments, split on spaces (default none; e.g.
#                 `--response-cache-entries 0` to measure execution instead of cache hits)
#   PEER          `node` to also load the Node.js peer: `node benches/peers/node/server.mjs
#                 --content DIR --port 0`, which prints `listening on http://127.0.0.1:PORT`
#                 (`npm ci` installs its dependencies first when node_modules is missing).
#                 SKIPPED when that folder is missing or the peer does not start or answer.
#   PEER_ARGS     more arguments for the peer, split on spaces (default none; e.g.
#                 `--workers auto --response-cache`: see benches/peers/node/README.md)
#   CHECK         1 (default): scan every response body for GraphQL "errors"; 0: only the
#                 status (less work for wrk, which shares the machine with the server)
#   WORK, KEEP    the folder for the corpus and run files (default: a new temporary folder,
#                 removed at exit unless KEEP=1). A corpus already in WORK with the same
#                 POSTS and SEED is reused.
#   IDLE_WAIT     seconds to wait at most for a freshly started server to go idle (default
#                 600): `serve` renders every post in the background after it listens, and
#                 that must not share the CPU with the measured steps
#   STRICT        1: exit 1 when a target is missed (default: only report it)
#   QUERIES       another queries file (default scripts/loadtest/queries.json)
#   LOCK_WAIT     seconds to wait at most for another run of this script to finish (default
#                 3600): runs take a lock (LOCK, default /tmp/inkgraph-loadtest.lock), so two
#                 never share the machine; each run writes into its own WORK/run.XXXXXX
#   OUTPUTS       1: also load the outputs other than GraphQL (issue #17): GET /feed.xml,
#                 /feed.json, /feed/by_tag/$TAG.xml, /feed.rss?tags=$TAG and /sitemap.xml
#                 (inkgraph only, so not with PEER; their bodies are not scanned for
#                 "errors"). With INKGRAPH_ARGS='--response-cache-entries 0' every request
#                 writes its feed again (posts' HTML stays rendered per version)
#   LOG_LEVEL     the server's --log-level (default warn: no per-request span or line; at
#                 `info` the server opens a tracing span for every request)
#
# Exit status: 0 when every step ran with zero errors (non-2xx, GraphQL errors, socket
# errors), 1 otherwise (and, with STRICT=1, when a target is missed). Needs wrk, curl, jq.
# Only 127.0.0.1 is contacted.
set -euo pipefail

# --- MODE=soak ----------------------------------------------------------------------------
soak() {
    local script_dir repo_root duration connections threads bin content base
    # Global: the EXIT trap reads them after this function returns.
    tmp=""
    server_pid=""
    script_dir="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
    repo_root="$(cd -- "$script_dir/.." && pwd)"
    duration="${DURATION:-60}"
    connections="${CONNECTIONS:-64}"
    threads="${THREADS:-2}"
    if ! command -v wrk >/dev/null 2>&1 && [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "== installing wrk (apt-get install -y wrk)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null 2>&1 || true
    fi
    command -v wrk >/dev/null 2>&1 || { echo "error: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
    command -v curl >/dev/null 2>&1 || { echo "error: curl is not installed" >&2; exit 1; }
    bin="${INKGRAPH_BIN:-$repo_root/target/release/inkgraph}"
    content="${INKGRAPH_CONTENT:-$repo_root/content}"
    [[ "$bin" == /* ]] || bin="$PWD/$bin"
    [[ "$content" == /* ]] || content="$PWD/$content"
    [[ -x "$bin" ]] || { echo "error: no inkgraph binary at $bin (run \`cargo build --release\`, or set INKGRAPH_BIN)" >&2; exit 1; }

    tmp="$(mktemp -d "${TMPDIR:-/tmp}/inkgraph-soak.XXXXXX")"
    # shellcheck disable=SC2317  # run by the EXIT trap
    soak_cleanup() {
        if [[ -n "$server_pid" ]]; then
            kill -TERM "$server_pid" 2>/dev/null || true
            wait "$server_pid" 2>/dev/null || true
        fi
        rm -rf -- "$tmp"
    }
    trap soak_cleanup EXIT

    echo "== starting $bin serve ($content)"
    # Access logs at info would measure the terminal; keep warnings.
    NO_COLOR=1 "$bin" serve --content "$content" --listen 127.0.0.1:0 --config /dev/null \
        --log-level warn,inkgraph=info >"$tmp/server.log" 2>&1 &
    server_pid=$!
    base=""
    for _ in $(seq 1 300); do
        if line="$(grep -m1 -o 'serving http://[^/ ]*/' "$tmp/server.log" 2>/dev/null)"; then
            line="${line#serving }"
            base="${line%/}"
            break
        fi
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    [[ -n "$base" ]] || { echo "error: the server did not start:" >&2; cat "$tmp/server.log" >&2; exit 1; }

    # Register the persisted query and fetch an ETag the mix revalidates.
    local apq_query apq_hash etag
    apq_query='{ site { title postCount } }'
    apq_hash="$(printf '%s' "$apq_query" | sha256sum | cut -d' ' -f1)"
    curl -fs -o /dev/null -H 'content-type: application/json' \
        --data "{\"query\":\"$apq_query\",\"extensions\":{\"persistedQuery\":{\"version\":1,\"sha256Hash\":\"$apq_hash\"}}}" \
        "$base/graphql"
    etag="$(curl -fs -D - -o /dev/null -G --data-urlencode 'query=query Cloud { tagCloud(limit: 30) { name count weight level } }' \
        "$base/graphql" | { grep -i '^etag:' || true; } | cut -d' ' -f2- | tr -d '\r')"

    echo "== wrk: ${duration} s, $connections connections, $threads threads against $base/graphql"
    wrk -t "$threads" -c "$connections" -d "${duration}s" --timeout 10s --latency \
        -s "$script_dir/loadtest/soak.lua" "$base/graphql" -- "$apq_hash" "$etag" | tee "$tmp/wrk.out"

    echo "== server metrics after the run"
    curl -fs "$base/metrics" | grep -E '^inkgraph_(response_cache_(hits|misses)_total|not_modified_total|persisted_query_hits_total|execution_timeouts_total|http_request_duration_seconds_count) ' || true

    grep -q '^load-test OK' "$tmp/wrk.out"
}

case "${MODE:-steps}" in
    soak)
        soak
        exit 0
        ;;
    steps) ;;
    *)
        echo "error: MODE must be steps or soak, not $MODE" >&2
        exit 2
        ;;
esac

POSTS=${POSTS:-10000}
SEED=${SEED:-42}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-1}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
PEER=${PEER:-}
read -r -a peer_args <<<"${PEER_ARGS:-}"
read -r -a inkgraph_args <<<"${INKGRAPH_ARGS:-}"
CHECK=${CHECK:-1}
KEEP=${KEEP:-0}
IDLE_WAIT=${IDLE_WAIT:-600}
STRICT=${STRICT:-0}
LOCK_WAIT=${LOCK_WAIT:-3600}
LOG_LEVEL=${LOG_LEVEL:-warn}
OUTPUTS=${OUTPUTS:-0}

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
here="$repo/scripts/loadtest"
queries=${QUERIES:-$here/queries.json}
lua="$here/step.lua"

die() {
    echo "error: $*" >&2
    exit 1
}
absolute() {
    case "$1" in
        /*) printf '%s\n' "$1" ;;
        *) printf '%s\n' "$PWD/$1" ;;
    esac
}

for tool in wrk curl jq sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (apt-get install $tool)"
done
bin=$(absolute "${INKGRAPH_BIN:-$repo/target/release/inkgraph}")
[[ -x "$bin" ]] || die "no inkgraph binary at $bin (run \`cargo build --release --bin inkgraph\`, or set INKGRAPH_BIN)"
gen_corpus=$(absolute "${GEN_CORPUS_BIN:-$(dirname "$bin")/gen-corpus}")
[[ -x "$gen_corpus" ]] || die "no gen-corpus binary at $gen_corpus (run \`cargo build --release --package gen-corpus\`, or set GEN_CORPUS_BIN)"
[[ -f "$queries" && -f "$lua" ]] || die "missing $queries or $lua"
[[ -z "$PEER" || "$PEER" == node ]] || die "PEER must be empty or 'node', not '$PEER'"
[[ "$OUTPUTS" != 1 || -z "$PEER" ]] || die "OUTPUTS=1 loads inkgraph's own routes: run it without PEER"

# --- Work folder, cleanup -----------------------------------------------------------------
if [[ -n "${WORK:-}" ]]; then
    WORK=$(absolute "$WORK")
    mkdir -p "$WORK"
    own_work=0
else
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/inkgraph-loadtest.XXXXXX")
    own_work=1
fi
corpus="$WORK/corpus"

pids=()
locked=0
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [[ "$KEEP" != 1 ]]; then
        if [[ "$own_work" == 1 ]]; then
            rm -rf -- "$WORK"
        elif [[ "$locked" == 1 ]]; then # else the corpus may be another run's
            rm -rf -- "$corpus" "${run:-}"
        fi
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# One run at a time on this machine: two would share the cores and spoil both, or clobber a
# shared WORK. The lock is held by this shell's descriptor 9 until it exits.
lock=${LOCK:-${TMPDIR:-/tmp}/inkgraph-loadtest.lock}
exec 9>>"$lock"
if ! flock -n 9; then
    echo "== waiting for another scripts/loadtest.sh run to finish (lock $lock)"
    flock -w "$LOCK_WAIT" 9 || die "another run still holds $lock after $LOCK_WAIT s"
fi
locked=1
run=$(mktemp -d "$WORK/run.XXXXXX")

# --- The corpus ---------------------------------------------------------------------------
PROFILE=${PROFILE:-small}
params="posts=$POSTS seed=$SEED"
[[ "$PROFILE" == small ]] || params="$params profile=$PROFILE"
if [[ -d "$corpus" && "$(cat "$WORK/corpus.params" 2>/dev/null)" == "$params" ]]; then
    echo "== reusing the corpus in $corpus ($params)"
else
    echo "== generating $POSTS posts (seed $SEED, profile $PROFILE) into $corpus"
    rm -rf "$corpus" "$WORK/corpus.params"
    "$gen_corpus" --posts "$POSTS" --seed "$SEED" --profile "$PROFILE" "$corpus"
    echo "$params" >"$WORK/corpus.params"
fi

# --- Servers ------------------------------------------------------------------------------
# Waits until process $1 has used less than 5 % of a core over one second, at most
# IDLE_WAIT seconds: a server that is still warming its caches would share the CPU.
# CPU time (user + system, in clock ticks) process $1 has used so far.
cpu_ticks() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    awk '{ print $12 + $13 }' <<<"$stat"
}
# Waits until process $1 has used less than 5 % of a core over one second, at most
# IDLE_WAIT seconds: a server that is still warming its caches would share the CPU.
wait_idle() {
    local pid=$1 before after waited=0 hz
    hz=$(getconf CLK_TCK)
    before=$(cpu_ticks "$pid") || return 1
    while ((waited < IDLE_WAIT)); do
        sleep 1
        waited=$((waited + 1))
        after=$(cpu_ticks "$pid") || return 1
        if (((after - before) * 20 < hz)); then
            echo "   idle after ${waited} s"
            return 0
        fi
        before=$after
    done
    echo "   still busy after ${IDLE_WAIT} s; measuring anyway" >&2
}

# A loopback port nothing listens on (inkgraph is started on it: at `--log-level warn` it
# does not log the address it got for port 0).
free_port() {
    local port
    for _ in $(seq 1 100); do
        port=$((20000 + RANDOM % 40000))
        if ! (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    die "no free loopback port found"
}

# start_server NAME READY CMD...: runs CMD in the background, logging to $run/NAME.log, and
# waits (at most 10 minutes) until it is ready. READY is either `url:BASE`, ready once
# BASE/healthz answers 200, or an extended regex matched against the log, whose match holds
# the base URL. Sets $base and $server_pid.
start_server() {
    local name=$1 ready=$2 line
    shift 2
    NO_COLOR=1 "$@" >"$run/$name.log" 2>&1 9>&- &
    server_pid=$!
    pids+=("$server_pid")
    base=""
    for _ in $(seq 1 6000); do
        if [[ "$ready" == url:* ]]; then
            if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "${ready#url:}/healthz")" == 200 ]]; then
                base=${ready#url:}
                break
            fi
        elif line=$(grep -m1 -oE "$ready" "$run/$name.log" 2>/dev/null); then
            base=$(grep -oE 'http://[^/ ]+' <<<"$line" | head -n1)
            break
        fi
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [[ -z "$base" ]]; then
        echo "$name did not start; its log:" >&2
        cat "$run/$name.log" >&2
        return 1
    fi
    echo "   $name: $base (pid $server_pid)"
}

# post_json BASE BODY OUT: POSTs BODY to BASE/graphql into OUT; prints the HTTP status.
post_json() {
    curl -s --max-time 60 -o "$3" -w '%{http_code}' -H 'content-type: application/json' \
        --data-binary "$2" "$1/graphql" || echo 000
}
# get_path BASE PATH OUT: GETs BASE/PATH into OUT; prints the HTTP status.
get_path() {
    curl -s --max-time 60 -o "$3" -w '%{http_code}' "$1$2" || echo 000
}
# A response passes when the status is 200, it has no "errors", its data is not null and no
# top-level field of the data is null (a wrong slug gives `post: null`).
valid_response() {
    [[ "$1" == 200 ]] &&
        jq -e '(has("errors") | not) and (.data != null) and ([.data[]] | all(. != null))' \
            "$2" >/dev/null 2>&1
}

echo "== starting $bin serve (--log-level $LOG_LEVEL${INKGRAPH_ARGS:+ $INKGRAPH_ARGS})"
port=$(free_port)
start_server inkgraph "url:http://127.0.0.1:$port" \
    "$bin" serve --content "$corpus" --listen "127.0.0.1:$port" --config /dev/null \
    --log-level "$LOG_LEVEL" "${inkgraph_args[@]}" || exit 1
ink_base=$base
ink_pid=$server_pid
echo "   waiting for the background render to finish"
wait_idle "$ink_pid"

# --- The requests -------------------------------------------------------------------------
# $SLUG: the newest post; $TAG: the most used tag. Asked of inkgraph once, used for both
# servers so they answer the same requests.
status=$(post_json "$ink_base" '{"query":"{ posts(first: 1) { nodes { slug } } tagCloud(limit: 1) { slug } }"}' "$run/placeholders.json")
valid_response "$status" "$run/placeholders.json" || die "cannot ask for \$SLUG/\$TAG (status $status): $(head -c 500 "$run/placeholders.json")"
slug=$(jq -r '.data.posts.nodes[0].slug' "$run/placeholders.json")
tag=$(jq -r '.data.tagCloud[0].slug' "$run/placeholders.json")
echo "== \$SLUG = $slug, \$TAG = $tag"

names=()
count=$(jq length "$queries")
for ((i = 0; i < count; i++)); do
    name=$(jq -r ".[$i].name" "$queries")
    query=$(jq -r ".[$i].query" "$queries")
    op=$(sed -nE 's/^[[:space:]]*(query|mutation)[[:space:]]+([_A-Za-z][_0-9A-Za-z]*).*/\2/p' <<<"$query")
    vars=$(jq -c --arg slug "$slug" --arg tag "$tag" \
        ".[$i].variables // {} | walk(if . == \"\$SLUG\" then \$slug elif . == \"\$TAG\" then \$tag else . end)" \
        "$queries")
    hash=$(printf '%s' "$query" | sha256sum | cut -d' ' -f1)
    names+=("$name")
    jq -cn --arg q "$query" --argjson v "$vars" --arg op "$op" \
        '{query: $q, variables: $v} + (if $op == "" then {} else {operationName: $op} end)' \
        >"$run/$name.post.json"
    jq -cn --arg q "$query" --argjson v "$vars" --arg op "$op" --arg h "$hash" \
        '{query: $q, variables: $v, extensions: {persistedQuery: {version: 1, sha256Hash: $h}}}
         + (if $op == "" then {} else {operationName: $op} end)' >"$run/$name.register.json"
    jq -rn --argjson v "$vars" --arg op "$op" --arg h "$hash" \
        '"/graphql?extensions=" + ({persistedQuery: {version: 1, sha256Hash: $h}} | tojson | @uri)
         + (if $v == {} then "" else "&variables=" + ($v | tojson | @uri) end)
         + (if $op == "" then "" else "&operationName=" + ($op | @uri) end)' >"$run/$name.get.path"
done

# prepare SERVER BASE: registers each persisted query and checks each request once, so a
# wrong query fails before any load. Prints the response sizes.
prepare() {
    local server=$1 base=$2 name status out
    for name in "${names[@]}"; do
        out="$run/$server.$name"
        status=$(post_json "$base" "$(cat "$run/$name.post.json")" "$out.post.out")
        valid_response "$status" "$out.post.out" ||
            { echo "$server: POST $name failed (status $status): $(head -c 500 "$out.post.out")" >&2; return 1; }
        status=$(post_json "$base" "$(cat "$run/$name.register.json")" "$out.register.out")
        valid_response "$status" "$out.register.out" ||
            { echo "$server: registering $name failed (status $status): $(head -c 500 "$out.register.out")" >&2; return 1; }
        status=$(get_path "$base" "$(cat "$run/$name.get.path")" "$out.get.out")
        valid_response "$status" "$out.get.out" ||
            { echo "$server: GET $name (persisted) failed (status $status): $(head -c 500 "$out.get.out")" >&2; return 1; }
        printf '   %-8s %-24s ok: POST %6d bytes, GET %6d bytes\n' "$server" "$name" \
            "$(wc -c <"$out.post.out")" "$(wc -c <"$out.get.out")"
    done
    status=$(get_path "$base" /healthz "$run/$server.healthz.out")
    [[ "$status" == 200 ]] || { echo "$server: GET /healthz gave status $status" >&2; return 1; }
}

output_paths=()
if [[ "$OUTPUTS" == 1 ]]; then
    output_paths=(/feed.xml /feed.json "/feed/by_tag/$tag.xml" "/feed.rss?tags=$tag" /sitemap.xml)
fi

echo "== checking every request once"
prepare inkgraph "$ink_base" || exit 1
for path in "${output_paths[@]}"; do
    status=$(get_path "$ink_base" "$path" "$run/output.out")
    [[ "$status" == 200 ]] || die "GET $path gave status $status: $(head -c 500 "$run/output.out")"
    printf '   %-8s %-24s ok: GET %6d bytes\n' inkgraph "$path" "$(wc -c <"$run/output.out")"
done

servers=(inkgraph)
bases=("$ink_base")
peer_note=""
if [[ "$PEER" == node ]]; then
    peer_dir="$repo/benches/peers/node"
    if ! command -v node >/dev/null 2>&1; then
        peer_note="SKIPPED: node is not installed"
    elif [[ ! -f "$peer_dir/server.mjs" ]]; then
        peer_note="SKIPPED: no Node.js peer at $peer_dir/server.mjs"
    elif [[ ! -d "$peer_dir/node_modules" ]] &&
        ! { echo "== npm ci in $peer_dir" && (cd "$peer_dir" && npm ci --no-audit --no-fund --loglevel=error); }; then
        peer_note="SKIPPED: \`npm ci\` failed in $peer_dir"
    else
        echo "== starting the Node.js peer"
        if start_server node 'listening on http://[^ ]+' \
            node "$peer_dir/server.mjs" --content "$corpus" --port 0 "${peer_args[@]}"; then
            node_base=$base
            wait_idle "$server_pid"
            if prepare node "$node_base"; then
                servers+=(node)
                bases+=("$node_base")
            else
                peer_note="SKIPPED: the Node.js peer did not answer the standard queries as expected"
            fi
        else
            peer_note="SKIPPED: the Node.js peer did not start"
        fi
    fi
    [[ -n "$peer_note" ]] && echo "== node peer: $peer_note"
fi

# --- The load -----------------------------------------------------------------------------
steps=(static)
for name in "${names[@]}"; do
    steps+=("$name POST" "$name GET")
done
for path in "${output_paths[@]}"; do
    steps+=("path:$path")
done
results="$run/results.tsv"
: >"$results"
failed_steps=0

# wrk_step SERVER BASE STEP ROUND: one wrk run; appends a line to $results.
wrk_step() {
    local server=$1 base=$2 step=$3 round=$4 name args line out requests rps p50 p99 max non2xx gql socket
    local check=$CHECK
    name=${step%% *}
    case "$step" in
        static) args=(GET /healthz -) ;;
        path:*) args=(GET "${step#path:}" -) check=0 ;;
        *" POST") args=(POST /graphql "$run/$name.post.json") ;;
        *" GET") args=(GET "$(cat "$run/$name.get.path")" -) ;;
    esac
    # Register the persisted query again right before its step, as an Apollo client does on
    # PersistedQueryNotFound: a server may bound or expire its store of them.
    if [[ "$step" == *" GET" ]]; then
        post_json "$base" "$(cat "$run/$name.register.json")" "$run/register.out" >/dev/null
    fi
    if ((WARMUP > 0)); then
        wrk -t "$THREADS" -c "$CONNECTIONS" -d "${WARMUP}s" --timeout 10s -s "$lua" \
            "$base" -- "${args[@]}" "$check" >/dev/null 2>&1 || true
    fi
    out="$run/wrk.out"
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --timeout 10s -s "$lua" \
        "$base" -- "${args[@]}" "$check" >"$out" 2>&1 || true
    if ! line=$(grep -m1 '^RESULT ' "$out"); then
        echo "   wrk failed for $server $step: $(head -c 500 "$out")" >&2
        failed_steps=$((failed_steps + 1))
        return 0
    fi
    # RESULT requests duration rps p50 p99 max non2xx graphql socket
    read -r _ requests _ rps p50 p99 max non2xx gql socket <<<"$line"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$round" "$step" "$rps" \
        "$p50" "$p99" "$max" "$requests" "$non2xx" "$gql" "$socket" >>"$results"
    printf '   round %d %-8s %-30s %9.0f req/s  p50 %6.2f ms  p99 %6.2f ms  errors %d/%d/%d\n' \
        "$round" "$server" "$step" "$rps" "$p50" "$p99" "$non2xx" "$gql" "$socket"
    if line=$(grep -m1 '^SAMPLE ' "$out"); then
        echo "      first failed response: ${line#SAMPLE }"
    fi
}

echo "== machine: $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== wrk: $ROUNDS rounds x ${#steps[@]} steps, ${DURATION} s each (+${WARMUP} s warm-up), $CONNECTIONS connections, $THREADS threads"
for ((round = 1; round <= ROUNDS; round++)); do
    for step in "${steps[@]}"; do
        for s in "${!servers[@]}"; do
            wrk_step "${servers[$s]}" "${bases[$s]}" "$step" "$round"
        done
    done
done
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== inkgraph server log: $(wc -l <"$run/inkgraph.log") lines; RSS $(awk '/VmRSS/ { printf "%.0f MB", $2 / 1024 }' "/proc/$ink_pid/status" 2>/dev/null || echo '?')"

# --- Report -------------------------------------------------------------------------------
# Per server and step: medians over rounds of rps, p50 and p99; the worst p99; summed errors.
summary="$run/summary.tsv"
awk -F'\t' '
    function median(list,    n, a, i, j, t) {
        n = split(list, a, " ")
        for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
        return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    {
        k = $1 "\t" $3
        if (!(k in rps)) order[++n] = k
        rps[k] = rps[k] " " $4; p50[k] = p50[k] " " $5; p99[k] = p99[k] " " $6
        if ($6 + 0 > worst[k] + 0) worst[k] = $6
        errs[k] += $9 + $10; sock[k] += $11; reqs[k] += $8
    }
    END {
        for (i = 1; i <= n; i++) {
            k = order[i]
            printf "%s\t%.1f\t%.3f\t%.3f\t%.3f\t%d\t%d\t%d\n", k, median(rps[k]), median(p50[k]), median(p99[k]), worst[k], errs[k], sock[k], reqs[k]
        }
    }' "$results" >"$summary"

field() { # field SERVER STEP COLUMN (3 rps, 4 p50, 5 p99, 6 worst p99, 7 errors, 8 socket)
    awk -F'\t' -v s="$1" -v t="$2" -v c="$3" '$1 == s && $2 == t { print $c }' "$summary"
}

echo
echo "== results: $POSTS posts, medians of $ROUNDS rounds of ${DURATION} s, $CONNECTIONS connections"
for server in "${servers[@]}"; do
    static_rps=$(field "$server" static 3)
    echo
    echo "-- $server (static route GET /healthz: ${static_rps} req/s)"
    printf '%-30s %10s %9s %9s %10s %11s %7s %9s\n' step "req/s" "p50 ms" "p99 ms" "worst p99" "non2xx+gql" socket "x static"
    for step in "${steps[@]}"; do
        awk -F'\t' -v s="$server" -v t="$step" -v st="$static_rps" '$1 == s && $2 == t {
            printf "%-30s %10.0f %9.2f %9.2f %10.2f %11d %7d %9.2f\n", $2, $3, $4, $5, $6, $7, $8, (st > 0 ? $3 / st : 0)
        }' "$summary"
    done
done

# --- Targets ------------------------------------------------------------------------------
missed=0
errors=0
verdict() { # verdict LABEL VALUE OK(0/1)
    if [[ "$3" == 1 ]]; then
        printf '  %-66s %-22s met\n' "$1" "$2"
    else
        printf '  %-66s %-22s MISSED\n' "$1" "$2"
        missed=$((missed + 1))
    fi
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 >= b + 0) ? 1 : 0 }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 < b + 0) ? 1 : 0 }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "0" }'; }

echo
echo "== targets (issue #8)"
static_rps=$(field inkgraph static 3)
r=$(div "$(field inkgraph "page_of_20 POST" 3)" "$static_rps")
verdict "page_of_20 over POST >= 0.5x the static route" "${r}x" "$(ge "$r" 0.5)"
for name in "${names[@]}"; do
    r=$(div "$(field inkgraph "$name GET" 3)" "$static_rps")
    verdict "repeated GET (APQ) $name >= 0.8x the static route" "${r}x" "$(ge "$r" 0.8)"
done
for step in "${steps[@]}"; do
    [[ "$step" == static ]] && continue
    p99=$(field inkgraph "$step" 5)
    verdict "p99 < 5 ms at $CONNECTIONS connections: $step" "${p99} ms" "$(lt "$p99" 5)"
done
for server in "${servers[@]}"; do
    for step in "${steps[@]}"; do
        e=$(($(field "$server" "$step" 7) + $(field "$server" "$step" 8)))
        errors=$((errors + e))
    done
done
if [[ "${#servers[@]}" -gt 1 ]]; then
    r=$(div "$(field inkgraph static 3)" "$(field node static 3)")
    printf '  %-66s %-22s (not a target)\n' "inkgraph / node req/s, static route" "${r}x"
    for step in "${steps[@]}"; do
        [[ "$step" == static ]] && continue
        r=$(div "$(field inkgraph "$step" 3)" "$(field node "$step" 3)")
        verdict "inkgraph / node req/s >= 5: $step" "${r}x" "$(ge "$r" 5)"
    done
elif [[ "$PEER" == node ]]; then
    echo "  inkgraph / node req/s >= 5: $peer_note"
fi
echo "  errors (non-2xx, GraphQL errors, socket errors) over all steps: $errors; failed wrk runs: $failed_steps"
[[ "$KEEP" == 1 ]] && echo "== kept $WORK (this run: $run; results: $results)"

if ((errors > 0 || failed_steps > 0)); then
    exit 1
fi
if [[ "$STRICT" == 1 ]] && ((missed > 0)); then
    exit 1
fi
exit 0
