#!/usr/bin/env bash
# Where a compiled model's time goes, OpenMP region by region (a profiling
# aid; benchmarks/omp-regions.c). Runs COMMAND twice, with N and with BASE
# as its first argument (e.g. new tokens for examples/c/generate.c), and
# prints each region's time per unit of the difference (a token), its
# calls and forked calls, how late the last thread started its forked
# calls and how long threads waited at their joins for the last one to
# finish (summed over the team; ms per unit), named by LIBRARY's symbols:
#
#   scripts/omp-regions.sh LIBRARY N BASE COMMAND [ARGS...]
#   scripts/omp-regions.sh liblm.so 257 1 ./generate 1,2,3
#
# Environment: TOP (regions listed, 30); OMP_REGIONS_SKIP=K leaves out the
# first K calls of every region (K=1: a generator's prefill), in both runs.
set -euo pipefail

if [ $# -lt 4 ]; then
  echo "usage: $0 LIBRARY N BASE COMMAND [ARGS...]" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
library=$1 n=$2 base=$3 command=$4
shift 4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -shared -fPIC -o "$work/omp-regions.so" "$root/benchmarks/omp-regions.c" -ldl
OMP_REGIONS_OUT="$work/n.txt" LD_PRELOAD="$work/omp-regions.so" "$command" "$n" "$@" >/dev/null
OMP_REGIONS_OUT="$work/base.txt" LD_PRELOAD="$work/omp-regions.so" "$command" "$base" "$@" >/dev/null
nm "$library" | awk '{print $1, $3}' >"$work/symbols.txt"
/usr/bin/python3 - "$work" "$(basename "$library")" "$((n - base))" "${TOP:-30}" <<'PY'
import sys
work, library, units, top = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
symbols = {}
for line in open(f"{work}/symbols.txt"):
    parts = line.split()
    if len(parts) == 2:
        symbols[int(parts[0], 16)] = parts[1]
def load(name):
    regions = {}
    for line in open(f"{work}/{name}"):
        seconds, calls, forked, delay, wait, offset, path = line.split(maxsplit=6)
        if not path.strip().endswith(library):
            continue
        key = symbols.get(int(offset, 16), offset)
        regions[key] = (float(seconds), int(calls), int(forked), float(delay),
                        float(wait))
    return regions
n, base = load("n.txt"), load("base.txt")
rows = []
for key, now in n.items():
    then = base.get(key, (0.0, 0, 0, 0.0, 0.0))
    seconds, calls, forked, delay, wait = ((a - b) / units
                                           for a, b in zip(now, then))
    rows.append((seconds * 1e3, key, calls, forked, delay * 1e3, wait * 1e3))
rows.sort(reverse=True)
print(f"per unit: {sum(r[0] for r in rows):.3f} ms in {sum(r[2] for r in rows):.0f} "
      f"regions ({sum(r[3] for r in rows):.0f} forked); the other threads "
      f"started {sum(r[4] for r in rows):.3f} ms late, threads waited "
      f"{sum(r[5] for r in rows):.3f} ms at joins")
print(f"{'ms':>8}  {'calls':>6} {'forked':>6} {'late':>7} {'wait':>7}  region")
for ms, key, calls, forked, delay, wait in rows[:top]:
    print(f"{ms:8.4f}  {calls:6.1f} {forked:6.1f} {delay:7.4f} {wait:7.4f}  {key}")
PY
