#!/usr/bin/env bash
# Checks that a standard GraphQL client accepts inkgraph's schema as it reports it through
# introspection: runs graphql-js's introspection query against the sample blog with the
# built binary (`inkgraph query`, no server needed), then rebuilds the schema from the
# result with graphql-js (`buildClientSchema` + `assertValidSchema`).
#
# Usage: scripts/check-introspection.sh      (from any directory)
#
# Environment:
#   INKGRAPH_BIN      the inkgraph binary (default: target/debug/inkgraph under the repo root;
#                     a relative path is taken from the current directory). Build it first
#                     with `cargo build`.
#   INKGRAPH_CONTENT  the blog folder to load (default: content/ under the repo root).
#
# Needs node and npm (installs the pinned graphql package from scripts/introspection/
# package-lock.json into scripts/introspection/node_modules). Without them it prints
# "SKIPPED: node/npm not found" and exits 0. Exits 1 when the check fails.
set -euo pipefail

script_dir="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd -- "$script_dir/.." && pwd)"
check_dir="$script_dir/introspection"

# shellcheck source=scripts/lib/node-check.sh
source "$script_dir/lib/node-check.sh"
require_node_or_skip "the GraphQL introspection check needs Node.js >= 18 and npm"

if [[ -n "${INKGRAPH_BIN:-}" ]]; then
    bin="$(absolute "$INKGRAPH_BIN")"
else
    bin="$repo_root/target/debug/inkgraph"
fi
if [[ -n "${INKGRAPH_CONTENT:-}" ]]; then
    content="$(absolute "$INKGRAPH_CONTENT")"
else
    content="$repo_root/content"
fi

if [[ ! -x "$bin" ]]; then
    echo "error: inkgraph binary not found at $bin (run \`cargo build\`, or set INKGRAPH_BIN)" >&2
    exit 1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/inkgraph-introspection.XXXXXX")"
trap 'rm -rf -- "$tmp"' EXIT

echo "== installing graphql-js (scripts/introspection, $(node --version), npm $(npm --version))"
(
    cd -- "$check_dir"
    if [[ -f package-lock.json ]]; then
        npm ci --no-audit --no-fund --loglevel=error
    else
        npm install --no-audit --no-fund --loglevel=error
    fi
)

echo "== running the introspection query with $bin against $content"
node "$check_dir/check.mjs" --print-query >"$tmp/introspection.graphql"
if ! "$bin" query --content "$content" "@$tmp/introspection.graphql" >"$tmp/result.json"; then
    echo "introspection FAILED: \`inkgraph query\` exited non-zero; its output:" >&2
    head -c 4000 "$tmp/result.json" >&2 || true
    exit 1
fi

echo "== checking the result with graphql-js"
node "$check_dir/check.mjs" "$tmp/result.json"
