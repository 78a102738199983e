# Operator habits: --origin on writes, drop-tenant, sweep-ttl.
run init
note "--origin says where a change comes from (default: strata-cli)"
run put users u1 '{"name":"Ada"}' --origin 'importer@host1'
run put users u2 '{"name":"Bob"}'
"$STRATA_BIN" show users HEAD~1 | grep -o '"origin":"[^"]*"' >origin1
"$STRATA_BIN" show users | grep -o '"origin":"[^"]*"' >origin2
check "the first commit's origin is importer@host1" grep -qx '"origin":"importer@host1"' origin1
check "the second commit's origin is strata-cli" grep -qx '"origin":"strata-cli"' origin2
run get users u1 --origin x
note "drop-tenant names the tenant it drops"
run --tenant scratch put notes n1 '"hello"'
run tenants
run drop-tenant scratch -m "no longer needed" --origin ops
run tenants
run --tenant scratch get notes
run drop-tenant scratch
run drop-tenant 'bad
name'
run drop-tenant
note "sweep-ttl deletes expired items in one commit (now: --now, else STRATA_TIME)"
run create-table sessions --pk id --ttl expires
run put-item sessions '{"id":"a","expires":1600000000}'
run put-item sessions '{"id":"b","expires":1800000000}'
run put-item sessions '{"id":"c"}'
run describe-table sessions
run sweep-ttl sessions
run describe-table sessions
run sweep-ttl sessions
run sweep-ttl sessions --now 1900000000
run scan sessions
run log sessions --oneline -n 1 -p
run sweep-ttl sessions --now soon
run sweep-ttl users
run sweep-ttl nosuch
