#!/usr/bin/env bash
# Prints the tour's sample dataset: N users (default 20) as JSON Lines records
# {"key": "user-001", "value": {...}}, the format `strata import` reads. Deterministic: the same
# N gives the same bytes on every machine (no randomness, no clock, no locale). Needs only awk.
set -euo pipefail
n=${1:-20}
case $n in '' | *[!0-9]*) echo "usage: gen-sample.sh [N]" >&2; exit 2 ;; esac
LC_ALL=C awk -v n="$n" 'BEGIN {
    split("Ada Alan Grace Edsger Barbara Donald Ken Dennis Margaret Frances John Leslie Radia Tim Shafi Niklaus Tony Butler Hedy Sophie", first, " ")
    split("Lovelace Turing Hopper Dijkstra Liskov Knuth Thompson Ritchie Hamilton Allen Backus Lamport Perlman Berners-Lee Goldwasser Wirth Hoare Lampson Lamarr Wilson", last, " ")
    split("London Paris Berlin Tokyo Lima Oslo Cairo Austin", city, " ")
    split("free pro team", plan, " ")
    split("c go rust sql lisp ml", lang, " ")
    for (i = 1; i <= n; i++) {
        f = first[(i - 1) % 20 + 1]; l = last[(i * 7 - 1) % 20 + 1]
        age = 21 + (i * 37) % 44
        tags = "\"" lang[(i - 1) % 6 + 1] "\""
        if (i % 3 == 0) tags = tags ",\"" lang[(i + 2) % 6 + 1] "\""
        printf "{\"key\":\"user-%03d\",\"value\":{\"name\":\"%s %s\",\"email\":\"%s.%s@example.com\",", i, f, l, tolower(f), tolower(l)
        printf "\"age\":%d,\"city\":\"%s\",\"plan\":\"%s\",\"active\":%s,\"langs\":[%s]}}\n", age, city[(i * 5 - 1) % 8 + 1], plan[(i - 1) % 3 + 1], (i % 4 == 0) ? "false" : "true", tags
    }
}'
