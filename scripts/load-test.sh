#!/usr/bin/env bash
# Bounded load test: 60 s of mixed GraphQL requests (scripts/load-test.lua) at 64 connections
# against a release `inkgraph serve` on a free loopback port; passes only with zero errors
# (no status other than 200/304, no GraphQL errors, no socket errors or timeouts).
#
# Usage: scripts/load-test.sh      (from any directory; not part of .ci/run)
#
# Environment:
#   INKGRAPH_BIN      the binary (default: target/release/inkgraph; build it with
#                     `cargo build --release`; a debug build works but is much slower)
#   INKGRAPH_CONTENT  the blog to serve (default: content/, whose serial numbers the mix uses)
#   DURATION          seconds of load (default 60)
#   CONNECTIONS       concurrent connections (default 64)
#   THREADS           wrk threads (default 2)
#
# Needs wrk (apt-get install wrk; installed here when missing and running as root) and curl.
# Only 127.0.0.1 is ever contacted; wrk stops by itself after DURATION.
set -euo pipefail

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

absolute() {
    case "$1" in
        /*) printf '%s\n' "$1" ;;
        *) printf '%s\n' "$PWD/$1" ;;
    esac
}
bin="$(absolute "${INKGRAPH_BIN:-$repo_root/target/release/inkgraph}")"
content="$(absolute "${INKGRAPH_CONTENT:-$repo_root/content}")"
[[ -x "$bin" ]] || { echo "error: no inkgraph binary at $bin (run \`cargo build --release\`, or set INKGRAPH_BIN)" >&2; exit 1; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/inkgraph-load.XXXXXX")"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf -- "$tmp"
}
trap cleanup EXIT

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
apq_query='{ site { title postCount } }'
apq_hash="$(printf '%s' "$apq_query" | sha256sum | cut -d' ' -f1)"
curl -fs -o /dev/null -H 'content-type: application/json' \
    --data "{\"query\":\"$apq_query\",\"extensions\":{\"persistedQuery\":{\"version\":1,\"sha256Hash\":\"$apq_hash\"}}}" \
    "$base/graphql"
etag="$(curl -fs -D - -o /dev/null -G --data-urlencode 'query=query Cloud { tagCloud(limit: 30) { name count weight level } }' \
    "$base/graphql" | { grep -i '^etag:' || true; } | cut -d' ' -f2- | tr -d '\r')"

echo "== wrk: ${duration} s, $connections connections, $threads threads against $base/graphql"
wrk -t "$threads" -c "$connections" -d "${duration}s" --timeout 10s --latency \
    -s "$script_dir/load-test.lua" "$base/graphql" -- "$apq_hash" "$etag" | tee "$tmp/wrk.out"

echo "== server metrics after the run"
curl -fs "$base/metrics" | grep -E '^inkgraph_(response_cache_(hits|misses)_total|not_modified_total|persisted_query_hits_total|execution_timeouts_total|http_request_duration_seconds_count) ' || true

grep -q '^load-test OK' "$tmp/wrk.out"
