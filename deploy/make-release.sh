#!/usr/bin/env bash
# Makes the release tarball that deploy/ec2/prepare-worker-image.sh installs: the build (dist/), the
# lockfile, the model (fetched and verified), the web page's files and deploy/, without
# node_modules. Run it in a checkout whose dependencies are installed (npm ci): it builds.
# Usage: deploy/make-release.sh [OUTPUT]   (default: eir-<version>.tar.gz in the current folder)
# MODEL names the model to include (default mobilenet_v2_1.0_224_quant); MODEL_MIRROR is used as
# by npm run model:fetch.
set -euo pipefail

model="${MODEL:-mobilenet_v2_1.0_224_quant}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="$(node -p 'require(process.argv[1]).version' "$repo/package.json")"
output="${1:-eir-$version.tar.gz}"
[[ "$output" == /* ]] || output="$PWD/$output"

cd "$repo"
npm run --silent model:fetch -- --model "$model"
[[ -f dist/src/worker.js && -f dist/src/main.js ]] || {
  echo "make-release: the build has no dist/src/worker.js or dist/src/main.js" >&2
  exit 1
}
tar -czf "$output" --owner=0 --group=0 --exclude='*.tsbuildinfo' \
  package.json package-lock.json .npmrc dist deploy src/web/public models/*.json "models/$model"
echo "make-release: wrote $output ($(du -h "$output" | cut -f1)) with model $model"
