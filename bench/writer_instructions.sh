#!/usr/bin/env bash
# The SQLite store writer's work per event, counted in instructions by valgrind's callgrind rather than
# timed: a before/after measure that the machine's load does not move. Timings on the 2-core machines
# vary by a fifth from one run to the next; these counts by about a percent (group commits come out a
# little different each run).
#
#   bash bench/writer_instructions.sh [--count N] [--binary PATH]
#
# Runs bench/store_floor (64 in flight) under callgrind twice, counting only what runs inside
# SqliteStore::commit_batch — the writer's batches: the jobs, their savepoints, COMMIT and its WAL
# checkpoints: once publishing alone (--no-delivery), once also with each delivery's bookkeeping (the
# dispatcher's claims, sends noted and attempts recorded). Prints the writer's instructions per published
# event and per delivered event (what the second run adds, per event). About a minute for the default
# 4,000 events. Needs valgrind (installed if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

COUNT=4000; BINARY=$ROOT/build/release/bench/store_floor
usage() { echo "usage: bench/writer_instructions.sh [--count N] [--binary PATH]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --count) [ $# -ge 2 ] || usage; COUNT=$2; shift 2 ;;
    --binary) [ $# -ge 2 ] || usage; BINARY=$2; shift 2 ;;
    *) usage ;;
  esac
done
[[ "$COUNT" =~ ^[1-9][0-9]*$ ]] || { echo "--count must be a positive whole number, got '$COUNT'" >&2; exit 2; }
log() { printf '[writer_instructions] %s\n' "$*" >&2; }

if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate >/dev/null; then
  log "installing valgrind"
  sudo=(); [ "$(id -u)" = 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq valgrind >/dev/null
fi
if [ "$BINARY" = "$ROOT/build/release/bench/store_floor" ]; then
  bash scripts/build.sh release >&2
  cmake -S . -B build/release -DBILLHOOK_BENCH=ON >/dev/null
  cmake --build build/release --target billhook_bench_store_floor >&2
fi
[ -x "$BINARY" ] || { echo "no store_floor at $BINARY" >&2; exit 1; }

TMP=$(mktemp -d /tmp/billhook-instructions.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# writer_instructions NAME ARGS...: the instructions counted inside commit_batch in one store_floor run.
writer_instructions() {
  local name=$1; shift
  log "$name: store_floor --count $COUNT $* under callgrind"
  valgrind --tool=callgrind --toggle-collect='*SqliteStore::commit_batch*' \
    --callgrind-out-file="$TMP/$name.out" "$BINARY" --dir "$TMP" --count "$COUNT" --in-flight 64 "$@" \
    > "$TMP/$name.json" 2> "$TMP/$name.log" || { cat "$TMP/$name.log" >&2; exit 1; }
  callgrind_annotate "$TMP/$name.out" 2>/dev/null | awk '/PROGRAM TOTALS/ && !found { gsub(",", "", $1); print $1; found = 1 }'
}

publish=$(writer_instructions publish --no-delivery)
both=$(writer_instructions publish+delivery --with-delivery)
[ -n "$publish" ] && [ -n "$both" ] || { echo "callgrind counted nothing: is commit_batch still the writer's batch?" >&2; exit 1; }
awk -v p="$publish" -v b="$both" -v n="$COUNT" 'BEGIN {
  printf "writer instructions per published event: %.0f\n", p / n
  printf "writer instructions per delivered event (publish + its bookkeeping): %.0f\n", (b - p) / n
}'
