#!/usr/bin/env bash
# The main job: a short tour of strata on a fresh embedded database.
set -euo pipefail
build=${1:-build}
if { [ -x "$build/strata" ] || [ -x "$build/tools/strata" ]; } && [ -f scripts/tour-cli.sh ]; then
  exec bash scripts/tour-cli.sh "$build"
fi
exec "$build/tools/store_demo" "${STRATA_DEMO_DIR:-./demo}"
