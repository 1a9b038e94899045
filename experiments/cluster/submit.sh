#!/bin/bash
# The whole job on a Slurm cluster, as one chain of dependent jobs:
#   sharded extraction (an array) -> merge -> the experiment's folds (an array)
#   and the data-parallel training -> the report.
# usage: experiments/cluster/submit.sh DATA OUT REPORT MODEL
#   SHARDS (default 8) extraction tasks; FOLDS (default 5); RANKS (default 2)
#   training tasks; EXPERIMENT_ARGS, TRAIN_ARGS passed on; SBATCH_ARGS to every
#   sbatch (e.g. "--partition=short --time=04:00:00").
# Prints the job ids; every job's log is genre-*.log in the current directory.
set -euo pipefail
if [ $# -ne 4 ]; then
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
  exit 1
fi
here=$(cd "$(dirname "$0")" && pwd)
export DATA=$1 OUT=$2 REPORT=$3 MODEL=$4 GENRE=${GENRE:-$(cd "$here/../.." && pwd)/bin/genre}
export EXPERIMENT_ARGS="--folds ${FOLDS:-5} ${EXPERIMENT_ARGS:-}" TRAIN_ARGS=${TRAIN_ARGS:-}
# shellcheck disable=SC2086 # SBATCH_ARGS is a list of options
sub() { sbatch --parsable --export=ALL ${SBATCH_ARGS:-} "$@"; }
extract=$(sub --array=1-"${SHARDS:-8}" "$here/extract.sbatch")
merge=$(sub --dependency=afterany:"$extract" "$here/merge.sbatch")
folds=$(sub --dependency=afterok:"$merge" --array=1-"${FOLDS:-5}" "$here/folds.sbatch")
train=$(sub --dependency=afterok:"$merge" --ntasks="${RANKS:-2}" "$here/train.sbatch")
report=$(sub --dependency=afterok:"$folds" "$here/folds_merge.sbatch")
echo "extract $extract merge $merge folds $folds train $train report $report"
