# Tables: create-table, describe-table, put-item, get-item, update-item, delete-item, query, scan,
# --condition (exit 3), bad expressions (exit 2), --return, paging, DynamoDB JSON, history.
run create-table orders --pk customer --sk id -m "orders table"
run create-table orders --pk customer
run create-table other
run describe-table orders
run put-item orders '{"customer":"ada","id":1,"total":10}'
run put-item orders '{"customer":"ada","id":2,"total":25,"status":"open"}'
run put-item orders '{"customer":"bob","id":1,"total":7}'
run put-item orders '{"customer":"bob","id":1,"total":7}'
run put-item orders '{"id":3}'
run get-item orders '{"customer":"ada","id":2}'
run get-item orders '{"customer":"ada","id":2}' --projection '#t' --names '{"#t":"total"}'
run get-item orders '{"customer":"ada","id":9}'
run query orders --key-condition 'customer = :c' --values '{":c":"ada"}'
run query orders --key-condition 'customer = :c AND id > :i' --values '{":c":"ada",":i":1}' --reverse
run query orders 'customer = :c' --values '{":c":"ada"}' --limit 1
run query orders --key-condition 'customer = = 1'
run query orders
run query orders 'customer = :c' --key-condition 'customer = :c' --values '{":c":"ada"}'
run scan orders --filter 'total > :t' --values '{":t":8}' --projection 'customer, total'
run scan orders --limit 2
run scan orders --start-key '{"customer":"ada","id":2}'
run scan orders --segment 1
note "conditions: a false condition exits 3 and changes nothing"
run update-item orders '{"customer":"ada","id":1}' --update 'SET total = total + :d' --values '{":d":5}' --return new
run update-item orders '{"customer":"ada","id":1}' --update 'SET total = total - :d' --values '{":d":5}'
run update-item orders '{"customer":"ada","id":1}' 'SET total = total + :d' --values '{":d":5}'
run update-item orders '{"customer":"ada","id":1}' -m "no update given"
run put-item orders '{"customer":"ada","id":1,"total":0}' --condition 'attribute_not_exists(customer)'
run update-item orders '{"customer":"ada","id":1}' 'SET total = :z' --condition 'total < :m' --values '{":z":0,":m":1}'
run get-item orders '{"customer":"ada","id":1}'
run update-item orders '{"customer":"ada","id":1}' 'SET customer = :x' --values '{":x":"eve"}'
run put-item orders '{"customer":"ada","id":4}' --return new
run delete-item orders '{"customer":"bob","id":1}' --return old -m "bob cancelled"
run delete-item orders '{"customer":"bob","id":1}'
note "DynamoDB JSON items"
run put-item orders '{"customer":{"S":"cy"},"id":{"N":"1"},"tags":{"SS":["a"]}}' --dynamodb-json
run query orders 'customer = :c' --values '{":c":{"S":"cy"}}' --dynamodb-json
note "history works for tables like any entry"
run log orders -n 2
FIRST=$("$STRATA_BIN" log orders | grep -o '"digest":"[0-9a-f]*"' | tail -1 | cut -d'"' -f4)
run diff orders "$FIRST" "$("$STRATA_BIN" log orders -n 5 | grep -o '"digest":"[0-9a-f]*"' | tail -1 | cut -d'"' -f4)"
run scan orders --at "${FIRST:0:10}"
run get orders
run put orders k 1
