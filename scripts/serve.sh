#!/usr/bin/env bash
# Sets up, builds and runs `billhook serve` on its embedded SQLite store in ./billhook-data.
# Extra arguments go to `billhook serve` (see `billhook serve --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh release billhook
exec build/release/src/billhook serve "$@"
