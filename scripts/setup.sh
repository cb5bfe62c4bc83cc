#!/usr/bin/env bash
# Installs every Debian 12 package billhook needs to build, run and test. Safe to run again:
# it only calls apt-get when something is missing. Runs as root, or through sudo.
set -euo pipefail

packages=(
  g++ cmake ninja-build ccache pkg-config git curl ca-certificates
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libcurl4-openssl-dev libssl-dev libsqlite3-dev
  libspdlog-dev libfmt-dev libcli11-dev
  # PDFs (src/render): cairo and pango; DejaVu Sans covers Latin, Greek, Cyrillic and Arabic, WenQuanYi
  # Micro Hei (5 MB, against 91 MB for Noto CJK) Chinese, Japanese and Korean.
  libcairo2-dev libpango1.0-dev fonts-dejavu-core fonts-wqy-microhei
  # Tests; poppler-utils reads the PDFs back (pdftotext, pdfinfo, pdftoppm); chromium opens the hosted pages
  # (headless, driven by npm's puppeteer-core, which downloads no browser of its own).
  libgtest-dev libgmock-dev poppler-utils chromium
  # Fuzzing (scripts/fuzz.sh): clang with libFuzzer and the sanitizers' runtimes.
  clang libclang-rt-14-dev
  # The official JSON Schema Test Suite, run against catalog/json_schema.cpp (tests/unit/catalog).
  json-schema-test-suite
  libpq-dev postgresql-15 postgresql-client-15
  # The Debian package (scripts/package.sh, tests/packaging/deb_test.sh): cpack's shlibdeps needs dpkg-dev and
  # file; systemd-analyze verifies the unit (no running systemd needed); groff renders the man page; zsh
  # checks its completion script.
  dpkg-dev file systemd groff-base zsh
)

# Node.js and npm run the independent signature verifier (npm's standardwebhooks). A machine
# that already has them (from NodeSource, say) keeps its own; Debian's would conflict.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

install_node_packages() {
  # The verifier's npm packages, pinned by tests/support/package-lock.json.
  local dir
  dir="$(dirname "$0")/../tests/support"
  if [ ! -d "$dir/node_modules/standardwebhooks" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
    echo "setup: installing the test verifier's npm packages"
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages are installed"
  install_node_packages
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: run as root (or install sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "setup: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
install_node_packages
echo "setup: done"
