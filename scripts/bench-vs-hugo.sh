#!/usr/bin/env bash
# Render-all for a generated corpus: inkgraph against `hugo` (Debian package) building the
# same posts with a minimal layout, in one run. Prints the median of each command and the
# ratio. Described in docs/PERFORMANCE.md ("Rendering: inkgraph vs Hugo"). Not part of CI.
#
#   scripts/bench-vs-hugo.sh                 # 10,000 posts, 5 runs of each command
#   POSTS=1000 RUNS=3 scripts/bench-vs-hugo.sh
#   FULL=0 scripts/bench-vs-hugo.sh          # only the two headline commands
#   KEEP=1 WORK=/tmp/vs-hugo scripts/bench-vs-hugo.sh   # keep the corpus and Hugo site
#   TIMER=loop scripts/bench-vs-hugo.sh      # interleaved bash loop instead of hyperfine
#
# Needs cargo; installs hugo (and hyperfine, if it can) with apt-get when missing. Without
# hugo it prints SKIPPED and exits 0. Without hyperfine (or with TIMER=loop) it times a bash
# loop that interleaves the commands (run 1 of each, run 2 of each, ...), which is fairer
# than hyperfine's one-command-after-another when other work shares the machine.
set -euo pipefail

POSTS=${POSTS:-10000}
SEED=${SEED:-42}
RUNS=${RUNS:-5}
FULL=${FULL:-1}
KEEP=${KEEP:-0}
TIMER=${TIMER:-hyperfine}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

apt_install() {
    command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ] || return 1
    if [ -z "${apt_updated:-}" ]; then
        apt-get update -qq >/dev/null 2>&1 || return 1
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}

if ! command -v hugo >/dev/null 2>&1 && ! apt_install hugo; then
    echo "SKIPPED: hugo is not installed and 'apt-get install -y hugo' is not possible here"
    exit 0
fi
if [ "$TIMER" = hyperfine ] && ! command -v hyperfine >/dev/null 2>&1; then
    apt_install hyperfine || echo "hyperfine is not available: timing with a bash loop instead"
fi

# --- Build once, then time the binary itself (not `cargo run`) ----------------------------
echo "== building inkgraph and the render_all example (release)"
cargo build --release --quiet --bin inkgraph --example render_all
target=$(cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
inkgraph="$target/release/inkgraph"
render_all="$target/release/examples/render_all"

if [ -n "${WORK:-}" ]; then
    mkdir -p "$WORK"
else
    WORK=$(mktemp -d -t inkgraph-vs-hugo.XXXXXX)
fi
[ "$KEEP" = 1 ] || trap 'rm -rf "$WORK"' EXIT
corpus="$WORK/corpus"
site="$WORK/hugo"
html="$WORK/inkgraph-html"
results="$WORK/results.csv"

# --- The corpus, and the same posts as a Hugo site ----------------------------------------
echo "== generating $POSTS posts (seed $SEED) into $corpus"
rm -rf "$corpus" "$site" "$html"
"$inkgraph" gen-corpus --posts "$POSTS" --seed "$SEED" "$corpus"

# Hugo reads content/posts/*.md. The Jekyll front matter works as it is: Hugo parses
# `date: 'YYYY-MM-DD HH:MM:SS +0000'`, and the other keys become page params. File names
# (date-slug.md) are unique, so both Jekyll categories fit in one section.
mkdir -p "$site/content/posts" "$site/layouts/_default"
find "$corpus" -path '*/_posts/*.md' -exec cp -t "$site/content/posts/" {} +
copied=$(find "$site/content/posts" -name '*.md' | wc -l)
[ "$copied" = "$POSTS" ] || { echo "expected $POSTS posts for Hugo, found $copied" >&2; exit 1; }
# Only the work both tools share: each post's Markdown to HTML, code highlighted into CSS
# classes (as inkgraph does), raw HTML kept (as inkgraph does). No taxonomy pages, feeds,
# sitemap, robots.txt or 404 page; the home and section pages print only their title.
cat > "$site/config.toml" <<'TOML'
baseURL = "https://bench.example/"
title = "Bench & Ink"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
[markup.goldmark.renderer]
unsafe = true
[markup.highlight]
noClasses = false
TOML
echo '{{ .Content }}' > "$site/layouts/_default/single.html"
echo '{{ .Title }}' > "$site/layouts/_default/list.html"

# --- The commands -------------------------------------------------------------------------
names=("inkgraph render-all (load + render; in memory)" "hugo --quiet (build; writes public/)")
commands=("$render_all $corpus" "hugo --quiet --source $site")
prepares=("true" "rm -rf $site/public")
if [ "$FULL" = 1 ]; then
    names+=("inkgraph render-all --write (also writes each post's HTML)"
        "hugo --quiet --renderToMemory (no disk writes)")
    commands+=("$render_all --write $html $corpus" "hugo --quiet --renderToMemory --source $site")
    prepares+=("rm -rf $html" "rm -rf $site/public")
fi

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== $(hugo version | cut -d' ' -f1-2); inkgraph $(git describe --always --dirty 2>/dev/null || echo '?')"
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== inkgraph's own breakdown of one run: $("$render_all" "$corpus")"

: > "$results"
if [ "$TIMER" = hyperfine ] && command -v hyperfine >/dev/null 2>&1; then
    echo "== hyperfine, $RUNS runs of each command"
    args=()
    for i in "${!commands[@]}"; do
        args+=(--prepare "${prepares[$i]}" --command-name "${names[$i]}" "${commands[$i]}")
    done
    hyperfine --runs "$RUNS" --style basic --export-csv "$WORK/hyperfine.csv" "${args[@]}"
    # command,mean,stddev,median,user,system,min,max: the names above hold no commas.
    tail -n +2 "$WORK/hyperfine.csv" | awk -F, '{ printf "%s,%.3f\n", $1, $4 }' > "$results"
else
    echo "== bash loop, $RUNS interleaved runs of each command"
    declare -A times
    for run in $(seq "$RUNS"); do
        for i in "${!commands[@]}"; do
            eval "${prepares[$i]}"
            start=$(date +%s%N)
            if ! eval "${commands[$i]}" >/dev/null 2>"$WORK/stderr.log"; then
                cat "$WORK/stderr.log" >&2
                echo "failed: ${commands[$i]}" >&2
                exit 1
            fi
            end=$(date +%s%N)
            times[$i]+="$(( (end - start) / 1000000 )) "
            echo "run $run: ${names[$i]}: $(( (end - start) / 1000000 )) ms"
        done
    done
    # Runs of the same round saw about the same background load: their ratios vary less.
    tr ' ' '\n' <<< "${times[0]}" | grep . > "$WORK/first.txt"
    tr ' ' '\n' <<< "${times[1]}" | grep . > "$WORK/second.txt"
    round_ratios=$(paste "$WORK/first.txt" "$WORK/second.txt" |
        awk '{ printf "%.2f\n", $1 / $2 }' | sort -n | tr '\n' ' ')
    for i in "${!commands[@]}"; do
        median=$(tr ' ' '\n' <<< "${times[$i]}" | grep . | sort -n |
            awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.3f", m / 1000 }')
        echo "${names[$i]},$median" >> "$results"
    done
fi
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- Medians and ratios -------------------------------------------------------------------
echo
echo "== medians of $RUNS runs, $POSTS posts"
awk -F, '{ printf "%-62s %9.2f s\n", $1, $2 }' "$results"
median_of() { awk -F, -v n="$1" '$1 == n { print $2 }' "$results"; }
ratio() {
    awk -v a="$(median_of "$1")" -v b="$(median_of "$2")" -v label="$3" \
        'BEGIN { printf "%-62s %9.2f  (hugo / inkgraph: %.2fx)\n", label, a / b, b / a }'
}
echo
ratio "${names[0]}" "${names[1]}" "ratio inkgraph / hugo (headline)"
[ -n "${round_ratios:-}" ] && echo "inkgraph / hugo within each round, sorted: $round_ratios"
if [ "$FULL" = 1 ]; then
    ratio "${names[2]}" "${names[1]}" "ratio inkgraph --write / hugo"
    ratio "${names[0]}" "${names[3]}" "ratio inkgraph / hugo --renderToMemory"
fi
[ "$KEEP" = 1 ] && echo "kept $WORK"
exit 0
