#!/usr/bin/env bash
# Replays the Dockerfile's build stages on the host (no container engine needed), so a change
# that breaks `docker build` fails CI instead of the first user who runs `docker compose up
# --build` (issue #15). scripts/lib/dockerfile_replay.py does the work: it copies the build
# context filtered by .dockerignore, then runs the instructions of every stage the `builder`
# stage needs (chef -> planner -> builder: cargo-chef install, `cargo chef prepare`, `cargo
# chef cook`, the real build, `inkgraph --version`), each in a folder standing for the image,
# and checks that what the runtime stage copies from `builder` exists.
#
# Usage: scripts/check-dockerfile.sh        (from any directory; run by .ci/run)
#
# Environment:
#   DOCKER_REPLAY  `fast` (default) or `full`. `full` runs the commands as written: a release
#                  build from cold in a fresh target folder (minutes on a small machine).
#                  `fast` drops `--release` (target/release/ becomes target/debug/) and lets
#                  the stages share the repository's target/ folder, so what CI already built
#                  is reused: the same instructions, files, manifests and targets are checked,
#                  in the dev profile. Run it after `cargo build --bin inkgraph`, and last:
#                  the replay leaves its own build of target/debug/inkgraph (same sources).
#
# The chef stage's `cargo install cargo-chef --locked --version …` runs on the host: the first
# time it builds cargo-chef into ~/.cargo/bin (about 2-4 minutes on 2 cores), later runs find
# it installed. Needs python3 and cargo; without python3, or when cargo-chef cannot be
# installed (no access to crates.io), it prints SKIPPED with the reason and exits 0.
set -euo pipefail

script_dir="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd -- "$script_dir/.." && pwd)"

if ! command -v python3 >/dev/null 2>&1; then
    echo "=================================================================="
    echo "SKIPPED: python3 not found (the Dockerfile replay is written in Python)"
    echo "=================================================================="
    exit 0
fi

# The chef stage installs cargo-chef from crates.io (the Dockerfile's own line, run by the
# replay). Done here first, so that a machine that cannot reach crates.io skips the replay
# with the reason instead of failing it; where it is installed this costs nothing.
chef_version="$(sed -n 's/.*cargo install cargo-chef --locked --version \([^ ]*\).*/\1/p' "$repo_root/Dockerfile" | head -1)"
if [[ -z "$chef_version" ]]; then
    echo "error: the Dockerfile has no \`cargo install cargo-chef --locked --version X\` line (update scripts/check-dockerfile.sh)" >&2
    exit 1
fi
if [[ "$(cargo chef --version 2>/dev/null)" != *" $chef_version" ]]; then
    echo "== installing cargo-chef $chef_version (the Dockerfile's chef stage; once per machine, about 2 min of CPU)"
    if ! cargo install cargo-chef --locked --version "$chef_version" --quiet; then
        echo "=================================================================="
        echo "SKIPPED: cargo-chef $chef_version could not be installed from crates.io (cargo install cargo-chef --locked --version $chef_version)"
        echo "=================================================================="
        exit 0
    fi
fi

mode=(--fast)
case "${DOCKER_REPLAY:-fast}" in
    fast) ;;
    full) mode=() ;;
    *)
        echo "error: DOCKER_REPLAY must be fast or full, not $DOCKER_REPLAY" >&2
        exit 2
        ;;
esac

work="$(mktemp -d "${TMPDIR:-/tmp}/inkgraph-docker-replay.XXXXXX")"
trap 'rm -rf -- "$work"' EXIT
started=$SECONDS
python3 "$script_dir/lib/dockerfile_replay.py" --dockerfile "$repo_root/Dockerfile" \
    --context "$repo_root" --work "$work" --target builder "${mode[@]}"
echo "== Dockerfile replay (${DOCKER_REPLAY:-fast}) passed in $((SECONDS - started)) s"
