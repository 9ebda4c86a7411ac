#!/usr/bin/env bash
# Checks that standard GraphQL subscription clients receive `corpusChanged` (issue #7): starts
# `inkgraph serve --watch` on a scratch copy of the sample blog, on a free loopback port, then
# scripts/graphql-ws-client/check.mjs subscribes over ws://ADDR/graphql/ws with
#   - graphql-ws (npm), subprotocol graphql-transport-ws, and
#   - subscriptions-transport-ws (npm), the older graphql-ws subprotocol,
# and for each appends a line to a post and adds a new post in the copy, expecting an event
# whose updated/added paths name them and whose version is new, which HTTP then serves.
#
# Usage: scripts/check-graphql-ws.sh      (from any directory)
#
# Environment:
#   INKGRAPH_BIN      the inkgraph binary (default: target/debug/inkgraph under the repo root;
#                     a relative path is taken from the current directory). Build it first
#                     with `cargo build`.
#   INKGRAPH_CONTENT  the blog folder to copy and serve (default: content/ under the repo
#                     root); it is never written to. Needs at least two posts.
#   INKGRAPH_CHECK_WATCH  how the server watches the copy: `native` (default: --watch) or
#                     `poll` (--watch-poll, for file systems without native events).
#
# Needs node (>= 20, what graphql-ws 6 supports) and npm: installs the pinned packages from
# scripts/graphql-ws-client/package-lock.json into scripts/graphql-ws-client/node_modules.
# Without them it prints "SKIPPED: node/npm not found" and exits 0. Exits 1 when the check
# fails (the server's log is printed then).
set -euo pipefail

script_dir="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd -- "$script_dir/.." && pwd)"
check_dir="$script_dir/graphql-ws-client"

# shellcheck source=scripts/lib/node-check.sh
source "$script_dir/lib/node-check.sh"
require_node_or_skip "the graphql-ws client check needs Node.js >= 20 and npm"

inkgraph_bin_and_content
if [[ ! -d "$content" ]]; then
    echo "error: content folder not found at $content (set INKGRAPH_CONTENT)" >&2
    exit 1
fi
case "${INKGRAPH_CHECK_WATCH:-native}" in
    native) watch_flag=--watch ;;
    poll) watch_flag=--watch-poll ;;
    *)
        echo "error: INKGRAPH_CHECK_WATCH must be native or poll, not $INKGRAPH_CHECK_WATCH" >&2
        exit 1
        ;;
esac
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if ((node_major < 20)); then
    echo "error: the graphql-ws client check needs Node.js >= 20, found $(node --version)" >&2
    exit 1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/inkgraph-graphql-ws.XXXXXX")"
server_pid=""
stop_server() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        # Bounded: a server that ignores SIGTERM for 10 s is killed.
        for _ in $(seq 1 100); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$server_pid" 2>/dev/null; then
            echo "warning: the server did not stop within 10 s of SIGTERM; killing it" >&2
            kill -KILL "$server_pid" 2>/dev/null || true
        fi
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}
cleanup() {
    stop_server
    rm -rf -- "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== installing graphql-ws and subscriptions-transport-ws (scripts/graphql-ws-client, $(node --version), npm $(npm --version))"
(
    cd -- "$check_dir"
    if [[ -f package-lock.json ]]; then
        npm ci --no-audit --no-fund --loglevel=error
    else
        npm install --no-audit --no-fund --loglevel=error
    fi
)

# The check writes into the folder it serves: a copy, never the original.
mkdir -- "$tmp/content"
cp -R -- "$content/." "$tmp/content/"

echo "== starting $bin serve $watch_flag on a copy of $content, on a free loopback port"
# A config file that cannot exist keeps a stray ./inkgraph.toml out of the check; the env is
# cleared of INKGRAPH_* settings for the same reason. `exec` makes $! the server's pid.
(
    for name in $(compgen -e); do
        if [[ "$name" == INKGRAPH_* ]]; then
            unset "$name"
        fi
    done
    exec env NO_COLOR=1 RUST_LOG=warn,inkgraph=info \
        "$bin" serve --content "$tmp/content" --listen 127.0.0.1:0 --config /dev/null "$watch_flag"
) >"$tmp/server.log" 2>&1 &
server_pid=$!

base="$(wait_for_server "$tmp/server.log" "$server_pid")"

echo "== subscribing to corpusChanged at ${base/http:/ws:}graphql/ws"
started=$SECONDS
if ! node "$check_dir/check.mjs" "$base" "$tmp/content"; then
    echo "== the server's log:" >&2
    cat "$tmp/server.log" >&2
    exit 1
fi
echo "== graphql-ws client check passed in $((SECONDS - started)) s"
