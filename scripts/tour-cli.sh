#!/usr/bin/env bash
# The README tour on the command line (run by `make run` through scripts/tour.sh): a fresh
# embedded database in ./demo, a generated sample of 20 users, then import, read, update, log,
# diff, reading an old version and restore — each step under a short heading. Works without a
# terminal and exits 0. Usage: tour-cli.sh [BUILD_DIR]   (env: STRATA_BIN, STRATA_DEMO_DIR)
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${STRATA_BIN:-}
if [ -z "$bin" ]; then
    for b in "$build/strata" "$build/tools/strata"; do
        if [ -x "$b" ]; then bin=$b; break; fi
    done
fi
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
    echo "tour: no strata binary in '$build' (run 'make build' first)" >&2
    exit 1
fi
demo=${STRATA_DEMO_DIR:-./demo}
rm -rf "$demo"
export STRATA_DB=$demo
export STRATA_USER=${STRATA_USER:-${USER:-demo}}

# Show a command the way a reader would type it, then run it.
q() {
    local a out=""
    for a in "$@"; do
        if [[ $a =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then out+=" $a"; else out+=" '${a//\'/\'\\\'\'}'"; fi
    done
    printf '%s' "${out# }"
}
strata() { "$bin" "$@"; }
run() { printf '$ strata %s\n' "$(q "$@")"; strata "$@" 2>&1; }
step() { printf '\n== %s\n' "$*"; }

echo "strata tour: every change is a commit; every version stays readable."
echo "database: $demo (STRATA_DB), fresh for this tour"

step "1. create the database"
run init

step "2. import 20 users (JSON Lines made by scripts/gen-sample.sh) in one commit"
printf '$ scripts/gen-sample.sh | strata import users - -m %s\n' "$(q "initial import")"
bash "$here/scripts/gen-sample.sh" 20 | strata import users - -m "initial import"
first=$(strata digest users)
short=${first:0:12}
echo "(the import is commit $short…; digests may be shortened to a unique prefix)"

step "3. read one record"
run get users user-003

step "4. change records: each write is a commit that records who, when and why"
run --user grace put users user-003 \
    '{"name":"Grace Lovelace","email":"grace@example.org","age":44,"city":"Oslo","plan":"pro","active":true,"langs":["rust","ml"]}' \
    -m "Grace moved to Oslo and upgraded"
run --user ops put users user-021 '{"name":"Linus Torvalds","email":"linus@example.com","age":55,"city":"Portland","plan":"free","active":true,"langs":["c"]}' -m "new signup"
run --user ops delete users user-020 -m "account closed"

step "5. history of the entry, newest first"
run log users -n 3 --pretty

step "6. what changed since the import"
run diff users "$short" --pretty

step "7. read the old version of a record (--at a commit)"
run get users user-003 --at "$short"

step "8. restore the imported version: a new commit, the history is kept"
run restore users "$short" -m "undo the tour's edits"
run get users user-003
run log users -n 1

step "9. tables: partition key + sort key, queried like DynamoDB"
run create-table orders --pk customer --sk date -m "orders table"
strata put-item orders '{"customer":"ada","date":"2026-10-02","total":30}' >/dev/null
strata put-item orders '{"customer":"ada","date":"2026-11-05","total":12}' >/dev/null
strata put-item orders '{"customer":"bob","date":"2026-11-07","total":99}' >/dev/null
echo "(three orders written with put-item)"
run query orders --key-condition 'customer = :c AND begins_with(#d, :m)' \
    --names '{"#d":"date"}' --values '{":c":"ada",":m":"2026-11"}'
run update-item orders '{"customer":"ada","date":"2026-11-05"}' --update 'SET total = total + :x' \
    --condition 'total < :cap' --values '{":x":8,":cap":100}' --return new
run scan orders --filter 'total > :t' --values '{":t":25}' --projection 'customer, total'

step "10. check every stored object"
run verify
echo
echo "more: strata help, strata COMMAND --help, man docs/strata.1, docs/cli.md"
