#!/usr/bin/env bash
# Installs the Debian 12 packages strata needs to build, test and benchmark.
# Idempotent and non-interactive: prints what it installs, installs nothing already present.
set -euo pipefail
pkgs=(
  build-essential cmake pkgconf clang libclang-rt-14-dev   # toolchain, libFuzzer + sanitizers
  libssl-dev        # SHA-256 (libcrypto)
  libxxhash-dev     # record checksums, chunk hashes
  libzstd-dev       # record compression
  libpcre2-dev      # regex operator in expressions
  libcmocka-dev     # unit tests
  libedit-dev       # strata shell: line editing, history, completion (BSD licence)
  libjansson-dev    # differential JSON tests and JSON bench baseline (tests/bench only)
  libsqlite3-dev liblmdb-dev   # benchmark peers (bench only)
  python3 python3-cffi python3-pytest   # Python binding and its tests
  libmicrohttpd-dev # strata-server's HTTP
  awscli python3-boto3   # strata-server's client tests (tests/server)
  wrk               # strata-server's load test (bench/server)
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
