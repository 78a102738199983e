# put-many (an object, or JSON Lines with --jsonl), import, export and their errors; bad input changes nothing.
cat >users.jsonl <<'J'
{"key":"u1","value":{"name":"Ada","age":36}}

{"key":"u2","value":{"name":"Bob","tags":["x","y"]}}
  {"value":3,"key":"u3"}
J
run init
run import users users.jsonl -m "first load"
run export users
run export users >/dev/null
note "export then import gives the same records (and the same data digest)"
"$STRATA_BIN" export users >out.jsonl
run import copy out.jsonl
run get copy
check "export of the copy equals the export of the original" cmp out.jsonl <("$STRATA_BIN" export copy)
note "put-many takes an object of key -> value ..."
feed '{"a":1,"b":{"c":[true]},"a":2}' put-many m
run get m
note "... and JSON Lines only when told (--jsonl); it says on stderr which form it read"
run put-many m2 users.jsonl
run put-many m2 users.jsonl --jsonl
run get m2
note "a one-line JSON Lines record without --jsonl is an object of two records: put-many says so"
feed '{"key":"a","value":1}' put-many m4
feed '{"key":"a","value":1}' put-many m5 --jsonl
run get m5
note "import from stdin"
printf '{"key":"s","value":"from stdin"}\n' | record " <<< (one line)" import m3 -
run get m3
note "errors name the file, line and column; nothing is written"
run digest users
printf '{"key":"u9","value":1}\n{"key":"u10","value":{bad}}\n' >bad1.jsonl
run import users bad1.jsonl
printf '{"key":"u9","value":1}\n{"key":"u10"}\n' >bad2.jsonl
run import users bad2.jsonl
printf '{"key":"u9","valeu":1}\n' >bad3.jsonl
run import users bad3.jsonl
printf '{"key":7,"value":1}\n' >bad4.jsonl
run import users bad4.jsonl
printf '{"key":"u9","value":1} {"key":"u10","value":2}\n' >bad5.jsonl
run import users bad5.jsonl
printf '[1,2]\n' >bad6.jsonl
run import users bad6.jsonl
printf '{"key":"a\\u0009b","value":1}\n' >bad7.jsonl
run import users bad7.jsonl
printf '{"key":"u9","value":1}\n{"key":"u10","value":2' >bad8.jsonl
run import users bad8.jsonl
printf '' >empty.jsonl
run import users empty.jsonl
run import users no-such-file.jsonl
feed '[1,2]' put-many users
feed '{"k": 1' put-many users
feed '' put-many users
run digest users
run entries
note "tables: import takes one item per line, export prints them back"
run create-table orders --pk customer --sk id
feed '{"customer":"ada","id":1,"total":10}
{"customer":"bob","id":2}' import orders -
run export orders
feed '{"customer":"ada","id":3}
{"id":4}' import orders -
feed '{"customer":"x"' import orders -
run export orders
