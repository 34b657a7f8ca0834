#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Regenerates the README's pictures from real runs: docs/demo-report.png (dse demo) and
# docs/training-report.png (examples/train-digits.ts, 30 epochs, about 3 minutes), screenshots
# of the HTML reports taken by headless Chromium (apt-get install -y --no-install-recommends chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json
npx tsc -p examples/tsconfig.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

node dist/cli/index.js demo --out "$tmp/demo.html"
node examples/build/train-digits.js --epochs 30 --out "$tmp/training.html"

shot() { # html, width,height, png
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
    --disable-sync --no-first-run --hide-scrollbars --user-data-dir="$tmp/profile" \
    --window-size="$2" --screenshot="$3" "file://$1" 2> /dev/null
}
shot "$tmp/demo.html" 1200,1000 docs/demo-report.png
shot "$tmp/training.html" 1640,830 docs/training-report.png
ls -l docs/
