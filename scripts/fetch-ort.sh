#!/usr/bin/env bash
# Installs ONNX Runtime for Node (onnxruntime-node 1.30.0, whose CPU library
# ships in the package) into tools/ort-reference/node_modules: the reference
# executor tern is compared with. Safe to run again.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/tools/ort-reference
if [ -f "$dir/node_modules/onnxruntime-node/package.json" ]; then
  echo "fetch-ort: onnxruntime-node present"
  exit 0
fi
command -v npm >/dev/null || {
  echo "fetch-ort: npm is needed (apt-get install npm)" >&2
  exit 1
}
(cd "$dir" && ONNXRUNTIME_NODE_INSTALL=skip npm install --silent --no-audit --no-fund)
echo "fetch-ort: onnxruntime-node installed in $dir/node_modules"
