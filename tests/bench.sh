#!/bin/bash
# make bench: figures, not tests. Extraction speed per track and with -j 1 / -j 2,
# the ANN's and the CNN's training, predict on files and on a stream, long
# recordings, Open MPI ranks against threads, and corpora larger than memory.
# Environment (set by make bench): GENRE (the binary), BUILD (build directory),
# SHARED (../shared, optional), BENCH_GB (the large corpus, GB).
set -e
: "${GENRE:=bin/genre}" "${BUILD:=build}" "${SHARED:=../shared}" "${BENCH_GB:=20}"

if [ -d "$SHARED/data/gtzan_mini/genres_original" ]; then
  corpus=$SHARED/data/gtzan_mini/genres_original
else
  echo "($SHARED not found: benchmarking a synthetic corpus instead of gtzan_mini)"
  $GENRE synth -o "$BUILD/bench-corpus" -n 5 -s 30 >/dev/null
  corpus=$BUILD/bench-corpus/genres_original
fi

echo "== extraction ($corpus)"
"$BUILD/tests/bench_extract" "$corpus"
for j in 1 2; do
  rm -rf "$BUILD/bench-out"
  printf "  -j %s: " $j
  $GENRE extract -o "$BUILD/bench-out" -j $j --no-progress "$corpus"
done

table=$SHARED/data/kaggle_features_30_sec.csv
[ -f "$table" ] || table=$BUILD/bench-out/features_30_sec.csv
echo "== ANN: 10-fold cross-validation on $table"
for m in "--members 2" "--members 1" "--arch seed004"; do
  printf "  %s: " "$m"
  # shellcheck disable=SC2086
  $GENRE cv ann --features "$table" --folds 10 $m | grep -E '^accuracy [0-9.]+ [+]-|(threads?|processes)[)]' | tr '\n' ' '
  echo
done

echo "== the classical kinds beside scikit-learn and python3-xgboost (tests/bench_classic.py)"
if /usr/bin/python3 -c 'import sklearn, xgboost' 2>/dev/null; then
  /usr/bin/python3 tests/bench_classic.py "$GENRE" "$BUILD/bench-classic"
else
  echo "  (skipped: /usr/bin/python3 lacks sklearn or xgboost; make test-deps installs them)"
fi

echo "== CNN"
OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-$($GENRE --blas-core 2>/dev/null)} "$BUILD/tests/bench_cnn"
tracks=$(ls "$BUILD"/bench-out/mel/*.npy | wc -l)
echo "  genre train cnn, 1 epoch on $corpus's log-mels ($tracks tracks):"
for a in default seed000 seed002; do
  printf "  %s: " $a
  $GENRE train cnn --arch $a --mel "$BUILD/bench-out" -o "$BUILD/bench-$a.model" --epochs 1 --val-fraction 0 --quiet
done

echo "== predict ($corpus, $tracks files)"
$GENRE train ann --features "$BUILD/bench-out/features_3_sec.csv" -o "$BUILD/bench-ann.model" --quiet >/dev/null
for m in "-m $BUILD/bench-ann.model" "-m $BUILD/bench-ann.model -m $BUILD/bench-default.model"; do
  for t in 1 2; do
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    $GENRE predict $m --threads $t "$corpus" >/dev/null
    t1=$(date +%s.%N)
    printf "  %-9s %d thread%s: %s files/s\n" "$(echo "$m" | grep -q default && echo ANN+CNN || echo ANN)" $t \
      "$([ $t = 1 ] || echo s)" "$(awk "BEGIN { printf \"%.1f\", $tracks / ($t1 - $t0) }")"
  done
done
echo "  stream, ANN+CNN, hop 3 s, 1 thread:"
"$BUILD/tests/bench_stream" "$GENRE" "$corpus" -m "$BUILD/bench-ann.model" -m "$BUILD/bench-default.model" 2>&1 |
  sed 's/^stream:/  predict says:/'

echo "== import genre beside the command (tests/bench_python.py)"
if [ -x build/venv/bin/python3 ]; then
  build/venv/bin/python3 tests/bench_python.py "$GENRE" "$corpus" "$BUILD" "$BUILD/bench-ann.model"
else
  echo "  (skipped: make python installs the package)"
fi

echo "== long recordings ($corpus looped)"
"$BUILD/tests/bench_long" "$GENRE" "$corpus" "$BUILD/bench-long"

echo "== past one machine: Open MPI ranks against threads ($corpus)"
tests/bench_cluster.sh "$GENRE" "$corpus" "$BUILD/bench-cluster" "$BUILD/tests/bench_mp3"

echo "== corpora larger than memory (spectrograms streamed from disk)"
tests/bench_data.sh "$GENRE" "$BUILD/tests" "$BUILD/bench-data" "$BENCH_GB"
