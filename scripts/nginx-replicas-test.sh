#!/usr/bin/env bash
# Scale-out check: two inkgraph replicas behind Debian's nginx, configured from
# deploy/nginx.conf (the compose `scale` profile's file) with only its addresses and paths
# changed to loopback ports and a temporary folder. Everything listens on 127.0.0.1.
#
# Checks, through nginx:
#   * both replicas hand out the same ETag for the same query (same content → same version);
#   * the same GET twice: MISS then HIT (X-Cache-Status), identical ETags and bodies;
#   * If-None-Match with that ETag → 304 with no body;
#   * a request with Authorization bypasses the cache (preview stays private);
#   * Apollo persisted queries: the PersistedQueryNotFound answer is never cached, and once a
#     query is registered, hash-only GETs are answered and then served from nginx's cache;
#   * subscriptions: the WebSocket upgrade of /graphql/ws passes (101, not 400), and a
#     graphql-ws client (scripts/graphql-ws-client) subscribed through nginx receives
#     corpusChanged when a post of the replicas' (followed) folder is edited;
#   * authoring: a third instance, the writer (INKGRAPH_EDITOR_TOKEN), is reached through
#     nginx at /edit/graphql; the replicas answer mutations 403; a post created on the writer
#     shows on every replica (which follow the shared folder with --watch-poll) within 5 s.
#
# All three serve one temporary copy of the content folder (the original is never written).
# Usage: scripts/nginx-replicas-test.sh     (from any directory; run by .ci/run)
#
# Environment:
#   INKGRAPH_BIN      the inkgraph binary (default: target/debug/inkgraph under the repo root).
#                     Build it first with `cargo build`.
#   INKGRAPH_CONTENT  the blog folder to serve (default: content/ under the repo root); the
#                     replicas serve a scratch copy with --watch, so it is never written to.
#
# Needs nginx and curl (and Node.js with npm for the subscription check, skipped without). When nginx is missing it runs `apt-get install -y nginx` (as root);
# if that is impossible it prints "SKIPPED: …" and exits 0. Exits 1 when a check fails.
set -euo pipefail

script_dir="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd -- "$script_dir/.." && pwd)"

skip() {
    echo "=================================================================="
    echo "SKIPPED: $1"
    echo "=================================================================="
    exit 0
}

find_nginx() {
    command -v nginx 2>/dev/null || { [[ -x /usr/sbin/nginx ]] && echo /usr/sbin/nginx; } || true
}
nginx_bin="$(find_nginx)"
if [[ -z "$nginx_bin" ]]; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "== installing nginx (apt-get install -y nginx)"
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx >/dev/null 2>&1; then
            apt-get update -q >/dev/null 2>&1 || true
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx >/dev/null 2>&1 || true
        fi
        nginx_bin="$(find_nginx)"
    fi
fi
[[ -n "$nginx_bin" ]] || skip "nginx is not installed and could not be installed (apt-get install nginx)"
command -v curl >/dev/null 2>&1 || skip "curl is not installed"

absolute() {
    case "$1" in
        /*) printf '%s\n' "$1" ;;
        *) printf '%s\n' "$PWD/$1" ;;
    esac
}
bin="$(absolute "${INKGRAPH_BIN:-$repo_root/target/debug/inkgraph}")"
content="$(absolute "${INKGRAPH_CONTENT:-$repo_root/content}")"
[[ -x "$bin" ]] || { echo "error: no inkgraph binary at $bin (run \`cargo build\`, or set INKGRAPH_BIN)" >&2; exit 1; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/inkgraph-nginx.XXXXXX")"
pids=()
cleanup() {
    if [[ -f "$tmp/nginx.pid" ]]; then
        kill -TERM "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
    fi
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf -- "$tmp"
}
trap cleanup EXIT

failures=0
check() { # check DESCRIPTION CONDITION...
    local description="$1"
    shift
    if "$@"; then
        echo "  ok    $description"
    else
        echo "  FAIL  $description"
        failures=$((failures + 1))
    fi
}

# --- two replicas ----------------------------------------------------------------------------
mkdir -p "$tmp/content"
cp -R "$content"/. "$tmp/content/"
editor_token=nginx-test-editor-token-456
start_replica() { # start_replica NAME [FLAGS…]: starts it in this shell (so cleanup can stop it), sets $addr
    local name="$1" log="$tmp/$1.log"
    shift
    env -u INKGRAPH_CONFIG -u INKGRAPH_EDITOR_TOKEN NO_COLOR=1 RUST_LOG=warn,inkgraph=info INKGRAPH_PREVIEW_TOKEN=nginx-test-preview-token-123 \
        "$bin" serve --content "$tmp/content" --listen 127.0.0.1:0 --config /dev/null "$@" >"$log" 2>&1 &
    pids+=($!)
    addr=""
    for _ in $(seq 1 300); do
        if line="$(grep -m1 -o 'serving http://[^/ ]*/' "$log" 2>/dev/null)"; then
            line="${line#serving http://}"
            addr="${line%/}"
            return 0
        fi
        sleep 0.1
    done
    echo "error: replica $name did not start; its log:" >&2
    cat "$log" >&2
    exit 1
}
echo "== starting two replicas and a writer of $bin"
start_replica replica1 --watch-poll --watch-poll-interval 200ms
replica1="$addr"
start_replica replica2 --watch-poll --watch-poll-interval 200ms
replica2="$addr"
start_replica writer --watch --editor-token "$editor_token" --editor-name "nginx test"
writer="$addr"
echo "   replica1 on $replica1, replica2 on $replica2, writer on $writer"

# --- nginx from deploy/nginx.conf ------------------------------------------------------------
free_port() {
    local port
    for _ in $(seq 1 50); do
        port=$((20000 + RANDOM % 20000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    return 1
}
port="$(free_port)"
mkdir -p "$tmp/cache" "$tmp/temp"
# Started as root, nginx runs its workers as `nobody`: let them into the cache and temp folders.
chmod 755 "$tmp"
chmod 777 "$tmp/cache" "$tmp/temp"
mime_include="include /etc/nginx/mime.types;"
[[ -f /etc/nginx/mime.types ]] || mime_include=""
# Same file, loopback edition: no user switch, files under $tmp, the two replicas upstream.
sed -e '/^user /d' \
    -e "s|^pid .*|pid $tmp/nginx.pid;|" \
    -e "s|^error_log .*|error_log $tmp/error.log notice;|" \
    -e "s|access_log /var/log/nginx/access.log|access_log $tmp/access.log|" \
    -e "s|include /etc/nginx/mime.types;|$mime_include|" \
    -e "s|/var/cache/nginx/inkgraph|$tmp/cache|" \
    -e "s|listen 80;|listen 127.0.0.1:$port;|" \
    -e "s|server replica1:8000;|server $replica1;|" \
    -e "s|server replica2:8000;|server $replica2;|" \
    -e '/server replica3:8000;/d' \
    -e "s|server writer:8000;|server $writer;|" \
    -e "s|^http {|http {\n    client_body_temp_path $tmp/temp/body;\n    proxy_temp_path $tmp/temp/proxy;\n    fastcgi_temp_path $tmp/temp/fastcgi;\n    uwsgi_temp_path $tmp/temp/uwsgi;\n    scgi_temp_path $tmp/temp/scgi;|" \
    "$repo_root/deploy/nginx.conf" >"$tmp/nginx.conf"
echo "== starting $("$nginx_bin" -v 2>&1) on 127.0.0.1:$port with deploy/nginx.conf"
"$nginx_bin" -t -p "$tmp" -e "$tmp/error.log" -c "$tmp/nginx.conf" >/dev/null 2>"$tmp/nginx-t.log" \
    || { cat "$tmp/nginx-t.log" >&2; echo "error: nginx rejects the adapted deploy/nginx.conf" >&2; exit 1; }
"$nginx_bin" -p "$tmp" -e "$tmp/error.log" -c "$tmp/nginx.conf"
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
base="http://127.0.0.1:$port"

# --- helpers ---------------------------------------------------------------------------------
# fetch URL [curl args…]: headers into $tmp/h, body into $tmp/b, status into $status.
fetch() {
    local url="$1"
    shift
    rm -f "$tmp/b" "$tmp/h" # curl writes no file for an empty body
    status="$(curl -s -o "$tmp/b" -D "$tmp/h" -w '%{http_code}' "$@" "$url")"
}
header() { { grep -i "^$1:" "$tmp/h" || true; } | head -1 | cut -d' ' -f2- | tr -d '\r'; }
query='{ posts(first: 5) { totalCount nodes { title url } } }'
as_get=(-G --data-urlencode "query=$query")

# --- checks ----------------------------------------------------------------------------------
echo "== checks"
fetch "http://$replica1/graphql" "${as_get[@]}"; etag_r1="$(header etag)"
fetch "http://$replica2/graphql" "${as_get[@]}"; etag_r2="$(header etag)"
check "both replicas give the same ETag ($etag_r1)" test -n "$etag_r1" -a "$etag_r1" = "$etag_r2"

fetch "$base/graphql" "${as_get[@]}"; first_status="$status"; first_cache="$(header x-cache-status)"
first_etag="$(header etag)"; cp "$tmp/b" "$tmp/first-body"
fetch "$base/graphql" "${as_get[@]}"; second_cache="$(header x-cache-status)"; second_etag="$(header etag)"
check "first GET through nginx: 200 and a cache MISS (got $first_status $first_cache)" test "$first_status" = 200 -a "$first_cache" = MISS
check "same GET again: X-Cache-Status HIT (got $second_cache)" test "$second_cache" = HIT
check "identical ETags through nginx ($first_etag)" test -n "$first_etag" -a "$first_etag" = "$second_etag" -a "$first_etag" = "$etag_r1"
check "identical bodies" cmp -s "$tmp/b" "$tmp/first-body"

fetch "$base/graphql" "${as_get[@]}" -H "If-None-Match: $first_etag"
check "If-None-Match with that ETag: 304 and no body (got $status, $(cat "$tmp/b" 2>/dev/null | wc -c) bytes)" test "$status" = 304 -a ! -s "$tmp/b"

fetch "$base/graphql" "${as_get[@]}" -H "Authorization: Bearer nginx-test-preview-token-123"
check "a request with Authorization bypasses the cache (got $(header x-cache-status), $(header cache-control))" \
    test "$(header x-cache-status)" = BYPASS -a "$(header cache-control)" = "private, no-store"

apq_query='{ site { title postCount } }'
hash="$(printf '%s' "$apq_query" | sha256sum | cut -d' ' -f1)"
extensions="$(printf '{"persistedQuery":{"version":1,"sha256Hash":"%s"}}' "$hash")"
hash_only=(-G --data-urlencode "extensions=$extensions")
fetch "$base/graphql" "${hash_only[@]}"
check "hash-only GET of an unknown query: PersistedQueryNotFound" grep -q PersistedQueryNotFound "$tmp/b"
fetch "$base/graphql" "${hash_only[@]}"
check "PersistedQueryNotFound is never cached (got $(header x-cache-status))" test "$(header x-cache-status)" != HIT
# The Apollo client then sends query and hash; register it on each replica, as its retries would.
for replica in "$replica1" "$replica2"; do
    curl -s -o /dev/null -H 'content-type: application/json' \
        --data "$(printf '{"query":"%s","extensions":%s}' "$apq_query" "$extensions")" "http://$replica/graphql"
done
fetch "$base/graphql" "${hash_only[@]}"
check "hash-only GET once registered: answered (status $status)" grep -q '"postCount"' "$tmp/b"
fetch "$base/graphql" "${hash_only[@]}"
check "hash-only GET again: X-Cache-Status HIT (got $(header x-cache-status))" test "$(header x-cache-status)" = HIT

# --- subscriptions through nginx -------------------------------------------------------------
ws_status="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --http1.1 \
    -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' -H 'Sec-WebSocket-Protocol: graphql-transport-ws' \
    "$base/graphql/ws" || true)"
check "the WebSocket upgrade of /graphql/ws passes nginx (got $ws_status)" test "$ws_status" = 101
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    (cd -- "$script_dir/graphql-ws-client" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error >/dev/null 2>&1)
    post="$(find "$tmp/content/blog/_posts" -name '*.md' | sort | head -1)"
    if event="$(timeout 60 node "$script_dir/graphql-ws-client/subscribe-once.mjs" "ws://127.0.0.1:$port/graphql/ws" "$post" 2>"$tmp/ws.err")"; then
        check "a graphql-ws subscription through nginx receives corpusChanged ($event)" grep -q "${post##*/}" <<<"$event"
    else
        check "a graphql-ws subscription through nginx receives corpusChanged ($(cat "$tmp/ws.err"))" false
    fi
else
    echo "  skip  subscription through nginx: node/npm not found"
fi

# --- authoring: one writer, read-only replicas that follow the folder ------------------------
echo "== authoring"
mutation='{"query":"mutation { createPost(input: {title: \"Written through nginx\", date: \"2024-06-01T00:00:00Z\", markdown: \"Hello.\\n\"}) { path version } }"}'
fetch "$base/graphql" -H 'content-type: application/json' -H "Authorization: Bearer $editor_token" --data "$mutation"
check "a mutation sent to the replicas (/graphql) is refused: 403 AUTHORING_DISABLED (got $status)" \
    test "$status" = 403 -a -n "$(grep -o AUTHORING_DISABLED "$tmp/b" 2>/dev/null)"
fetch "$base/edit/graphql" -H 'content-type: application/json' --data "$mutation"
check "/edit/graphql without the editor token: 401 (got $status)" test "$status" = 401
written_at="$(date +%s%N)"
fetch "$base/edit/graphql" -H 'content-type: application/json' -H "Authorization: Bearer $editor_token" --data "$mutation"
check "/edit/graphql with the editor token writes the post (got $status: $(head -c 200 "$tmp/b"))" \
    grep -q '"path":"_posts/2024-06-01-written-through-nginx.md"' "$tmp/b"
seen_query='{ post(slug: "written-through-nginx") { title } }'
for replica in "$replica1" "$replica2"; do
    seen=""
    for _ in $(seq 1 100); do
        if curl -s -G --data-urlencode "query=$seen_query" "http://$replica/graphql" | grep -q 'Written through nginx'; then
            seen="$(( ($(date +%s%N) - written_at) / 1000000 ))"
            break
        fi
        sleep 0.05
    done
    check "replica $replica serves the new post within 5 s (after ${seen:-more than 5000} ms)" \
        test -n "$seen" -a "${seen:-99999}" -le 5000
done
fetch "$base/graphql" -G --data-urlencode "query=$seen_query"
check "and so does a GET through nginx (got $status)" grep -q 'Written through nginx' "$tmp/b"
long_body="$tmp/long.json"
printf '{"query":"mutation { createPost(input: {title: \\"A long read\\", date: \\"2024-06-02T00:00:00Z\\", markdown: \\"%s\\"}) { path } }"}' \
    "$(head -c 300000 /dev/zero | tr '\0' 'x')" >"$long_body"
fetch "$base/edit/graphql" -H 'content-type: application/json' -H "Authorization: Bearer $editor_token" --data-binary "@$long_body"
check "a 300 KB post through /edit/graphql is written (got $status: $(head -c 120 "$tmp/b"))" \
    grep -q '"path":"_posts/2024-06-02-a-long-read.md"' "$tmp/b"
check "the original content folder was not written" test ! -e "$content/_posts/2024-06-01-written-through-nginx.md"

if [[ "$failures" -gt 0 ]]; then
    echo "nginx replicas test FAILED: $failures check(s); nginx error log:"
    tail -20 "$tmp/error.log" || true
    exit 1
fi
echo "nginx replicas test OK"
