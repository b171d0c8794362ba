#!/usr/bin/env bash
# The whole reset flow (scenarios/load/reset_flow.yaml: five calls and a login, every answer
# checked) under `gatecheck load`, gateway and client in separate processes, each pinned to one
# core: flows/s, and CPU per flow on each side (user and kernel), read from /proc.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_RUN=${SECONDS_RUN:-10}
VUS=${VUS:-32}
# CLIENT=path/to/another/gatecheck measures an older build's client against this gateway.
# THREADS=N runs the client on N engine threads, on CPUS (default 1; THREADS=2 CPUS=0,1 shares
# the gateway's core on a 2-core machine).
THREADS=${THREADS:-1}
CPUS=${CPUS:-1}
CLIENT=${CLIENT:-./target/release/gatecheck}
cargo build --release --quiet
reports=$(mktemp -d)
source bench/gateway.sh
start_gateway ./target/release/gatecheck "0" --generate-users 50000000 --resend-interval 0s
trap 'kill $server 2>/dev/null; rm -rf "$reports"' EXIT
ticks=$(getconf CLK_TCK)
cpu() { awk -v t="$ticks" '{ printf "%s %s", $14 / t, $15 / t }' "/proc/$1/stat"; }
read -r gw_user0 gw_sys0 <<<"$(cpu $server)"
/usr/bin/time -o "$reports/time" -f "%U %S" taskset -c "$CPUS" "$CLIENT" load scenarios/load/reset_flow.yaml \
  --target "$base" --generated-users --vus "$VUS" --duration "${SECONDS_RUN}s" --warmup 0s --quiet \
  --reports "$reports" $([ "$THREADS" = 1 ] || echo --threads "$THREADS") >/dev/null || true
read -r gw_user1 gw_sys1 <<<"$(cpu $server)"
read -r cl_user cl_sys <"$reports/time"
flows=$(jq '.flows.ok + .flows.failed' "$reports"/*/summary.json)
failed=$(jq '.flows.failed' "$reports"/*/summary.json)
rate=$(jq '.throughput' "$reports"/*/summary.json)
awk -v f="$flows" -v x="$failed" -v r="$rate" -v cu="$cl_user" -v cs="$cl_sys" \
  -v gu="$(echo "$gw_user1 - $gw_user0" | bc -l)" -v gs="$(echo "$gw_sys1 - $gw_sys0" | bc -l)" 'BEGIN {
  printf "flows: %d (%d failed), %.0f flows/s, %.0f requests/s\n", f, x, r, r * 6
  printf "%-8s %12s %12s %12s\n", "side", "user us/flow", "sys us/flow", "total"
  printf "%-8s %12.1f %12.1f %12.1f\n", "client", cu * 1e6 / f, cs * 1e6 / f, (cu + cs) * 1e6 / f
  printf "%-8s %12.1f %12.1f %12.1f\n", "gateway", gu * 1e6 / f, gs * 1e6 / f, (gu + gs) * 1e6 / f
}'
