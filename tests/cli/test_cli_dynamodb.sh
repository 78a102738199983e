# --dynamodb-json: values in and out in DynamoDB's typed JSON.
run init
run put items i1 '{"M":{"name":{"S":"Ada"},"age":{"N":"36"},"tags":{"SS":["a","b"]},"blob":{"B":"AAEC"}}}' --dynamodb-json
run get items i1
run get items i1 --dynamodb-json
run get items --dynamodb-json
run put items i2 '{"name":"plain"}'
run export items --dynamodb-json
"$STRATA_BIN" export items --dynamodb-json >ddb.jsonl
run import copy ddb.jsonl --dynamodb-json
check "a DynamoDB-JSON round trip keeps every value" cmp <("$STRATA_BIN" export items --dynamodb-json) <("$STRATA_BIN" export copy --dynamodb-json)
feed '{"x":{"N":"1"},"y":{"BOOL":true}}' put-many m --dynamodb-json
run get m
run put items bad '{"name":"Ada"}' --dynamodb-json
run put items bad '{"N":"one"}' --dynamodb-json
