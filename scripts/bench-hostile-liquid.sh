#!/usr/bin/env bash
# Hostile Liquid posts (issue #12): generates one small Jekyll site per case, runs
# `BIN query --content SITE '{ posts { nodes { slug html } } diagnostics { ... } }'` on it
# and prints, per case, the exit status, wall time, peak memory (max RSS from
# /usr/bin/time -v) and the size of the answer. Each site also holds a normal neighbour post.
#
#   scripts/bench-hostile-liquid.sh                          # target/release/inkgraph
#   scripts/bench-hostile-liquid.sh /work/main/target/release/inkgraph   # "before"
#   CASES=range-break,braces scripts/bench-hostile-liquid.sh
#   KEEP=1 WORK=/tmp/hostile scripts/bench-hostile-liquid.sh  # keep the sites and answers
#
# Every run is bounded so an unprotected binary cannot exhaust a shared machine:
# `timeout $TIMEOUT` (default 60 s) and `prlimit --as=$AS_LIMIT` (default 4,000,000,000
# bytes of address space). The status column says what happened: ok, exit N,
# "stack overflow" or "alloc N B failed" (the process aborted, exit 134: an allocation of N
# bytes failed, against the address-space limit or not), "timed out".
#
# Cases (all generated here, nothing is committed):
#   range-break   {% for i in (1..9999999999) %}{% break %}{% endfor %}
#   nested-if     5,000 nested {% if a %} (50 KB, never closed)
#   nested-for    4,000 nested {% for i in (1..1) %} ... {% endfor %}
#   include-fan   an include that includes the next one 10 times, over 8 levels
#   loops-1000    three nested loops of 1,000
#   loop-300mb    a 150-byte loop that writes 300 MB
#   braces        {{ x 20,000 times (unbalanced)
set -euo pipefail

BIN=${1:-target/release/inkgraph}
TIMEOUT=${TIMEOUT:-60}
AS_LIMIT=${AS_LIMIT:-4000000000}
CASES=${CASES:-range-break,nested-if,nested-for,include-fan,loops-1000,loop-300mb,braces}
KEEP=${KEEP:-0}
WORK=${WORK:-$(mktemp -d -t hostile-liquid.XXXXXX)}

if [[ ! -x $BIN ]]; then
    echo "no executable at $BIN (build it with: cargo build --release)" >&2
    exit 2
fi
if [[ $KEEP != 1 ]]; then
    trap 'rm -rf "$WORK"' EXIT
fi

# repeat TEXT N: TEXT written N times.
repeat() { perl -e 'print $ARGV[0] x $ARGV[1]' -- "$1" "$2"; }

# site CASE: a Jekyll site with the neighbour post; prints its folder.
site() {
    local dir=$WORK/$1
    rm -rf "$dir"
    mkdir -p "$dir/_posts"
    printf 'title: Hostile %s\n' "$1" >"$dir/_config.yml"
    printf -- '---\ntitle: Neighbour\n---\nThe neighbour says {{ page.title | upcase }}.\n' \
        >"$dir/_posts/2024-01-02-neighbour.md"
    echo "$dir"
}

# hostile CASE: writes the hostile post of CASE (and its includes); prints the site folder.
hostile() {
    local dir post
    dir=$(site "$1")
    post=$dir/_posts/2024-01-01-hostile.md
    printf -- '---\ntitle: Hostile\n---\nBefore the hostile part.\n\n' >"$post"
    case $1 in
        range-break)
            printf '{%% for i in (1..9999999999) %%}{%% break %%}{%% endfor %%}' >>"$post" ;;
        nested-if)
            repeat '{% if a %}' 5000 >>"$post" ;;
        nested-for)
            { repeat '{% for i in (1..1) %}' 4000; printf 'deep'; repeat '{% endfor %}' 4000; } >>"$post" ;;
        include-fan)
            mkdir -p "$dir/_includes"
            for level in 0 1 2 3 4 5 6 7; do
                repeat "{% include level$((level + 1)).html %}" 10 >"$dir/_includes/level$level.html"
            done
            printf 'leaf ' >"$dir/_includes/level8.html"
            printf '{%% include level0.html %%}' >>"$post" ;;
        loops-1000)
            printf '{%% for a in (1..1000) %%}{%% for b in (1..1000) %%}{%% for c in (1..1000) %%}x{%% endfor %%}{%% endfor %%}{%% endfor %%}' >>"$post" ;;
        loop-300mb)
            { printf '{%% for i in (1..3000000) %%}'; repeat 'x' 100; printf '{%% endfor %%}'; } >>"$post" ;;
        braces)
            repeat '{{' 20000 >>"$post" ;;
        *)
            echo "unknown case $1" >&2
            exit 2 ;;
    esac
    printf '\n\nAfter the hostile part.\n' >>"$post"
    echo "$dir"
}

QUERY='{ posts { nodes { slug html } } diagnostics { path line column message } }'

printf '%-12s %-28s %9s %11s %12s\n' case status "wall s" "max RSS MB" "answer bytes"
IFS=, read -r -a cases <<<"$CASES"
for case in "${cases[@]}"; do
    dir=$(hostile "$case")
    out=$WORK/$case.json
    err=$WORK/$case.stderr
    set +e
    /usr/bin/time -v -o "$WORK/$case.time" \
        timeout "$TIMEOUT" prlimit --as="$AS_LIMIT" "$BIN" query --content "$dir" "$QUERY" \
        >"$out" 2>"$err"
    code=$?
    set -e
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/$case.time")
    # h:mm:ss or m:ss.ss to seconds.
    secs=$(awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }' <<<"$wall")
    rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/$case.time")
    rss_mb=$(awk '{ printf "%.0f", $1 / 1024 }' <<<"$rss_kb")
    if [[ $code == 0 ]]; then
        status=ok
    elif [[ $code == 124 ]]; then
        status="timed out (${TIMEOUT} s)"
    elif grep -q "memory allocation of" "$err"; then
        status="alloc $(grep -o 'memory allocation of [0-9]*' "$err" | head -1 | awk '{print $4}') B failed"
    elif grep -q "overflowed its stack" "$err"; then
        status="stack overflow"
    elif [[ $code == 134 ]]; then
        status="aborted (134)"
    else
        status="exit $code"
    fi
    printf '%-12s %-28s %9s %11s %12s\n' "$case" "$status" "$secs" "$rss_mb" "$(wc -c <"$out")"
done
if [[ $KEEP == 1 ]]; then
    echo "sites, answers and stderr kept in $WORK"
fi
