#!/usr/bin/env bash
# Builds tern's libFuzzer targets (clang-22, ASan + UBSan, coverage) in
# $TERN_SANITIZE_BUILD_DIR (default build-asan/), makes seed corpora from the
# test models and runs each target for SECONDS (default 60) on one core.
# A crash, leak, timeout, out-of-memory or sanitizer report leaves its input
# in build-asan/fuzz/findings/TARGET/ and makes the script exit 1.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#   targets: onnx onnx-text mlir npy (default: all)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# The sanitizer build of scripts/test-sanitizers.sh, with the fuzzers.
build=${TERN_SANITIZE_BUILD_DIR:-$root/build-asan}
sanitize_args="-DTERN_SANITIZE=address,undefined -DTERN_BUILD_FUZZERS=ON"
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(onnx onnx-text mlir npy)

"$root/scripts/install-deps.sh"
TERN_BUILD_DIR=$build TERN_CMAKE_ARGS="$sanitize_args" \
  "$root/scripts/build.sh" $(printf 'tern-%s-fuzzer ' "${targets[@]}")

work="$build/fuzz"
mkdir -p "$work"
# Seeds: every model and IR file of the tests (split at '// -----'), ONNX's
# own backend test models, and .npy files of each dtype.
/usr/bin/python3 - "$root" "$work/seeds" <<'PY'
import glob, os, sys
import numpy as np
root, out = sys.argv[1], sys.argv[2]
def put(kind, name, data):
    os.makedirs(os.path.join(out, kind), exist_ok=True)
    with open(os.path.join(out, kind, name), "wb") as f:
        f.write(data)
def pieces(path):
    text = open(path, encoding="utf-8").read()
    return [p for p in text.split("// -----") if p.strip()]
for i, path in enumerate(sorted(glob.glob(root + "/test/**/*.mlir", recursive=True))):
    for j, piece in enumerate(pieces(path)):
        put("mlir", "%d_%d.mlir" % (i, j), piece.encode())
for i, path in enumerate(sorted(glob.glob(root + "/test/**/*.onnxtxt", recursive=True))):
    for j, piece in enumerate(pieces(path)):
        put("onnx-text", "%d_%d.onnxtxt" % (i, j), piece.encode())
models = sorted(glob.glob("/usr/share/libonnx-testdata/data/**/model.onnx", recursive=True))
for i, path in enumerate(models):
    put("onnx", "%d.onnx" % i, open(path, "rb").read())
import io
for dtype in ["<f4", "<f8", "<f2", "<i8", "<i4", "<i2", "|i1", "|b1"]:
    for shape in [(), (3,), (2, 3), (1, 2, 2)]:
        buf = io.BytesIO()
        np.save(buf, np.ones(shape, dtype=np.dtype(dtype)))
        put("npy", "%s_%s.npy" % (dtype[1:], "x".join(map(str, shape)) or "scalar"),
            buf.getvalue())
PY

# libMLIR.so is not instrumented, but LLVM's allocators inlined into tern's
# instrumented code poison their free slab space; the library's own inlined
# copies never unpoison it, which ASan would report as use-after-poison.
export ASAN_OPTIONS="allow_user_poisoning=0:${ASAN_OPTIONS:-}"

status=0
for target in "${targets[@]}"; do
  corpus="$work/corpus/$target"
  findings="$work/findings/$target"
  mkdir -p "$corpus" "$findings"
  echo "fuzz: $target for $seconds s"
  # Leaks are checked too; a run stops at its first finding.
  if ! "$build/bin/tern-$target-fuzzer" "$corpus" "$work/seeds/$target" \
      -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 \
      -max_len=65536 -print_final_stats=1 \
      -artifact_prefix="$findings/" >"$work/$target.log" 2>&1; then
    echo "fuzz: $target FOUND A PROBLEM; see $work/$target.log and $findings/"
    status=1
  fi
  grep -E "^stat::(number_of_executed_units|peak_rss_mb)|^Done|cov:" \
    "$work/$target.log" | tail -3
done
exit "$status"
