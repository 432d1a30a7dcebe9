#!/usr/bin/env bash
# The README's main job: installs what is missing, builds the tools, then
# imports PP-OCRv4's recognizer, shows a ternary linear layer going through
# the reference pipeline, checks a larger random layer against the numpy
# reference, and takes an LLM-shaped decoder from ONNX to ternary tokens.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${TERN_BUILD_DIR:-$root/build}
runner_libs=/usr/lib/llvm-22/lib/libmlir_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so
run() {
  /usr/lib/llvm-22/bin/mlir-runner -e main -entry-point-result=void \
    -shared-libs="$runner_libs"
}

"$root/scripts/install-deps.sh"
"$root/scripts/fetch-models.sh"
"$root/scripts/build.sh" tern-opt tern-translate tern-generate

models=${TERN_MODELS_DIR:-$root/models}/ppocr
echo
echo "== 0. Import a real model: PaddleOCR's PP-OCRv4 text recognizer"
"$build/bin/tern-opt" "$models/ch_PP-OCRv4_rec_infer.onnx" \
  --input-shape x=1x3x48x320 -o "$build/ppocr-rec.mlir"
echo "imported to $build/ppocr-rec.mlir: $(du -h "$build/ppocr-rec.mlir" | cut -f1)"
grep -m1 "func.func @main" "$build/ppocr-rec.mlir"
for op in linalg.matmul linalg.batch_matmul linalg.conv_2d_nchw_fchw \
          linalg.depthwise_conv_2d_nchw_chw linalg.generic; do
  printf '  %-36s %s\n' "$op" "$(grep -c "$op " "$build/ppocr-rec.mlir" || true)"
done

example="$root/docs/examples/linear.mlir"
echo
echo "== 1. A ternary linear layer in the tern dialect ($example)"
grep -E "tern\.(constant|matmul)" -A2 "$example"
echo
echo "== 2. Lowered by --convert-tern-to-linalg (dequantize, then multiply)"
"$build/bin/tern-opt" "$example" --convert-tern-to-linalg |
  grep -cE "linalg\.generic" | xargs echo "linalg.generic ops:"
echo
echo "== 3. Compiled by --tern-reference-to-llvm and run (expected:"
echo "      [[-6.25, 1.5, 1.25], [2.6875, -7.6875, 4.8125]] from numpy)"
"$build/bin/tern-opt" "$example" --tern-reference-to-llvm | run

echo
echo "== 4. A 256 x 1024 layer, 2 trit planes, groups of 128, batch 4,"
echo "      against the independent numpy reference (python/tern)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 "$root/python/tools/random_matmul_case.py" --seed 2026 \
  --planes 2 --rows 256 --group-size 128 --groups 8 --batch 4 \
  --mlir "$tmp/layer.mlir" --expected "$tmp/expected.txt"
head -1 "$tmp/layer.mlir"
"$build/bin/tern-opt" "$tmp/layer.mlir" --tern-reference-to-llvm | run |
  /usr/bin/python3 "$root/python/tools/compare_memref.py" "$tmp/expected.txt" \
    --rtol 1e-5 --atol 1e-4

echo
echo "== 5. An LLM from ONNX to ternary tokens (docs/LLM.md): a LLaMA-shaped"
echo "      decoder with a key/value cache and dynamic axes (random weights,"
echo "      scripts/make-llama.py --layout past), ternarized with PTQTP (2 trit"
echo "      planes), generating greedily, its cache appended to in place"
/usr/bin/python3 "$root/scripts/make-llama.py" "$tmp/llm" --layout past \
  --dim 256 --layers 4 --heads 8 --kv-heads 2 --hidden 768 --vocab 1000 \
  --max-positions 512
"$build/bin/tern-opt" "$tmp/llm/model.onnx" \
  --tern-ptq-pipeline="method=ptqtp planes=2" -o "$tmp/llm/ternary.mlirbc" \
  2>/dev/null
for model in model.onnx ternary.mlirbc; do
  echo "$model:"
  "$build/bin/tern-generate" "$tmp/llm/$model" --prompt-ids 1,2,3,4,5,6,7,8 \
    --max-new-tokens 16
done
