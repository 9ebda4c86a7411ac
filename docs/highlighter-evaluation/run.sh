#!/usr/bin/env bash
# Interleaved runs of every built engine over the same blocks.
# usage: ./run.sh BLOCKS [CYCLES] [ROUNDS]
set -euo pipefail
blocks=${1:?blocks file}
cycles=${2:-3}
rounds=${3:-5}
here=$(dirname "$0")
for cycle in $(seq 1 "$cycles"); do
  for engine in syntect-onig arborium arborium-rustflat giallo syntect-fancy; do
    # syntect-fancy is 3-4x slower than onig: one cycle is enough.
    if [[ $engine == syntect-fancy && $cycle -gt 1 ]]; then continue; fi
    binary=$engine
    extra=()
    if [[ $engine == arborium-rustflat ]]; then
      binary=arborium
      extra=(env ARBORIUM_RUST_INJECTIONS=0)
    fi
    result=$("${extra[@]}" "$here/target/hl-eval-$binary" bench "$blocks" "$rounds" "/tmp/hl-out-$engine")
    echo "cycle=$cycle variant=$engine load=$(cut -d' ' -f1 /proc/loadavg) $result"
  done
done
