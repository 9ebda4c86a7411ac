#!/usr/bin/env bash
# Search under load (issue #16; not part of CI): a release `inkgraph serve` on a generated
# corpus, driven by wrk with GET requests that differ from one another, so the response
# cache cannot answer them all:
#
#   search   full-text searches of 1-3 words drawn from the corpus's title words (a fixed
#            seed, so runs compare), asking what a search box asks: a page of 10 hits with
#            score, title, permalink and highlights, plus totalCount;
#   page     the load test's `page_of_20` query (posts(first: 20)), made a cache miss each
#            time by an unused variable: the yardstick search is held against.
#
# Steps alternate (search, page) for ROUNDS rounds; each figure is the median over rounds.
# Targets: search >= 0.5x the page's req/s, search p99 < 10 ms.
#
#   scripts/bench-search.sh                          # 10,000 posts, 3 rounds of 10 s steps
#   POSTS=1000 DURATION=5 ROUNDS=1 scripts/bench-search.sh
#
# Environment: POSTS (10000), SEED (42), DURATION (10 s), WARMUP (1 s), ROUNDS (3),
# CONNECTIONS (32), THREADS (2), SEARCHES (distinct requests per step, 5000), CHECK (1: scan
# every body for GraphQL "errors"), INKGRAPH_BIN (target/release/inkgraph), GEN_CORPUS_BIN
# (gen-corpus beside it), WORK/KEEP (corpus folder, kept and reused with KEEP=1), STRICT (1:
# exit 1 when a target is missed). Takes scripts/loadtest.sh's lock (LOCK), so the two never
# share the machine. Needs wrk, curl, jq. Only 127.0.0.1 is contacted.
set -euo pipefail

POSTS=${POSTS:-10000}
SEED=${SEED:-42}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-1}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
SEARCHES=${SEARCHES:-5000}
CHECK=${CHECK:-1}
KEEP=${KEEP:-0}
STRICT=${STRICT:-0}

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
lua="$repo/scripts/bench-search.lua"
die() {
    echo "error: $*" >&2
    exit 1
}
for tool in wrk curl jq; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (apt-get install $tool)"
done
bin=${INKGRAPH_BIN:-$repo/target/release/inkgraph}
[[ -x "$bin" ]] || die "no inkgraph binary at $bin (cargo build --release --bin inkgraph)"
gen_corpus=${GEN_CORPUS_BIN:-$(dirname "$bin")/gen-corpus}
[[ -x "$gen_corpus" ]] || die "no gen-corpus at $gen_corpus (cargo build --release -p gen-corpus)"

if [[ -n "${WORK:-}" ]]; then
    mkdir -p "$WORK"
    own_work=0
else
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/inkgraph-bench-search.XXXXXX")
    own_work=1
fi
corpus="$WORK/corpus"
run=$(mktemp -d "$WORK/run.XXXXXX")
server_pid=""
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    [[ -n "$server_pid" ]] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    if [[ "$KEEP" != 1 ]]; then
        if [[ "$own_work" == 1 ]]; then rm -rf -- "$WORK"; else rm -rf -- "$run"; fi
    fi
    return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

lock=${LOCK:-${TMPDIR:-/tmp}/inkgraph-loadtest.lock}
exec 9>>"$lock"
flock -n 9 || { echo "== waiting for another load run (lock $lock)"; flock -w 3600 9 || die "lock $lock still held"; }

params="posts=$POSTS seed=$SEED"
if [[ -d "$corpus" && "$(cat "$WORK/corpus.params" 2>/dev/null)" == "$params" ]]; then
    echo "== reusing the corpus in $corpus ($params)"
else
    echo "== generating $POSTS posts (seed $SEED) into $corpus"
    rm -rf "$corpus"
    "$gen_corpus" --posts "$POSTS" --seed "$SEED" "$corpus" >/dev/null
    echo "$params" >"$WORK/corpus.params"
fi

# --- The requests -------------------------------------------------------------------------
find "$corpus/" -name '*.md' -print0 | xargs -0 sed -n 's/^title: *//p' |
    tr 'A-Z' 'a-z' | tr -c 'a-z\n' ' ' | tr ' ' '\n' | awk 'length($0) >= 4' |
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
search_query='query Search($q: String!) { search(query: $q, first: 10) { status totalCount nodes { score post { title permalink } highlights { field snippet } } } }'
jq -Rr --arg query "$search_query" \
    '"/graphql?query=" + ($query | @uri) + "&variables=" + ({q: .} | tojson | @uri) + "&operationName=Search"' \
    "$run/search.queries" >"$run/search.paths"
page_query='query Page { posts(first: 20) { totalCount nodes { title date permalink tags { name } } pageInfo { endCursor hasNextPage } } }'
seq 1 "$SEARCHES" | jq -Rr --arg query "$page_query" \
    '"/graphql?query=" + ($query | @uri) + "&variables=" + ({nonce: .} | tojson | @uri)' \
    >"$run/page.paths"
echo "== $SEARCHES search requests from $(wc -l <"$run/words.txt") title words, e.g. \"$(head -n1 "$run/search.queries")\""

# --- The server ---------------------------------------------------------------------------
port=""
for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    if ! (: <"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[[ -n "$port" ]] || die "no free loopback port"
base="http://127.0.0.1:$port"
started=$(date +%s%N)
"$bin" serve --content "$corpus" --listen "127.0.0.1:$port" --config /dev/null \
    --log-level warn >"$run/server.log" 2>&1 9>&- &
server_pid=$!
first_search="$run/first.out"
ready=""
for _ in $(seq 1 6000); do
    kill -0 "$server_pid" 2>/dev/null || { cat "$run/server.log" >&2; die "the server exited"; }
    status=$(curl -s -o "$first_search" -w '%{http_code}' --max-time 10 "$base$(head -n1 "$run/search.paths")" || true)
    if [[ "$status" == 200 ]]; then
        [[ -z "${listening:-}" ]] && listening=$(date +%s%N)
        if jq -e '.data.search.status == "READY"' "$first_search" >/dev/null 2>&1; then
            ready=$(date +%s%N)
            break
        fi
    fi
    sleep 0.1
done
[[ -n "$ready" ]] || die "search never became READY: $(head -c 300 "$first_search")"
echo "== server answering after $(((listening - started) / 1000000)) ms, search READY after $(((ready - started) / 1000000)) ms"
# Wait for the background render to finish (less than 5 % of a core over a second).
hz=$(getconf CLK_TCK)
cpu() { local s; s=$(cat "/proc/$server_pid/stat"); s=${s##*) }; awk '{ print $12 + $13 }' <<<"$s"; }
before=$(cpu)
for _ in $(seq 1 600); do
    sleep 1
    after=$(cpu)
    (((after - before) * 20 < hz)) && break
    before=$after
done
for name in search page; do
    out="$run/check.$name.out"
    status=$(curl -s -o "$out" -w '%{http_code}' "$base$(head -n1 "$run/$name.paths")")
    [[ "$status" == 200 ]] && jq -e 'has("errors") | not' "$out" >/dev/null ||
        die "$name request failed (status $status): $(head -c 300 "$out")"
done

# --- Load ---------------------------------------------------------------------------------
echo "== wrk: $ROUNDS rounds x 2 steps, ${DURATION} s each, $CONNECTIONS connections, $THREADS threads"
printf '%-8s %5s %10s %9s %9s %9s %7s\n' step round 'req/s' 'p50 ms' 'p99 ms' 'max ms' errors
: >"$run/results.tsv"
errors=0
for ((round = 1; round <= ROUNDS; round++)); do
    for name in search page; do
        if ((WARMUP > 0)); then
            wrk -t "$THREADS" -c "$CONNECTIONS" -d "${WARMUP}s" --timeout 10s -s "$lua" "$base" \
                -- "$run/$name.paths" "$CHECK" >/dev/null 2>&1 || true
        fi
        wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --timeout 10s -s "$lua" "$base" \
            -- "$run/$name.paths" "$CHECK" >"$run/wrk.out" 2>&1 || true
        line=$(grep -m1 '^RESULT ' "$run/wrk.out") || die "wrk failed: $(head -c 500 "$run/wrk.out")"
        read -r _ _ _ rps p50 p99 max bad gql socket <<<"$line"
        e=$((bad + gql + socket))
        errors=$((errors + e))
        printf '%-8s %5d %10.0f %9.3f %9.3f %9.3f %7d\n' "$name" "$round" "$rps" "$p50" "$p99" "$max" "$e"
        printf '%s\t%s\t%s\t%s\n' "$name" "$rps" "$p50" "$p99" >>"$run/results.tsv"
        grep -m1 '^SAMPLE ' "$run/wrk.out" || true
    done
done
median() { awk -F'\t' -v n="$1" -v c="$2" '$1 == n { print $c }' "$run/results.tsv" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
search_rps=$(median search 2)
page_rps=$(median page 2)
search_p50=$(median search 3)
search_p99=$(median search 4)
rss_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$server_pid/status")
ratio=$(awk -v a="$search_rps" -v b="$page_rps" 'BEGIN { printf "%.2f", a / b }')
missed=0
verdict() {
    if awk -v ok="$3" 'BEGIN { exit !ok }'; then r=ok; else r=MISSED; missed=1; fi
    printf '  %-52s %-14s %s\n' "$1" "$2" "$r"
}
echo
echo "== medians over $ROUNDS rounds ($POSTS posts); server peak RSS $((rss_kb / 1024)) MiB; corpus $(du -sm "$corpus" | cut -f1) MiB"
printf '  search %.0f req/s (p50 %s ms, p99 %s ms); uncached page_of_20 %.0f req/s\n' \
    "$search_rps" "$search_p50" "$search_p99" "$page_rps"
verdict "search >= 0.5x an uncached page_of_20 (req/s)" "${ratio}x" "$(awk -v r="$ratio" 'BEGIN { print (r >= 0.5) }')"
verdict "search p99 < 10 ms at $CONNECTIONS connections" "$search_p99 ms" "$(awk -v p="$search_p99" 'BEGIN { print (p < 10) }')"
((errors == 0)) || { echo "error: $errors failed requests" >&2; exit 1; }
((STRICT == 1 && missed == 1)) && exit 1
exit 0
