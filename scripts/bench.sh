#!/usr/bin/env bash
# make bench: run every benchmark program in bench/ (full size unless BENCH_ARGS says otherwise).
set -euo pipefail
build=${1:-build}
status=0
for b in $(find "$build/bench" -maxdepth 1 -type f -name 'bench_*' -perm -u+x | sort); do
  echo "== $(basename "$b")"
  "$b" ${BENCH_ARGS:-} || status=1
done
exit $status
