#!/usr/bin/env bash
# inkgraph's load tests (not part of CI), in two modes:
#
#   MODE=steps (default): the harness of issues #8, #16 and #20 (docs/PERFORMANCE.md,
#                 "Serving under load" and "Round two"), below.
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
# Starts a release `inkgraph serve` on a generated corpus and drives it with wrk, step by step,
# then prints one block of targets (issues #8, #16 and #20) with the measured figure and
# `met`, `MISSED` or `not run` (and why). The steps:
#
#   startup   (STARTUP=1) right after the server answers /healthz, while it still renders
#             every post in the background: the standard queries as plain GETs (query in the
#             URL, cycled) for STARTUP_DURATION seconds; one run (it happens once per start).
#             Issue #20 item 4: p99 < 20 ms.
#   Then the harness waits until the server is idle (IDLE_WAIT) and its search index answers
#   READY, and runs ROUNDS rounds of:
#   static    (STANDARD=1) GET /healthz, the baseline of the ratios;
#   NAME POST, NAME GET  (STANDARD=1) each standard query of scripts/loadtest/queries.json
#             over POST and over GET with an Apollo persisted-query hash (registered first):
#             issue #8 (page over POST >= 0.5x static), #20 items 5 (persisted GETs, cache
#             hits, >= 0.9x static), 6 (p99 < 5 ms) and 7 (>= 5x the Node.js peer);
#   search, page_uncached  (SEARCH=1) SEARCHES distinct searches of 1-3 title words and the
#             `page_of_20` query, both made response-cache misses by a `nonce` variable unique
#             per request (scripts/loadtest/paths.lua): issue #16, search >= 0.5x the page's
#             req/s and p99 < 10 ms;
#   path:P, uncached:P  (OUTPUTS=1) the feeds and sitemap (/feed.xml, /feed.json,
#             /feed/by_tag/$TAG.xml, /feed.rss?tags=$TAG, /sitemap.xml; bodies not scanned for
#             "errors"), cached on the main server and uncached on a second server started
#             with --response-cache-entries 0 (a feed refuses unknown query parameters, so no
#             nonce can make a miss): issue #20 item 8, reported;
#   mix       (MUTATIONS=1) the standard queries as GETs on a third server, with an editor
#             token, on a copy of the corpus, while scripts/loadtest/mutations.py (python3)
#             sends updatePost at MUTATION_RATE per second: read p99, mutation answer time
#             and the time until a public GET serves the new title (p50/p99): item 8, reported.
# At the end: the main server's peak RSS (VmHWM) over the corpus bytes (every file's size),
# issue #20 item 9: <= 3x. Items 2 and 3 (against Hugo) are scripts/bench-vs-hugo.sh's.
#
# With PEER=node the static and standard steps also run against the Node.js peer
# (benches/peers/node/), step by step, and the report gives inkgraph's requests/s over the
# peer's; item 7's target is against the peer's best configuration, PEER_ARGS='--workers 2
# --response-cache'. For each step it prints requests/s, p50, p99, the worst p99 of the rounds,
# errors and the ratio to the static route (medians over rounds).
#
# queries.json is an array of {name, query, variables}; in variables, the strings "$SLUG"
# (the newest post's slug) and "$TAG" (the most used tag's slug) are replaced with values
# asked of the server. Every request is checked once with curl before any load.
#
#   scripts/loadtest.sh                                # 10,000 posts, 3 rounds of 10 s steps
#   POSTS=1000 DURATION=2 WARMUP=0 ROUNDS=1 scripts/loadtest.sh   # a quick check
#   PEER=node PEER_ARGS='--workers 2 --response-cache' scripts/loadtest.sh   # and the peer
#   STANDARD=0 OUTPUTS=0 MUTATIONS=0 STARTUP=0 scripts/loadtest.sh   # search only
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
#   STANDARD      1 (default): the static route and the standard queries; 0: skip them
#   STARTUP       1 (default): the start-up step; STARTUP_DURATION its seconds (DURATION)
#   SEARCH        1 (default): the search steps; SEARCHES distinct searches (default 5000)
#   OUTPUTS       1 (default): the feeds and sitemap, cached and uncached (a second server)
#   MUTATIONS     1 (default): the mutation mix (a third server; needs python3: `not run`
#                 without it); MUTATION_RATE updatePost per second (default 5)
#   INKGRAPH_BIN  the server binary (default target/release/inkgraph; build it with
#                 `cargo build --release --bin inkgraph`)
#   GEN_CORPUS_BIN the corpus generator (default gen-corpus beside INKGRAPH_BIN; build it
#                 with `cargo build --release --package gen-corpus`)
#   INKGRAPH_ARGS more `serve` arguments for every inkgraph server, split on spaces (default
#                 none; e.g. `--response-cache-entries 0` to measure execution instead of
#                 cache hits: then the feeds run once, on the main server)
#   PEER          `node` to also load the Node.js peer: `node benches/peers/node/server.mjs
#                 --content DIR --port 0`, which prints `listening on http://127.0.0.1:PORT`
#                 (`npm ci` installs its dependencies first when node_modules is missing).
#                 SKIPPED when that folder is missing or the peer does not start or answer.
#   PEER_ARGS     more arguments for the peer, split on spaces (default none; e.g.
#                 `--workers 2 --response-cache`: see benches/peers/node/README.md)
#   CHECK         1 (default): scan every GraphQL response body for "errors"; 0: only the
#                 status (less work for wrk, which shares the machine with the server)
#   WORK, KEEP    the folder for the corpus and run files (default: a new temporary folder,
#                 removed at exit unless KEEP=1). A corpus already in WORK with the same
#                 POSTS and SEED is reused. The mutation mix's copy is always removed.
#   IDLE_WAIT     seconds to wait at most for a freshly started server to go idle (default
#                 600): `serve` renders every post in the background after it listens, and
#                 that must not share the CPU with the measured steps; also the most to wait
#                 for the search index
#   STRICT        1: exit 1 when a target is missed (default: only report it)
#   QUERIES       another queries file (default scripts/loadtest/queries.json; it must
#                 have `page_of_20` for the search steps)
#   LOCK_WAIT     seconds to wait at most for another run of this script to finish (default
#                 3600): runs take a lock (LOCK, default /tmp/inkgraph-loadtest.lock), so two
#                 never share the machine; each run writes into its own WORK/run.XXXXXX
#   LOG_LEVEL     the servers' --log-level (default warn: no per-request span or line; at
#                 `info` the server opens a tracing span for every request)
#
# Exit status: 0 when every step ran with zero errors (non-2xx, GraphQL errors, socket
# errors, failed mutations), 1 otherwise (and, with STRICT=1, when a target is missed).
# Needs wrk, curl, jq (and python3 for the mutation mix).
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
STANDARD=${STANDARD:-1}
STARTUP=${STARTUP:-1}
STARTUP_DURATION=${STARTUP_DURATION:-$DURATION}
SEARCH=${SEARCH:-1}
SEARCHES=${SEARCHES:-5000}
OUTPUTS=${OUTPUTS:-1}
MUTATIONS=${MUTATIONS:-1}
MUTATION_RATE=${MUTATION_RATE:-5}

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
here="$repo/scripts/loadtest"
queries=${QUERIES:-$here/queries.json}
lua="$here/step.lua"
paths_lua="$here/paths.lua"

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
[[ -f "$queries" && -f "$lua" && -f "$paths_lua" ]] || die "missing $queries, $lua or $paths_lua"
[[ -z "$PEER" || "$PEER" == node ]] || die "PEER must be empty or 'node', not '$PEER'"
[[ -z "$PEER" || "$STANDARD" == 1 ]] || die "PEER compares the standard steps: run it with STANDARD=1"
# Why a step set did not run, for the targets at the end.
mutation_note=""
if [[ "$MUTATIONS" == 1 ]] && ! command -v python3 >/dev/null 2>&1; then
    mutation_note="python3 is not installed"
    MUTATIONS=0
fi
uncached_note=""
if [[ "$OUTPUTS" == 1 && " ${inkgraph_args[*]} " == *" --response-cache-entries "* ]]; then
    uncached_note="INKGRAPH_ARGS sets --response-cache-entries: the feeds run once, on the main server"
fi

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
writable=""
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    # The mutation mix's copy of the corpus is scratch, kept or not.
    [[ -n "$writable" ]] && rm -rf -- "$writable"
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
# The corpus bytes the memory target is held against: every file's size.
corpus_bytes=$(find "$corpus" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s }')

# --- Servers ------------------------------------------------------------------------------
# CPU time (user + system, in clock ticks) process $1 has used so far.
cpu_ticks() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    awk '{ print $12 + $13 }' <<<"$stat"
}
# Waits until process $1 has used less than 5 % of a core over one second, at most
# IDLE_WAIT seconds: a server that is still warming its caches would share the CPU. Sets
# $idle_after to the seconds waited.
wait_idle() {
    local pid=$1 before after hz
    hz=$(getconf CLK_TCK)
    idle_after=0
    before=$(cpu_ticks "$pid") || return 1
    while ((idle_after < IDLE_WAIT)); do
        sleep 1
        idle_after=$((idle_after + 1))
        after=$(cpu_ticks "$pid") || return 1
        if (((after - before) * 20 < hz)); then
            echo "   idle after ${idle_after} s"
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

# start_inkgraph NAME ARGS...: `inkgraph serve` on a free port with the run's settings and
# ARGS (more `serve` arguments, or `--content DIR` to serve another folder than the corpus).
start_inkgraph() {
    local name=$1 port
    shift
    port=$(free_port)
    start_server "$name" "url:http://127.0.0.1:$port" \
        "$bin" serve --content "$corpus" --listen "127.0.0.1:$port" --config /dev/null \
        --log-level "$LOG_LEVEL" "${inkgraph_args[@]}" "$@"
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
started_ns=$(date +%s%N)
start_inkgraph inkgraph || exit 1
ink_base=$base
ink_pid=$server_pid
echo "   answering /healthz after $((($(date +%s%N) - started_ns) / 1000000)) ms"

# --- The requests -------------------------------------------------------------------------
# $SLUG: the newest post; $TAG: the most used tag. Asked of inkgraph once, right after it
# starts (the start-up step needs them), and used for every server so they answer the same
# requests.
status=$(post_json "$ink_base" '{"query":"{ posts(first: 1) { nodes { slug } } tagCloud(limit: 1) { slug } }"}' "$run/placeholders.json")
valid_response "$status" "$run/placeholders.json" || die "cannot ask for \$SLUG/\$TAG (status $status): $(head -c 500 "$run/placeholders.json")"
slug=$(jq -r '.data.posts.nodes[0].slug' "$run/placeholders.json")
tag=$(jq -r '.data.tagCloud[0].slug' "$run/placeholders.json")
echo "== \$SLUG = $slug, \$TAG = $tag"

# Per standard query: NAME.post.json (POST body), NAME.register.json (POST registering the
# persisted query), NAME.get.path (persisted-query GET); standard.paths has each query as a
# plain GET (query in the URL), for the start-up step and the mutation mix's reads.
names=()
: >"$run/standard.paths"
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
    jq -rn --arg q "$query" --argjson v "$vars" --arg op "$op" \
        '"/graphql?query=" + ($q | @uri)
         + (if $v == {} then "" else "&variables=" + ($v | tojson | @uri) end)
         + (if $op == "" then "" else "&operationName=" + ($op | @uri) end)' >>"$run/standard.paths"
done

# Search (issue #16): SEARCHES requests of 1-3 words drawn from the corpus's title words (a
# fixed seed, so runs compare), asking what a search box asks; and the yardstick, the
# `page_of_20` query. Both carry a `nonce` variable that paths.lua makes unique per request,
# so the response cache answers none of them (the variable is unused: GraphQL ignores it).
# shellcheck disable=SC2016  # GraphQL variables, not shell ones
search_query='query Search($q: String!) { search(query: $q, first: 10) { status totalCount nodes { score post { title permalink } highlights { field snippet } } } }'
if [[ "$SEARCH" == 1 ]]; then
    find "$corpus/" -name '*.md' -print0 | xargs -0 sed -n 's/^title: *//p' |
        tr '[:upper:]' '[:lower:]' | tr -c 'a-z\n' ' ' | tr ' ' '\n' | awk 'length($0) >= 4' |
        sort -u >"$run/words.txt"
    [[ -s "$run/words.txt" ]] || die "no title words found in $corpus"
    awk -v n="$SEARCHES" -v seed="$SEED" '
        { words[NR] = $0 }
        END {
            srand(seed)
            for (i = 0; i < n; i++) {
                k = 1 + int(rand() * 3); q = ""
                for (j = 0; j < k; j++) q = q (j ? " " : "") words[1 + int(rand() * NR)]
                print q
            }
        }' "$run/words.txt" >"$run/search.queries"
    jq -Rr --arg query "$search_query" \
        '"/graphql?query=" + ($query | @uri) + "&variables=" + ({q: ., nonce: "NONCE"} | tojson | @uri) + "&operationName=Search"' \
        "$run/search.queries" >"$run/search.paths"
    page_query=$(jq -r '.[] | select(.name == "page_of_20") | .query' "$queries")
    [[ -n "$page_query" ]] || die "no page_of_20 query in $queries (the search step's yardstick)"
    jq -rn --arg query "$page_query" \
        '"/graphql?query=" + ($query | @uri) + "&variables=" + ({nonce: "NONCE"} | tojson | @uri)' \
        >"$run/page.paths"
    echo "== $SEARCHES search requests from $(wc -l <"$run/words.txt") title words, e.g. \"$(head -n1 "$run/search.queries")\""
fi

output_paths=()
if [[ "$OUTPUTS" == 1 ]]; then
    output_paths=(/feed.xml /feed.json "/feed/by_tag/$tag.xml" "/feed.rss?tags=$tag" /sitemap.xml)
fi

# --- The load -----------------------------------------------------------------------------
results="$run/results.tsv"
: >"$results"
mix_results="$run/mix.tsv"
: >"$mix_results"
failed_steps=0

# wrk_step SERVER BASE STEP ROUND: one wrk run; appends a line to $results. STEP is one of
#   static, "NAME POST", "NAME GET" (persisted query), path:PATH (an output, cached),
#   uncached:PATH (the same on the server without a response cache), search, page_uncached,
#   startup (the standard queries as plain GETs, right after start, no warm-up), mix (the
#   same reads while mutations.py changes posts; its figures go to $mix_results).
wrk_step() {
    local server=$1 base=$2 step=$3 round=$4 name script=$lua args line out requests rps p50 p99 max non2xx gql socket
    local check=$CHECK warm=$WARMUP duration=$DURATION salt driver="" mix
    name=${step%% *}
    salt="r$round-$(date +%s%N)"
    case "$step" in
        static) args=(GET /healthz -) ;;
        path:*) args=(GET "${step#path:}" -) check=0 ;;
        uncached:*) args=(GET "${step#uncached:}" -) check=0 ;;
        *" POST") args=(POST /graphql "$run/$name.post.json") ;;
        *" GET") args=(GET "$(cat "$run/$name.get.path")" -) ;;
        search) script=$paths_lua args=("$run/search.paths") ;;
        page_uncached) script=$paths_lua args=("$run/page.paths") ;;
        startup) script=$paths_lua args=("$run/standard.paths") warm=0 duration=$STARTUP_DURATION ;;
        mix) script=$paths_lua args=("$run/standard.paths") ;;
        *) die "unknown step $step" ;;
    esac
    args+=("$check")
    [[ "$script" == "$paths_lua" ]] && args+=("$salt")
    # Register the persisted query again right before its step, as an Apollo client does on
    # PersistedQueryNotFound: a server may bound or expire its store of them.
    if [[ "$step" == *" GET" ]]; then
        post_json "$base" "$(cat "$run/$name.register.json")" "$run/register.out" >/dev/null
    fi
    if ((warm > 0)); then
        wrk -t "$THREADS" -c "$CONNECTIONS" -d "${warm}s" --timeout 10s -s "$script" \
            "$base" -- "${args[@]/%$salt/$salt-w}" >/dev/null 2>&1 || true
    fi
    if [[ "$step" == mix ]]; then
        INKGRAPH_EDITOR_TOKEN=$editor_token python3 "$here/mutations.py" "$base" "$MUTATION_RATE" \
            "$duration" >"$run/mix.out" 2>"$run/mix.err" 9>&- &
        driver=$!
    fi
    out="$run/wrk.out"
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "${duration}s" --timeout 10s -s "$script" \
        "$base" -- "${args[@]}" >"$out" 2>&1 || true
    if [[ -n "$driver" ]]; then
        wait "$driver" || true
        if mix=$(grep -m1 '^MIX ' "$run/mix.out"); then
            # MIX mutations errors rate latency_p50 latency_p99 visible_p50 visible_p99
            printf '%s\t%s\n' "$round" "${mix#MIX }" | tr ' ' '\t' >>"$mix_results"
            read -r _ m_count m_errors m_rate m_p50 m_p99 v_p50 v_p99 <<<"$mix"
            printf '   round %d %-8s %-30s %d mutations (%.1f/s), %d failed; answer p50 %.0f ms p99 %.0f ms; served p50 %.0f ms p99 %.0f ms\n' \
                "$round" "$server" "mutations" "$m_count" "$m_rate" "$m_errors" "$m_p50" "$m_p99" "$v_p50" "$v_p99"
            head -n 3 "$run/mix.err" | sed 's/^/      /'
        else
            echo "   the mutation driver failed: $(head -c 500 "$run/mix.err")" >&2
            failed_steps=$((failed_steps + 1))
        fi
    fi
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

# Issue #20 item 4: the standard queries while `serve` still renders every post in the
# background (it does so right after it listens). One run: it happens once per start.
startup_note=""
if [[ "$STARTUP" == 1 ]]; then
    echo "== start-up step: the standard queries as GETs for ${STARTUP_DURATION} s while the background render runs"
    wrk_step inkgraph "$ink_base" startup 1
fi
echo "   waiting for the background render to finish"
wait_idle "$ink_pid"
if [[ "$STARTUP" == 1 ]] && ((idle_after <= 2)); then
    startup_note="the render may have ended before the step did (server idle ${idle_after} s after it)"
    echo "   note: $startup_note"
fi

# The search index is built in the background too; until it is, search answers INDEXING.
# The memory target counts it, so every run waits for it.
search_ready=0
for ((waited = 0; waited < IDLE_WAIT * 10; waited++)); do
    status=$(post_json "$ink_base" "$(jq -cn --arg q "$search_query" '{query: $q, variables: {q: "post"}}')" "$run/search-ready.json")
    if [[ "$status" == 200 ]] && jq -e '.data.search.status == "READY"' "$run/search-ready.json" >/dev/null 2>&1; then
        search_ready=1
        break
    fi
    sleep 0.1
done
if [[ "$search_ready" == 1 ]]; then
    echo "   search index READY $((($(date +%s%N) - started_ns) / 1000000)) ms after the start"
    wait_idle "$ink_pid"
else
    echo "   search never answered READY: $(head -c 300 "$run/search-ready.json")" >&2
fi

# check_paths SERVER BASE CHECK PATH...: GETs each PATH once (with CHECK=1 it must be a
# valid GraphQL answer, else only status 200); NONCE is replaced as paths.lua does.
check_paths() {
    local server=$1 base=$2 graphql=$3 path status
    shift 3
    for path in "$@"; do
        path=${path//NONCE/check}
        status=$(get_path "$base" "$path" "$run/check.out")
        if [[ "$graphql" == 1 ]]; then
            valid_response "$status" "$run/check.out" ||
                { echo "$server: GET ${path:0:120} failed (status $status): $(head -c 500 "$run/check.out")" >&2; return 1; }
        else
            [[ "$status" == 200 ]] ||
                { echo "$server: GET $path gave status $status: $(head -c 500 "$run/check.out")" >&2; return 1; }
        fi
        printf '   %-8s %-40s ok: GET %6d bytes\n' "$server" "${path:0:40}" "$(wc -c <"$run/check.out")"
    done
}

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

echo "== checking every request once"
prepare inkgraph "$ink_base" || exit 1
if [[ "$SEARCH" == 1 ]]; then
    check_paths inkgraph "$ink_base" 1 "$(head -n1 "$run/search.paths")" "$(head -n1 "$run/page.paths")" || exit 1
fi
check_paths inkgraph "$ink_base" 0 "${output_paths[@]}" || exit 1

# Uncached feeds: the response cache's key for an output is its whole request target, but a
# feed refuses any query parameter that is not a PostFilter field (400), so no harmless nonce
# can make a miss; a second server with `--response-cache-entries 0` on the same corpus
# answers them instead (idle during every other step).
unc_base=""
if [[ "$OUTPUTS" == 1 && -z "$uncached_note" ]]; then
    echo "== starting a second inkgraph serve without a response cache (uncached feeds)"
    start_inkgraph uncached --response-cache-entries 0 || exit 1
    unc_base=$base
    wait_idle "$server_pid"
    check_paths uncached "$unc_base" 0 "${output_paths[@]}" || exit 1
fi

# The mutation mix: a third server, with an editor token, on a copy of the corpus (it writes).
writer_base=""
editor_token=""
if [[ "$MUTATIONS" == 1 ]]; then
    echo "== starting a writable inkgraph serve (editor token) on a copy of the corpus"
    writable="$run/writable"
    cp -a "$corpus" "$writable"
    editor_token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    port=$(free_port)
    start_server writer "url:http://127.0.0.1:$port" \
        env INKGRAPH_EDITOR_TOKEN="$editor_token" \
        "$bin" serve --content "$writable" --listen "127.0.0.1:$port" --config /dev/null \
        --log-level "$LOG_LEVEL" "${inkgraph_args[@]}" || exit 1
    writer_base=$base
    wait_idle "$server_pid"
    mapfile -t standard_paths <"$run/standard.paths"
    check_paths writer "$writer_base" 1 "${standard_paths[@]}" || exit 1
fi

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

# The steps of each round. The static route and the standard queries run on every server
# (inkgraph, the peer); the others on inkgraph only, each on its own server.
steps=()
if [[ "$STANDARD" == 1 ]]; then
    steps+=(static)
    for name in "${names[@]}"; do
        steps+=("$name POST" "$name GET")
    done
fi
[[ "$SEARCH" == 1 ]] && steps+=(search page_uncached)
for path in "${output_paths[@]}"; do
    steps+=("path:$path")
    [[ -n "$unc_base" ]] && steps+=("uncached:$path")
done
[[ "$MUTATIONS" == 1 ]] && steps+=(mix)
((${#steps[@]} > 0)) || die "no steps to run (STANDARD, SEARCH, OUTPUTS and MUTATIONS are all 0)"
shared_step() { [[ "$1" == static || "$1" == *" POST" || "$1" == *" GET" ]]; }
step_base() {
    case "$1" in
        uncached:*) echo "$unc_base" ;;
        mix) echo "$writer_base" ;;
        *) echo "$ink_base" ;;
    esac
}

echo "== machine: $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== wrk: $ROUNDS rounds x ${#steps[@]} steps, ${DURATION} s each (+${WARMUP} s warm-up), $CONNECTIONS connections, $THREADS threads"
for ((round = 1; round <= ROUNDS; round++)); do
    for step in "${steps[@]}"; do
        if shared_step "$step"; then
            for s in "${!servers[@]}"; do
                wrk_step "${servers[$s]}" "${bases[$s]}" "$step" "$round"
            done
        else
            wrk_step inkgraph "$(step_base "$step")" "$step" "$round"
        fi
    done
done
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
# Peak RSS of the main server: after every step, with the search index built.
peak_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$ink_pid/status" 2>/dev/null || echo 0)
echo "== inkgraph server log: $(wc -l <"$run/inkgraph.log") lines; RSS $(awk '/VmRSS/ { printf "%.0f MB", $2 / 1024 }' "/proc/$ink_pid/status" 2>/dev/null || echo '?'), peak $((peak_kb / 1024)) MB"

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
has() { [[ -n "$(field "$1" "$2" 3)" ]]; }
# mix_field COLUMN: the median over rounds of a column of $mix_results (2 mutations,
# 3 errors, 4 rate, 5/6 answer p50/p99, 7/8 served p50/p99).
mix_field() {
    awk -F'\t' -v c="$1" '{ print $c }' "$mix_results" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo
echo "== results: $POSTS posts, medians of $ROUNDS rounds of ${DURATION} s, $CONNECTIONS connections"
shown=("${steps[@]}")
[[ "$STARTUP" == 1 ]] && shown=(startup "${steps[@]}")
for server in "${servers[@]}"; do
    static_rps=$(field "$server" static 3)
    echo
    echo "-- $server (static route GET /healthz: ${static_rps:-not run} req/s)"
    printf '%-34s %10s %9s %9s %10s %11s %7s %9s\n' step "req/s" "p50 ms" "p99 ms" "worst p99" "non2xx+gql" socket "x static"
    for step in "${shown[@]}"; do
        awk -F'\t' -v s="$server" -v t="$step" -v st="${static_rps:-0}" '$1 == s && $2 == t {
            printf "%-34s %10.0f %9.2f %9.2f %10.2f %11d %7d %9.2f\n", $2, $3, $4, $5, $6, $7, $8, (st > 0 ? $3 / st : 0)
        }' "$summary"
    done
done
if [[ -s "$mix_results" ]]; then
    printf '\n-- mutation mix (writer server): %s mutations per round at %s/s asked, %s/s sent; %s failed in all\n' \
        "$(mix_field 2)" "$MUTATION_RATE" "$(mix_field 4)" "$(awk -F'\t' '{ s += $3 } END { print s + 0 }' "$mix_results")"
    printf '   mutation answer p50 %s ms, p99 %s ms; new title served (public GET) p50 %s ms, p99 %s ms\n' \
        "$(mix_field 5)" "$(mix_field 6)" "$(mix_field 7)" "$(mix_field 8)"
fi

# --- Targets ------------------------------------------------------------------------------
missed=0
errors=0
verdict() { # verdict LABEL VALUE OK(0/1)
    if [[ "$3" == 1 ]]; then
        printf '  %-70s %-20s met\n' "$1" "$2"
    else
        printf '  %-70s %-20s MISSED\n' "$1" "$2"
        missed=$((missed + 1))
    fi
}
not_run() { printf '  %-70s %-20s not run: %s\n' "$1" "-" "$2"; }
reported() { printf '  %-70s %-20s reported\n' "$1" "$2"; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 >= b + 0) ? 1 : 0 }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 <= b + 0) ? 1 : 0 }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 < b + 0) ? 1 : 0 }'; }
# Three decimals: a verdict compares this figure, and two rounded 0.4976 up to a met 0.50.
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.3f", a / b; else print "0" }'; }
# The standard steps on inkgraph (issue #20 items 5 to 7 are about these).
standard_steps=()
for step in "${steps[@]}"; do
    [[ "$step" != static ]] && shared_step "$step" && standard_steps+=("$step")
done
static_rps=$(field inkgraph static 3)

echo
echo "== targets: $POSTS posts, $CONNECTIONS connections, medians of $ROUNDS rounds (met / MISSED / not run)"
echo " issue #8"
if has inkgraph static && has inkgraph "page_of_20 POST"; then
    r=$(div "$(field inkgraph "page_of_20 POST" 3)" "$static_rps")
    verdict "page_of_20 over POST >= 0.5x the static route" "${r}x" "$(ge "$r" 0.5)"
else
    not_run "page_of_20 over POST >= 0.5x the static route" "STANDARD=0"
fi

echo " issue #16 (search)"
if has inkgraph search && has inkgraph page_uncached; then
    r=$(div "$(field inkgraph search 3)" "$(field inkgraph page_uncached 3)")
    verdict "search >= 0.5x an uncached page_of_20 (req/s: $(field inkgraph search 3) / $(field inkgraph page_uncached 3))" "${r}x" "$(ge "$r" 0.5)"
    p99=$(field inkgraph search 5)
    verdict "search p99 < 10 ms" "${p99} ms" "$(lt "$p99" 10)"
else
    not_run "search >= 0.5x an uncached page_of_20; search p99 < 10 ms" "SEARCH=0"
fi

echo " issue #20"
not_run "2. ready to serve <= 0.05x Hugo's build" "scripts/bench-vs-hugo.sh"
not_run "3. render-all <= 0.35x Hugo's build" "scripts/bench-vs-hugo.sh"
if has inkgraph startup; then
    p99=$(field inkgraph startup 5)
    verdict "4. p99 of the standard queries during the start-up render < 20 ms" "${p99} ms" "$(lt "$p99" 20)"
    [[ -n "$startup_note" ]] && echo "     (note: $startup_note)"
else
    not_run "4. p99 of the standard queries during the start-up render < 20 ms" "STARTUP=0"
fi
if has inkgraph static && ((${#standard_steps[@]} > 0)); then
    for step in "${standard_steps[@]}"; do
        [[ "$step" == *" GET" ]] || continue
        r=$(div "$(field inkgraph "$step" 3)" "$static_rps")
        verdict "5. cache hit (persisted-query GET) >= 0.9x static: ${step% GET}" "${r}x" "$(ge "$r" 0.9)"
    done
    [[ " ${inkgraph_args[*]} " == *" --response-cache-entries "* ]] &&
        echo "     (note: INKGRAPH_ARGS sets --response-cache-entries, so these may not be cache hits)"
    for step in "${standard_steps[@]}"; do
        p99=$(field inkgraph "$step" 5)
        verdict "6. p99 < 5 ms: $step" "${p99} ms" "$(lt "$p99" 5)"
    done
else
    not_run "5. cache hits >= 0.9x the static route; 6. p99 < 5 ms per standard query" "STANDARD=0"
fi
best_peer="--workers 2 --response-cache"
if [[ "${#servers[@]}" -gt 1 ]]; then
    note=""
    [[ "${PEER_ARGS:-}" == "$best_peer" ]] || note=" (peer args '${PEER_ARGS:-}', not its best '$best_peer')"
    r=$(div "$(field inkgraph static 3)" "$(field node static 3)")
    printf '  %-70s %-20s (not a target)\n' "7. inkgraph / node req/s, static route" "${r}x"
    for step in "${standard_steps[@]}"; do
        r=$(div "$(field inkgraph "$step" 3)" "$(field node "$step" 3)")
        verdict "7. inkgraph / node req/s >= 5: $step$note" "${r}x" "$(ge "$r" 5)"
    done
elif [[ "$PEER" == node ]]; then
    not_run "7. inkgraph / node req/s >= 5 on every step" "$peer_note"
else
    not_run "7. inkgraph / node req/s >= 5 on every step" "needs PEER=node PEER_ARGS='$best_peer'"
fi
if has inkgraph search; then
    reported "8. search (uncached): req/s, p99" "$(field inkgraph search 3) / $(field inkgraph search 5) ms"
else
    not_run "8. search in the harness" "SEARCH=0"
fi
if ((${#output_paths[@]} > 0)); then
    for path in "${output_paths[@]}"; do
        if has inkgraph "uncached:$path"; then
            reported "8. $path cached / uncached req/s" "$(field inkgraph "path:$path" 3) / $(field inkgraph "uncached:$path" 3)"
        else
            reported "8. $path req/s (main server only)" "$(field inkgraph "path:$path" 3)"
        fi
    done
    [[ -n "$uncached_note" ]] && echo "     (note: $uncached_note)"
else
    not_run "8. feeds cached and uncached" "OUTPUTS=0"
fi
if [[ -s "$mix_results" ]] && has inkgraph mix; then
    reported "8. mix: read p99 with $MUTATION_RATE updatePost/s (reads req/s $(field inkgraph mix 3))" "$(field inkgraph mix 5) ms"
    reported "8. mix: mutation answer p50 / p99" "$(mix_field 5) / $(mix_field 6) ms"
    reported "8. mix: new version served (reload) p50 / p99" "$(mix_field 7) / $(mix_field 8) ms"
else
    not_run "8. mutation mix" "${mutation_note:-MUTATIONS=0}"
fi
if [[ "$search_ready" == 1 && "$peak_kb" -gt 0 && "$corpus_bytes" -gt 0 ]]; then
    r=$(div "$((peak_kb * 1024))" "$corpus_bytes")
    verdict "9. peak RSS $((peak_kb / 1024)) MiB <= 3x corpus $((corpus_bytes / 1048576)) MiB (search index built)" "${r}x" "$(le "$r" 3)"
else
    not_run "9. peak RSS <= 3x corpus bytes" "the search index never answered READY"
fi

for server in "${servers[@]}"; do
    for step in startup "${steps[@]}"; do
        has "$server" "$step" || continue
        e=$(($(field "$server" "$step" 7) + $(field "$server" "$step" 8)))
        errors=$((errors + e))
    done
done
if [[ -s "$mix_results" ]]; then
    errors=$((errors + $(awk -F'\t' '{ s += $3 } END { print s + 0 }' "$mix_results")))
fi
echo "  errors (non-2xx, GraphQL errors, socket errors, failed mutations) over all steps: $errors; failed wrk runs: $failed_steps"
[[ "$KEEP" == 1 ]] && echo "== kept $WORK (this run: $run; results: $results)"

if ((errors > 0 || failed_steps > 0)); then
    exit 1
fi
if [[ "$STRICT" == 1 ]] && ((missed > 0)); then
    exit 1
fi
exit 0
