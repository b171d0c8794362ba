#!/usr/bin/env bash
# Installs the official SDK in a venv, starts `gatecheck serve` on an ephemeral loopback port,
# drives tests/python/sdk_flow.py through it, and stops the gateway whatever happens.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=.venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check huaweicloudsdkmeeting==3.1.219

cargo build --quiet
out=$(mktemp)
./target/debug/gatecheck serve --addr 127.0.0.1:0 >"$out" 2>&1 &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$out"' EXIT

for _ in $(seq 1 100); do
  grep -q '^listening on ' "$out" && break
  sleep 0.1
done
base=$(sed -n 's/^listening on //p' "$out" | head -n 1)
[ -n "$base" ] || { echo "gateway did not start:"; cat "$out"; exit 1; }

timeout 120 "$venv/bin/python" tests/python/sdk_flow.py "$base"
