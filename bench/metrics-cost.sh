#!/usr/bin/env bash
# What `load --metrics-addr` costs the client: the whole reset flow at a fixed open-model rate,
# gateway and client in separate processes pinned to one core each, without and with the
# Prometheus endpoint (scraped every second, fifteen times as often as the 15 s of Prometheus's
# example configuration), alternated RUNS times. Prints client CPU per flow and flows/s per run.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_RUN=${SECONDS_RUN:-20}
RATE=${RATE:-1000}
RUNS=${RUNS:-3}
cargo build --release --quiet
bin=./target/release/gatecheck
work=$(mktemp -d)
source bench/gateway.sh
start_gateway "$bin" "0" --generate-users 50000000 --resend-interval 0s
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT

# One run; $1 is "off" or "on". Prints: mode, flows/s, client µs of CPU per flow, scrapes.
one() {
  local mode=$1 reports="$work/$1-$2" extra=() scrapes=0 scraper=
  if [ "$mode" = on ]; then
    local port=$((20000 + RANDOM % 20000))
    extra=(--metrics-addr "127.0.0.1:$port")
    (while sleep 1; do curl -s -o /dev/null "http://127.0.0.1:$port/metrics" && echo >>"$work/scrapes-$2"; done) &
    scraper=$!
  fi
  /usr/bin/time -o "$work/time" -f "%U %S" taskset -c 1 "$bin" load scenarios/load/reset_flow.yaml \
    --target "$base" --generated-users --rate "$RATE" --duration "${SECONDS_RUN}s" --warmup 1s --quiet \
    --reports "$reports" "${extra[@]}" >/dev/null || true
  if [ -n "$scraper" ]; then
    kill "$scraper" 2>/dev/null || true
    scrapes=$(wc -l <"$work/scrapes-$2" 2>/dev/null || echo 0)
  fi
  # time(1) writes "Command exited with non-zero status N" first when a threshold fails.
  read -r user sys < <(tail -n 1 "$work/time")
  local flows rate
  flows=$(jq '.flows.ok + .flows.failed' "$reports"/*/summary.json)
  rate=$(jq '.throughput' "$reports"/*/summary.json)
  # CPU covers the warm-up second too: divide by the flows started in it as well.
  awk -v m="$mode" -v f="$flows" -v r="$rate" -v u="$user" -v s="$sys" -v n="$scrapes" -v w="$RATE" 'BEGIN {
    printf "%-4s %9.1f %14.1f %9d\n", m, r, (u + s) * 1e6 / (f + w), n
  }'
}

printf "%-4s %9s %14s %9s\n" "/met" "flows/s" "client us/flow" "scrapes"
for i in $(seq 1 "$RUNS"); do
  one off "$i"
  one on "$i"
done
