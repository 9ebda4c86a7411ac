#!/usr/bin/env bash
# Checks inkgraph's webhooks with the Standard Webhooks reference library: starts a receiver
# on a loopback port (scripts/feeds/webhook_receiver.py, which verifies each delivery with
# Python's `standardwebhooks` package), then `inkgraph serve --watch-poll` on a scratch copy of
# the sample blog with --webhook-url pointing at it; saves a draft (which must send nothing),
# then edits a public post, and expects exactly one verified delivery naming that post.
#
# Usage: scripts/check-webhooks.sh      (from any directory)
#
# Environment:
#   INKGRAPH_BIN      the inkgraph binary (default: target/debug/inkgraph; `cargo build` first)
#   INKGRAPH_CONTENT  the blog folder to copy and serve (default: content/ under the repo root)
#
# Needs python3 with venv and pip (installs scripts/feeds/requirements.txt into
# scripts/feeds/.venv). Without them it prints "SKIPPED: …" and exits 0.
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
    "the webhook check needs Python's standardwebhooks package"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/inkgraph-webhooks.XXXXXX")"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf -- "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

secret="whsec_$("$python" -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')"
"$python" "$feeds_dir/webhook_receiver.py" "$secret" "$tmp/deliveries.jsonl" "$tmp/port" &
pids+=($!)
for _ in $(seq 1 100); do
    [[ -s "$tmp/port" ]] && break
    sleep 0.1
done
if [[ ! -s "$tmp/port" ]]; then
    echo "error: the receiver did not start" >&2
    exit 1
fi
# The path stands for a build hook's secret: it must never reach the log.
hook_path="hook-$RANDOM$RANDOM$RANDOM"
hook="http://127.0.0.1:$(cat "$tmp/port")/$hook_path"

mkdir -- "$tmp/content"
cp -R -- "$content/." "$tmp/content/"
echo "== starting $bin serve --watch-poll on a copy of $content, webhooks to a receiver on 127.0.0.1"
(
    for name in $(compgen -e); do
        if [[ "$name" == INKGRAPH_* ]]; then
            unset "$name"
        fi
    done
    exec env NO_COLOR=1 RUST_LOG=warn,inkgraph=info INKGRAPH_WEBHOOK_SECRET="$secret" \
        "$bin" serve --content "$tmp/content" --listen 127.0.0.1:0 --config /dev/null \
        --watch-poll --watch-poll-interval 100ms --webhook-url "$hook" \
        --webhook-retry-delay 200ms
) >"$tmp/server.log" 2>&1 &
server_pid=$!
pids+=("$server_pid")
base="$(wait_for_server "$tmp/server.log" "$server_pid")"

fail() {
    echo "FAILED: $1" >&2
    echo "== deliveries:" >&2
    cat "$tmp/deliveries.jsonl" >&2 2>/dev/null || true
    echo "== the server's log:" >&2
    tail -n 40 "$tmp/server.log" >&2
    exit 1
}

echo "== saving a draft (nothing to send), then editing a public post"
printf -- '---\ntitle: Webhook Check Draft\n---\n\nNot public.\n' >"$tmp/content/_drafts/webhook-check.md"
sleep 1
post="$(find "$tmp/content" -path '*/_posts/*walking-the-old-tram-line.md' | head -n 1)"
[[ -n "$post" ]] || fail "the sample post is missing"
printf '\nEdited by the webhook check.\n' >>"$post"

for _ in $(seq 1 150); do
    [[ -s "$tmp/deliveries.jsonl" ]] && break
    sleep 0.1
done
sleep 1 # a second (wrong) delivery would arrive by now
[[ -s "$tmp/deliveries.jsonl" ]] || fail "no delivery within 15 s"
"$python" - "$tmp/deliveries.jsonl" <<'PY' || fail "the deliveries are not as expected"
import json, sys
records = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
assert len(records) == 1, f"{len(records)} deliveries, expected 1 (the draft must send none)"
record = records[0]
assert record["verified"], f"standardwebhooks refused the signature: {record['error']}"
data = record["payload"]["data"]
slugs = [p["slug"] for p in data["updated"]]
assert slugs == ["walking-the-old-tram-line"], slugs
assert "Webhook Check Draft" not in json.dumps(record), "the draft leaked"
print(f"ok: delivery {record['id']} verified by standardwebhooks, updated {slugs}")
PY
if grep -q -- "$hook_path" "$tmp/server.log" || grep -q -- "${secret#whsec_}" "$tmp/server.log"; then
    fail "the server's log shows the webhook URL's path or the secret"
fi
echo "== webhook check passed"
