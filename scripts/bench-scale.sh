#!/usr/bin/env bash
# The scale benchmark (docs/Hardening.md, "Scale"): a LLaMA-shaped ONNX
# model of 1.1 B parameters with random weights in external data
# (scripts/make-llama.py, 4.4 GB of float32) is imported and ternarized
# with PTQTP, 2 trit planes (tern-opt --tern-ptq-pipeline), then compiled to
# a shared library (tern-compile). Prints wall time and peak RSS of each
# step and the peak against the float weights. Goal: under 15 minutes in
# all, peak RSS under 1.5x the float weights. A benchmark, not a test: run
# it on an otherwise idle machine.
#
#   scripts/bench-scale.sh [DIR]   (default /tmp/tern-scale; needs ~10 GB)
# MAKE_LLAMA="--layers 2 ..." passes options to make-llama.py.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${TERN_BUILD_DIR:-$root/build}
dir=${1:-/tmp/tern-scale}
"$root/scripts/build.sh" tern-opt tern-compile >/dev/null
mkdir -p "$dir"
if [ ! -f "$dir/model.onnx" ]; then
  # shellcheck disable=SC2086
  /usr/bin/python3 "$root/scripts/make-llama.py" "$dir" ${MAKE_LLAMA:-}
fi
weights=$(stat -c %s "$dir/weights.bin")

# Runs a command under GNU time; prints "STEP: S s, peak RSS M MiB".
measure() {
  local step=$1
  shift
  /usr/bin/time -f "%e %M" -o "$dir/$step.time" "$@" >"$dir/$step.log" 2>&1 || {
    echo "bench-scale: $step failed:" >&2
    tail -20 "$dir/$step.log" >&2
    exit 1
  }
  read -r seconds kib <"$dir/$step.time"
  echo "$step: $seconds s, peak RSS $((kib / 1024)) MiB" \
    "($(awk -v k="$kib" -v w="$weights" 'BEGIN { printf "%.2f", k * 1024 / w }')x the float weights)"
}

echo "model: $dir/model.onnx, $((weights / 1048576)) MiB of float32 weights, $(nproc) cores"
measure ternarize "$build/bin/tern-opt" "$dir/model.onnx" \
  --tern-ptq-pipeline="method=ptqtp planes=2" -o "$dir/ternary.mlirbc"
measure compile "$build/bin/tern-compile" "$dir/ternary.mlirbc" \
  -o "$dir/model.so" --header "$dir/model.h"
read -r t1 k1 <"$dir/ternarize.time"
read -r t2 k2 <"$dir/compile.time"
awk -v t1="$t1" -v t2="$t2" -v k1="$k1" -v k2="$k2" -v w="$weights" 'BEGIN {
  k = k1 > k2 ? k1 : k2
  printf "total: %.0f s (%.1f min), peak RSS %d MiB = %.2fx the float weights\n",
    t1 + t2, (t1 + t2) / 60, k / 1024, k * 1024 / w
}'
echo "library: $dir/model.so ($(( $(stat -c %s "$dir/model.so") / 1048576 )) MiB)"
