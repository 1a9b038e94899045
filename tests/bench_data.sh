#!/bin/bash
# make bench, corpora larger than memory: the CNN's spectrograms streamed from
# disk against the same rows held in memory (as training did before), warm and
# cold (page cache dropped, as root), 1 and 2 ranks; a ~20 GB corpus (written
# straight into extract's layout by mel_corpus, no audio); and a 1 GB corpus
# trained, cross-validated and run through experiment inside memory cgroups of
# 384 MB (one process) and 512 MB (two ranks).
# usage: tests/bench_data.sh GENRE BUILD_TESTS SCRATCH [BIG_GB]
set -euo pipefail
genre=$1 helpers=$2 out=$3 big_gb=${4:-20}
mpirun="mpirun --allow-run-as-root --oversubscribe --bind-to none"
loader=$helpers/bench_loader
rm -rf "$out" && mkdir -p "$out"
root=0; [ "$(id -u)" = 0 ] && [ -w /proc/sys/vm/drop_caches ] && root=1
drop() { sync; [ $root = 1 ] && echo 3 > /proc/sys/vm/drop_caches; true; }
# the fastest of three runs of a bench_loader line (this VM's cores differ by ~25%)
best() { for i in 1 2 3; do "$@" | head -n 1; done | awk '{ for (i = 1; i <= NF; i++) if ($i == "spectrograms/s;") r = $(i - 1);
  if (r > b) { b = r; l = $0 } } END { print "  " l }'; }

echo "  a corpus that fits: 480 tracks x 10 segments (320 MB), one epoch over 3000 random rows"
"$helpers/mel_corpus" "$out/fits" 480 10 8 1
cat "$out"/fits/mel/* > /dev/null
best "$loader" "$out/fits" 3000 memory
best "$loader" "$out/fits" 3000 stream
if [ $root = 1 ]; then
  for i in 1 2 3; do drop; "$loader" "$out/fits" 3000 stream | head -n 1 | sed 's/^stream /cold   /'; done |
    awk '{ for (i = 1; i <= NF; i++) if ($i == "spectrograms/s;") r = $(i - 1); if (r > b) { b = r; l = $0 } } END { print "  " l }'
fi
if command -v mpirun > /dev/null; then
  best $mpirun -np 2 "$loader" "$out/fits" 3000 memory
  best $mpirun -np 2 "$loader" "$out/fits" 3000 stream
fi

n_big=$(( big_gb * 1000000000 / 665728 ))
echo "  a ${big_gb} GB corpus: $n_big tracks x 10 segments; one epoch over 3000 rows drawn from all of it"
t0=$(date +%s.%N)
"$helpers/mel_corpus" "$out/big" "$n_big" 10 8 2
t1=$(date +%s.%N)
echo "  written in $(awk "BEGIN { printf \"%.0f\", $t1 - $t0 }") s ($(du -sh "$out/big" | cut -f1) on disk)"
drop
"$loader" "$out/big" 3000 stream | head -n 1 | sed 's/^stream /  cold   /'
"$loader" "$out/big" 3000 stream | head -n 1 | sed 's/^stream /  warm   /'
drop
command -v mpirun > /dev/null && $mpirun -np 2 "$loader" "$out/big" 3000 stream | head -n 1 | sed 's/^stream /  cold   /'
rm -rf "$out/big"

cg=/sys/fs/cgroup/memory/genre-bench-$$
if [ $root = 0 ] || ! mkdir "$cg" 2>/dev/null; then
  echo "  (the memory cgroup runs need root and cgroup v1's memory controller)"; exit 0
fi
trap 'rmdir "$cg" 2>/dev/null || true' EXIT
echo "  a 1 GB corpus (1500 tracks x 10 segments) in memory cgroups; default CNN, 1 epoch, batch 32"
"$helpers/mel_corpus" "$out/gb" 1500 10 10 3
limited() { # MB, command...: runs it inside the cgroup; prints its seconds and the cgroup's peak
  local mb=$1; shift
  echo $(( mb << 20 )) > "$cg/memory.limit_in_bytes"; echo 0 > "$cg/memory.max_usage_in_bytes"
  drop
  local t0 t1; t0=$(date +%s.%N)
  sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg" "$@" > /dev/null 2>&1
  t1=$(date +%s.%N)
  awk "BEGIN { printf \"%.1f s, peak %.0f MB of %d MB\", $t1 - $t0, $(cat "$cg/memory.max_usage_in_bytes") / 1048576, $mb }"
}
unlimited() { drop; local t0 t1; t0=$(date +%s.%N); "$@" > /dev/null 2>&1; t1=$(date +%s.%N); awk "BEGIN { printf \"%.1f\", $t1 - $t0 }"; }
# each side twice, alternating, the faster kept: this VM's speed drifts by 10-20% over a minute
pair() { # MB, model, args...: "unlimited_s limited_s peak_MB"
  local mb=$1 model=$2; shift 2
  local a b c d
  a=$(unlimited "$@" -o "$out/free.$model"); c=$(limited "$mb" "$@" -o "$out/cg.$model")
  b=$(unlimited "$@" -o "$out/free.$model"); d=$(limited "$mb" "$@" -o "$out/cg.$model")
  awk -v a="$a" -v b="$b" -v c="${c%% s*}" -v d="${d%% s*}" -v p="$d" 'BEGIN { split(p, q, "peak "); u = a < b ? a : b;
    l = c < d ? c : d; printf "unlimited %.1f s; limited %.1f s (%.2fx); peak %s", u, l, l / u, q[2] }'
}
r=$(pair 384 model "$genre" train cnn --mel "$out/gb" --epochs 1 --threads 2 --quiet)
same=$(cmp -s "$out/free.model" "$out/cg.model" && echo "the same bytes" || echo "DIFFERENT bytes")
echo "  train cnn, 2 threads: $r; models: $same"
echo "  cv cnn --folds 2 in 384 MB: $(limited 384 "$genre" cv cnn --mel "$out/gb" --folds 2 --epochs 1 --threads 2 --quiet)"
echo "  experiment --models cnn --folds 2 in 384 MB: $(limited 384 "$genre" experiment --data "$out/gb" --models cnn --folds 2 \
  --cnn-epochs 1 --threads 2 -o "$out/exp")"
if command -v mpirun > /dev/null; then
  r=$(pair 512 model2 $mpirun -np 2 "$genre" train cnn --mel "$out/gb" --epochs 1 --quiet)
  same=$(cmp -s "$out/free.model2" "$out/cg.model2" && echo "the same bytes" || echo "DIFFERENT bytes")
  echo "  mpirun -np 2 train cnn: $r; models: $same"
fi
rm -rf "$out/gb"
