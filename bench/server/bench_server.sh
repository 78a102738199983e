#!/usr/bin/env bash
# Load test of strata-server on loopback (and of dynalite, when bench/server/node_modules has
# it: `npm ci` in bench/server): GetItem and PutItem throughput and p50/p99 latency at 1, 8 and
# 64 connections with wrk. Usage: bench/server/bench_server.sh [BUILD_DIR] [SECONDS]
# Environment: DURABILITY=full|normal|off (default full).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-build}"
secs="${2:-5}"
dur="${DURABILITY:-full}"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

start_strata() { # sets sp
  "$build/strata-server" --db "$work/db" --port 0 --port-file "$work/port" --durability "$dur" \
    --threads 8 --ttl-interval 0 >"$work/server.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
  sp=$(cat "$work/port")
}

start_dynalite() { # sets dp
  dp=$((20000 + RANDOM % 20000))
  node "$here/node_modules/dynalite/cli.js" --port "$dp" >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$dp) 2>/dev/null && break; sleep 0.05; done
}

post() { # port target body
  curl -s -m 10 -X POST "http://127.0.0.1:$1/" -H "Content-Type: application/x-amz-json-1.0" \
    -H "X-Amz-Target: DynamoDB_20120810.$2" -H "X-Amz-Date: 20240101T000000Z" \
    -H "Authorization: AWS4-HMAC-SHA256 Credential=AKIDBENCH/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0" \
    -d "$3" >/dev/null || true
}

load() { # port
  post "$1" CreateTable '{"TableName":"Bench","BillingMode":"PAY_PER_REQUEST","AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"KeySchema":[{"AttributeName":"id","KeyType":"HASH"}]}'
  sleep 1 # dynalite keeps a new table CREATING for 500 ms
  for b in $(seq 0 39); do
    items=""
    for i in $(seq $((b * 25)) $((b * 25 + 24))); do
      items="$items${items:+,}{\"PutRequest\":{\"Item\":{\"id\":{\"S\":\"k$i\"},\"v\":{\"N\":\"$i\"},\"s\":{\"S\":\"payload-payload-payload-payload-payload\"}}}}"
    done
    post "$1" BatchWriteItem "{\"RequestItems\":{\"Bench\":[$items]}}"
  done
}

run() { # name port script conns
  local threads=$(( $4 < 2 ? 1 : 2 ))
  wrk -t "$threads" -c "$4" -d "${secs}s" --latency -s "$here/$3" "http://127.0.0.1:$2/" >"$work/wrk.out" 2>&1
  local rps p50 p99 bad
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")
  p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.out")
  p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.out")
  bad=$(awk '/Non-2xx/ {print $NF}' "$work/wrk.out")
  printf '%-9s %-8s %5s conns  %10s req/s  p50 %8s  p99 %8s%s\n' "$1" "${3%.lua}" "$4" "$rps" "$p50" "$p99" \
    "${bad:+  ($bad error replies: not comparable)}"
}

echo "strata-server (durability $dur) on $(nproc) cores, ${secs}s per run"
start_strata
load "$sp"
for c in 1 8 64; do run strata "$sp" get.lua "$c"; done
for c in 1 8 64; do run strata "$sp" put.lua "$c"; done
if [ -f "$here/node_modules/dynalite/cli.js" ]; then
  start_dynalite
  load "$dp"
  for c in 1 8 64; do run dynalite "$dp" get.lua "$c"; done
  for c in 1 8 64; do run dynalite "$dp" put.lua "$c"; done
else
  echo "(dynalite not installed: cd bench/server && npm ci, to compare)"
fi
