# Every exit code: 1 not found / false, 2 bad usage or input, 3 conflict, 4 database error; and
# bad input changes nothing (not even a new database).
note "a write with bad input on a fresh directory creates nothing"
run put users u1 '{"name":'
check "no database was created" test ! -e .strata
run put '' u1 1
run put users '' 1
run --tenant '' put users u1 1
run put users "$(printf 'a\001b')" 1
run put users "$(printf 'k%.0s' $(seq 300))" 1
check "still no database" test ! -e .strata
note "reads of a missing database exit 1"
run get users
run --db nowhere tenants
run init
note "exit 1: missing entry, key, tenant or digest"
run get users
run put users u1 '{"name":"Ada"}'
run get users nokey
run --tenant ghost get users
run log ghost
run diff users 0000000000000000000000000000000000000000000000000000000000000000
note "exit 2: bad JSON, bad names, bad usage"
run put users u2 '{"name": "Bob",}'
run put users u2 "{'a':1}"
run put users u2 '[1, 2'
run put users u2 ''
run put users u2 '"\ud800"'
run put users "$(printf 'bad\tname')" 1
run put users u2 1 extra
run put users
run get
run frobnicate
run get users --at
run get users --frob
run get users -m hello
run log users -n zero
run --lock-wait soon put users u2 1
STRATA_TIME=yesterday run put users u2 1
run --version extra
note "exit 3: the head moved (--expect-head)"
HEAD=$("$STRATA_BIN" digest users)
run put users u2 '{"name":"Bob"}' --expect-head "$HEAD"
run put users u3 '{"name":"Cy"}' --expect-head "$HEAD"
run put fresh k 1 --expect-head none
run put fresh k 2 --expect-head none
run delete users u2 --expect-head "$HEAD"
note "after all that, only the good writes happened"
run get users
run entries
