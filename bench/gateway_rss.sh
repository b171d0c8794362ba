#!/usr/bin/env bash
# RSS of an embedded `gatecheck load` run (the load engine and the reference gateway in one
# process, a new generated user per flow): VmRSS from /proc every 10 s, then the growth from
# the 60 s sample to the last one. Loopback only; stops by itself after DURATION seconds.
#   bash bench/gateway_rss.sh 180             # 3 minutes
#   GATECHECK=target/release/gatecheck VUS=16 bash bench/gateway_rss.sh 600
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-180}
VUS=${VUS:-16}
BIN=${GATECHECK:-${CARGO_TARGET_DIR:-target}/release/gatecheck}
[ -n "${GATECHECK:-}" ] || cargo build --release --quiet
reports=$(mktemp -d)
"$BIN" load scenarios/load/reset_flow.yaml --vus "$VUS" --duration "${DURATION}s" --warmup 0s \
  --quiet --reports "$reports" >/dev/null 2>"$reports/stderr" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$reports"' EXIT
at60="" last=""
for t in $(seq 10 10 "$DURATION"); do
  sleep 10
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null) || break
  [ -n "$rss" ] || break
  echo "t=${t}s RSS ${rss} kB"
  [ "$t" -ne 60 ] || at60=$rss
  last=$rss last_t=$t
done
wait $pid || true
python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["flows"]; print("flows: %d ok, %d failed" % (f["ok"], f["failed"]))' "$reports"/*/summary.json || true
if [ -n "$at60" ] && [ -n "$last" ]; then
  awk -v a="$at60" -v b="$last" -v t="$last_t" 'BEGIN { printf "growth from 60 s to %d s: %.1f%%\n", t, 100 * (b - a) / a }'
fi
