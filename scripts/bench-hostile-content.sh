#!/usr/bin/env bash
# Hostile content (issue #12): generates one small Jekyll site per case, each with one good
# post and one hostile file, and times `inkgraph query` rendering every post's HTML with the
# given binary. Prints per case: exit status, wall time, peak RSS, how many posts were served
# and whether a secret planted outside the content folder reached the output. Not part of CI.
#
#   scripts/bench-hostile-content.sh target/release/inkgraph
#   scripts/bench-hostile-content.sh /work/main/target/release/inkgraph      # "before"
#   CASES="gt stars" scripts/bench-hostile-content.sh target/release/inkgraph
#   KEEP=1 WORK=/tmp/hostile scripts/bench-hostile-content.sh BIN   # keep the sites
#
# Every run is bounded: `timeout $LIMIT_S` (default 60) and `prlimit --as=$LIMIT_AS`
# (default 4000000000 bytes of address space), so a case that would exhaust the machine is
# reported as "timeout" or "oom/abort" instead. Peak RSS comes from `/usr/bin/time -v`.
#
# Cases (default all):
#   include-outside  _includes/env.html -> a file outside the root holding a secret
#   include-proc     _includes/env.html -> /proc/self/environ (secret in the environment)
#   include-devzero  _includes/zero.html -> /dev/zero
#   includes-root    _includes -> / and {% include proc/self/environ %}
#   config-outside   _config.yml -> a YAML file outside the root, {{ site.secret }} in a post
#   post-symlink     _posts/2025-09-03-passwd.md -> /etc/passwd
#   post-fifo        _posts/2025-09-04-fifo.md is a FIFO
#   oversized        a 20 MB post
#   include-bomb     ten includes, each including the next ten times (10^9 renders)
#   gt               a body of `>` x 100,000
#   stars            `**` x 50,000, a letter, `**` x 50,000 (100,000 `**`, nested 25,000 deep)
#   stars-nested     `**a ` x 40,000 then `a** ` x 40,000
#   details          `<details>` x 60,000 (raw HTML nested 60,000 deep)
#   amp              `&amp;` x 200,000 in one paragraph
#   keys             50,000 front-matter keys
#   nested-yaml      `x: ` + `[` x 100,000 + `]` x 100,000 (200 KB of nested flow YAML)
#   nested-map       `x: ` + `{a: ` x 50,000 + `}` x 50,000
#   hugeint-title    title: 123456789012345678901234567890
set -euo pipefail

BIN=${1:?usage: $0 path/to/inkgraph}
BIN=$(realpath "$BIN")
LIMIT_S=${LIMIT_S:-60}
LIMIT_AS=${LIMIT_AS:-4000000000}
ALL="include-outside include-proc include-devzero includes-root include-bomb config-outside post-symlink post-fifo oversized gt stars stars-nested details amp keys nested-yaml nested-map hugeint-title"
CASES=${CASES:-$ALL}
KEEP=${KEEP:-0}
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"
if [ "$KEEP" != 1 ]; then trap 'rm -rf "$WORK"' EXIT; fi

SECRET=HOSTILE_SECRET_$RANDOM$RANDOM
QUERY='{ posts(first: 100) { nodes { title html sanitized: html(sanitize: true) excerpt plainText } } }'

# A site with `_config.yml` and one good post; prints its folder.
site() {
  local dir=$WORK/$1
  rm -rf "$dir"
  mkdir -p "$dir/_posts" "$dir/_includes"
  printf 'title: Hostile\n' >"$dir/_config.yml"
  printf -- '---\ntitle: Good post\n---\nStill here.\n' >"$dir/_posts/2025-01-01-good.md"
  echo "$dir"
}

post() { # post DIR NAME FRONT-MATTER BODY
  printf -- '---\n%s\n---\n%s\n' "$3" "$4" >"$1/_posts/$2"
}

repeat() { # repeat TEXT COUNT
  awk -v s="$1" -v n="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s", s }'
}

make_case() {
  local name=$1 dir
  dir=$(site "$name")
  case $name in
    include-outside)
      printf 'secret: %s\n' "$SECRET" >"$WORK/outside-$name.txt"
      ln -s "$WORK/outside-$name.txt" "$dir/_includes/env.html"
      post "$dir" 2025-09-01-inc.md 'title: Include' '{% include env.html %}' ;;
    include-proc)
      ln -s /proc/self/environ "$dir/_includes/env.html"
      post "$dir" 2025-09-01-inc.md 'title: Include' '{% include env.html %}' ;;
    include-devzero)
      ln -s /dev/zero "$dir/_includes/zero.html"
      post "$dir" 2025-09-01-inc.md 'title: Include' '{% include zero.html %}' ;;
    includes-root)
      rmdir "$dir/_includes"
      ln -s / "$dir/_includes"
      post "$dir" 2025-09-01-inc.md 'title: Include' '{% include proc/self/environ %}' ;;
    config-outside)
      printf 'title: Hostile\nsecret: %s\n' "$SECRET" >"$WORK/outside-$name.yml"
      rm "$dir/_config.yml"
      ln -s "$WORK/outside-$name.yml" "$dir/_config.yml"
      post "$dir" 2025-09-01-site.md 'title: Site' 'The secret: {{ site.secret }}' ;;
    post-symlink)
      ln -s /etc/passwd "$dir/_posts/2025-09-03-passwd.md" ;;
    post-fifo)
      mkfifo "$dir/_posts/2025-09-04-fifo.md" ;;
    oversized)
      { printf -- '---\ntitle: Big\n---\n'
        repeat 'A paragraph of ordinary words that goes on for a while.\n\n' 350000
      } >"$dir/_posts/2025-09-05-big.md" ;;
    include-bomb)
      for i in 0 1 2 3 4 5 6 7 8; do
        repeat "{% include l$((i + 1)).html %}" 10 >"$dir/_includes/l$i.html"
      done
      repeat x 1000 >"$dir/_includes/l9.html"
      post "$dir" 2025-09-01-bomb.md 'title: Bomb' '{% include l0.html %}' ;;
    gt) post "$dir" 2025-09-06-gt.md 'title: Quotes' "$(repeat '>' 100000)" ;;
    stars) post "$dir" 2025-09-07-stars.md 'title: Stars' "$(repeat '**' 50000)a$(repeat '**' 50000)" ;;
    stars-nested) post "$dir" 2025-09-07-nested.md 'title: Stars' "$(repeat '**a ' 40000)$(repeat 'a** ' 40000)" ;;
    details) post "$dir" 2025-09-07-details.md 'title: Details' "$(repeat '<details>\n' 60000)" ;;
    amp) post "$dir" 2025-09-07-amp.md 'title: Amp' "$(repeat '&amp;' 200000)" ;;
    keys)
      { printf -- '---\ntitle: Keys\n'
        awk 'BEGIN { for (i = 0; i < 50000; i++) printf "key%06d: value\n", i }'
        printf -- '---\nBody.\n'
      } >"$dir/_posts/2025-09-08-keys.md" ;;
    nested-yaml)
      post "$dir" 2025-09-09-nested.md "title: Nested
x: $(repeat '[' 100000)$(repeat ']' 100000)" 'Body.' ;;
    nested-map)
      post "$dir" 2025-09-10-map.md "title: Nested map
x: $(repeat '{a: ' 50000)$(repeat '}' 50000)" 'Body.' ;;
    hugeint-title)
      post "$dir" 2025-09-11-int.md 'title: 123456789012345678901234567890' 'Body.' ;;
    *) echo "unknown case $name" >&2; exit 2 ;;
  esac
  echo "$dir"
}

printf '%-16s %-10s %9s %12s %6s %s\n' case status seconds max_rss_MB posts secret_leaked
for name in $CASES; do
  dir=$(make_case "$name")
  out=$WORK/$name.out
  timing=$WORK/$name.time
  set +e
  started=$(date +%s%N)
  HOSTILE_DEMO_SECRET=$SECRET /usr/bin/time -v -o "$timing" \
    timeout "$LIMIT_S" prlimit --as="$LIMIT_AS" \
    "$BIN" query --content "$dir" "$QUERY" >"$out" 2>"$WORK/$name.err"
  code=$?
  ended=$(date +%s%N)
  set -e
  case $code in
    0) status=ok ;;
    124) status=timeout ;;
    134|137|139) status=oom/abort ;;
    *) status=exit-$code ;;
  esac
  seconds=$(awk -v a="$started" -v b="$ended" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$timing")
  posts=$(grep -o '"title":' "$out" | wc -l || true)
  leaked=no
  if grep -q "$SECRET" "$out" 2>/dev/null; then leaked=YES; fi
  printf '%-16s %-10s %9s %12s %6s %s\n' "$name" "$status" "$seconds" "$rss" "$posts" "$leaked"
  [ -p "$dir/_posts/2025-09-04-fifo.md" ] && rm -f "$dir/_posts/2025-09-04-fifo.md"
  if [ "$KEEP" != 1 ]; then rm -rf "$dir" "$out"; fi
done
