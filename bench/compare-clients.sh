#!/usr/bin/env bash
# Client CPU per request, side by side in one run: oha, wrk and gatecheck load against the same
# loopback gateway endpoint, server pinned to CPU 0, each client pinned to CPU 1, 50
# connections, 100k requests each: CPU seconds per 100k requests, user and kernel microseconds
# per request apart, and requests/s. Needs oha (cargo install oha), wrk (Debian's package), jq.
set -euo pipefail
cd "$(dirname "$0")/.."
OHA=${OHA:-oha}
N=${N:-100000}
cargo build --release --quiet
timing=$(mktemp)
source bench/gateway.sh
start_gateway ./target/release/gatecheck "0" --captcha-pool 4
trap 'kill $server 2>/dev/null; rm -f "$timing"' EXIT
url="$base/v1/usg/acs/verifycode/check"
body='{"user": "+8613600000000", "code": "1"}'

measure() { # name, command...: CPU seconds per 100k requests and requests per second
  local name=$1; shift
  /usr/bin/time -o "$timing" -f "%U %S %e" "$@" >/dev/null 2>&1
  # shellcheck disable=SC2046
  set -- $(tail -n 1 "$timing")
  awk -v n="$name" -v u="$1" -v s="$2" -v e="$3" -v N="$N" 'BEGIN { printf "%-22s %10.2f %8.2f %8.2f %12.0f\n", n, (u+s)*100000/N, u*1e6/N, s*1e6/N, N/e }'
}
printf "%-22s %10s %8s %8s %12s\n" client "CPU-s/100k" "user us" "sys us" "requests/s"
measure oha taskset -c 1 "$OHA" -n "$N" -c 50 --no-tui -m PUT -H 'Content-Type: application/json' -d "$body" "$url"
# wrk runs for a time, not a count: run it long enough for about N requests at its pace.
wrk_out=$(/usr/bin/time -o "$timing" -f "%U %S %e" taskset -c 1 wrk -t1 -c50 -d5s -s bench/put.lua "$url")
wrk_requests=$(echo "$wrk_out" | awk '/requests in/ {print $1}')
# shellcheck disable=SC2046
set -- $(tail -n 1 "$timing")
awk -v u="$1" -v s="$2" -v e="$3" -v r="$wrk_requests" 'BEGIN { printf "%-22s %10.2f %8.2f %8.2f %12.0f\n", "wrk", (u+s)*100000/r, u*1e6/r, s*1e6/r, r/5 }'
# gatecheck: requests counted from its own summary.json. BASELINE=path/to/another/gatecheck
# measures an older build in the same run (e.g. the reqwest client this transport replaced).
gatecheck_row() { # name, binary
  local reports; reports=$(mktemp -d)
  /usr/bin/time -o "$timing" -f "%U %S %e" taskset -c 1 "$2" load bench/one_request.yaml --target "$base" \
    --quiet --iterations "$N" --reports "$reports" >/dev/null 2>&1
  local requests; requests=$(jq '.requests' "$reports"/*/summary.json)
  rm -rf "$reports"
  # shellcheck disable=SC2046
  set -- "$1" $(tail -n 1 "$timing")
  awk -v n="$1" -v u="$2" -v s="$3" -v e="$4" -v r="$requests" 'BEGIN { printf "%-22s %10.2f %8.2f %8.2f %12.0f\n", n, (u+s)*100000/r, u*1e6/r, s*1e6/r, r/e }'
}
gatecheck_row "gatecheck load" ./target/release/gatecheck
if [ -n "${BASELINE:-}" ]; then gatecheck_row "gatecheck (baseline)" "$BASELINE"; fi
