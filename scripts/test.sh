#!/usr/bin/env bash
# Sets up, builds and runs every test: first the release build, then the same suites under
# AddressSanitizer and UndefinedBehaviorSanitizer. Set BILLHOOK_SKIP_ASAN=1 to skip the second.
# The PostgreSQL suites run against a throwaway cluster (scripts/pg.sh) started here and stopped
# at the end, whether the tests pass or not.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

pg_env=$(bash scripts/pg.sh start)
eval "$pg_env"
trap 'bash scripts/pg.sh stop "$BILLHOOK_PG_DIR"' EXIT
echo "test: PostgreSQL at $BILLHOOK_TEST_DATABASE_URL"

run_suite() {
  local flavour=$1
  bash scripts/build.sh "$flavour"
  echo "test: running the $flavour suites"
  ctest --test-dir "build/$flavour" -j "$(nproc)" --output-on-failure --timeout 300
}

run_suite release
if [ "${BILLHOOK_SKIP_ASAN:-0}" != 1 ]; then
  # tests/lsan.supp holds fontconfig's caches under pango (src/render), which are not ours. G_SLICE makes
  # glib allocate with malloc, so that a pango object billhook leaks is seen by LeakSanitizer.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0" G_SLICE=always-malloc run_suite asan
fi
