#!/bin/bash
# make bench's cluster figures: extraction by 2 MPI ranks x 1 thread against
# 1 process x 2 threads (and x 1), what a track leaves on disk, the merge's
# cost, and CNN training images/s with 1 and 2 ranks of 1 thread.
# Then full-length tracks as FMA ships them (270-s MP3s, 44.1 kHz stereo,
# written by bench_mp3): the per-core rate and the bytes a track leaves.
# usage: tests/bench_cluster.sh GENRE CORPUS SCRATCH BENCH_MP3
set -euo pipefail
genre=$1 corpus=$2 out=$3 bench_mp3=$4
mpirun="mpirun --allow-run-as-root --oversubscribe --bind-to core"
command -v mpirun >/dev/null || { echo "  (no mpirun: make deps installs openmpi-bin)"; exit 0; }
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || [ $? = 2 ]; t1=$(date +%s.%N); awk "BEGIN { print $t1 - $t0 }"; }
rate() { awk "BEGIN { printf \"%.1f\", $1 / $2 }"; }
rm -rf "$out" && mkdir -p "$out"
# the corpus 4 times over (links named apart), so that mpirun's start-up
# (about 0.4 s) is not what is measured
src=$(cd "$corpus" && pwd)
for k in 1 2 3 4; do
  (cd "$src" && find . -type f) | while read -r f; do
    mkdir -p "$out/corpus/$(dirname "$f")"
    ln -s "$src/$f" "$out/corpus/$(dirname "$f")/$k-$(basename "$f")"
  done
done
corpus=$out/corpus
files=$(find -L "$corpus" -type f | wc -l)
find -L "$corpus" -type f -exec cat {} + > /dev/null # the first run would pay for the disk alone
t1=$(secs "$genre" extract -o "$out/j1" -j 1 --no-progress "$corpus")
t2=$(secs "$genre" extract -o "$out/j2" -j 2 --no-progress "$corpus")
tr=$(secs $mpirun -np 2 "$genre" extract -o "$out/r2" --shard auto -j 1 --no-progress "$corpus")
tm=$(secs "$genre" extract -o "$out/r2" --merge "$corpus")
echo "  extraction of $files files: 1 process x 1 thread $(rate "$files" "$t1") files/s," \
  "1 x 2 threads $(rate "$files" "$t2"), 2 ranks x 1 thread $(rate "$files" "$tr") (+ merge $(rate "$tm" 1) s:" \
  "$(rate "$files" "$(awk "BEGIN { print $tr + $tm }")") files/s with it); 2 ranks / 1 thread: $(rate "$t1" "$tr")x," \
  "with the merge $(rate "$t1" "$(awk "BEGIN { print $tr + $tm }")")x; against 1 x 2 threads $(rate "$t2" "$tr")x"
same=yes
for f in features_3_sec.csv features_30_sec.csv mel/index.csv; do cmp -s "$out/j1/$f" "$out/r2/$f" || same=no; done
parts=$(du -sb "$out/r2/parts" | cut -f1) tables=$(du -sb --exclude=parts "$out/r2" | cut -f1)
echo "  per track: parts $(rate "$parts" "$files" | cut -d. -f1) bytes, merged outputs $(rate "$tables" "$files" | cut -d. -f1)" \
  "bytes; merge $(awk "BEGIN { printf \"%.2f\", 1000 * $tm / $files }") ms per track; merged tables as one process's: $same"
cnn() { # the launcher, if any; prints the trainer's "N spectrograms/s"
  "$@" "$genre" train cnn --mel "$out/j1" -o "$out/c.model" --epochs 2 --val-fraction 0 --threads 1 --quiet 2>/dev/null |
    grep -o '[0-9]* spectrograms/s' | cut -d' ' -f1
}
c1=$(cnn) c2=$(cnn $mpirun -np 2)
echo "  CNN (default) training: 1 rank x 1 thread $c1 spectrograms/s, 2 ranks x 1 thread $c2 ($(rate "$c2" "$c1")x)"
ann=(train ann --features "$out/j1/features_3_sec.csv" -o "$out/a.model" --threads 1 --quiet --val-fraction 0 --epochs 50)
a1=$(secs "$genre" "${ann[@]}") a2=$(secs $mpirun -np 2 "$genre" "${ann[@]}")
echo "  ANN (default, 50 epochs): 1 rank $(rate "$a1" 1) s, 2 ranks $(rate "$a2" 1) s (process start-up included)"
mkdir -p "$out/fma"
"$bench_mp3" "$src" "$out/fma" 8 270
tf=$(secs "$genre" extract -o "$out/fma-j1" -j 1 --no-progress "$out/fma")
tfr=$(secs $mpirun -np 2 "$genre" extract -o "$out/fma-r2" --shard auto -j 1 --no-progress "$out/fma")
bytes=$(du -sb "$out/fma-j1" | cut -f1) mp3=$(du -sb "$out/fma" | cut -f1)
echo "  full-length tracks (8 x 270-s MP3, $(rate "$mp3" 8000000) MB each): $(rate "$tf" 8) s per track on one core" \
  "($(rate 2160 "$tf" | cut -d. -f1)x real time); 2 ranks: $(rate "$tf" "$tfr")x; $(rate "$bytes" 8000000) MB written per track" \
  "($(rate "$(find "$out/fma-j1/mel" -name '*.npy' -exec du -cb {} + | tail -1 | cut -f1)" 8000000) MB of it log-mels)"
