# Keyed records: init, put, get, put-many, delete, exists, digest, entries, tenants, tenant isolation.
note "init creates the database and the default tenant; a second init changes nothing"
run init
run init
run tenants
note "put creates the entry on first write and prints the new commit"
run put users u1 '{"name":"Ada","age":36}'
run put users u2 '{"name":"Bob","age":41}' -m "add Bob"
run get users u1
run get users
note "putting the same value again makes no commit"
run put users u1 '{"age":36,"name":"Ada"}'
note "numbers are exact decimals; JSON values of every type"
run put users u3 '[1.50, -0, 1e100, 123456789012345678901234567890, true, null, "é\u00e9"]'
run get users u3
run put users neg -5
run get users neg
note "exists: true exits 0, false exits 1"
run exists users
run exists nobody
note "digest prints the head as a bare line"
run digest users
run entries
note "delete: exit 1 when the record is missing"
run delete users neg
run delete users neg
run get users neg
note "tenants are isolated; --tenant creates one on first write"
run --tenant acme put orders o1 '{"total":12.5}'
run --tenant acme get orders
run tenants
run --tenant acme entries
run get orders
run --tenant acme get users
note "the user and message go into the commit"
run --user carol put users u4 '"x"' --message 'why: testing'
run log users -n 1
