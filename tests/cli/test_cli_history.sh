# History: log, -n, show (full digest and prefix), diff, --at on get/export/digest, restore.
first() { "$STRATA_BIN" log "$1" | grep -o '"digest":"[0-9a-f]*"' | tail -1 | cut -d'"' -f4; }
run init
run put users u1 '{"name":"Ada","city":"London"}' -m one
run put users u2 '{"name":"Bob","city":"Paris"}' -m two
run --user dora put users u1 '{"name":"Ada","city":"Oslo"}' -m "Ada moved"
run delete users u2 -m "Bob left"
run log users
run log users -n 2
run log users -n 0
run log nothing
D1=$(first users)
D3=$("$STRATA_BIN" log users -n 2 | grep -o '"digest":"[0-9a-f]*"' | tail -1 | cut -d'"' -f4)
run show "$D1"
run show "$D3"
run show "${D3:0:10}"
run show 0000000000000000000000000000000000000000000000000000000000000000
run show zz
run show abc
note "diff from the first commit to the head, and between two commits"
run diff users "$D1"
run diff users "$D1" "$D3"
run diff users "$D3" "$D1"
note "reading old versions"
run get users --at "$D1"
run get users u1 --at "${D1:0:12}"
run export users --at "$D3"
run digest users --at "$D1"
run get users --at 1111
note "restore makes a new commit with the old content; history is kept"
run restore users "$D1" -m "back to the start"
run get users
run restore users "$D1"
run log users -n 2
run restore users 0000000000000000000000000000000000000000000000000000000000000000
