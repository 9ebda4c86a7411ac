#!/usr/bin/env bash
# Issue #20 item 4: do requests starve while `serve` renders every post in the background
# right after it starts? Starts BIN serve on CORPUS, waits for /healthz, then at once runs
# wrk (32 connections, 2 threads, DURATION seconds, default 8) on the `page_of_20` query over
# GET while the warm-up runs, and prints requests/s, p50 and p99. Target: p99 < 20 ms.
#
#   scripts/loadtest/warmup.sh target/release/inkgraph /tmp/corpus-10k [PORT]
#
# Needs wrk and curl; only 127.0.0.1 is contacted. Not part of CI.
set -euo pipefail
bin=$1
corpus=$2
port=${3:-18437}
duration=${DURATION:-8}
for tool in wrk curl; do
    command -v "$tool" >/dev/null || { echo "SKIPPED: $tool is not installed"; exit 0; }
done
"$bin" serve --content "$corpus" --listen "127.0.0.1:$port" --config /dev/null \
    --log-level warn >/dev/null 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "the server exited"; exit 1; }
    sleep 0.05
done
# query Page { posts(first: 20) { totalCount nodes { title date permalink tags { name } } pageInfo { endCursor hasNextPage } } }
q='query%20Page%20%7B%20posts(first%3A%2020)%20%7B%20totalCount%20nodes%20%7B%20title%20date%20permalink%20tags%20%7B%20name%20%7D%20%7D%20pageInfo%20%7B%20endCursor%20hasNextPage%20%7D%20%7D%20%7D'
out=$(wrk -t2 -c32 -d"${duration}s" --latency "http://127.0.0.1:$port/graphql?query=$q")
rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
echo "during warm-up: $rps req/s, p50 $p50, p99 $p99 (target p99 < 20ms)"
