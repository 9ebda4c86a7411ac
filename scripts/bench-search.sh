#!/usr/bin/env bash
# Search under load (issue #16; not part of CI): scripts/loadtest.sh with only its search
# steps. A release `inkgraph serve` on a generated corpus, once its search index answers
# READY, driven by wrk with GET requests the response cache cannot answer (a `nonce`
# variable unique per request):
#
#   search         full-text searches of 1-3 words drawn from the corpus's title words (a
#                  fixed seed, so runs compare), asking what a search box asks: a page of 10
#                  hits with score, title, permalink and highlights, plus totalCount;
#   page_uncached  the load test's `page_of_20` query (posts(first: 20)): the yardstick.
#
# Targets: search >= 0.5x the page's req/s, search p99 < 10 ms (and the memory target, peak
# RSS <= 3x the corpus bytes with the index built). Every loadtest.sh setting applies (POSTS,
# DURATION, ROUNDS, SEARCHES, WORK, KEEP, STRICT, ...); its full run includes these steps.
#
#   scripts/bench-search.sh                          # 10,000 posts, 3 rounds of 10 s steps
#   POSTS=1000 DURATION=5 ROUNDS=1 scripts/bench-search.sh
set -euo pipefail
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
export MODE=steps SEARCH=1 STANDARD=0 STARTUP=0 OUTPUTS=0 MUTATIONS=0 PEER=
exec "$here/loadtest.sh" "$@"
