#!/usr/bin/env bash
# Builds the Debian package from the release build: build/release/packages/billhook_<version>_<arch>.deb.
# Install it with `apt install ./build/release/packages/billhook_*.deb` (README: Installing the Debian package).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh release
rm -f build/release/packages/billhook_*.deb
cpack --config build/release/CPackConfig.cmake -B build/release/packages >/dev/null
deb=$(ls build/release/packages/billhook_*.deb)
echo "package: $deb"
