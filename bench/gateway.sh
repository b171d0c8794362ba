# Sourced by the benchmarks that start a gateway of their own.
# start_gateway BINARY CPUS [SERVE ARGS...]: `BINARY serve` on a free loopback port, pinned to
# CPUS with taskset (none if empty), waited for until it listens; sets `server` (its pid) and
# `base` (its URL). The caller's EXIT trap kills $server; a gateway that does not start is
# killed here and the script stops.
start_gateway() {
  local binary=$1 cpus=$2 out
  shift 2
  out=$(mktemp)
  if [ -n "$cpus" ]; then
    taskset -c "$cpus" "$binary" serve --addr 127.0.0.1:0 "$@" >"$out" 2>/dev/null &
  else
    "$binary" serve --addr 127.0.0.1:0 "$@" >"$out" 2>/dev/null &
  fi
  server=$!
  for _ in $(seq 1 50); do grep -q '^listening' "$out" && break; sleep 0.1; done
  base=$(sed -n 's/^listening on //p' "$out")
  rm -f "$out"
  if [ -z "$base" ]; then
    kill "$server" 2>/dev/null || true
    echo "the gateway did not start" >&2
    exit 1
  fi
}
