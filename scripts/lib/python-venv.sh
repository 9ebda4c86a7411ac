# shellcheck shell=bash
# Shared prelude of the Python-based checks (check-feeds.sh): a virtualenv with the pinned
# packages of scripts/feeds/requirements.txt. Source it after `set -euo pipefail`.

# Sets `python` to a virtualenv's interpreter with the requirements $2 installed into $1,
# or exits 0 with a SKIPPED banner when python3, its venv module or the package index is
# unavailable; $3 says what needs them.
python_venv_or_skip() {
    local venv=$1 requirements=$2 why=$3
    skip() {
        echo "=================================================================="
        echo "SKIPPED: $1 ($why)"
        echo "=================================================================="
        exit 0
    }
    command -v python3 >/dev/null 2>&1 || skip "python3 not found"
    if [[ ! -x "$venv/bin/python" ]]; then
        python3 -m venv "$venv" >/dev/null 2>&1 || {
            rm -rf -- "$venv"
            skip "python3 cannot make a virtualenv (install python3-venv)"
        }
    fi
    # A stamp of the requirements installed, so a warm CI runs no pip at all.
    local stamp="$venv/.requirements"
    if ! cmp -s "$requirements" "$stamp"; then
        if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            -r "$requirements"; then
            skip "pip could not install $(basename "$requirements") (no package index?)"
        fi
        cp -- "$requirements" "$stamp"
    fi
    python="$venv/bin/python"
}
