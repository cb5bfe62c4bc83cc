#!/usr/bin/env bash
# Sets up, builds and runs every test: first the release build, then the same suites under
# AddressSanitizer and UndefinedBehaviorSanitizer. Set BILLHOOK_SKIP_ASAN=1 to skip the second.
# The PostgreSQL suites run against a throwaway cluster (scripts/pg.sh) started here and stopped
# at the end, whether the tests pass or not.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
bash scripts/setup.sh
echo "test: set up in $((SECONDS - started)) s"

pg_env=$(bash scripts/pg.sh start)
eval "$pg_env"
trap 'bash scripts/pg.sh stop "$BILLHOOK_PG_DIR"' EXIT
echo "test: PostgreSQL at $BILLHOOK_TEST_DATABASE_URL"

# Most tests wait on servers, receivers and PostgreSQL rather than compute, so more run at once than there are
# cores: twice as many for release (the suite's wall time fell by a third at -j4 on 2 cores), one more under
# the sanitizers, which make each test several times heavier. BILLHOOK_TEST_JOBS overrides both.
run_suite() {
  local flavour=$1 jobs=$2 started=$SECONDS
  bash scripts/build.sh "$flavour"
  echo "test: built $flavour in $((SECONDS - started)) s; running its suites, $jobs at a time"
  started=$SECONDS
  ctest --test-dir "build/$flavour" -j "${BILLHOOK_TEST_JOBS:-$jobs}" --output-on-failure --timeout 300
  echo "test: the $flavour suites took $((SECONDS - started)) s"
}

cores=$(nproc)
run_suite release $((cores * 2))
if [ "${BILLHOOK_SKIP_ASAN:-0}" != 1 ]; then
  # tests/lsan.supp holds fontconfig's caches under pango (src/render), which are not ours. G_SLICE makes
  # glib allocate with malloc, so that a pango object billhook leaks is seen by LeakSanitizer.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0" G_SLICE=always-malloc run_suite asan $((cores + 1))
fi
