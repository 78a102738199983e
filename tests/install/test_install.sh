#!/usr/bin/env bash
# make install works and is usable: install the build into a temporary prefix, then build a
# program against the installed header and library through pkg-config (shared and static) and
# run it; the installed CLI and man page are there.
set -euo pipefail
build=$1
tmp=$(mktemp -d "${STRATA_TEST_TMP:-/tmp}/install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
test -x "$tmp/prefix/bin/strata"
test -f "$tmp/prefix/share/man/man1/strata.1"
pc=$(dirname "$(find "$tmp/prefix" -name strata.pc | head -1)")
export PKG_CONFIG_PATH=$pc
cat >"$tmp/t.c" <<'C'
#include <stdio.h>
#include <strata.h>
int main(int argc, char **argv)
{
    strata_db *db;
    if (argc < 2 || strata_db_open(&db, argv[1], NULL) != 0) return 1;
    int rc = strata_tenant_init(db, "t", NULL);
    strata_db_close(db);
    printf("strata %s: %s\n", strata_version(), rc == 0 ? "ok" : "failed");
    return rc != 0;
}
C
cc "$tmp/t.c" -o "$tmp/t" $(pkg-config --cflags --libs strata)
LD_LIBRARY_PATH=$(pkg-config --variable=libdir strata) "$tmp/t" "$tmp/db1"
cc "$tmp/t.c" -o "$tmp/ts" $(pkg-config --cflags strata) "$(pkg-config --variable=libdir strata)/libstrata.a" \
    $(pkg-config --static --libs strata | sed 's/-lstrata//')
"$tmp/ts" "$tmp/db2"
echo "install: ok"
