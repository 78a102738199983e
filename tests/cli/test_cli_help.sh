# --help on every command, strata help, strata --help, --version.
run help
run --help
for cmd in init save load put put-many get delete exists digest log show diff restore import export tenants entries drop-tenant verify stats \
    gc retention create-table describe-table put-item get-item update-item delete-item query scan sweep-ttl shell help; do
    run "$cmd" --help
done
run help get
run help nonesuch
run
run --version
