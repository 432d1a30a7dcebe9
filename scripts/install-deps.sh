#!/usr/bin/env bash
# Installs the Debian 12 packages tern needs to build and test, if missing.
# Run as root (or with sudo available). Safe to run again.
set -euo pipefail

packages=(
  cmake ninja-build g++ git
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 lld
  libclang-rt-22-dev
  libgtest-dev
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata
  python3 python3-numpy python3-onnx
  python3-pip python3-setuptools python3-wheel
  python3-torch python3-sentencepiece python3-matplotlib
  libomp-22-dev libopenblas-dev
  r-cran-janeaustenr console-setup-linux
)

# npm fetches the real models (and later ONNX Runtime); the machine's own
# Node.js is fine, Debian's is installed only when there is none.
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
  --no-install-recommends "${missing[@]}"
