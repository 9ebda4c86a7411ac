#!/usr/bin/env bash
# The client suite (issue #14): runs the GraphQL clients a frontend team uses -- Apollo Client
# 4, urql 6 + Graphcache, graphql-request 7, relay-compiler and relay-runtime, GraphQL Code
# Generator with `tsc --strict`, graphql-ws 6 and graphql-js 16 -- configured as README.md's
# "Using it from a frontend" says, against `inkgraph serve` on the sample blog (content/), on
# a free loopback port. See scripts/clients/run.mjs for what each client is put through; any
# client warning fails it.
#
# Usage: scripts/check-clients.sh      (from any directory)
#
# Environment:
#   INKGRAPH_BIN      the inkgraph binary (default: target/release/inkgraph when it exists,
#                     else target/debug/inkgraph, under the repo root; a relative path is
#                     taken from the current directory). Build it first.
#
# Needs node (>= 20) and npm: installs the pinned packages from
# scripts/clients/package-lock.json (`npm ci`) into scripts/clients/node_modules, and writes a
# scratch project to scripts/clients/generated/. Without node or npm it prints
# "SKIPPED: node/npm not found" and exits 0. Exits 1 when a check fails (the server's log is
# printed then).
set -euo pipefail

script_dir="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd -- "$script_dir/.." && pwd)"
suite_dir="$script_dir/clients"

# shellcheck source=scripts/lib/node-check.sh
source "$script_dir/lib/node-check.sh"
require_node_or_skip "the client suite needs Node.js >= 20 and npm"

if [[ -z "${INKGRAPH_BIN:-}" && -x "$repo_root/target/release/inkgraph" ]]; then
    INKGRAPH_BIN="$repo_root/target/release/inkgraph"
fi
# The sample blog: the suite's expectations (titles, slugs) are its posts.
unset INKGRAPH_CONTENT
inkgraph_bin_and_content
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if ((node_major < 20)); then
    echo "error: the client suite needs Node.js >= 20, found $(node --version)" >&2
    exit 1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/inkgraph-clients.XXXXXX")"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf -- "$tmp"
}
trap cleanup EXIT

echo "== installing the clients (scripts/clients, $(node --version), npm $(npm --version))"
(
    cd -- "$suite_dir"
    npm ci --no-audit --no-fund --loglevel=error
)

echo "== starting $bin serve on $content, on a free loopback port"
# A config file that cannot exist keeps a stray ./inkgraph.toml out of the suite; the env is
# cleared of INKGRAPH_* settings for the same reason. `exec` makes $! the server's pid.
(
    for name in $(compgen -e); do
        if [[ "$name" == INKGRAPH_* ]]; then
            unset "$name"
        fi
    done
    exec env NO_COLOR=1 RUST_LOG=warn,inkgraph=info \
        "$bin" serve --content "$content" --listen 127.0.0.1:0 --config /dev/null
) >"$tmp/server.log" 2>&1 &
server_pid=$!

base="$(wait_for_server "$tmp/server.log" "$server_pid")"

echo "== running the clients against ${base}graphql"
started=$SECONDS
if ! NODE_ENV=development node "$suite_dir/run.mjs" "$base"; then
    echo "== the server's log:" >&2
    cat "$tmp/server.log" >&2
    exit 1
fi
echo "== client suite passed in $((SECONDS - started)) s"
