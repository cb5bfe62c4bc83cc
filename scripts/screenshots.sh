#!/usr/bin/env bash
# Refreshes docs/screenshots/ (the README's dashboard pictures): runs the dashboard's browser tests with
# its screenshots going there, then, if ImageMagick's convert is installed, cuts each PNG down to a
# 32-colour palette so that the committed files stay small. Needs a release build (scripts/build.sh)
# and chromium (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$PWD/docs/screenshots
mkdir -p "$out"
BILLHOOK_SCREENSHOT_DIR=$out CI=true ctest --test-dir build/release --output-on-failure \
  -R 'integration_tests.Dashboard(Billing)?BrowserTest'
if command -v convert >/dev/null; then
  for f in "$out"/*.png; do convert "$f" -strip +dither -colors 32 "PNG8:$f"; done
fi
du -ch "$out"/*.png | tail -1
