#!/usr/bin/env bash
# Runs the Python binding's test suite (bindings/python/tests) against BUILD_DIR/libstrata.so.
# Usage: scripts/test-python.sh BUILD_DIR [extra pytest arguments]
# Builds the strata_shared target first when the library is missing. Uses the first python3
# that has cffi and pytest (Debian's python3-cffi and python3-pytest); exits non-zero on failure.
# Works on a sanitizer build too (preloads ASan/UBSan, leak detection off).
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
# A sanitizer build (make test-asan's build-asan): the runtimes must be loaded before Python.
# Python itself is not leak-clean, so leak detection is off; memory errors still abort.
# clang's build (make test-asan-clang) links its shared runtime, UBSan included.
# ldd's output is read whole first: `ldd | grep -q` under pipefail fails at random (SIGPIPE).
deps="$(ldd "$STRATA_LIB" 2>/dev/null || true)"
if [[ "$deps" == *libasan* || "$deps" == *libclang_rt.asan* ]]; then
  if [[ "$deps" == *libclang_rt.asan* ]]; then
    pre="$(awk '/libclang_rt.asan/ {print $3}' <<<"$deps")"
  else
    pre="$(gcc -print-file-name=libasan.so)"
    [[ "$deps" == *libubsan* ]] && pre="$pre $(gcc -print-file-name=libubsan.so)"
  fi
  export LD_PRELOAD="$pre${LD_PRELOAD:+ $LD_PRELOAD}"
  export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
fi
cd "$root/bindings/python"
exec "$py" -m pytest -p no:cacheprovider -q -ra tests "$@"
