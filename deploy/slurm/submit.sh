#!/usr/bin/env bash
# Submits a hanzi-synth run to Slurm: an array of TASKS generate tasks, then a merge job that
# runs once all of them succeeded (--dependency=afterok). Prints the two job ids.
#
#   deploy/slurm/submit.sh [--wait] [--sets N] OUT TASKS [GENERATE ARGS…]
#   deploy/slurm/submit.sh /shared/out 100 -r recipe.yaml -n 1000000 --seed 0
#
# --wait blocks until the merge job ends and exits with its status (a failed array task
# cancels the merge: --kill-on-invalid-dep). --sets N makes N shard sets with TASKS array tasks
# (N > TASKS when the array size is capped). Extra sbatch options: $SBATCH_ARRAY_OPTS and
# $SBATCH_MERGE_OPTS (e.g. "--partition=cpu --time=12:00:00"); sbatch's own SBATCH_* variables
# work too. $HANZI_SYNTH_BIN: the binary on the nodes (default: hanzi-synth on PATH). The jobs'
# logs go to the folder you submit from (hanzi-synth-JOB_TASK.log, hanzi-synth-merge-JOB.log).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
wait_flag=()
sets=""
while [ $# -gt 0 ]; do
  case "$1" in
    --wait) wait_flag=(--wait); shift ;;
    --sets) sets="$2"; shift 2 ;;
    *) break ;;
  esac
done
if [ $# -lt 2 ]; then
  sed -n '2,13p' "$0" >&2
  exit 2
fi
out="$(realpath -m "$1")"
tasks="$2"
shift 2
mkdir -p "$out"
env_list="ALL,HANZI_SYNTH_OUT=$out"
[ -n "$sets" ] && env_list="$env_list,HANZI_SYNTH_SETS=$sets"
# shellcheck disable=SC2086
array=$(sbatch --parsable --array="0-$((tasks - 1))" --export="$env_list" \
  ${SBATCH_ARRAY_OPTS:-} "$here/generate.sbatch" "$@")
array="${array%%;*}"
echo "array job $array: $tasks task(s) into $out"
status=0
# shellcheck disable=SC2086
merge=$(sbatch --parsable "${wait_flag[@]}" --dependency="afterok:$array" --kill-on-invalid-dep=yes \
  --export="$env_list" ${SBATCH_MERGE_OPTS:-} "$here/merge.sbatch") || status=$?
echo "merge job ${merge%%;*} (after the array)${wait_flag:+: exit status $status}"
exit "$status"
