# Document entries: save from a file or stdin, load, unchanged saves, --at, kind mismatches.
printf '{"title":"Strata","tags":["db","c"],"version":1}\n' >doc.json
run init
run save config doc.json -m "first config"
run load config
feed '{"title":"Strata","tags":["db","c"],"version":2}' save config -
feed '{"title":"Strata","tags":["db","c"],"version":2}' save config
run load config
run log config
note "--at reads a past version"
first() { "$STRATA_BIN" log "$1" | grep -o '"digest":"[0-9a-f]*"' | tail -1 | cut -d'"' -f4; }
run load config --at "$(first config)"
run diff config "$(first config)"
note "a document is not a records entry, and the other way round"
run get config
run put config k 1
run put items k 1
run load items
feed '1' save items
run save config missing-file.json
feed '{"bad": }' save config
run load config
run load nothing
