#!/usr/bin/env bash
# Amplification figures for issue #12, items 7-9 (not part of CI): small hostile requests
# against a running `inkgraph serve`, with the bytes, time and status of each answer and the
# server's peak memory. tests/suite/hostile_requests.rs asserts the behaviour; this script measures
# it, so a build can be compared with an older one:
#
#   scripts/hostile-requests.sh                                   # target/release/inkgraph
#   INKGRAPH_BIN=/path/to/old/inkgraph scripts/hostile-requests.sh  # another build
#
# The server runs under `timeout` and `prlimit --as` (MEMORY_LIMIT), so a build that
# amplifies without bound is killed instead of taking the machine down; a case that finds the
# server dead restarts it and says so.
#
# Environment:
#   INKGRAPH_BIN   the server binary (default target/release/inkgraph)
#   CONTENT        the blog folder (default ../shared/corpus/joshbeckman, else ./content); a
#                  copy gets one extra post whose Liquid loops run for seconds (the slow post)
#   SLOW_LOOP      iterations of each of the slow post's two nested loops (default 8000)
#   MEMORY_LIMIT   address-space limit of the server in bytes (default 4000000000)
#   SERVER_TIMEOUT seconds each server process may live (default 120)
#   INKGRAPH_ARGS  more `serve` arguments, split on spaces
# Needs curl, jq, prlimit. Only 127.0.0.1 is contacted.
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
bin=${INKGRAPH_BIN:-$repo/target/release/inkgraph}
content=${CONTENT:-}
if [[ -z "$content" ]]; then
    content="$repo/../shared/corpus/joshbeckman"
    [[ -d "$content" ]] || content="$repo/content"
fi
SLOW_LOOP=${SLOW_LOOP:-8000}
MEMORY_LIMIT=${MEMORY_LIMIT:-4000000000}
SERVER_TIMEOUT=${SERVER_TIMEOUT:-120}
read -r -a extra_args <<<"${INKGRAPH_ARGS:-}"

for tool in curl jq prlimit; do
    command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool is not installed" >&2; exit 1; }
done
[[ -x "$bin" ]] || { echo "error: no inkgraph binary at $bin" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/inkgraph-hostile.XXXXXX")
pid=""
cleanup() {
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

cp -r "$content" "$work/blog"
mkdir -p "$work/blog/_posts"
printf -- '---\ntitle: Slow\n---\n\n{%% for i in (1..%s) %%}{%% for j in (1..%s) %%}{%% endfor %%}{%% endfor %%}Done.\n' \
    "$SLOW_LOOP" "$SLOW_LOOP" >"$work/blog/_posts/2020-01-01-slow.md"

base=""
log=""
starts=0
start_server() {
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
    starts=$((starts + 1))
    log="$work/server.$starts.log"
    # `timeout` runs the server as its child: $pid is the server's own process for /proc.
    timeout "$SERVER_TIMEOUT" prlimit --as="$MEMORY_LIMIT" "$bin" serve --config /dev/null \
        --content "$work/blog" --listen 127.0.0.1:0 --log-level inkgraph=info,tower_http=warn "${extra_args[@]}" \
        >"$log" 2>&1 &
    local wrapper=$!
    local line=""
    for _ in $(seq 1 200); do
        line=$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -1 || true)
        [[ -n "$line" ]] && break
        sleep 0.05
    done
    [[ -n "$line" ]] || { echo "error: the server did not start: $(cat "$log")" >&2; exit 1; }
    base=$line
    pid=$(pgrep -P "$wrapper" || echo "$wrapper")
    # Unless asked not to, wait (bounded) for the background render of every post, so the
    # measured requests do not share the CPU with it.
    if [[ "${1:-}" != "cold" ]]; then
        for _ in $(seq 1 1200); do
            grep -q 'rendered [0-9]* posts' "$log" && break
            sleep 0.05
        done
    fi
}

# The server's peak resident memory so far, in MB.
peak_mb() {
    awk '/VmHWM/ {printf "%d", $2 / 1024}' "/proc/$pid/status" 2>/dev/null || echo "dead"
}
alive_or_restart() {
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "   (the server died: $(tail -c 300 "$log" | tr '\n' ' '); restarting)"
        start_server
    fi
}

# POSTs a JSON body file; prints "status bytes seconds" and keeps the answer in $work/answer.
post() {
    curl -s -m 60 -o "$work/answer" -w '%{http_code} %{size_download} %{time_total}' \
        -H 'content-type: application/json' --data-binary "@$1" "$base/graphql" || echo "000 0 60"
}
report() {
    local name=$1 status=$2 bytes=$3 seconds=$4
    local code
    code=$(jq -r '(if type == "array" then .[0] else . end) | .errors[0].extensions.code // "-"' "$work/answer" 2>/dev/null || echo "-")
    printf '%-44s %4s %12s B %7.2f s  %-20s peak %s MB\n' "$name" "$status" "$bytes" "$seconds" "$code" "$(peak_mb)"
}
one() {
    local name=$1 file=$2
    alive_or_restart
    # shellcheck disable=SC2046
    report "$name" $(post "$file")
}
# A query of `count` copies of `item` (with {i} replaced by the copy's number), as a JSON body.
aliases() {
    jq -cn --arg item "$2" --argjson n "$1" \
        '{query: ("{ " + ([range($n) as $i | $item | gsub("\\{i\\}"; "\($i)")] | join(" ")) + " }")}'
}

start_server
echo "== $bin on $content (+ a slow post), $(date -u +%FT%TZ)"
sleep 1

# The post with the most HTML per byte of `p{i}:post(slug:"…"){html}`.
slug=$(curl -s "$base/graphql" -H 'content-type: application/json' \
    -d '{"query":"{ posts(first: 100) { nodes { slug html } } }"}' |
    jq -r '.data.posts.nodes | max_by((.html | length) / ((.slug | length) + 25)) | .slug')

aliases 900 'g{i}:linkGraph(includeTags:true){nodes{id label}edges{source target}}' >"$work/graph.json"
aliases 2800 "p{i}:post(slug:\"$slug\"){html}" >"$work/html.json"
# Each 2,800-alias body is under 64 KiB only for short slugs.
[[ $(wc -c <"$work/html.json") -le 65536 ]] || aliases 2000 "p{i}:post(slug:\"$slug\"){html}" >"$work/html.json"
excerpts=""
for ((i = 0; i < 97; i++)); do excerpts+="e$i:excerpt(format:HTML,words:100000) "; done
jq -cn --arg q "{ posts(first: 100) { nodes { $excerpts} } }" '{query: $q}' >"$work/excerpt.json"

printf '%-44s %4s %14s %9s  %-20s %s\n' "request (body bytes)" "HTTP" "answer" "time" "errors[0] code" "server memory"
one "linkGraph x900 ($(wc -c <"$work/graph.json") B)" "$work/graph.json"
one "post{html} x$(jq -r .query "$work/html.json" | grep -o 'html' | wc -l) ($(wc -c <"$work/html.json") B)" "$work/html.json"
one "excerpt(format:HTML) x97 x100 posts ($(wc -c <"$work/excerpt.json") B)" "$work/excerpt.json"

alive_or_restart
started=$(date +%s.%N)
jobs_=()
for n in $(seq 1 16); do
    curl -s -m 60 -o /dev/null -w '%{size_download}\n' -H 'content-type: application/json' \
        --data-binary "@$work/graph.json" "$base/graphql" >"$work/par.$n" &
    jobs_+=($!)
done
wait "${jobs_[@]}" || true
total=$(cat "$work"/par.* | paste -sd+ | bc)
printf '%-44s %4s %12s B %7.2f s  %-20s peak %s MB\n' "linkGraph x900, 16 at once" "-" "$total" \
    "$(echo "$(date +%s.%N) - $started" | bc)" "-" "$(peak_mb)"

alive_or_restart
started=$(date +%s.%N)
jobs_=()
for n in 1 2 3 4; do
    curl -s -m 60 -o /dev/null -w '%{http_code} %{size_download}\n' -H 'content-type: application/json' \
        --data-binary "@$work/excerpt.json" "$base/graphql" >"$work/exc.$n" &
    jobs_+=($!)
done
wait "${jobs_[@]}" || true
printf '%-44s %4s %12s B %7.2f s  %-20s peak %s MB\n' "excerpt flood, 4 at once" \
    "$(cut -d' ' -f1 "$work"/exc.* | sort -u | paste -sd/)" \
    "$(cut -d' ' -f2 "$work"/exc.* | paste -sd+ | bc)" \
    "$(echo "$(date +%s.%N) - $started" | bc)" "-" "$(peak_mb)"

# Ten big queries registered as persisted queries, then one batch naming only their hashes.
alive_or_restart
batch="[]"
for n in $(seq 0 9); do
    aliases 900 "q${n}g{i}:linkGraph(includeTags:true){nodes{id label}edges{source target}}" >"$work/apq.$n"
    query=$(jq -r .query "$work/apq.$n")
    hash=$(printf '%s' "$query" | sha256sum | cut -d' ' -f1)
    jq -c --arg h "$hash" '. + {extensions: {persistedQuery: {version: 1, sha256Hash: $h}}}' \
        "$work/apq.$n" >"$work/apq.$n.reg"
    curl -s -m 60 -o /dev/null -H 'content-type: application/json' --data-binary "@$work/apq.$n.reg" "$base/graphql" || true
    batch=$(jq -c --arg h "$hash" '. + [{extensions: {persistedQuery: {version: 1, sha256Hash: $h}}}]' <<<"$batch")
done
printf '%s' "$batch" >"$work/apq-batch.json"
one "batch of 10 persisted hashes ($(wc -c <"$work/apq-batch.json") B)" "$work/apq-batch.json"

# The parsed-document cache, on a fresh server: 400 distinct ~64 KB documents (half do not
# validate).
start_server
sleep 1
before=$(awk '/VmRSS/ {printf "%d", $2 / 1024}' "/proc/$pid/status")
started=$(date +%s.%N)
for n in $(seq 0 399); do
    if ((n % 2)); then item="d${n}x{i}:site{title}"; else item="d${n}x{i}:noSuchField"; fi
    aliases $((64000 / (${#item} + 4))) "$item" >"$work/doc.json"
    curl -s -m 60 -o /dev/null -H 'content-type: application/json' --data-binary "@$work/doc.json" "$base/graphql" || true
done
after=$(awk '/VmRSS/ {printf "%d", $2 / 1024}' "/proc/$pid/status" 2>/dev/null || echo dead)
printf '%-44s %4s %14s %7.2f s  %-20s RSS %s MB -> %s MB\n' "400 distinct 64 KB documents" "-" "-" \
    "$(echo "$(date +%s.%N) - $started" | bc)" "-" "$before" "$after"

# The slow post: a fresh server renders it in the background; meanwhile 4 diagnostics
# requests and /healthz.
start_server cold
jobs_=()
for n in 1 2 3 4; do
    curl -s -m 60 -o /dev/null -w '%{http_code} %{time_total}\n' -H 'content-type: application/json' \
        -d '{"query":"{ diagnostics { path } }"}' "$base/graphql" >"$work/diag.$n" &
    jobs_+=($!)
done
sleep 0.2
health=$(curl -s -m 30 -o /dev/null -w '%{http_code} %{time_total}' "$base/healthz" || echo "000 30")
wait "${jobs_[@]}" || true
printf '%-44s %s\n' "/healthz during 4 x diagnostics (slow post)" "$health s"
printf '%-44s %s\n' "  the 4 diagnostics answers (status, s)" "$(paste -sd' ' "$work"/diag.* | tr '\n' ' ')"
