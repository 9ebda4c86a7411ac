#!/usr/bin/env bash
# Checks inkgraph's feeds, sitemap and robots.txt with real parsers: serves the sample blog
# (with a preview token) on a free loopback port and runs scripts/feeds/check_feeds.py:
# Python's feedparser reads every feed (the site's, each tag's, category's and series', and
# filtered ones, in Atom, RSS and JSON Feed, with and without the token) with no `bozo`
# flag, and every Atom feed validates against RFC 4287's RELAX NG schema
# (scripts/feeds/atom.rng) with libxml2 (lxml; `xmllint --relaxng` too when installed).
#
# Usage: scripts/check-feeds.sh      (from any directory)
#
# Environment:
#   INKGRAPH_BIN      the inkgraph binary (default: target/debug/inkgraph; `cargo build` first)
#   INKGRAPH_CONTENT  the blog folder to serve (default: content/ under the repo root)
#
# Needs python3 with venv and pip (installs scripts/feeds/requirements.txt into
# scripts/feeds/.venv). Without them it prints "SKIPPED: …" and exits 0. Exits 1 when a check
# fails (the server's log is printed then).
set -euo pipefail

script_dir="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd -- "$script_dir/.." && pwd)"
feeds_dir="$script_dir/feeds"

# shellcheck source=scripts/lib/node-check.sh
source "$script_dir/lib/node-check.sh"
# shellcheck source=scripts/lib/python-venv.sh
source "$script_dir/lib/python-venv.sh"

inkgraph_bin_and_content
python_venv_or_skip "$feeds_dir/.venv" "$feeds_dir/requirements.txt" \
    "the feed check needs Python's feedparser and lxml"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/inkgraph-feeds.XXXXXX")"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf -- "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

token="feeds-check-preview-token-0123456789"
echo "== starting $bin serve on $content, on a free loopback port"
(
    for name in $(compgen -e); do
        if [[ "$name" == INKGRAPH_* ]]; then
            unset "$name"
        fi
    done
    exec env NO_COLOR=1 RUST_LOG=warn,inkgraph=info \
        "$bin" serve --content "$content" --listen 127.0.0.1:0 --config /dev/null \
        --preview-token "$token"
) >"$tmp/server.log" 2>&1 &
server_pid=$!
base="$(wait_for_server "$tmp/server.log" "$server_pid")"

started=$SECONDS
echo "== feedparser and the Atom RELAX NG schema ($("$python" --version))"
if ! "$python" "$feeds_dir/check_feeds.py" "$base" "$token" "$feeds_dir/atom.rng"; then
    echo "== the server's log:" >&2
    tail -n 50 "$tmp/server.log" >&2
    exit 1
fi

if command -v xmllint >/dev/null 2>&1; then
    echo "== xmllint --relaxng atom.rng on /feed.xml and /feed/by_series/BLG.xml"
    for target in feed.xml feed/by_series/BLG.xml; do
        "$python" -c 'import sys, urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1]).read())' \
            "$base$target" >"$tmp/feed.xml"
        xmllint --noout --relaxng "$feeds_dir/atom.rng" "$tmp/feed.xml"
    done
else
    echo "(xmllint not installed: the same libxml2 RELAX NG check ran through lxml above)"
fi
echo "== feed check passed in $((SECONDS - started)) s"
