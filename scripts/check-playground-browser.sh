#!/usr/bin/env bash
# Checks the playground in a real browser, offline (issue #15): starts `inkgraph serve --watch`
# on a scratch copy of the sample blog, on a free loopback port, then
# scripts/playground-browser/check.mjs drives Debian's headless Chromium through puppeteer-core:
# it loads /, types a query into GraphiQL's editor and sees the answer, runs a corpusChanged
# subscription and sees the event after a post is edited, and checks that the page asked no
# other host for anything. Then the same with the files on a stand-in CDN (another loopback
# port sending CORS headers, scripts/playground-browser/cdn.mjs) and
# `--playground-assets` pointing there: the page and the editor's workers load from it.
#
# Usage: scripts/check-playground-browser.sh      (from any directory; run by .ci/run)
#
# Environment:
#   INKGRAPH_BIN      the inkgraph binary (default: target/debug/inkgraph under the repo root;
#                     build it first with `cargo build`)
#   INKGRAPH_CONTENT  the blog folder to copy and serve (default: content/ under the repo
#                     root; it needs a blog/_posts folder); never written to
#   CHROMIUM          the browser (default: /usr/bin/chromium)
#   SCREENSHOT        a PNG file to save the page into after the subscription
#
# Needs Node.js >= 18 with npm (installs the pinned puppeteer-core of
# scripts/playground-browser/package-lock.json) and Chromium: when /usr/bin/chromium is
# missing it runs `apt-get install -y chromium` (as root). Without them it prints
# "SKIPPED: …" with the reason and exits 0. Exits 1 when a check fails (with the server's log).
set -euo pipefail

script_dir="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd -- "$script_dir/.." && pwd)"
check_dir="$script_dir/playground-browser"

skip() {
    echo "=================================================================="
    echo "SKIPPED: $1"
    echo "=================================================================="
    exit 0
}

# shellcheck source=scripts/lib/node-check.sh
source "$script_dir/lib/node-check.sh"
require_node_or_skip "the playground browser check needs Node.js >= 18 and npm"

chromium="${CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$chromium" && -z "${CHROMIUM:-}" ]]; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "== installing Debian's chromium (apt-get install -y chromium)"
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; then
            apt-get update -q >/dev/null 2>&1 || true
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || true
        fi
    fi
fi
[[ -x "$chromium" ]] || skip "no Chromium at $chromium and it could not be installed (apt-get install chromium, or set CHROMIUM)"

inkgraph_bin_and_content
[[ -d "$content/blog/_posts" ]] || { echo "error: $content has no blog/_posts folder (set INKGRAPH_CONTENT)" >&2; exit 1; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/inkgraph-playground-browser.XXXXXX")"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf -- "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== installing puppeteer-core (scripts/playground-browser, $(node --version), npm $(npm --version)); browser: $("$chromium" --version 2>/dev/null | tail -1)"
(cd -- "$check_dir" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error)

mkdir -- "$tmp/content"
cp -R -- "$content/." "$tmp/content/"

# start_server [ARGS…]: `inkgraph serve --watch` on the copy, on a free loopback port; sets
# $server_pid and $base.
start_server() {
    (
        for name in $(compgen -e); do
            if [[ "$name" == INKGRAPH_* ]]; then
                unset "$name"
            fi
        done
        exec env NO_COLOR=1 "$bin" serve --content "$tmp/content" --listen 127.0.0.1:0 --config /dev/null \
            --watch --log-level warn,inkgraph=info "$@"
    ) >"$tmp/server.log" 2>&1 &
    server_pid=$!
    base="$(wait_for_server "$tmp/server.log" "$server_pid")"
}
stop_server() {
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}
drive() { # drive LABEL [ENV…]: runs check.mjs against $base; exits 1 with the logs on failure
    local label="$1"
    shift
    echo "== $label"
    if ! env "$@" CHROMIUM="$chromium" timeout 300 node "$check_dir/check.mjs" "$base" "$tmp/content" ${SCREENSHOT:+"$SCREENSHOT"}; then
        echo "== the server's log:" >&2
        tail -50 "$tmp/server.log" >&2
        exit 1
    fi
}

started=$SECONDS
echo "== starting $bin serve --watch on a copy of $content, on a free loopback port"
start_server
drive "the playground served by inkgraph at $base, in headless Chromium"
stop_server

# The CDN mode: the files from another origin, with CORS headers.
node "$check_dir/cdn.mjs" "$repo_root/assets/playground" >"$tmp/cdn.log" 2>&1 &
cdn_pid=$!
cdn=""
for _ in $(seq 1 100); do
    cdn="$(grep -m1 -o 'http://[^ ]*/' "$tmp/cdn.log" 2>/dev/null || true)"
    [[ -n "$cdn" ]] && break
    sleep 0.1
done
[[ -n "$cdn" ]] || { echo "error: the stand-in CDN did not start:" >&2; cat "$tmp/cdn.log" >&2; exit 1; }
start_server --playground-assets "$cdn"
drive "the playground with --playground-assets $cdn (a stand-in CDN)" ASSETS_ORIGIN="$cdn"
stop_server
kill "$cdn_pid" 2>/dev/null || true
wait "$cdn_pid" 2>/dev/null || true
for file in playground.js playground.css editor.worker.js graphql.worker.js; do
    grep -q "served /$file" "$tmp/cdn.log" || { echo "error: the stand-in CDN never served $file:" >&2; cat "$tmp/cdn.log" >&2; exit 1; }
done
echo "  ok    the stand-in CDN served the script, the stylesheet and the editor's workers"
echo "== playground browser checks passed in $((SECONDS - started)) s"
