#!/usr/bin/env bash
# Golden-transcript driver for the strata CLI tests. Usage: run.sh tests/cli/test_NAME.sh
#
# The case script runs in a fresh temporary directory (removed afterwards) with a fixed
# environment (STRATA_USER=tester, STRATA_TIME fixed, TZ=UTC, no STRATA_DB) and calls:
#   run ARGS...            run `strata ARGS...` and record the command line, its stdout, its
#                          stderr (lines prefixed "! ") and "[exit N]" in the transcript
#   feed TEXT ARGS...      the same with TEXT (plus a newline) on stdin
#   note TEXT              a "# TEXT" line in the transcript
#   check TEXT CMD...      run a shell command; record "ok: TEXT" or "FAILED: TEXT"
# The transcript, with every 64-hex digest replaced by <D1>, <D2>, … in order of first
# appearance and the temporary directory by $TMP, must equal tests/cli/golden/NAME.out.
# STRATA_UPDATE_GOLDEN=1 rewrites the golden file instead.
set -u
case_file=$1
name=$(basename "$case_file" .sh)
src=${STRATA_SOURCE_DIR:-$(cd "$(dirname "$case_file")/../.." && pwd)}
golden="$src/tests/cli/golden/$name.out"
STRATA_BIN=${STRATA_BIN:?STRATA_BIN must name the strata binary}
base=${STRATA_TEST_TMP:-/tmp}
mkdir -p "$base"
TMPD=$(mktemp -d "$base/cli-$name.XXXXXX")
trap 'rm -rf "$TMPD"' EXIT
T="$TMPD/transcript"
: >"$T"
mkdir "$TMPD/work"
cd "$TMPD/work" || exit 99

export STRATA_USER=tester STRATA_TIME=1700000000+0000 TZ=UTC LC_ALL=C
unset STRATA_DB

# Quote arguments the way a reader would type them.
q() {
    local a out=""
    for a in "$@"; do
        if [[ $a =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then out+=" $a"
        elif [[ $a =~ [[:cntrl:]] ]]; then out+=" $(printf '%q' "$a")"
        else out+=" '${a//\'/\'\\\'\'}'"; fi
    done
    printf '%s' "${out# }"
}

record() { # record STDIN_DESC ARGS... (stdin already redirected by the caller)
    local desc=$1
    shift
    printf '$ strata %s%s\n' "$(q "$@")" "$desc" >>"$T"
    "$STRATA_BIN" "$@" >"$TMPD/out" 2>"$TMPD/err"
    local rc=$?
    cat "$TMPD/out" >>"$T"
    sed 's/^/! /' "$TMPD/err" >>"$T"
    echo "[exit $rc]" >>"$T"
    return 0
}
run() { record "" "$@" </dev/null; }
feed() { local text=$1; shift; printf '%s\n' "$text" | record " <<< $(q "$text")" "$@"; }
note() { printf '# %s\n' "$*" >>"$T"; }
check() {
    local what=$1
    shift
    if "$@" >/dev/null 2>&1; then echo "ok: $what" >>"$T"; else echo "FAILED: $what" >>"$T"; fi
}

# shellcheck source=/dev/null
. "$case_file"

masked="$TMPD/masked"
awk -v tmp="$TMPD" '
# Mask digests: a run of 64 hex digits becomes <Dn> (n in order of first appearance); a run of
# 8 to 63 hex digits that starts a digest seen before (not the all-zero one) becomes <Dn:len>.
{
    line = $0
    while ((i = index(line, tmp)) > 0) line = substr(line, 1, i - 1) "$TMP" substr(line, i + length(tmp))
    out = ""
    while (match(line, /[0-9a-f]+/)) {
        d = substr(line, RSTART, RLENGTH)
        rep = d
        if (RLENGTH == 64) {
            if (!(d in id)) { id[d] = "<D" (++n) ">"; full[n] = (d ~ /^0+$/) ? "" : d }
            rep = id[d]
        } else if (RLENGTH >= 8 && RLENGTH < 64) {
            for (k = 1; k <= n; k++)
                if (substr(full[k], 1, RLENGTH) == d) { rep = "<D" k ":" RLENGTH ">"; break }
        }
        out = out substr(line, 1, RSTART - 1) rep
        line = substr(line, RSTART + RLENGTH)
    }
    print out line
}' "$T" >"$masked"

if [ "${STRATA_UPDATE_GOLDEN:-0}" = 1 ]; then
    mkdir -p "$(dirname "$golden")"
    cp "$masked" "$golden"
    echo "updated $golden"
    exit 0
fi
if [ ! -f "$golden" ]; then
    echo "no golden file $golden; transcript:"
    cat "$masked"
    exit 1
fi
if ! diff -u "$golden" "$masked"; then
    echo "$name: transcript differs from $golden (STRATA_UPDATE_GOLDEN=1 to accept)"
    exit 1
fi
if grep -q '^FAILED: ' "$masked"; then
    echo "$name: a check failed"
    exit 1
fi
echo "$name: ok"
