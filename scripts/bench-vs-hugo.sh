#!/usr/bin/env bash
# Render-all for a generated corpus: inkgraph against `hugo` (Debian package) building the
# same posts with a minimal layout, in one run. Prints the median of each command and the
# ratio. Described in docs/PERFORMANCE.md ("Rendering: inkgraph vs Hugo", and "Ready to
# serve and memory" for the `ready` and `memory` steps). Not part of CI.
#
# Steps (STEPS, comma-separated, default all three):
#   render  inkgraph render-all (examples/render_all.rs) against `hugo --quiet`; target
#           (issue #20 item 3): ratio <= 0.35
#   ready   "ready to serve": examples/load_stats.rs (what `serve` does before it listens:
#           load, index, HTTP state; no HTML) against the same `hugo --quiet` build, timed
#           in the same hyperfine run; targets: ratio <= 0.1 and median < 2 s (issue #8),
#           ratio <= 0.05 (issue #20 item 2)
#   memory  load_stats' peak RSS (VmHWM) over the corpus bytes on disk, at POSTS posts and,
#           with RSS_50K=1, at 50,000 posts (generated into WORK); target: < 2.5
#
#   scripts/bench-vs-hugo.sh                 # 10,000 posts, 5 runs of each command
#   POSTS=1000 RUNS=3 scripts/bench-vs-hugo.sh
#   FULL=0 scripts/bench-vs-hugo.sh          # only the two headline commands
#   KEEP=1 WORK=/tmp/vs-hugo scripts/bench-vs-hugo.sh   # keep the corpus and Hugo site
#   TIMER=loop scripts/bench-vs-hugo.sh      # interleaved bash loop instead of hyperfine
#   STEPS=ready,memory scripts/bench-vs-hugo.sh         # skip render-all (the slow part)
#   STEPS=memory RSS_50K=1 scripts/bench-vs-hugo.sh     # peak RSS at POSTS and 50,000 posts
#
# Environment: POSTS (default 10000), SEED (42), PROFILE (gen-corpus body profile: small,
# the default, median ~4 KB; or real, median ~15 KB with a tail to 200 KB), RUNS (5), FULL (1: also the --write and
# --renderToMemory rows of the render step), KEEP/WORK, TIMER (hyperfine|loop), STEPS
# (render,ready,memory), RSS_50K (0; 1 adds the 50,000-post memory figure), RSS_RUNS (3:
# load_stats runs per memory figure, the median is reported).
#
# Needs cargo; installs hugo (and hyperfine, if it can) with apt-get when missing. Without
# hugo it prints SKIPPED and exits 0. Without hyperfine (or with TIMER=loop) it times a bash
# loop that interleaves the commands (run 1 of each, run 2 of each, ...), which is fairer
# than hyperfine's one-command-after-another when other work shares the machine.
set -euo pipefail

POSTS=${POSTS:-10000}
SEED=${SEED:-42}
PROFILE=${PROFILE:-small}
RUNS=${RUNS:-5}
FULL=${FULL:-1}
KEEP=${KEEP:-0}
TIMER=${TIMER:-hyperfine}
STEPS=${STEPS:-render,ready,memory}
RSS_50K=${RSS_50K:-0}
RSS_RUNS=${RSS_RUNS:-3}

step_on() { [[ ",$STEPS," == *",$1,"* ]]; }
for step in ${STEPS//,/ }; do
    case "$step" in
        render | ready | memory) ;;
        *) echo "unknown step '$step' in STEPS (render, ready, memory)" >&2; exit 2 ;;
    esac
done

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

if { step_on render || step_on ready; } && ! command -v hugo >/dev/null 2>&1 && ! apt_install hugo; then
    echo "SKIPPED: hugo is not installed and 'apt-get install -y hugo' is not possible here"
    exit 0
fi
if [ "$TIMER" = hyperfine ] && ! command -v hyperfine >/dev/null 2>&1; then
    apt_install hyperfine || echo "hyperfine is not available: timing with a bash loop instead"
fi

# --- Build once, then time the binary itself (not `cargo run`) ----------------------------
echo "== building inkgraph and the render_all and load_stats examples (release)"
cargo build --release --quiet --bin inkgraph --example render_all --example load_stats
cargo build --release --quiet --package gen-corpus
target=$(cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
render_all="$target/release/examples/render_all"
load_stats="$target/release/examples/load_stats"
gen_corpus="$target/release/gen-corpus"

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
echo "== generating $POSTS posts (seed $SEED, profile $PROFILE) into $corpus"
rm -rf "$corpus" "$site" "$html"
"$gen_corpus" --posts "$POSTS" --seed "$SEED" --profile "$PROFILE" "$corpus"

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
render_name="inkgraph render-all (load + render; in memory)"
hugo_name="hugo --quiet (build; writes public/)"
write_name="inkgraph render-all --write (also writes each post's HTML)"
memory_name="hugo --quiet --renderToMemory (no disk writes)"
ready_name="inkgraph ready to serve (load_stats; no render)"
names=()
commands=()
prepares=()
add_command() {
    names+=("$1")
    commands+=("$2")
    prepares+=("$3")
}
index_of() {
    local i
    for i in "${!names[@]}"; do
        [ "${names[$i]}" = "$1" ] && { echo "$i"; return 0; }
    done
    return 1
}
if step_on render; then
    add_command "$render_name" "$render_all $corpus" "true"
fi
if step_on render || step_on ready; then
    add_command "$hugo_name" "hugo --quiet --source $site" "rm -rf $site/public"
fi
if step_on render && [ "$FULL" = 1 ]; then
    add_command "$write_name" "$render_all --write $html $corpus" "rm -rf $html"
    add_command "$memory_name" "hugo --quiet --renderToMemory --source $site" "rm -rf $site/public"
fi
if step_on ready; then
    add_command "$ready_name" "$load_stats $corpus" "true"
fi

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
if [ "${#commands[@]}" -gt 0 ]; then
    echo "== $(hugo version | cut -d' ' -f1-2); inkgraph $(git describe --always --dirty 2>/dev/null || echo '?')"
fi
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
if step_on render; then
    echo "== inkgraph's own breakdown of one run: $("$render_all" "$corpus")"
fi
if step_on ready; then
    echo "== load_stats, one run: $("$load_stats" "$corpus")"
fi

: > "$results"
if [ "${#commands[@]}" -eq 0 ]; then
    : # only the memory step
elif [ "$TIMER" = hyperfine ] && command -v hyperfine >/dev/null 2>&1; then
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
    round_ratios_of() {
        tr ' ' '\n' <<< "${times[$1]}" | grep . > "$WORK/first.txt"
        tr ' ' '\n' <<< "${times[$2]}" | grep . > "$WORK/second.txt"
        paste "$WORK/first.txt" "$WORK/second.txt" |
            awk '{ printf "%.3f\n", $1 / $2 }' | sort -n | tr '\n' ' '
    }
    hugo_i=$(index_of "$hugo_name")
    if i=$(index_of "$render_name"); then
        round_ratios=$(round_ratios_of "$i" "$hugo_i")
    fi
    if i=$(index_of "$ready_name"); then
        ready_round_ratios=$(round_ratios_of "$i" "$hugo_i")
    fi
    for i in "${!commands[@]}"; do
        median=$(tr ' ' '\n' <<< "${times[$i]}" | grep . | sort -n |
            awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.3f", m / 1000 }')
        echo "${names[$i]},$median" >> "$results"
    done
fi
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- Medians and ratios -------------------------------------------------------------------
median_of() { awk -F, -v n="$1" '$1 == n { print $2 }' "$results"; }
ratio() {
    awk -v a="$(median_of "$1")" -v b="$(median_of "$2")" -v label="$3" \
        'BEGIN { printf "%-62s %9.2f  (hugo / inkgraph: %.2fx)\n", label, a / b, b / a }'
}
verdict() { # verdict LABEL MEASURED OK(1/0)
    if [ "$3" = 1 ]; then
        printf '%-62s %12s  met\n' "$1" "$2"
    else
        printf '%-62s %12s  MISSED\n' "$1" "$2"
    fi
}
if [ -s "$results" ]; then
    echo
    echo "== medians of $RUNS runs, $POSTS posts"
    awk -F, '{ printf "%-62s %9.2f s\n", $1, $2 }' "$results"
fi
if step_on render; then
    echo
    ratio "$render_name" "$hugo_name" "ratio inkgraph / hugo (headline)"
    [ -n "${round_ratios:-}" ] && echo "inkgraph / hugo within each round, sorted: $round_ratios"
    render_ratio=$(awk -v a="$(median_of "$render_name")" -v b="$(median_of "$hugo_name")" \
        'BEGIN { if (b + 0 > 0) printf "%.3f", a / b; else print "?" }')
    verdict "issue #20 item 3: render-all <= 0.35x hugo's build (medians)" "$render_ratio" \
        "$(awk -v r="$render_ratio" 'BEGIN { print (r != "?" && r + 0 > 0 && r <= 0.35) ? 1 : 0 }')"
    if [ "$FULL" = 1 ]; then
        ratio "$write_name" "$hugo_name" "ratio inkgraph --write / hugo"
        ratio "$render_name" "$memory_name" "ratio inkgraph / hugo --renderToMemory"
    fi
fi
if step_on ready; then
    echo
    echo "== ready to serve $POSTS posts (issue #8: <= 0.1 of hugo's build, and < 2 s)"
    ready=$(median_of "$ready_name")
    hugo=$(median_of "$hugo_name")
    ready_ratio=$(awk -v a="$ready" -v b="$hugo" 'BEGIN { if (b + 0 > 0) printf "%.3f", a / b; else print "?" }')
    verdict "ready to serve / hugo --quiet (medians)" "$ready_ratio" \
        "$(awk -v r="$ready_ratio" 'BEGIN { print (r != "?" && r + 0 > 0 && r <= 0.1) ? 1 : 0 }')"
    verdict "issue #20 item 2: ready to serve <= 0.05x hugo's build" "$ready_ratio" \
        "$(awk -v r="$ready_ratio" 'BEGIN { print (r != "?" && r + 0 > 0 && r <= 0.05) ? 1 : 0 }')"
    [ -n "${ready_round_ratios:-}" ] && echo "ready / hugo within each round, sorted: $ready_round_ratios"
    verdict "ready to serve, median (whole process)" "${ready:-?} s" \
        "$(awk -v t="$ready" 'BEGIN { print (t + 0 > 0 && t < 2) ? 1 : 0 }')"
fi

# --- Memory: peak RSS after loading (no HTML rendered) ------------------------------------
# memory_line LABEL DIR: RSS_RUNS runs of load_stats; the median peak RSS and its ratio.
memory_line() {
    local label=$1 dir=$2 run out peaks=() line
    for run in $(seq "$RSS_RUNS"); do
        out=$("$load_stats" "$dir") || { echo "load_stats failed on $dir" >&2; exit 1; }
        [ "$run" = 1 ] && echo "   load_stats: $out"
        peaks+=("$(sed -n 's/.*"peak_rss_bytes":\([0-9]*\).*/\1/p' <<< "$out")")
    done
    bytes=$(sed -n 's/.*"corpus_bytes":\([0-9]*\).*/\1/p' <<< "$out")
    line=$(printf '%s\n' "${peaks[@]}" | sort -n |
        awk -v bytes="$bytes" '{ a[NR] = $1 } END {
            m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
            printf "%.1f %.1f %.3f", m / 1e6, bytes / 1e6, m / bytes }')
    read -r peak_mb corpus_mb rss_ratio <<< "$line"
    verdict "$label: peak RSS ${peak_mb} MB / corpus ${corpus_mb} MB" "$rss_ratio" \
        "$(awk -v r="$rss_ratio" 'BEGIN { print (r < 2.5) ? 1 : 0 }')"
}
if step_on memory; then
    echo
    echo "== peak RSS after loading, no HTML rendered (issue #8: < 2.5x the corpus bytes on disk; median of $RSS_RUNS runs)"
    memory_line "$POSTS posts" "$corpus"
    if [ "$RSS_50K" = 1 ]; then
        corpus50="$WORK/corpus-50k"
        echo "   generating 50000 posts (seed $SEED) into $corpus50"
        rm -rf "$corpus50"
        "$gen_corpus" --posts 50000 --seed "$SEED" --profile "$PROFILE" "$corpus50"
        memory_line "50000 posts" "$corpus50"
        [ "$KEEP" = 1 ] || rm -rf "$corpus50"
    fi
fi
[ "$KEEP" = 1 ] && echo "kept $WORK"
exit 0
