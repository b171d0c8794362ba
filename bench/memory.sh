#!/usr/bin/env bash
# RSS of the load engine over a steady 10-minute open-model run against a separate gateway
# process: prints the client's RSS each minute and the growth from minute 1 to minute 10.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${MINUTES:-10}
RATE=${RATE:-500}
cargo build --release --quiet
source bench/gateway.sh
start_gateway ./target/release/gatecheck "0" --generate-users 50000000 --resend-interval 0s
trap 'kill $server $client 2>/dev/null' EXIT
taskset -c 1 ./target/release/gatecheck load scenarios/load/reset_flow.yaml --target "$base" --generated-users \
  --rate "$RATE" --duration "$((MINUTES * 60 + 30))s" --warmup 0s --quiet --reports target/bench-reports >/dev/null &
client=$!
first=""
for minute in $(seq 1 "$MINUTES"); do
  sleep 60
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$client/status")
  echo "minute $minute: client RSS ${rss} kB"
  [ -n "$first" ] || first=$rss
done
awk -v a="$first" -v b="$rss" 'BEGIN { printf "growth from minute 1 to minute %s: %.1f%%\n", ENVIRON["MINUTES"], 100 * (b - a) / a }'
wait $client || true
