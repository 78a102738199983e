# Many writers: a process that keeps the database open does not stop the CLI from writing (the
# write lock is taken per commit). A process holding the write lock itself (stuck inside a
# commit) makes writes wait; with --lock-wait MS they give up after MS with exit 4 and change
# nothing; reads still work.
run init
run put users u1 '{"name":"Ada"}'
"$STRATA_LOCKHOLDER" .strata ../opened open &
holder=$!
for _ in $(seq 100); do [ -f ../opened ] && break; sleep 0.05; done
check "the helper holds the database open" test -f ../opened
run put users u2 '{"name":"Bob"}'
run get users
rm -f ../opened
wait "$holder"
"$STRATA_LOCKHOLDER" .strata ../locked lock &
holder=$!
for _ in $(seq 100); do [ -f ../locked ] && break; sleep 0.05; done
check "the helper holds the write lock" test -f ../locked
run --lock-wait 200 put users u3 '{"name":"Cy"}'
run --lock-wait 200 delete users u1
run get users
run log users
rm -f ../locked
wait "$holder"
note "once the lock is released, writes work again"
run put users u3 '{"name":"Cy"}'
run get users
