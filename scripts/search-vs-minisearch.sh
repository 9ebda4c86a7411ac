#!/usr/bin/env bash
# inkgraph's search against MiniSearch (issue #16; not part of CI): the same posts and the
# same queries, in-process on both sides, side by side: index build time and query
# throughput (one thread each; every hit matched, scored and sorted, no page).
#
#   scripts/search-vs-minisearch.sh                 # a generated 10,000-post corpus (seed 42)
#   scripts/search-vs-minisearch.sh ../shared/corpus/joshbeckman
#
# Queries: QUERIES (default 1000) of 1-3 words drawn from the corpus's title words with a
# fixed seed. inkgraph: `cargo run --release --example search_stats -- --no-relevance
# --queries FILE DIR` (or SEARCH_STATS_BIN, an already built search_stats); MiniSearch: benches/peers/node/search-bench.mjs (`npm ci` there first
# when node_modules is missing). Prints SKIPPED for MiniSearch without Node.js.
set -euo pipefail
repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
QUERIES=${QUERIES:-1000}
POSTS=${POSTS:-10000}
work=$(mktemp -d "${TMPDIR:-/tmp}/inkgraph-search-vs.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
if [[ $# -ge 1 ]]; then
    corpus=$(cd -- "$1" && pwd)
else
    corpus="$work/corpus"
    (cd "$repo" && cargo gen-corpus --posts "$POSTS" --seed 42 "$corpus" >/dev/null)
fi
find "$corpus" -path '*_posts/*' -name '*.md' -print0 | xargs -0 sed -n 's/^title: *//p' |
    tr 'A-Z' 'a-z' | tr -c 'a-z\n' ' ' | tr ' ' '\n' | awk 'length($0) >= 4' |
    sort -u >"$work/words.txt"
awk -v n="$QUERIES" '
    { words[NR] = $0 }
    END {
        srand(42)
        for (i = 0; i < n; i++) {
            k = 1 + int(rand() * 3); q = ""
            for (j = 0; j < k; j++) q = q (j ? " " : "") words[1 + int(rand() * NR)]
            print q
        }
    }' "$work/words.txt" >"$work/queries.txt"
echo "== $(find "$corpus" -path '*_posts/*' -name '*.md' | wc -l) posts in $corpus; $QUERIES queries, e.g. \"$(head -n1 "$work/queries.txt")\""
if [[ -n "${SEARCH_STATS_BIN:-}" ]]; then
    "$SEARCH_STATS_BIN" --no-relevance --queries "$work/queries.txt" "$corpus"
else
    (cd "$repo" && cargo run -q --release --example search_stats -- --no-relevance \
        --queries "$work/queries.txt" "$corpus")
fi 2>/dev/null >"$work/inkgraph.json"
node_json=""
peer="$repo/benches/peers/node"
if ! command -v node >/dev/null 2>&1; then
    echo "SKIPPED: MiniSearch (no Node.js)"
elif [[ ! -d "$peer/node_modules/minisearch" ]] && ! (cd "$peer" && npm ci --silent >/dev/null 2>&1); then
    echo "SKIPPED: MiniSearch (npm ci failed in $peer)"
else
    node --expose-gc "$peer/search-bench.mjs" --content "$corpus" --queries "$work/queries.txt" >"$work/node.json"
    node_json="$work/node.json"
fi
row() { # LABEL JQ-EXPRESSION
    printf '  %-30s %14s %14s\n' "$1" "$(jq -r "$2" "$work/inkgraph.json")" \
        "$([[ -n "$node_json" ]] && jq -r "$2" "$node_json" || echo -)"
}
printf '  %-30s %14s %14s\n' "" inkgraph MiniSearch
row "posts" '.posts'
row "index build, ms (wall)" '.index_ms'
row "queries/s (one thread)" '.queries.per_s'
row "query p50, µs" '.queries.p50_us'
row "query p99, µs" '.queries.p99_us'
row "hits per query (mean)" '.queries.mean_hits'
echo "  (inkgraph index CPU ms: $(jq -r '.index_cpu_ms' "$work/inkgraph.json"); MiniSearch heap after build: $([[ -n "$node_json" ]] && jq -r '.heap_bytes / 1048576 | floor' "$node_json" || echo -) MiB; inkgraph peak RSS: $(jq -r '.peak_rss_bytes / 1048576 | floor' "$work/inkgraph.json") MiB)"
