# shellcheck shell=bash disable=SC2034  # bin and content are read by the sourcing script
# Shared prelude of the Node.js-based checks (check-introspection.sh, graphql-http-audit.sh,
# check-graphql-ws.sh). Source it after `set -euo pipefail` and after setting repo_root.

# Exits 0 with a SKIPPED banner when node or npm is missing; $1 says what needs them.
require_node_or_skip() {
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        echo "=================================================================="
        echo "SKIPPED: node/npm not found ($1)"
        echo "=================================================================="
        exit 0
    fi
}

# $1 as an absolute path (relative paths are taken from the current directory).
absolute() {
    case "$1" in
        /*) printf '%s\n' "$1" ;;
        *) printf '%s\n' "$PWD/$1" ;;
    esac
}

# Sets `bin` (INKGRAPH_BIN, default the debug build) and `content` (INKGRAPH_CONTENT, default
# the sample blog); exits 1 when the binary is missing.
inkgraph_bin_and_content() {
    bin="$(absolute "${INKGRAPH_BIN:-$repo_root/target/debug/inkgraph}")"
    content="$(absolute "${INKGRAPH_CONTENT:-$repo_root/content}")"
    if [[ ! -x "$bin" ]]; then
        echo "error: inkgraph binary not found at $bin (run \`cargo build\`, or set INKGRAPH_BIN)" >&2
        exit 1
    fi
}

# Prints the base URL (`http://127.0.0.1:PORT/`) a starting `inkgraph serve` logs to $1,
# waiting up to 30 s; exits 1 with its log when server $2 dies or never says it serves.
wait_for_server() {
    local log=$1 pid=$2 line
    for _ in $(seq 1 300); do
        if line="$(grep -m1 -o 'serving http://[^/ ]*/' "$log" 2>/dev/null)"; then
            printf '%s\n' "${line#serving }"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "error: the server did not start within 30 s; its log:" >&2
    cat "$log" >&2
    exit 1
}
