#!/usr/bin/env bash
# Latency truth: with a 20 ms latency fault on check_code, the p50 gatecheck load reports for
# that step next to the p50 oha measures against the same endpoint, in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
OHA=${OHA:-oha}
cargo build --release --quiet
source bench/gateway.sh
start_gateway ./target/release/gatecheck "0" --captcha-pool 4 --fault latency=check_code:20ms
trap 'kill $server 2>/dev/null' EXIT
oha_p50=$(taskset -c 1 "$OHA" -n 5000 -c 50 --no-tui --output-format json -m PUT -H 'Content-Type: application/json' \
  -d '{"user": "+8613600000000", "code": "1"}' "$base/v1/usg/acs/verifycode/check" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["latencyPercentiles"]["p50"] * 1000)')
reports=$(mktemp -d)
taskset -c 1 ./target/release/gatecheck load bench/one_request.yaml --target "$base" --quiet --iterations 5000 --reports "$reports" >/dev/null || true
gatecheck_p50=$(python3 -c 'import json,glob,sys; s=json.load(open(glob.glob(sys.argv[1] + "/*/summary.json")[0])); print(s["steps"][0]["ok"]["raw"]["p50"])' "$reports")
rm -rf "$reports"
python3 -c 'import sys; o, g = float(sys.argv[1]), float(sys.argv[2]); print(f"check_code p50 with a 20 ms fault: oha {o:.2f} ms, gatecheck {g:.2f} ms, difference {g - o:+.2f} ms")' "$oha_p50" "$gatecheck_p50"
