#!/usr/bin/env bash
# io_uring against epoll for the load engine's pattern, side by side in one run: the same
# minimal client (bench/uring-probe: one PUT and its answer at a time on each of 50 kept-alive
# connections, one thread) on tokio's epoll reactor and on tokio-uring, against `gatecheck
# serve` pinned to CPU 0, the client on CPU 1, 100k requests, three rounds. Prints each run's
# rate and user and system CPU per request. Builds the probe in its own workspace (a first
# build fetches tokio-uring from crates.io).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100000}
cargo build --release --quiet
cargo build --release --quiet --manifest-path bench/uring-probe/Cargo.toml
probe=bench/uring-probe/target/release/uring-probe
source bench/gateway.sh
start_gateway ./target/release/gatecheck "0" --captcha-pool 4
trap 'kill $server 2>/dev/null' EXIT
for _ in 1 2 3; do
  for mode in epoll uring; do
    taskset -c 1 "$probe" "$mode" "${base#http://}" 50 "$N"
  done
done
