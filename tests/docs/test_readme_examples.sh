#!/usr/bin/env bash
# The README's examples are programs: this test extracts every block marked
#     <!-- example c ... -->  or  <!-- example python ... -->
# (the marker line right before the fenced ```c / ```python block), compiles the C ones against
# BUILD_DIR's libstrata and include/strata.h, runs each in its own empty temporary directory,
# and compares what it prints with the fenced block marked <!-- output --> after it.
# Every ```c and ```python block in the README must be marked (an example, or <!-- fragment -->
# for a block that is not a whole program), there must be at least one C and one Python example,
# and each example needs its output block: so an example cannot drift from the library unseen.
# Also: the README's first fenced block is exactly `make run` / `make test` (a fresh machine).
# Usage: tests/docs/test_readme_examples.sh BUILD_DIR [CC] [README]   (exits non-zero on failure)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:?usage: test_readme_examples.sh BUILD_DIR [CC] [README]}"
cc="${2:-${CC:-cc}}"
readme="${3:-$root/README.md}"
case "$build" in /*) ;; *) build="$PWD/$build" ;; esac
lib="$build/libstrata.so"
[ -e "$lib" ] || { echo "FAIL: $lib missing (build first)" >&2; exit 1; }

tmp_base="${STRATA_TEST_TMP:-${TMPDIR:-/tmp}}"
mkdir -p "$tmp_base"
work="$(mktemp -d "$tmp_base/readme.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# A fresh machine needs only two commands: the README's first fenced block is exactly them.
first="$(awk '/^```/{if(f)exit; f=1; next} f{sub(/[ \t]*#.*/, ""); print}' "$readme")"
if [ "$first" != "$(printf 'make run\nmake test')" ]; then
  echo "FAIL: $readme: the first fenced block must be the two commands 'make run' and 'make test', got:" >&2
  printf '%s\n' "$first" >&2; exit 1
fi

# Extract: ex/N.c or ex/N.python for the N-th example, ex/N.out for its expected output.
mkdir "$work/ex"
awk -v dir="$work/ex" -v file="$readme" '
  function fail(msg) { printf "FAIL: %s:%d: %s\n", file, NR, msg > "/dev/stderr"; bad = 1 }
  /^<!-- example (c|python)[ :>-]/ { if (!inblock) { want = $3; sub(/:$/, "", want); next } }
  /^<!-- output -->/ { if (!inblock) { wantout = 1; next } }
  /^<!-- fragment -->/ { if (!inblock) { frag = 1; next } }
  /^```/ {
    if (inblock) { inblock = 0; out = ""; next }
    inblock = 1; lang = substr($0, 4); out = ""
    if (want != "") {
      if (lang != want) fail("example marked " want " but the block is ```" lang)
      n++; kind[n] = lang; out = dir "/" n "." lang; printf "" > out
    } else if (wantout) {
      if (n == 0 || hasout[n]) fail("an output block without an example before it")
      else { hasout[n] = 1; out = dir "/" n ".out"; printf "" > out }
    } else if ((lang == "c" || lang == "python") && !frag) {
      fail("```" lang " block is neither <!-- example " lang " --> nor <!-- fragment -->")
    }
    want = ""; wantout = 0; frag = 0; next
  }
  inblock && out != "" { print > out }
  END {
    if (inblock) fail("unclosed fenced block")
    for (i = 1; i <= n; i++) if (!hasout[i]) { printf "FAIL: %s: example %d (%s) has no <!-- output --> block\n", file, i, kind[i] > "/dev/stderr"; bad = 1 }
    exit bad
  }' "$readme"

nc=$(ls "$work/ex" | grep -c '\.c$' || true)
npy=$(ls "$work/ex" | grep -c '\.python$' || true)
[ "$nc" -ge 1 ] || { echo "FAIL: $readme has no <!-- example c --> block" >&2; exit 1; }
[ "$npy" -ge 1 ] || { echo "FAIL: $readme has no <!-- example python --> block" >&2; exit 1; }

# A sanitizer build of the library needs the runtimes in the example too: gcc's libasan and
# libubsan (make test-asan) or clang's shared runtime, UBSan included (make test-asan-clang,
# -shared-libasan). Python loads them first (LD_PRELOAD), from where ldd finds them.
# (ldd's output is read whole first: `ldd | grep -q` under pipefail fails at random when grep
# exits early and ldd gets SIGPIPE.)
cflags=(-std=c99 -Wall -Wextra -pedantic -Werror)
preload=""
deps="$(ldd "$lib" 2>/dev/null || true)"
if [[ "$deps" == *libclang_rt.asan* ]]; then
  cflags+=(-fsanitize=address,undefined -shared-libasan "-Wl,-rpath,$("$cc" -print-runtime-dir)")
  preload="$(awk '/libclang_rt.asan/ {print $3}' <<<"$deps")"
elif [[ "$deps" == *libasan* ]]; then
  cflags+=(-fsanitize=address,undefined)
  preload="$(gcc -print-file-name=libasan.so)"
  [[ "$deps" == *libubsan* ]] && preload="$preload $(gcc -print-file-name=libubsan.so)"
fi
py=""
for cand in "${PYTHON:-}" python3 /usr/bin/python3; do
  [ -n "$cand" ] || continue
  if "$cand" -c 'import cffi' >/dev/null 2>&1; then py="$cand"; break; fi
done

status=0
for src in "$work"/ex/*.c "$work"/ex/*.python; do
  n="$(basename "${src%.*}")"; lang="${src##*.}"
  run="$work/run$n"; mkdir "$run"
  if [ "$lang" = c ]; then
    if ! "$cc" "${cflags[@]}" -I"$root/include" "$src" -L"$build" -lstrata \
         -Wl,-rpath,"$build" -o "$work/ex$n" 2>"$work/err$n"; then
      echo "FAIL: README example $n (c) does not compile:" >&2; cat "$work/err$n" >&2
      status=1; continue
    fi
    cmd=("$work/ex$n")
  else
    [ -n "$py" ] || { echo "FAIL: no python3 with cffi (apt-get install python3-cffi)" >&2; status=1; continue; }
    cmd=(env PYTHONPATH="$root/bindings/python" STRATA_LIB="$lib"
         ${preload:+LD_PRELOAD="$preload" ASAN_OPTIONS=detect_leaks=0} "$py" "$src")
  fi
  rc=0
  (cd "$run" && "${cmd[@]}") >"$work/got$n" 2>"$work/err$n" || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "FAIL: README example $n ($lang) exited with $rc:" >&2; cat "$work/err$n" >&2; status=1
  elif ! diff -u "$work/ex/$n.out" "$work/got$n" >"$work/diff$n"; then
    echo "FAIL: README example $n ($lang) printed something else (- expected, + got):" >&2
    cat "$work/diff$n" >&2; status=1
  else
    echo "ok: README example $n ($lang)"
  fi
done
exit $status
