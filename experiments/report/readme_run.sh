#!/bin/sh
# make run's figures into README.md: the block between the markers
#   <!-- make run: begin -->  and  <!-- make run: end -->
# is replaced by what this run measured (the machine, the time, the experiment's
# table and its track-accuracy comparisons), so a rerun refreshes README.
# readme_run.sh RESULTS_DIR STDOUT_FILE SECONDS SYNTH_SECONDS EXTRACT_SECONDS README
set -e
dir=$1 out=$2 secs=$3 synth=$4 extract=$5 readme=$6
grep -q '<!-- make run: begin -->' "$readme" || exit 0
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
cores=$(getconf _NPROCESSORS_ONLN)
blas=$(sed -n 's/.*"blas_core": "\([^"]*\)".*/\1/p' "$dir/metrics.json" | head -1)
block=$(mktemp)
{
  echo '<!-- make run: begin -->'
  printf 'Measured by the last `make run` (%s cores, %s, OpenBLAS'"'"'s `%s` kernels; %s, the build\n' \
    "$cores" "$cpu" "${blas:-?}" "$(date -u +%Y-%m-%d)"
  printf 'already done): **%d min %02d s** in all (%d s of synthesis, %d s of extraction), and\n\n' \
    $((secs / 60)) $((secs % 60)) "$synth" "$extract"
  echo '```'
  awk '/^model  /{p=1} p{print} /^\(/{if (p) exit}' "$out"
  echo '```'
  echo
  echo 'Its report'"'"'s comparisons of track accuracy (every pair; `report.md` also compares segment'
  echo 'accuracy and macro-F1):'
  echo
  echo '```'
  grep '^- .*, track accuracy (McNemar' "$dir/report.md" || true
  echo '```'
  echo '<!-- make run: end -->'
} > "$block"
tmp=$(mktemp)
awk -v block="$block" '
  /<!-- make run: begin -->/ { while ((getline line < block) > 0) print line; skip = 1; next }
  /<!-- make run: end -->/ { skip = 0; next }
  !skip { print }' "$readme" > "$tmp"
cat "$tmp" > "$readme"
rm -f "$block" "$tmp"
echo "README.md: make run's figures refreshed"
