#!/usr/bin/env bash
# Format compatibility: tests/fixtures/v1_db is a database written by the CLI of e301054 (before
# the restructuring; tests/fixtures/make_v1_db.sh says how): documents, records with history, a
# table with sort key and TTL, a second tenant, a dropped tenant, a retention policy and a GC run.
# This reads, writes and collects a copy of it and compares the transcript — exact digests
# included (the fixture fixes every tenant's incarnation and STRATA_TIME fixes every time) — with
# tests/fixtures/v1_db.expected, which the old CLI printed for the same script. Since `show` prints the change (the CLI habits of issue 15), its lines also hold "changes", the one difference from what the old CLI printed.
# Usage: compat_v1.sh STRATA_BIN [FIXTURE_DIR EXPECTED]   (without EXPECTED: print the transcript)
set -u
B=$1; SRC=${2:-$(dirname "$0")/../fixtures/v1_db}; EXPECTED=${3:-}
mkdir -p "${TMPDIR:-/tmp}"
W=$(mktemp -d "${TMPDIR:-/tmp}/strata-compat.XXXXXX")
trap 'rm -rf "$W"' EXIT
cp -R "$SRC" "$W/db"
rm -f "$W/db/LOCK"
chmod -R u+w "$W/db"
export STRATA_USER=reader TZ=UTC LC_ALL=C
unset STRATA_DB
# timings of a GC run vary: masked
r() {
  echo "\$ strata $*" | sed "s#$W#\$W#g"
  STRATA_TIME=1700001000+0000 "$B" --db "$W/db" --compact "$@" 2>&1 |
    sed -e "s#$W#\$W#g" -e 's/"duration_us":[0-9]*/"duration_us":T/' -e 's/"blocked_us":[0-9]*/"blocked_us":T/'
  echo "[exit ${PIPESTATUS[0]}]"
}
reads() {
  r tenants
  for t in default t2 gone; do r --tenant $t entries; done
  for e in doc1 users bulk orders kv; do r digest $e; r log $e; done
  r --tenant t2 digest cfg; r --tenant t2 digest r; r --tenant gone load x
  r load doc1; r get users; r get users u1; r get users 'u 3/é'; r get bulk
  r export users; r export bulk
  r describe-table orders; r describe-table kv
  r scan orders; r query orders --key-condition 'cust = :c' --values '{":c":"c1"}'
  r query orders 'cust = :c AND id > :i' --values '{":c":"c1",":i":1}' --reverse
  r scan kv; r export orders; r export kv
  r get-item orders '{"cust":"c1","id":1}'; r get-item orders '{"cust":"c1","id":2}'
  r retention users; r retention
  r --tenant t2 load cfg; r --tenant t2 get r
  r verify
  for e in doc1 users bulk orders kv; do
    first=$(STRATA_TIME=1 "$B" --db "$W/db" --compact log "$e" | grep -o '"digest":"[0-9a-f]*"' | tail -1 | cut -d'"' -f4)
    r diff "$e" "$first"; r show "$first"; r get "$e" --at "$first"; r export "$e" --at "$first"; r load "$e" --at "$first"
  done
}
main() {
echo "## reads"
reads
echo "## writes"
r put users u5 '{"name":"Eve"}' -m new
r put users u1 '{"name":"Ada","city":"Oslo"}' -m same
r delete users u4 -m del
printf '%s\n' '{"title":"Hello","n":1.50,"tags":["a","b"],"nested":{"x":null,"y":true}}' > "$W/doc.json"
r save doc1 "$W/doc.json" -m back
r put-item orders '{"cust":"c3","id":"x","total":1}'
r update-item orders '{"cust":"c1","id":1}' 'SET total = total + :d' --values '{":d":2}' --return new
r delete-item orders '{"cust":"c1","id":2}' --return old
r put-item kv '{"k":"a","v":1}'
r --tenant t2 put r k2 '"v"'
r --tenant gone init
r --tenant gone entries
r restore users "$(STRATA_TIME=1 "$B" --db "$W/db" --compact log users | grep -o '"digest":"[0-9a-f]*"' | tail -1 | cut -d'"' -f4)" -m restore
echo "## after gc"
r gc --min-dead-share 0.0001
reads
}
if [ -z "$EXPECTED" ]; then main; exit 0; fi
main > "$W/transcript"
if ! diff -u "$EXPECTED" "$W/transcript"; then
  echo "compat_v1: the transcript differs from $EXPECTED" >&2
  exit 1
fi
echo "compat_v1: identical ($(grep -c '^\$ strata' "$EXPECTED") commands)"
