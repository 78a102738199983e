#!/usr/bin/env bash
# Include layering: every #include in src/ and tools/ must respect the module graph.
#
# The modules and what each may use (CMakeLists.txt's strata_module DEPS; keep the two in step):
#     util                       store -> util        doc -> util
#     tree -> store, util        expr -> doc, util    db -> expr, tree, doc, store, util
# "below M" is everything reachable from M in this graph. The rules:
#   - any file may include "strata.h" (the public header) and system headers;
#   - a file in src/M may include its own module's headers, "M/<anything>" (or a bare name);
#   - from a module below M, only the public face: "X/X.h" (util: any util/*.h but *_int.h);
#     never an X/*_int.h, never another file of X, never a module that is not below M
#     (an upward or sideways include);
#   - tools/ and server/ may include only "strata.h", their own headers and system headers.
# Project headers written with <> (<store/store.h>) count the same as "".
#
# Known violations live in tests/layering/includes_allow.txt (one "file -> header" a line, with a
# comment saying why), so the check passes while a restructure is under way; every violation is
# printed, and the check fails on any violation not in that list. Entries that no longer occur
# are reported, so the list can only shrink.
# Usage: check_includes.sh [SOURCE_DIR] [ALLOW_FILE]   (exits 1 on a new violation)
set -euo pipefail
root="$(cd "${1:-$(dirname "${BASH_SOURCE[0]}")/../..}" && pwd)"
allow="${2:-$root/tests/layering/includes_allow.txt}"
cd "$root"

declare -A deps=([util]="" [store]="util" [doc]="util" [tree]="store util" [expr]="doc util"
                 [db]="expr tree doc store util")
declare -A below=()
closure() { # closure M: every module reachable from M
  local seen=" " todo="${deps[$1]}" m
  while [ -n "${todo// /}" ]; do
    set -- $todo; m="$1"; shift; todo="$*"
    case "$seen" in *" $m "*) continue ;; esac
    seen="$seen$m "; todo="$todo ${deps[$m]}"
  done
  echo "$seen"
}
for m in "${!deps[@]}"; do below[$m]="$(closure "$m")"; done

declare -A allowed=() used=()
if [ -f "$allow" ]; then
  while IFS= read -r l; do
    l="${l%%#*}"; l="$(echo "$l" | sed 's/[[:space:]]*->[[:space:]]*/ -> /; s/^[[:space:]]*//; s/[[:space:]]*$//')"
    [ -n "$l" ] && allowed["$l"]=1
  done < "$allow"
fi

new=0 known=0
report() { # report FILE:LINE FILE HEADER WHY
  local key="$2 -> $3"
  if [ -n "${allowed[$key]:-}" ]; then
    used["$key"]=1; known=$((known + 1))
    echo "allowed:   $1: $3 ($4)"
  else
    new=$((new + 1))
    echo "VIOLATION: $1: $3 ($4)"
  fi
}

while IFS= read -r hit; do
  file="${hit%%:*}"; rest="${hit#*:}"; line="${rest%%:*}"; text="${rest#*:}"
  if [[ "$text" =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
    h="${BASH_REMATCH[1]}"; angle=0
  elif [[ "$text" =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\<([^\>]+)\> ]]; then
    h="${BASH_REMATCH[1]}"; angle=1
  else
    continue
  fi
  top="${h%%/*}"
  [ "$h" = strata.h ] && continue
  if [ "$angle" = 1 ] && { [ "$top" = "$h" ] || [ -z "${deps[$top]+x}" ]; }; then
    continue # a system header
  fi
  where="$file:$line"
  case "$file" in
    src/*)
      m="${file#src/}"; m="${m%%/*}"
      [ -n "${deps[$m]+x}" ] || { report "$where" "$file" "$h" "src/$m is not a known module"; continue; }
      [ "$top" = "$h" ] && continue      # bare name: a header of its own directory
      [ "$top" = "$m" ] && continue      # its own module
      if [ -z "${deps[$top]+x}" ]; then
        report "$where" "$file" "$h" "not a module header"
      elif [[ "${below[$m]}" != *" $top "* ]]; then
        report "$where" "$file" "$h" "$top is not below $m: upward or sideways"
      elif [[ "$h" == *_int.h ]]; then
        report "$where" "$file" "$h" "private header of $top"
      elif [ "$top" != util ] && [ "$h" != "$top/$top.h" ]; then
        report "$where" "$file" "$h" "not $top's public header $top/$top.h"
      fi
      ;;
    tools/*|server/*)
      d="${file%%/*}"
      if [ "$top" = "$h" ] && [ -f "$d/$h" ]; then continue; fi
      report "$where" "$file" "$h" "$d/ uses only strata.h"
      ;;
  esac
done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include' --include='*.c' --include='*.h' src tools server | sort -t: -k1,1 -k2,2n)

for key in "${!allowed[@]}"; do
  [ -n "${used[$key]:-}" ] || echo "note: allow-list entry no longer needed (remove it): $key"
done
echo "include layering: $new new violation(s), $known allowed (${allow#$root/})"
[ "$new" -eq 0 ]
