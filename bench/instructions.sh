#!/usr/bin/env bash
# Instructions a flow costs the load engine, counted by callgrind (deterministic, whatever else
# the machine does): `bench/one_request.yaml` (one call, its expectation checked) and
# `scenarios/load/reset_flow.yaml` (the whole flow, test-support oracles), one engine thread,
# against `gatecheck serve` in its own process. Only what runs inside a flow is counted
# (`--toggle-collect` on `one_flow`): start-up and the once-a-second interval work, whose share
# would grow with valgrind's slowdown, are left out. BASELINE=path/to/another/gatecheck counts
# an older build in the same run. Needs valgrind and jq.
set -euo pipefail
cd "$(dirname "$0")/.."
ONE=${ONE:-4000}
FLOWS=${FLOWS:-1000}
cargo build --release --quiet
work=$(mktemp -d)
source bench/gateway.sh
start_gateway ./target/release/gatecheck "" --generate-users 50000000 --resend-interval 0s
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT

count() { # binary, scenario, flows, VUs: instructions per flow
  local reports; reports=$(mktemp -d -p "$work")
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" '--toggle-collect=*one_flow*' \
    "$1" load "$2" --target "$base" --generated-users --threads 1 --vus "$4" \
    --iterations "$3" --duration 300s --warmup 0s --quiet --reports "$reports" >/dev/null 2>&1 || true
  local ok; ok=$(jq -s '.[0].flows.ok' "$reports"/*/summary.json)
  [ "$ok" = "$3" ] || { echo "$2: ${ok:-no} of $3 flows passed" >&2; return 1; }
  # Nothing counted would mean `one_flow` was inlined away: the toggle missed.
  callgrind_annotate "$work/cg.out" 2>/dev/null | awk -v n="$3" '/PROGRAM TOTALS/ && !done { gsub(",", "", $1); if ($1 > 0) printf "%.0f", $1 / n; done = 1 }'
}
printf "%-24s %16s %16s\n" build "one request" "whole flow"
row() { # name, binary
  local one flow
  # Each on its own line: a failed count then stops the script (`set -e`).
  one=$(count "$2" bench/one_request.yaml "$ONE" 50)
  flow=$(count "$2" scenarios/load/reset_flow.yaml "$FLOWS" 8)
  [ -n "$one" ] && [ -n "$flow" ] || { echo "$1: no instructions counted" >&2; exit 1; }
  printf "%-24s %16s %16s\n" "$1" "$one" "$flow"
}
row "gatecheck" ./target/release/gatecheck
[ -z "${BASELINE:-}" ] || row "gatecheck (baseline)" "$BASELINE"
