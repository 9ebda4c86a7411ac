#!/usr/bin/env bash
# Type-checks the non-Unix branches (`#[cfg(not(unix))]`), which no build on this machine
# compiles: no other target's standard library can be installed here. A copy of the crate
# with `cfg(unix)` turned off and `cfg(not(unix))` turned on is checked against this
# machine's target. It cannot catch a Windows-only API misuse, but it does catch names that
# do not exist and types that do not fit (the bug that once kept the crate off Windows).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/inkgraph-non-unix.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$repo/Cargo.toml" "$repo/Cargo.lock" "$repo/src" "$repo/assets" "$repo/tools" "$work/"
# Benches, tests and examples are not part of the check (their files are not copied).
sed -i '/^\[\[bench\]\]/,$d' "$work/Cargo.toml"
grep -rl 'cfg(unix)\|cfg(not(unix))' "$work/src" | while read -r file; do
    sed -i 's/cfg(not(unix))/cfg(all())/g; s/cfg(unix)/cfg(any())/g' "$file"
done
CARGO_TARGET_DIR="$repo/target/non-unix-check" cargo check --quiet --locked --lib --bins \
    --manifest-path "$work/Cargo.toml"
echo "non-Unix branches type-check"
