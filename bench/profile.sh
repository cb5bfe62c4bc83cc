#!/usr/bin/env bash
# Profiles billhook's CPU under load with perf, for the evidence kept in bench/results/profiles/.
#
#   bench/profile.sh NAME [--binary PATH] [--seconds N] [--postgres]
#
# Two scenarios, each a fresh SQLite store on loopback under wrk (64 connections, bench/publish.lua):
#   publish  POST /v1/events with no endpoint: the publish path alone
#   deliver  the same with one endpoint subscribed, pointing at bench/receiver: publish and delivery,
#            as figure 1 of bench/run.sh measures them
# For each it writes bench/results/profiles/NAME-SCENARIO.txt (rate, billhook's CPU time per request,
# CPU by thread, and the billhook functions that take the most, inclusive), .folded.gz (the stacks,
# root first, for any flame graph tool) and .svg (a flame graph drawn by bench/flame.py).
# perf samples at 999 Hz with DWARF call graphs. Compare profiles taken on the same machine; the
# shares say where the time goes even when other work makes the rates noisy.
# --postgres: billhook on PostgreSQL instead (a fresh database per scenario, in the server at
# $BILLHOOK_BENCH_DATABASE_URL or a throwaway cluster started with scripts/pg.sh), files named
# NAME-postgres-SCENARIO; the summary adds the CPU time the database server's processes for that
# database used while wrk ran, per request (perf profiles billhook only).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$PATH:/usr/sbin:/sbin"

USAGE="usage: bench/profile.sh NAME [--binary PATH] [--seconds N] [--postgres]"
NAME=""; BINARY=$ROOT/build/release/src/billhook; SECONDS_EACH=10; POSTGRES=0
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) BINARY=$2; shift 2 ;;
    --seconds) SECONDS_EACH=$2; shift 2 ;;
    --postgres) POSTGRES=1; shift ;;
    -*) echo "$USAGE" >&2; exit 2 ;;
    *) NAME=$1; shift ;;
  esac
done
[ -n "$NAME" ] || { echo "$USAGE" >&2; exit 2; }
log() { printf '[profile] %s\n' "$*" >&2; }

missing=()
command -v perf >/dev/null || missing+=(linux-perf)
command -v wrk >/dev/null || missing+=(wrk)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  sudo=(); [ "$(id -u)" = 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ "$BINARY" = "$ROOT/build/release/src/billhook" ]; then bash scripts/build.sh release billhook >&2; fi
cmake -S . -B build/release -DBILLHOOK_BENCH=ON >/dev/null
cmake --build build/release --target billhook_bench_receiver >&2

OUT=$ROOT/bench/results/profiles
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/billhook-profile.XXXXXX)
PIDS=()
PG_DIR=""
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  [ -z "$PG_DIR" ] || bash "$ROOT/scripts/pg.sh" stop "$PG_DIR" || true
  rm -rf "$TMP"
}
trap cleanup EXIT
PG_URL=""
source "$ROOT/bench/postgres.sh"
if [ "$POSTGRES" = 1 ]; then
  bench_postgres_start
  NAME=$NAME-postgres
fi
# db_server_ticks DATABASE: the CPU time (clock ticks) the server processes connected to DATABASE have used.
db_server_ticks() {
  local pid total=0
  for pid in $(pgrep -f "^postgres: [^ ]+ $1 " || true); do
    [ -r "/proc/$pid/stat" ] && total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
KEY="profile_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"

wait_for_port() {  # wait_for_port FILE SED_EXPR PID: prints the port once FILE names it
  local i port
  for i in $(seq 1 300); do
    port=$(sed -n "$2" "$1" 2>/dev/null | head -1)
    [ -n "$port" ] && { echo "$port"; return 0; }
    kill -0 "$3" 2>/dev/null || { cat "$1" "$1.err" >&2 2>/dev/null; log "process $3 ended"; exit 1; }
    sleep 0.1
  done
  log "timed out waiting for $1"; exit 1
}

# The request body bench/run.sh publishes (bench/publish_template.py).
python3 bench/publish_template.py "$ROOT/src/catalog/data/catalog.json" >"$TMP/template.json"

for scenario in publish deliver; do
  build/release/bench/receiver --port 0 >"$TMP/receiver.out" 2>"$TMP/receiver.out.err" &
  rec_pid=$!; PIDS+=("$rec_pid")
  rec_port=$(wait_for_port "$TMP/receiver.out" 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$rec_pid")
  store=()
  if [ -n "$PG_URL" ]; then
    db="profile_$$_$scenario"
    url=$(bench_fresh_database "$db")
    store=(--database-url "$url")
  fi
  "$BINARY" serve --listen 127.0.0.1:0 --data-dir "$TMP/data-$scenario" --api-key "$KEY" --log-level warn \
    --allow-networks 127.0.0.0/8 "${store[@]}" >"$TMP/billhook.out" 2>"$TMP/billhook.out.err" &
  bh_pid=$!; PIDS+=("$bh_pid")
  bh_port=$(wait_for_port "$TMP/billhook.out" 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$bh_pid")
  if [ "$scenario" = deliver ]; then
    curl -sS --fail-with-body -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
      "http://127.0.0.1:$bh_port/v1/endpoints" \
      -d "{\"url\": \"http://127.0.0.1:$rec_port/hook\", \"event_types\": [\"invoice.paid\"]}" >/dev/null
  fi
  log "$scenario: wrk → billhook for ${SECONDS_EACH}s under perf"
  perf record -F 999 --call-graph dwarf,16384 -p "$bh_pid" -o "$TMP/perf.data" -- sleep "$SECONDS_EACH" \
    >"$TMP/perf.out" 2>&1 &
  perf_pid=$!
  [ -n "$PG_URL" ] && db_ticks_before=$(db_server_ticks "$db")
  wrk -t 2 -c 64 -d "${SECONDS_EACH}s" --timeout 10s -s bench/publish.lua "http://127.0.0.1:$bh_port/v1/events" \
    -- "$TMP/template.json" "$KEY" >"$TMP/wrk.txt" 2>&1
  [ -n "$PG_URL" ] && db_ticks=$(($(db_server_ticks "$db") - db_ticks_before))
  wait "$perf_pid" || { cat "$TMP/perf.out" >&2; log "perf record failed"; exit 1; }
  sleep 1
  requests=$(sed -n 's/^{"requests":\([0-9]*\).*/\1/p' "$TMP/wrk.txt")
  delivered=$(curl -sS "http://127.0.0.1:$rec_port/count" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
  kill "$bh_pid" "$rec_pid"; wait "$bh_pid" "$rec_pid" 2>/dev/null || true
  PIDS=()
  [ -n "$PG_URL" ] && psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $db" >/dev/null

  prefix=$OUT/$NAME-$scenario
  perf script -i "$TMP/perf.data" -F tid,ip,sym 2>"$TMP/script.err" >"$TMP/script.txt" ||
    { cat "$TMP/script.err" >&2; log "perf script failed"; exit 1; }
  python3 bench/perf_fold.py "$prefix" "${requests:-0}" <"$TMP/script.txt"
  if [ -n "${PROFILE_DEBUG:-}" ]; then cp "$TMP/script.txt" "$TMP/script.err" "$TMP/perf.data" "$PROFILE_DEBUG/"; fi
  {
    echo "$scenario, $(date -u +%Y-%m-%dT%H:%M:%SZ), $("$BINARY" version), $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    grep '^{"requests"' "$TMP/wrk.txt" || cat "$TMP/wrk.txt"
    [ "$scenario" = deliver ] && echo "delivered while wrk ran (and 1 s after): $delivered of $requests"
    if [ -n "$PG_URL" ]; then
      python3 -c 'import sys; t, hz, n = map(int, sys.argv[1:]); print(f"PostgreSQL server processes of this database, CPU while wrk ran: {t / hz:.2f} s, {t / hz * 1e6 / max(n, 1):.1f} us per request")' \
        "$db_ticks" "$(getconf CLK_TCK)" "${requests:-0}"
    fi
    echo
    cat "$prefix.txt"
  } >"$TMP/summary.txt"
  mv "$TMP/summary.txt" "$prefix.txt"
  python3 bench/flame.py "$prefix.folded" "$prefix.svg" "billhook $scenario ($NAME)"
  gzip -9 -f "$prefix.folded"
  rm -f "$TMP/perf.data"
  log "$scenario: $prefix.txt"
  head -6 "$prefix.txt" >&2
done
