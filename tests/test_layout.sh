#!/bin/bash
# The house's plan, checked: every #include points down the rooms (tests/README.md's
# Layout), no header circle, and functions a screen long (none over 100 lines,
# at most 10 over 60). Run from the repository's top (make test does).
# Ends with "N passed, N failed".

# room rank: a file may include its own room's headers and those of lower rooms;
# rooms of one rank (predict, report; extract, data) do not include each other
ROOMS="features/io:0 features/dsp:1 features:2 features/extract:3 data:3 models/nn:4 models/data:5 models/onnx:5 models/classic:5 models:6
       experiments/stats:7 experiments/cv:8 experiments/predict:9 experiments/report:9 experiments/experiment:10 experiments/commands:11 experiments/python:12"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

declare -A rank home
for r in $ROOMS; do rank[${r%%:*}]=${r##*:}; done
files=$(find features models experiments data -name '*.[ch]' 2>/dev/null | sort)
for f in $files; do
  room=$(dirname "$f")
  [ -n "${rank[$room]}" ] || { bad "$f: in no room of the plan ($room)"; continue; }
  h=$(basename "$f")
  [[ $f == *.h ]] || continue
  if [ -n "${home[$h]}" ]; then bad "$h: two headers of that name (${home[$h]}, $room)"; fi
  home[$h]=$room
done

# includes: down or sideways within a room, and the header graph without circles
edges=""
n_inc=0
for f in $files; do
  room=$(dirname "$f")
  [ -n "${rank[$room]}" ] || continue
  while read -r h; do
    [ -n "$h" ] || continue
    to=${home[$h]}
    if [ -z "$to" ]; then
      [[ $h == report_html_page* || $h == onnx.pb-c.h ]] || bad "$f includes $h, which no room holds" # generated in build/
      continue
    fi
    n_inc=$((n_inc + 1))
    edges+="$(basename "$f") $h"$'\n'
    if [ "$to" != "$room" ] && [ "${rank[$to]}" -ge "${rank[$room]}" ]; then
      bad "$f ($room, rank ${rank[$room]}) includes $to/$h (rank ${rank[$to]}): an arrow up or sideways"
    fi
  done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done
[ -n "$LAYOUT_SCRATCH" ] || [ "$n_inc" -gt 100 ] && ok || bad "only $n_inc includes read: the script reads nothing"
echo "# $n_inc includes between $(echo "$files" | wc -l) files checked against the rooms"
# a .c and its .h are one node, so a header including the .c's other headers is no circle
cycle=$(printf '%s' "$edges" | sed 's/\.[ch]\b//g' | awk '$1 != $2' | tsort 2>&1 >/dev/null | grep -i "loop" | head -1)
[ -z "$cycle" ] && ok || bad "a circle of includes: $(printf '%s' "$edges" | sed 's/\.[ch]\b//g' | awk '$1 != $2' | tsort 2>&1 >/dev/null | tr '\n' ' ')"

# function lengths: a definition starts at column 0 with a name and '(' (no '=',
# no ';') and ends at the first "}" alone at column 0. None over 100 lines (the
# tests' included), at most 10 of the program's over 60
FUNCTIONS='
  start == 0 && /^[A-Za-z_].*\(/ && !/=/ && !/;[ \t]*$/ { start = NR; name = $0; next }
  start && /^}[ \t]*$/ { n = NR - start + 1; sub(/\(.*/, "", name); sub(/.*[ *]/, "", name); print n, f ":" name; start = 0 }'
lengths=$(for f in $(echo "$files" | grep '\.c$'); do awk -v f="$f" "$FUNCTIONS" "$f"; done | sort -rn)
tests=$(find tests -maxdepth 2 -name '*.c' 2>/dev/null | sort)
test_lengths=$(for f in $tests; do awk -v f="$f" "$FUNCTIONS" "$f"; done)
over100=$(printf '%s\n%s\n' "$lengths" "$test_lengths" | awk '$1 > 100')
over60=$(echo "$lengths" | awk '$1 > 60' | wc -l)
[ -z "$over100" ] && ok || bad "functions over 100 lines: $(echo "$over100" | tr '\n' ';')"
[ "$over60" -le 10 ] && ok || bad "$over60 functions over 60 lines (at most 10): $(echo "$lengths" | awk '$1 > 60' | tr '\n' ';')"
echo "# $(echo "$lengths" | wc -l) functions; longest: $(echo "$lengths" | head -3 | tr '\n' ';') $over60 over 60 lines"
[ -n "$LAYOUT_SCRATCH" ] || [ "$(echo "$lengths" | wc -l)" -gt 300 ] && ok || bad "only $(echo "$lengths" | wc -l) functions found: the count reads nothing"

# the checks catch what they should: a scratch tree with an arrow up, a circle
# and a 101-line function fails the same script three times
if [ -z "$LAYOUT_SCRATCH" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/features/io" "$tmp/models" "$tmp/experiments" "$tmp/data"
  printf '#include "ann.h"\n' > "$tmp/features/io/up.c"
  printf '#include "b.h"\n' > "$tmp/models/a.h"
  printf '#include "a.h"\n' > "$tmp/models/b.h"
  printf '/* */\n' > "$tmp/models/ann.h"
  { echo 'int long_one(void) {'; for i in $(seq 99); do echo '  ;'; done; echo '}'; } > "$tmp/models/ann.c"
  out=$(cd "$tmp" && LAYOUT_SCRATCH=1 bash "$OLDPWD/$0" 2>&1)
  for want in "features/io/up.c (features/io, rank 0) includes models/ann.h" "a circle of includes" \
              "functions over 100 lines: 101 models/ann.c:long_one"; do
    if grep -qF "$want" <<< "$out"; then ok; else bad "a scratch tree should fail with '$want'; got: $out"; fi
  done
fi

echo "$pass passed, $fail failed"
