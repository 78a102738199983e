#!/usr/bin/env bash
# Runs the Python binding's test suite (bindings/python/tests) against BUILD_DIR/libstrata.so.
# Usage: scripts/test-python.sh BUILD_DIR [extra pytest arguments]
# Builds the strata_shared target first when the library is missing. Uses the first python3
# that has cffi and pytest (Debian's python3-cffi and python3-pytest); exits non-zero on failure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
shift || true
case "$build" in /*) ;; *) build="$PWD/$build" ;; esac
if [ ! -e "$build/libstrata.so" ]; then
  echo "test-python: $build/libstrata.so missing; building target strata_shared" >&2
  cmake --build "$build" --target strata_shared -j 2 >/dev/null
fi
py=""
for cand in "${PYTHON:-}" python3 /usr/bin/python3; do
  [ -n "$cand" ] || continue
  if "$cand" -c 'import cffi, pytest' >/dev/null 2>&1; then py="$cand"; break; fi
done
if [ -z "$py" ]; then
  echo "test-python: no python3 with cffi and pytest (apt-get install python3-cffi python3-pytest)" >&2
  exit 2
fi
export STRATA_LIB="$build/libstrata.so"
cd "$root/bindings/python"
exec "$py" -m pytest -p no:cacheprovider -q -ra tests "$@"
