# verify, stats, entries, tenants; a damaged database gives exit 4.
run init
run verify
stats_masked() { # stats with the space figures (sizes vary with random tenant ids) as N
    printf '$ strata stats (space figures masked)\n' >>"$T"
    "$STRATA_BIN" stats 2>&1 | sed -E 's/"(file_bytes|objects|live_bytes|dead_bytes|segments)":[0-9]+/"\1":N/g' >>"$T"
}
stats_masked
run put users u1 '{"name":"Ada"}'
run put users u2 '{"name":"Bob"}'
feed '{"v":1}' save config
run --tenant acme put orders o1 1
run verify
stats_masked
run --tenant acme entries
run tenants
note "damage every stored file: verify (or opening) must fail with exit 4"
for f in $(find .strata -type f -size +100c); do
    size=$(stat -c %s "$f")
    printf 'XXXXXXXXXXXXXXXX' | dd of="$f" bs=1 seek=$((size / 2)) conv=notrunc status=none
done
"$STRATA_BIN" verify >/dev/null 2>../verify.err
echo "verify exit: $? (the library's message is not part of the golden file)" >>"$T"
echo "stderr lines: $(wc -l <../verify.err)" >>"$T"
