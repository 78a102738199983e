#!/usr/bin/env bash
# make bench: run every benchmark program in bench/ (full size unless told otherwise).
#
#   scripts/bench.sh [BUILD_DIR] [--smoke | --n N] [--runs K] [--secs T] [--only LIST] [-- ARGS...]
#
#   --smoke     tiny sizes for every program (what CTest runs; < 10 s for bench_db)
#   --n N       records/items for every program that takes --n (default: each program's own, 1M)
#   --runs K    runs per figure; every program reports medians (default 3)
#   --secs T    bench_db: seconds per timed write workload W4, W4b, W5 (default 10)
#   --only LIST bench_db: workloads to run, e.g. 2,3,7 (W1 and W6 always run)
#   -- ARGS     passed to every program as they are
# BENCH_ARGS (environment) is appended to every program's arguments as before.
# The databases are created under $STRATA_BENCH_DIR (default BUILD_DIR/benchtmp): keep it on a
# real disk (not tmpfs), or the durable figures mean nothing.
set -euo pipefail
build=build
if [[ $# -gt 0 && $1 != -* ]]; then build=$1; shift; fi
opts=()    # flag/value pairs ("--smoke" has the value ""), given to the programs that know them
extra=()   # after --: passed to every program as they are
while [[ $# -gt 0 ]]; do
  case $1 in
    --smoke) opts+=(--smoke ""); shift ;;
    --n|--runs|--secs|--only|--threads|--engine)
      [[ $# -ge 2 ]] || { echo "bench.sh: $1 needs a value" >&2; exit 2; }
      opts+=("$1" "$2"); shift 2 ;;
    --) shift; extra+=("$@"); break ;;
    *) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
export STRATA_BENCH_DIR=${STRATA_BENCH_DIR:-$build/benchtmp}
mkdir -p "$STRATA_BENCH_DIR"
if [[ $(stat -f -c %T "$STRATA_BENCH_DIR") == tmpfs ]]; then
  echo "bench.sh: warning: $STRATA_BENCH_DIR is on tmpfs; syncs cost nothing there" >&2
fi
status=0
found=0
for b in $(find "$build/bench" -maxdepth 1 -type f -name 'bench_*' -perm -u+x | sort); do
  found=1
  name=$(basename "$b")
  # every program takes --smoke; the other flags go only to the programs whose text names them
  # (bench_db takes all of them; bench_tree takes --n and --runs)
  names=$(strings -n 3 "$b")
  args=()
  for ((i = 0; i < ${#opts[@]}; i += 2)); do
    flag=${opts[i]} val=${opts[i + 1]}
    if [[ $flag == --smoke ]] || grep -qxF -e "$flag" <<<"$names"; then
      args+=("$flag"); [[ -n $val ]] && args+=("$val")
    else
      echo "bench.sh: $name does not take $flag; not passed" >&2
    fi
  done
  args+=("${extra[@]}")
  echo "== $name ${args[*]} ${BENCH_ARGS:-}"
  # shellcheck disable=SC2086
  "$b" "${args[@]}" ${BENCH_ARGS:-} || status=1
done
if [[ $found == 0 ]]; then
  echo "bench.sh: no bench_* programs in $build/bench (configure with -DSTRATA_BENCH=ON and build)" >&2
  exit 1
fi
exit $status
