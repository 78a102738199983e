#!/usr/bin/env bash
# The main job: a short tour of strata on a fresh embedded database (the CLI, scripts/tour-cli.sh).
set -euo pipefail
build=${1:-build}
if ! [ -x "$build/strata" ] && ! [ -x "$build/tools/strata" ]; then
  echo "tour: no strata binary in $build (build it first: make)" >&2
  exit 1
fi
exec bash scripts/tour-cli.sh "$build"
