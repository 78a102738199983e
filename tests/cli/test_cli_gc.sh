# Space: retention policies, gc (history cut to the policy, space falls, old versions beyond the
# policy gone, kept ones intact), stats' space figures, and bad arguments (exit 2).
run init
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
    "$STRATA_BIN" put e "k$((i % 3))" "{\"v\":$i,\"pad\":\"$(printf '%0200d' 0)\"}" >/dev/null 2>&1
done
OLD=$("$STRATA_BIN" log e | grep -o '"digest":"[0-9a-f]*"' | tail -1 | cut -d'"' -f4)
KEPT=$("$STRATA_BIN" log e -n 2 | grep -o '"digest":"[0-9a-f]*"' | tail -1 | cut -d'"' -f4)
run retention
run retention e
run retention e --keep 3 --audit -m "keep three"
run retention --keep 0 --keep-age 0
run retention e --keep x
run retention e --keep-age -5
run retention 'bad
name' --keep 1
note "gc cuts e's history to 3 commits and gives space back"
BEFORE=$("$STRATA_BIN" stats | grep -o '"file_bytes":[0-9]*' | cut -d: -f2)
check "gc swept a segment" sh -c "\"$STRATA_BIN\" gc --min-dead-share 0.01 | grep -q '\"segments_swept\":1'"
AFTER=$("$STRATA_BIN" stats | grep -o '"file_bytes":[0-9]*' | cut -d: -f2)
check "space fell" test "$AFTER" -lt "$BEFORE"
check "history has 3 commits" sh -c "test \$(\"$STRATA_BIN\" log e | grep -o '\"digest\"' | wc -l) -eq 3"
run get e k0 --at "$KEPT"
run get e k0 --at "$OLD"
run retention e
run verify
run gc --min-dead-share 2
run gc --min-dead-share x
run gc extra
