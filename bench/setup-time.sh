#!/usr/bin/env bash
# README's two set-up commands, timed on a fresh clone with an empty target directory: the
# first hour of a new user. Reads the commands from README's "## Set-up" block of the revision
# measured, so an older revision is timed with the commands it documented.
#   bash bench/setup-time.sh            # HEAD
#   bash bench/setup-time.sh 2a2f641    # another revision
# Needs the crate registry cached (as a second clone would have it); talks to no network else.
set -euo pipefail
rev=${1:-HEAD}
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/gatecheck-setup-XXXX)
trap 'rm -rf "$dir"' EXIT
git clone -q "$repo" "$dir/clone"
cd "$dir/clone"
git checkout -q "$rev"
mapfile -t commands < <(awk '/^## Set-up/{s=1} s&&/^```sh/{b=1;next} b&&/^```/{exit} b{sub(/ *#.*/,""); print}' README.md)
[ "${#commands[@]}" -eq 2 ] || { echo "README's Set-up block has ${#commands[@]} commands, not 2" >&2; exit 1; }
export CARGO_TARGET_DIR="$dir/clone/target"
total=0
for command in "${commands[@]}"; do
  start=$(date +%s)
  # `cargo run --timings -- run`: the flag goes to cargo, before any `--`.
  timed=$(sed -E 's/^(cargo [a-z]+)/\1 --timings/' <<<"$command")
  bash -c "$timed" >"$dir/log" 2>&1 || { tail -20 "$dir/log"; exit 1; }
  took=$(( $(date +%s) - start ))
  total=$(( total + took ))
  printf '%-28s %4d s  (%s)\n' "$command" "$took" "$(grep -m1 'Finished' "$dir/log" | sed 's/.* in /built in /')"
done
printf '%-28s %4d s  target/ %s\n' "together" "$total" "$(du -sh target | cut -f1)"
for report in target/cargo-timings/cargo-timing-*.html; do
  python3 - "$report" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
units = json.loads(re.search(r'const UNIT_DATA = (\[.*?\]);\n', text, re.S).group(1))
units.sort(key=lambda u: -u['duration'])
print(f"  {len(units)} units, {sum(u['duration'] for u in units):.0f} s of CPU; the longest:")
for u in units[:5]:
    print(f"    {u['duration']:6.1f} s  {u['name']} {u.get('target', '').strip()}")
PY
done
