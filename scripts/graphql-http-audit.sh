#!/usr/bin/env bash
# Runs the GraphQL over HTTP conformance audits of the `graphql-http` npm package
# (serverAudits: every MUST, SHOULD and MAY it checks) against a real `inkgraph serve` on a
# free loopback port, serving the sample blog.
#
# Usage: scripts/graphql-http-audit.sh      (from any directory)
#
# Environment:
#   INKGRAPH_BIN      the inkgraph binary (default: target/debug/inkgraph under the repo root;
#                     a relative path is taken from the current directory). Build it first
#                     with `cargo build`.
#   INKGRAPH_CONTENT  the blog folder to serve (default: content/ under the repo root).
#
# Needs node (>= 18, for fetch) and npm: installs the pinned graphql-http and graphql from
# scripts/graphql-http-audit/package-lock.json into scripts/graphql-http-audit/node_modules.
# Without them it prints "SKIPPED: node/npm not found" and exits 0. Exits 1 when a MUST, or a
# SHOULD not accepted in audit.mjs, fails.
set -euo pipefail

script_dir="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd -- "$script_dir/.." && pwd)"
audit_dir="$script_dir/graphql-http-audit"

# shellcheck source=scripts/lib/node-check.sh
source "$script_dir/lib/node-check.sh"
require_node_or_skip "the graphql-http audit needs Node.js >= 18 and npm"

inkgraph_bin_and_content

tmp="$(mktemp -d "${TMPDIR:-/tmp}/inkgraph-audit.XXXXXX")"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf -- "$tmp"
}
trap cleanup EXIT

echo "== installing graphql-http (scripts/graphql-http-audit, $(node --version), npm $(npm --version))"
(
    cd -- "$audit_dir"
    if [[ -f package-lock.json ]]; then
        npm ci --no-audit --no-fund --loglevel=error
    else
        npm install --no-audit --no-fund --loglevel=error
    fi
)

echo "== starting $bin serve on a free loopback port"
# A config file that cannot exist keeps a stray ./inkgraph.toml out of the audit; the env
# is cleared of INKGRAPH_* settings for the same reason.
env $(env | grep -o '^INKGRAPH_[A-Z_]*' | sed 's/^/-u /' | tr '\n' ' ') \
    NO_COLOR=1 RUST_LOG=warn,inkgraph=info \
    "$bin" serve --content "$content" --listen 127.0.0.1:0 --config /dev/null \
    >"$tmp/server.log" 2>&1 &
server_pid=$!

url="$(wait_for_server "$tmp/server.log" "$server_pid")graphql"

echo "== auditing $url"
node "$audit_dir/audit.mjs" "$url"
