#!/usr/bin/env bash
# Rebuilds the playground the binary embeds (assets/playground/) from the npm packages pinned
# in scripts/playground/package-lock.json: GraphiQL with the explorer plugin and the
# graphql-ws client, bundled and minified by esbuild. Commit the result; `cargo build` then
# embeds it, so building inkgraph needs neither Node.js nor the network.
#
#   scripts/playground/build.sh           rebuild assets/playground/
#   scripts/playground/build.sh --check   rebuild into a temporary folder and fail when it
#                                         differs from the committed files (run by .ci/run)
#
# To update GraphiQL: change the versions in package.json, run `npm install` in
# scripts/playground/ (it rewrites package-lock.json), then this script, then `cargo test`.
# Needs Node.js >= 18 and npm; without them it prints SKIPPED and exits 0.
set -euo pipefail

script_dir="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd -- "$script_dir/../.." && pwd)"
assets="$repo_root/assets/playground"

# shellcheck source=scripts/lib/node-check.sh
source "$repo_root/scripts/lib/node-check.sh"
require_node_or_skip "rebuilding the playground bundle needs Node.js and npm"

check=0
case "${1:-}" in
    --check) check=1 ;;
    "") ;;
    *)
        echo "usage: $0 [--check]" >&2
        exit 2
        ;;
esac

echo "== installing the pinned packages (scripts/playground, $(node --version), npm $(npm --version))"
(cd -- "$script_dir" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error)

if ((check)); then
    tmp="$(mktemp -d "${TMPDIR:-/tmp}/inkgraph-playground.XXXXXX")"
    trap 'rm -rf -- "$tmp"' EXIT
    node "$script_dir/build.mjs" "$tmp/playground" >/dev/null
    if ! diff -r "$assets" "$tmp/playground" >"$tmp/diff" 2>&1; then
        echo "error: assets/playground/ differs from a fresh build of scripts/playground (run scripts/playground/build.sh and commit):" >&2
        head -20 "$tmp/diff" >&2
        exit 1
    fi
    echo "== assets/playground/ matches a fresh build from package-lock.json"
else
    node "$script_dir/build.mjs" "$assets"
    echo "== wrote $assets; commit it"
fi
