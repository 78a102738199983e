# A database held by another writer: writes exit 4 with a clear message and change nothing;
# reads still work; --lock-wait waits (here: in vain) before giving up.
run init
run put users u1 '{"name":"Ada"}'
"$STRATA_LOCKHOLDER" .strata ../locked &
holder=$!
for _ in $(seq 100); do [ -f ../locked ] && break; sleep 0.05; done
check "the helper holds the lock" test -f ../locked
run put users u2 '{"name":"Bob"}'
run --lock-wait 200 put users u2 '{"name":"Bob"}'
run init
run delete users u1
run get users
run log users
rm -f ../locked
wait "$holder"
note "once the lock is released, writes work again"
run put users u2 '{"name":"Bob"}'
run get users
