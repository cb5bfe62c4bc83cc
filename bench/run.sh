#!/usr/bin/env bash
# Measures billhook on loopback against references measured in the same run, and prints ratios.
#
#   bench/run.sh [--short] [--postgres] [--only=usage|--only=publish|--only=floor|--only=latency [--max-rate=N]]
#
# Figures (targets from DESIGN.md, "How fast, measured how"):
#   1. publish throughput   wrk + bench/publish.lua → billhook POST /v1/events (202)  vs  the same → nginx (204)
#   2. delivery throughput  N events published and delivered to bench/receiver   vs  wrk → the same receiver
#   3. end-to-end latency   paced publisher → receiver at 25/50/75 % of the measured delivery rate
#   4. memory               RSS while 1,000,000 deliveries queue for a receiver that is down, and drain
#   5. store growth         publish throughput with 10^4, 10^5, 10^6 (10^7 if it fits) events stored
#   6. usage intake         wrk + bench/usage.lua → POST /v1/usage-events/batch (100 per request) and
#                           /v1/usage-events (one per request), durable; then GET …/usage timed with
#                           10^6 events in the period (10^4 with --short). Targets (issue 15): ≥ 50,000
#                           events/s in batches on SQLite, current usage < 100 ms at 10^6.
# --short (CI) uses small counts and asserts nothing about speed: it proves the benchmark still runs.
# --postgres runs billhook on PostgreSQL (--database-url, a fresh database per billhook started)
# instead of SQLite: on the server named by $BILLHOOK_BENCH_DATABASE_URL, or else on a throwaway
# cluster started with scripts/pg.sh; results are then named latest-postgres / short-postgres.
# --only=usage runs figure 6 alone and prints its raw figures (no report, no results files): a quick
# check of the usage intake, e.g. `bench/run.sh --only=usage` for 10^6 events in the period.
# --only=publish runs figure 1's billhook side alone (no nginx, no report): on SQLite, then, with
# --postgres, the same on PostgreSQL, and prints each round's rate, each store's mean and the ratio
# PostgreSQL/SQLite, e.g. `bench/run.sh --only=publish --postgres` (issue 22: the ratio should be ≥ 0.5).
# --only=floor runs bench/store_floor (issue 22): billhook's SQLite store alone, no HTTP and no JSON
# parsing, taking figure 1's publishes (append_event, durable, 64 in flight as wrk's connections) and
# then the same with each delivery's bookkeeping (claim, send noted, attempt recorded) beside them, and
# publishing once more with 1024 in flight (where the writer's CPU rather than the fsync's wait is the
# limit); then wrk → nginx as figure 1's reference, and prints each floor as a ratio of nginx's rate: an
# upper bound for figure 1's ratio on this machine. Then bench/sqlite_ceiling: SQLite itself taking the same
# events' rows through its C API, bare and with billhook's indexes, and wrk → the receiver (figure 2's
# reference); from the CPU each reference's request costs and the ceiling's per event it prints the most
# figures 1 and 2 could reach on this machine. About 45 s (SQLite only: --postgres is ignored).
# --only=latency runs figure 2's billhook side (its rate sets the pace) and figure 3, and prints the
# delivery rate and p50/p99 at 25/50/75 % of it: a before/after check of latency in about 2 minutes.
# With --max-rate=N the percentages are of N events/s instead of the rate just measured, so that two trees
# whose delivery rates differ are compared at the same load. --binary=PATH measures that billhook binary
# (one built from another revision, say) instead of building this tree's: an A/B in one sitting.
#
# Everything listens on 127.0.0.1 (free ports, temp dirs) and every process started here is
# stopped by its pid when the script ends, however it ends. Results: bench/results/latest.json and
# latest.png (gnuplot; --short writes short.json and short.png instead); the raw files of the run are
# copied to the directory $BENCH_KEEP if that is set.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$PATH:/usr/sbin:/sbin"

SHORT=0
POSTGRES=0
ONLY=""
FIXED_MAX_RATE=""
BINARY=""
USAGE="usage: bench/run.sh [--short] [--postgres] [--binary=PATH] [--only=usage|--only=publish|--only=floor|--only=latency [--max-rate=N]]"
for arg in "$@"; do
  case "$arg" in
    --binary=*) BINARY=${arg#--binary=} ;;
    --max-rate=*) FIXED_MAX_RATE=${arg#--max-rate=} ;;
    --short) SHORT=1 ;;
    --postgres) POSTGRES=1 ;;
    --only=usage) ONLY=usage ;;
    --only=publish) ONLY=publish ;;
    --only=floor) ONLY=floor ;;
    --only=latency) ONLY=latency ;;
    *) echo "$USAGE" >&2
       exit 2 ;;
  esac
done
if [ -n "$FIXED_MAX_RATE" ]; then
  [[ "$FIXED_MAX_RATE" =~ ^[1-9][0-9]*$ ]] || { echo "--max-rate takes events per second (a whole number > 0), got '$FIXED_MAX_RATE'" >&2; exit 2; }
  [ "$ONLY" = latency ] || { echo "--max-rate goes with --only=latency; $USAGE" >&2; exit 2; }
fi
if [ -n "$BINARY" ]; then
  [ -x "$BINARY" ] || { echo "--binary: '$BINARY' is not an executable file" >&2; exit 2; }
  BINARY=$(realpath "$BINARY")
fi

if [ "$SHORT" = 1 ]; then
  PUBLISH_SECONDS=4; PUBLISH_ROUNDS=1
  DELIVERY_EVENTS=2000; DELIVERY_REF_SECONDS=3
  LATENCY_SECONDS=3
  MEMORY_EVENTS=10000; MEMORY_STEP=2000; DRAIN_MAX_SECONDS=120
  GROWTH_LEVELS="1000 10000"; GROWTH_SECONDS=3; GROWTH_TRY_TEN_MILLION=0
  USAGE_SECONDS=3; USAGE_EVENTS=10000
  FLOOR_EVENTS=5000; FLOOR_NGINX_SECONDS=3
else
  PUBLISH_SECONDS=15; PUBLISH_ROUNDS=2
  DELIVERY_EVENTS=50000; DELIVERY_REF_SECONDS=10
  LATENCY_SECONDS=20
  MEMORY_EVENTS=1000000; MEMORY_STEP=100000; DRAIN_MAX_SECONDS=180
  GROWTH_LEVELS="10000 100000 1000000"; GROWTH_SECONDS=10; GROWTH_TRY_TEN_MILLION=1
  USAGE_SECONDS=15; USAGE_EVENTS=1000000
  FLOOR_EVENTS=50000; FLOOR_NGINX_SECONDS=10
fi
WRK_THREADS=2
PUBLISH_CONNECTIONS=64     # wrk → billhook and wrk → nginx
DELIVERY_REF_CONNECTIONS=16  # wrk → receiver: billhook's default per-endpoint max_in_flight
PUBLISHER_CONNECTIONS=32     # bench/publisher, closed loop
API_KEY="bench_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
STARTED=$(date +%s)

log() { printf '[bench %4ss] %s\n' "$(($(date +%s) - STARTED))" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

# ---- what it needs ---------------------------------------------------------------------------
install_debian() {
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "need to install $*: run as root or install sudo"
    sudo=(sudo)
  fi
  log "installing $* (apt-get)"
  "${sudo[@]}" apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "$@" >/dev/null
}
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || missing+=(nginx-light)
command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
command -v curl >/dev/null || missing+=(curl)
command -v python3 >/dev/null || missing+=(python3)
[ ${#missing[@]} = 0 ] || install_debian "${missing[@]}"

# ---- build ------------------------------------------------------------------------------------
if [ -n "$BINARY" ]; then
  log "billhook: $BINARY ($("$BINARY" version))"
  BH=$BINARY
else
  log "building billhook (release)"
  bash scripts/build.sh release billhook >&2
  BH=$ROOT/build/release/src/billhook
fi
TOOLS=$ROOT/build/release/bench
mkdir -p "$TOOLS"
if grep -q 'add_subdirectory(bench)' CMakeLists.txt; then
  cmake -S . -B build/release -DBILLHOOK_BENCH=ON >/dev/null
  tools=(billhook_bench_receiver billhook_bench_publisher)
  # billhook's libraries are built already
  [ "$ONLY" = floor ] && tools+=(billhook_bench_store_floor billhook_bench_sqlite_ceiling)
  cmake --build build/release --target "${tools[@]}" >&2
else
  [ "$ONLY" != floor ] || die "bench/store_floor links billhook's libraries: it needs CMake's bench folder"
  CXXFLAGS_BENCH=(-std=c++20 -O2 -g -Wall -Wextra -Wpedantic -Werror -Wshadow -Wnon-virtual-dtor)
  for tool in receiver publisher; do
    if [ ! -x "$TOOLS/$tool" ] || [ "bench/$tool.cpp" -nt "$TOOLS/$tool" ]; then
      log "building bench/$tool.cpp"
      libs=(); [ "$tool" = receiver ] && libs=(-lcrypto)
      g++ "${CXXFLAGS_BENCH[@]}" -o "$TOOLS/$tool" "bench/$tool.cpp" "${libs[@]}"
    fi
  done
fi

# ---- processes, ports, cleanup ----------------------------------------------------------------
TMP=$(mktemp -d /tmp/billhook-bench.XXXXXX)
R=$TMP/raw
mkdir -p "$R"
PIDS=()

stop_pid() {  # stop_pid PID: SIGTERM, then SIGKILL after 10 s; forgets the pid
  local pid=$1 i
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  local kept=() p
  for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
  PIDS=("${kept[@]}")
}

PG_DIR=""
cleanup() {
  local status=$? p
  for p in "${PIDS[@]}"; do stop_pid "$p"; done
  [ -z "$PG_DIR" ] || bash "$ROOT/scripts/pg.sh" stop "$PG_DIR" || true
  if [ -n "${BENCH_KEEP:-}" ]; then
    rm -rf "$BENCH_KEEP" && cp -r "$R" "$BENCH_KEEP" && log "raw results kept in $BENCH_KEEP"
  fi
  rm -rf "$TMP"
  [ "$status" = 0 ] || log "ended with status $status"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_nginx: nginx answering 204 to everything (bench/nginx.conf); sets NGX_PID and NGX_PORT.
start_nginx() {
  local i
  NGX_PORT=$(free_port)
  mkdir -p "$TMP/nginx"
  sed -e "s/@PORT@/$NGX_PORT/" -e "s/@USER@/$(id -un)/" bench/nginx.conf >"$TMP/nginx/nginx.conf"
  nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e stderr >"$TMP/nginx.out" 2>&1 &
  NGX_PID=$!
  PIDS+=("$NGX_PID")
  for i in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$NGX_PORT/" && break; sleep 0.1; done
}

wait_for_line() {  # wait_for_line FILE PATTERN PID: until FILE has PATTERN (or PID dies, or 30 s)
  local i
  for i in $(seq 1 300); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { cat "$1" "$1.err" >&2 2>/dev/null || true; die "process $3 ended: see above"; }
    sleep 0.1
  done
  die "timed out waiting for '$2' in $1"
}

PG_URL=""
source "$ROOT/bench/postgres.sh"
if [ "$POSTGRES" = 1 ] && [ "$ONLY" != floor ]; then bench_postgres_start; fi

# start_billhook NAME [flags…]: a fresh data dir (or, with --postgres, a fresh database, unless
# ON_SQLITE=1); sets BH_PID and BH_PORT.
ON_SQLITE=0
start_billhook() {
  local name=$1; shift
  local out=$TMP/$name.out
  local store=() url
  if [ -n "$PG_URL" ] && [ "$ON_SQLITE" = 0 ]; then
    url=$(bench_fresh_database "bench_$$_$name")
    store=(--database-url "$url")
  fi
  "$BH" serve --listen 127.0.0.1:0 --data-dir "$TMP/$name-data" --api-key "$API_KEY" --log-level warn "${store[@]}" "$@" \
    >"$out" 2>"$out.err" &
  BH_PID=$!
  PIDS+=("$BH_PID")
  wait_for_line "$out" "listening on" "$BH_PID"
  BH_PORT=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out" | head -1)
  log "billhook $name: pid $BH_PID, 127.0.0.1:$BH_PORT"
}

# start_receiver NAME PORT [SECRET]: sets REC_PID and REC_PORT.
start_receiver() {
  local out=$TMP/$1.out
  "$TOOLS/receiver" --port "$2" ${3:+--secret "$3"} >"$out" 2>"$out.err" &
  REC_PID=$!
  PIDS+=("$REC_PID")
  wait_for_line "$out" "listening on" "$REC_PID"
  REC_PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out" | head -1)
}

# busy_cpu_seconds: the CPU time every process on the machine has used since boot (/proc/stat: user, nice,
# system, irq, softirq), in seconds: around a run, what that run cost the machine.
busy_cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '/^cpu /{printf "%.2f\n", ($2 + $3 + $4 + $7 + $8) / hz}' /proc/stat
}

# sign_envelopes EVENTS_JSON SECRET: the envelopes of a GET /v1/events answer ({"data": [...]}), one a line
# as bench/deliver.lua reads them (id, timestamp, signature, body), signed as billhook signs them (Standard
# Webhooks, a fresh timestamp).
sign_envelopes() {
  python3 - "$1" "$2" <<'EOF'
import base64, hashlib, hmac, json, sys, time
events = json.load(open(sys.argv[1]))["data"]
key = base64.b64decode(sys.argv[2].removeprefix("whsec_"))
ts = str(int(time.time()))
for e in events:
    body = json.dumps(e, separators=(",", ":"))
    sig = base64.b64encode(hmac.new(key, f"{e['id']}.{ts}.{body}".encode(), hashlib.sha256).digest()).decode()
    print(f"{e['id']}\t{ts}\tv1,{sig}\t{body}")
EOF
}

api() {  # api METHOD PATH [JSON]
  curl -sS --fail-with-body -X "$1" -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
    "http://127.0.0.1:$BH_PORT$2" ${3:+-d "$3"}
}

json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# create_endpoint RECEIVER_PORT: sets EP_ID and EP_SECRET (one endpoint, subscribed to invoice.paid).
create_endpoint() {
  api POST /v1/endpoints "{\"url\": \"http://127.0.0.1:$1/hook\", \"event_types\": [\"invoice.paid\"]}" \
    >"$TMP/endpoint.json"
  EP_ID=$(json_field id <"$TMP/endpoint.json")
  EP_SECRET=$(json_field secret <"$TMP/endpoint.json")
}

receiver_field() { curl -sS "http://127.0.0.1:$REC_PORT/count" | json_field "$1"; }

# wait_delivered N TIMEOUT_S: until the receiver has counted N POSTs.
wait_delivered() {
  local n=$1 deadline=$(($(date +%s) + $2)) got
  for (( ; ; )); do
    got=$(receiver_field count)
    [ "$got" -ge "$n" ] && return 0
    [ "$(date +%s)" -lt "$deadline" ] || die "the receiver got $got of $n deliveries in $2 s"
    kill -0 "$BH_PID" 2>/dev/null || die "billhook died: $(tail -5 "$TMP"/*.out.err)"
    sleep 0.2
  done
}

# interruptible CMD…: runs CMD in the background and waits for it, so that a signal reaches the
# trap at once (bash runs traps only between foreground commands) and CMD is stopped with the rest.
interruptible() {
  local pid rc=0
  "$@" &
  pid=$!
  PIDS+=("$pid")
  wait "$pid" || rc=$?
  stop_pid "$pid"
  return "$rc"
}

wrk_json() {  # wrk_json OUT URL SECONDS CONNECTIONS SCRIPT ARGS…
  local out=$1 url=$2 seconds=$3 connections=$4 script=$5; shift 5
  interruptible wrk -t "$WRK_THREADS" -c "$connections" -d "${seconds}s" --timeout 10s -s "$script" "$url" -- "$@" \
    >"$out.txt" 2>&1 || { cat "$out.txt" >&2; die "wrk failed"; }
  grep '^{"requests"' "$out.txt" >"$out"
}

publisher() {  # publisher ARGS…: bench/publisher against the current billhook
  interruptible "$TOOLS/publisher" --port "$BH_PORT" --api-key "$API_KEY" --template "$TMP/template.json" "$@"
}

# The request body (the catalog's invoice.paid example; see bench/publish_template.py).
python3 bench/publish_template.py "$ROOT/src/catalog/data/catalog.json" >"$TMP/template.json"

{
  echo "{\"short\": $([ "$SHORT" = 1 ] && echo true || echo false),"
  echo " \"nproc\": $(nproc),"
  echo " \"cpu\": \"$(lscpu | sed -n 's/^Model name: *//p' | head -1)\","
  echo " \"memory_gib\": $(awk '/MemTotal/ {printf "%.1f", $2 / 1048576}' /proc/meminfo),"
  echo " \"load_before\": \"$(cut -d' ' -f1-3 /proc/loadavg)\","
  echo " \"billhook\": \"$("$BH" version)\","
  echo " \"wrk\": \"$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)\","
  echo " \"nginx\": \"$(nginx -v 2>&1 | sed 's/.*: //')\","
  echo " \"body_bytes\": $(wc -c <"$TMP/template.json"),"
  echo " \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}"
} >"$R/machine.json"

if [ "$ONLY" = publish ]; then
# ---- figure 1's billhook side alone: SQLite, then PostgreSQL ----------------------------------
stores=(sqlite); [ -n "$PG_URL" ] && stores+=(postgres)
for store in "${stores[@]}"; do
  ON_SQLITE=1; [ "$store" = postgres ] && ON_SQLITE=0
  for round in $(seq 1 "$PUBLISH_ROUNDS"); do
    log "publish on $store, round $round/$PUBLISH_ROUNDS: wrk → billhook for ${PUBLISH_SECONDS}s"
    start_receiver publish-receiver 0
    start_billhook "publish_${store}_$round" --allow-networks 127.0.0.0/8
    create_endpoint "$REC_PORT"
    wrk_json "$R/publish_${store}_$round.json" "http://127.0.0.1:$BH_PORT/v1/events" "$PUBLISH_SECONDS" \
      "$PUBLISH_CONNECTIONS" bench/publish.lua "$TMP/template.json" "$API_KEY"
    delivered=$(receiver_field count)  # what delivery did with the CPU publishing left it
    stop_pid "$BH_PID"; stop_pid "$REC_PID"
    echo "publish $store round $round: $(cat "$R/publish_${store}_$round.json") delivered by the end: $delivered"
  done
done
ON_SQLITE=0
python3 - "$R" "${stores[@]}" <<'EOF'
import glob, json, os, sys
raw, stores = sys.argv[1], sys.argv[2:]
mean = {}
for store in stores:
    runs = [json.load(open(f)) for f in sorted(glob.glob(os.path.join(raw, f"publish_{store}_*.json")))]
    bad = sum(r["non_2xx"] + r["socket_errors"] for r in runs)
    mean[store] = sum(r["rate"] for r in runs) / len(runs)
    rates = ", ".join("%.0f" % r["rate"] for r in runs)
    print(f"publish {store}: {mean[store]:.0f}/s (mean of {len(runs)}: {rates}; non-2xx or socket errors: {bad})")
if "postgres" in mean:
    print(f"publish ratio postgres/sqlite: {mean['postgres'] / mean['sqlite']:.2f}")
EOF
log "done in $(($(date +%s) - STARTED)) s (--only=publish: no report written)"
exit 0
fi

if [ "$ONLY" = floor ]; then
# ---- the store floor: SQLite alone, no HTTP, against wrk → nginx ------------------------------------
log "store floor: $FLOOR_EVENTS events, publishing alone then with delivery bookkeeping, 64 in flight"
interruptible "$TOOLS/store_floor" --dir "$TMP/floor" --count "$FLOOR_EVENTS" --in-flight "$PUBLISH_CONNECTIONS" \
  >"$R/floor.jsonl"
log "store floor: $FLOOR_EVENTS events, publishing alone, 1024 in flight"
interruptible "$TOOLS/store_floor" --dir "$TMP/floor" --count "$FLOOR_EVENTS" --in-flight 1024 --no-delivery \
  >>"$R/floor.jsonl"
for indexes in "" --indexes; do
  log "SQLite ceiling ${indexes:-bare}: the rows of $FLOOR_EVENTS events through the bare C API"
  interruptible "$TOOLS/sqlite_ceiling" --dir "$TMP/ceiling" --count "$FLOOR_EVENTS" --group $((PUBLISH_CONNECTIONS / 2)) \
    --data "$TMP/template.json" $indexes >>"$R/ceiling.jsonl"
done
log "store floor: the reference, wrk → nginx (return 204) for ${FLOOR_NGINX_SECONDS}s"
start_nginx
cpu_before=$(busy_cpu_seconds)
wrk_json "$R/floor_nginx.json" "http://127.0.0.1:$NGX_PORT/v1/events" "$FLOOR_NGINX_SECONDS" \
  "$PUBLISH_CONNECTIONS" bench/publish.lua "$TMP/template.json" "$API_KEY"
echo "{\"busy_cpu_s\": $(python3 -c "print($(busy_cpu_seconds) - $cpu_before)")}" >"$R/floor_nginx_cpu.json"
stop_pid "$NGX_PID"
log "store floor: figure 2's reference, wrk → receiver with signed envelopes for ${FLOOR_NGINX_SECONDS}s"
FLOOR_SECRET="whsec_$(head -c 24 /dev/urandom | base64)"
python3 - "$TMP/template.json" >"$TMP/floor_events.json" <<'EOF'
import json, sys
data = json.load(open(sys.argv[1]))["data"]
print(json.dumps({"data": [{"id": f"msg_floor_{n}", "type": "invoice.paid", "timestamp": "2026-12-06T00:00:00Z",
                            "data": data} for n in range(100)]}))
EOF
sign_envelopes "$TMP/floor_events.json" "$FLOOR_SECRET" >"$TMP/floor_signed.tsv"
start_receiver floor-receiver 0 "$FLOOR_SECRET"
cpu_before=$(busy_cpu_seconds)
wrk_json "$R/floor_receiver.json" "http://127.0.0.1:$REC_PORT/hook" "$FLOOR_NGINX_SECONDS" "$DELIVERY_REF_CONNECTIONS" \
  bench/deliver.lua "$TMP/floor_signed.tsv"
echo "{\"busy_cpu_s\": $(python3 -c "print($(busy_cpu_seconds) - $cpu_before)")}" >"$R/floor_receiver_cpu.json"
stop_pid "$REC_PID"
python3 - "$R/floor.jsonl" "$R/ceiling.jsonl" "$R/floor_nginx.json" "$R/floor_receiver.json" \
  "$R/floor_nginx_cpu.json" "$R/floor_receiver_cpu.json" "$(nproc)" <<'EOF'
import json, sys
nginx_run, receiver_run = json.load(open(sys.argv[3])), json.load(open(sys.argv[4]))
nginx, receiver = nginx_run["rate"], receiver_run["rate"]
cores = int(sys.argv[7])
names = {"publish": "publish", "publish+delivery": "publish + delivery bookkeeping per event"}
for line in open(sys.argv[1]):
    f = json.loads(line)
    writer = f" (writer thread {f['writer_cpu_us_per_event']})" if "writer_cpu_us_per_event" in f else ""
    print(f"floor {names[f['phase']]}, {f['in_flight']} in flight: {f['rate']:.0f}/s = {f['rate'] / nginx:.2f} × nginx; "
          f"{f['cpu_us_per_event']} µs CPU per event{writer}, {f['events'] / f['commits']:.0f} events per commit")
ceiling = {}
for line in open(sys.argv[2]):
    c = json.loads(line)
    ceiling[(c["phase"], c["indexes"])] = c
    print(f"SQLite ceiling, {c['phase']}{' with billhook indexes' if c['indexes'] else ''} ({c['rows_per_event']} rows per event, "
          f"{c['group']} events per commit): {c['rate']:.0f}/s = {c['rate'] / nginx:.2f} × nginx, "
          f"{c['rows_per_s']:.0f} rows/s, {c['cpu_us_per_event']} µs CPU per event")
print(f"reference wrk → nginx: {nginx:.0f}/s; wrk → receiver (figure 2's reference): {receiver:.0f}/s; {cores} cores")
# What a reference's request costs this machine (the CPU time every process took during its run, wrk's
# included, per request), and so the most figures 1 and 2 could reach if billhook's own HTTP were as cheap as
# the reference's and its store wrote only the rows above: a published event costs at least the reference's
# request plus its rows; a delivered one also a request like figure 2's reference (billhook sending, the
# receiver answering).
per_nginx = json.load(open(sys.argv[5]))["busy_cpu_s"] * 1e6 / nginx_run["requests"]
per_receiver = json.load(open(sys.argv[6]))["busy_cpu_s"] * 1e6 / receiver_run["requests"]
print(f"CPU per request: wrk → nginx {per_nginx:.1f} µs, wrk → receiver {per_receiver:.1f} µs")
for indexes in (False, True):
    pub, dlv = ceiling[("publish rows", indexes)]["cpu_us_per_event"], ceiling[("delivered rows", indexes)]["cpu_us_per_event"]
    publish_only = cores * 1e6 / (per_nginx + pub)
    delivered = cores * 1e6 / (per_nginx + per_receiver + dlv)
    label = "with billhook's indexes" if indexes else "bare rows"
    print(f"bound, {label}: publish with nothing delivered {publish_only:.0f}/s = {publish_only / nginx:.2f} × nginx; "
          f"publish and deliver {delivered:.0f}/s = {delivered / nginx:.2f} × nginx (figure 1), "
          f"{delivered / receiver:.2f} × the receiver's reference (figure 2)")
EOF
log "done in $(($(date +%s) - STARTED)) s (--only=floor: no report written)"
exit 0
fi

if [ -z "$ONLY" ]; then
# ---- 1. publish throughput --------------------------------------------------------------------
# billhook: a fresh store, one endpoint subscribed to invoice.paid that points at a receiver that is
# up, so each accepted event is also delivered while the benchmark runs (the steady state).
for round in $(seq 1 "$PUBLISH_ROUNDS"); do
  log "publish, round $round/$PUBLISH_ROUNDS: wrk → billhook for ${PUBLISH_SECONDS}s"
  start_receiver publish-receiver 0
  start_billhook "publish$round" --allow-networks 127.0.0.0/8
  create_endpoint "$REC_PORT"
  wrk_json "$R/publish_billhook_$round.json" "http://127.0.0.1:$BH_PORT/v1/events" "$PUBLISH_SECONDS" \
    "$PUBLISH_CONNECTIONS" bench/publish.lua "$TMP/template.json" "$API_KEY"
  stop_pid "$BH_PID"; stop_pid "$REC_PID"

  log "publish, round $round/$PUBLISH_ROUNDS: wrk → nginx (return 204) for ${PUBLISH_SECONDS}s"
  start_nginx
  wrk_json "$R/publish_nginx_$round.json" "http://127.0.0.1:$NGX_PORT/v1/events" "$PUBLISH_SECONDS" \
    "$PUBLISH_CONNECTIONS" bench/publish.lua "$TMP/template.json" "$API_KEY"
  stop_pid "$NGX_PID"
done
fi  # figure 1

if [ -z "$ONLY" ] || [ "$ONLY" = latency ]; then
# ---- 2. delivery throughput -------------------------------------------------------------------
log "delivery: publish $DELIVERY_EVENTS events and wait until the receiver has them all"
RP=$(free_port)
start_billhook delivery --allow-networks 127.0.0.0/8
create_endpoint "$RP"
start_receiver delivery-receiver "$RP" "$EP_SECRET"
publisher --count "$DELIVERY_EVENTS" --connections "$PUBLISHER_CONNECTIONS" --id-prefix inv_d_ \
  >"$R/delivery_publisher.json"
wait_delivered "$DELIVERY_EVENTS" 1800
curl -sS "http://127.0.0.1:$REC_PORT/count" >"$R/delivery_receiver.json"

if [ -z "$ONLY" ]; then
log "delivery reference: wrk → receiver with the same envelopes and signature headers"
# 100 envelopes as billhook renders them, signed as billhook signs them (fresh timestamp).
api GET '/v1/events?limit=100' >"$TMP/events1.json"
sign_envelopes "$TMP/events1.json" "$EP_SECRET" >"$TMP/signed.tsv"
curl -sS "http://127.0.0.1:$REC_PORT/reset" >/dev/null
wrk_json "$R/delivery_wrk.json" "http://127.0.0.1:$REC_PORT/hook" "$DELIVERY_REF_SECONDS" "$DELIVERY_REF_CONNECTIONS" \
  bench/deliver.lua "$TMP/signed.tsv"
curl -sS "http://127.0.0.1:$REC_PORT/count" >"$R/delivery_wrk_receiver.json"
fi

# ---- 3. end-to-end latency --------------------------------------------------------------------
MEASURED_RATE=$(python3 -c '
import json, sys
pub = json.load(open(sys.argv[1])); rec = json.load(open(sys.argv[2]))
print(int(rec["count"] / ((rec["last_ns"] - pub["first_send_ns"]) / 1e9)))' \
  "$R/delivery_publisher.json" "$R/delivery_receiver.json")
MAX_RATE=${FIXED_MAX_RATE:-$MEASURED_RATE}
for pct in 25 50 75; do
  rate=$((MAX_RATE * pct / 100))
  [ "$rate" -ge 1 ] || rate=1
  count=$((rate * LATENCY_SECONDS))
  log "latency at $pct % of $MAX_RATE/s: $rate events/s for ${LATENCY_SECONDS}s, open loop"
  curl -sS "http://127.0.0.1:$REC_PORT/reset" >/dev/null
  publisher --count "$count" --rate "$rate" --connections 128 --id-prefix "inv_l${pct}_" \
    >"$R/latency_${pct}_publisher.json"
  wait_delivered "$count" 600
  curl -sS "http://127.0.0.1:$REC_PORT/latency" >"$R/latency_$pct.json"
  echo "{\"percent\": $pct, \"rate\": $rate, \"max_rate\": $MAX_RATE}" >"$R/latency_${pct}_meta.json"
done
stop_pid "$BH_PID"; stop_pid "$REC_PID"
fi  # figures 2 and 3

if [ "$ONLY" = latency ]; then
  echo "delivery: $MEASURED_RATE/s ($DELIVERY_EVENTS events published and delivered)"
  [ -z "$FIXED_MAX_RATE" ] || echo "latency rates are percentages of --max-rate=$FIXED_MAX_RATE/s"
  for pct in 25 50 75; do
    python3 - "$R/latency_$pct.json" "$R/latency_${pct}_meta.json" <<'EOF'
import json, sys
lat, meta = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
print(f"latency at {meta['percent']} % ({meta['rate']}/s): p50 {lat['p50_ms']:.1f} ms, p99 {lat['p99_ms']:.1f} ms")
EOF
  done
  log "done in $(($(date +%s) - STARTED)) s (--only=latency: no report written)"
  exit 0
fi

if [ -z "$ONLY" ]; then

# ---- 4. memory with a large backlog -----------------------------------------------------------
# The endpoint points at a port where nothing listens: each delivery's first try fails to connect
# and is scheduled 5 s (±20 %) later. billhook runs with --test-clock, so its clock stands still
# while the backlog is built: every delivery is tried once and then waits, as during a long outage.
# To drain, the receiver comes up on that port and POST /v1/test/clock moves the clock 60 s on:
# every retry is due at once (the 5-minute leases of tries in flight do not expire). The drain is
# watched for at most DRAIN_MAX_SECONDS (a full drain of 10^6 takes longer than the rest of the run).
log "memory: $MEMORY_EVENTS events queued for a receiver that is down"
RP=$(free_port)
start_billhook memory --allow-networks 127.0.0.0/8 --test-clock
create_endpoint "$RP"
MEM_PID=$BH_PID
grep VmRSS "/proc/$MEM_PID/status" | awk '{print "{\"rss_kib_start\": " $2 "}"}' >"$R/memory_start.json"
publisher --count "$MEMORY_EVENTS" --connections "$PUBLISHER_CONNECTIONS" --id-prefix inv_m_ \
  --progress-every "$MEMORY_STEP" --rss-pid "$MEM_PID" >"$R/memory_backlog.jsonl"
log "memory: receiver up, clock moved 60 s on; draining"
start_receiver memory-receiver "$RP" "$EP_SECRET"
api POST /v1/test/clock '{"advance_seconds": 60}' >/dev/null
DRAIN_START=$(date +%s.%N)
: >"$R/memory_drain.jsonl"
drain_deadline=$(($(date +%s) + DRAIN_MAX_SECONDS))
for (( ; ; )); do
  got=$(receiver_field count)
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$MEM_PID/status")
  echo "{\"t_s\": $(python3 -c "import time; print(round(time.time() - $DRAIN_START, 2))"), \"delivered\": $got, \"rss_kib\": $rss}" \
    >>"$R/memory_drain.jsonl"
  [ "$got" -ge "$MEMORY_EVENTS" ] && break
  [ "$(date +%s)" -lt "$drain_deadline" ] || { log "memory: $got of $MEMORY_EVENTS drained in ${DRAIN_MAX_SECONDS}s; stopping there"; break; }
  kill -0 "$MEM_PID" 2>/dev/null || die "billhook died while draining"
  if [ "$SHORT" = 1 ]; then sleep 0.5; else sleep 2; fi
done
awk '/VmHWM/ {print "{\"rss_kib_peak\": " $2 "}"}' "/proc/$MEM_PID/status" >"$R/memory_peak.json"
curl -sS "http://127.0.0.1:$REC_PORT/count" >"$R/memory_receiver.json"
stop_pid "$BH_PID"; stop_pid "$REC_PID"

# ---- 5. cost per event as the store grows -----------------------------------------------------
# Publish throughput (wrk, as in figure 1) at each level of events already stored. The store is
# filled with bench/publisher while the endpoint is disabled (PATCH enabled: false): the events are
# stored, no deliveries are made for them, so the fill runs at publishing speed. At each level wrk
# runs twice: with the endpoint still disabled (the cost of publishing alone: the figure asserted),
# then enabled, as in figure 1, so that each event is also delivered (those are let through before
# going on). The second is reported too; it moves with the delivery backlog more than with the store.
log "store growth: levels $GROWTH_LEVELS"
start_receiver growth-receiver 0
start_billhook growth --allow-networks 127.0.0.0/8
create_endpoint "$REC_PORT"
stored=0
measured=0
FILL_RATE=0
: >"$R/growth.jsonl"
measure_level() {
  local level=$1 fill=$(($1 - stored)) t0 t1
  api PATCH "/v1/endpoints/$EP_ID" '{"enabled": false}' >/dev/null
  if [ "$fill" -gt 0 ]; then
    t0=$(date +%s.%N)
    publisher --count "$fill" --connections "$PUBLISHER_CONNECTIONS" --id-prefix "inv_g${level}_" >"$TMP/fill.json"
    t1=$(date +%s.%N)
    stored=$((stored + fill))
    FILL_RATE=$(python3 -c "print(int($fill / ($t1 - $t0)))")
  fi
  log "store growth: $stored events stored (filled at ${FILL_RATE}/s); wrk for ${GROWTH_SECONDS}s, endpoint disabled"
  wrk_json "$TMP/growth_only.json" "http://127.0.0.1:$BH_PORT/v1/events" "$GROWTH_SECONDS" "$PUBLISH_CONNECTIONS" \
    bench/publish.lua "$TMP/template.json" "$API_KEY"
  stored=$((stored + $(json_field requests <"$TMP/growth_only.json")))
  api PATCH "/v1/endpoints/$EP_ID" '{"enabled": true}' >/dev/null
  log "store growth: $stored events stored; wrk for ${GROWTH_SECONDS}s, endpoint enabled"
  wrk_json "$TMP/growth_wrk.json" "http://127.0.0.1:$BH_PORT/v1/events" "$GROWTH_SECONDS" "$PUBLISH_CONNECTIONS" \
    bench/publish.lua "$TMP/template.json" "$API_KEY"
  python3 -c '
import json, sys
w = json.load(open(sys.argv[1])); w["level"] = int(sys.argv[2]); w["stored"] = int(sys.argv[3])
w["fill_rate"] = int(sys.argv[4]); w["publish_only"] = json.load(open(sys.argv[5])); print(json.dumps(w))' \
    "$TMP/growth_wrk.json" "$level" "$stored" "$FILL_RATE" "$TMP/growth_only.json" \
    >>"$R/growth.jsonl"
  local requests
  requests=$(json_field requests <"$TMP/growth_wrk.json")
  stored=$((stored + requests))
  measured=$((measured + requests))
  wait_delivered "$measured" 3600
}
for level in $GROWTH_LEVELS; do measure_level "$level"; done
GROWTH_NOTE=""
if [ "$GROWTH_TRY_TEN_MILLION" = 1 ]; then
  projected=$(( (10000000 - stored) / (FILL_RATE > 0 ? FILL_RATE : 1) ))
  if [ "$projected" -le 900 ]; then
    measure_level 10000000
  else
    GROWTH_NOTE="10^7 skipped: filling $((10000000 - stored)) more events at the measured ${FILL_RATE}/s would take ~$((projected / 60)) min (budget 15 min)"
    log "$GROWTH_NOTE"
  fi
fi
python3 -c 'import json, sys; print(json.dumps({"note": sys.argv[1]}))' "$GROWTH_NOTE" >"$R/growth_meta.json"
if [ -n "$PG_URL" ]; then
  psql -Atq "$PG_URL" -c "SELECT pg_database_size('bench_$$_growth') / 1024" \
    | awk '{print "{\"store_kib\": " $1 "}"}' >"$R/growth_store.json"
else
  du -sk "$TMP/growth-data" | awk '{print "{\"store_kib\": " $1 "}"}' >"$R/growth_store.json"
fi
stop_pid "$BH_PID"; stop_pid "$REC_PID"

fi  # figures 4 and 5

# ---- 6. usage intake and current usage -------------------------------------------------------
# One subscription on a plan with a graduated charge on a sum metric with a filter: every event is
# validated, stored once under its transaction_id and folded into the one running aggregate, durably
# before the answer. Then the period is filled to USAGE_EVENTS events and GET …/usage is timed: it reads
# the aggregate, so it must not grow with the events.
log "usage intake: wrk → batches of 100, then one event per request, ${USAGE_SECONDS}s each"
start_billhook usage --allow-networks 127.0.0.0/8
api POST /v1/billable-metrics '{"code": "bench_gb", "name": "Storage", "aggregation_type": "sum",
  "field_name": "gb", "filters": {"region": ["eu", "us"]}}' >/dev/null
USAGE_PLAN=$(api POST /v1/plans '{"code": "bench_metered", "name": "Metered", "interval": "month", "amount": 0,
  "currency": "EUR", "charges": [{"billable_metric": "bench_gb", "charge_model": "graduated", "properties":
  {"graduated_ranges": [{"from_value": 0, "to_value": 100, "per_unit_amount": "1.00", "flat_amount": "10.00"},
  {"from_value": 101, "to_value": null, "per_unit_amount": "0.0025", "flat_amount": "0"}]}}]}' | json_field id)
USAGE_CUSTOMER=$(api POST /v1/customers '{"name": "Bench"}' | json_field id)
api POST /v1/payment-methods "{\"customer\": \"$USAGE_CUSTOMER\", \"type\": \"card\",
  \"card\": {\"number\": \"4242424242424242\", \"exp_month\": 12, \"exp_year\": 2030}}" >/dev/null
USAGE_SUB=$(api POST /v1/subscriptions "{\"customer\": \"$USAGE_CUSTOMER\", \"plan\": \"$USAGE_PLAN\"}" | json_field id)
wrk_json "$R/usage_batch.json" "http://127.0.0.1:$BH_PORT/v1/usage-events/batch" "$USAGE_SECONDS" 16 \
  bench/usage.lua "$API_KEY" "$USAGE_SUB" 100
wrk_json "$R/usage_single.json" "http://127.0.0.1:$BH_PORT/v1/usage-events" "$USAGE_SECONDS" "$PUBLISH_CONNECTIONS" \
  bench/usage.lua "$API_KEY" "$USAGE_SUB" 1
usage_events() { api GET "/v1/subscriptions/$USAGE_SUB/usage" | python3 -c 'import json,sys; print(json.load(sys.stdin)["charges_usage"][0]["events_count"])'; }
stored_usage=$(usage_events)
while [ "$stored_usage" -lt "$USAGE_EVENTS" ]; do
  rate=$(python3 -c 'import json,sys; print(max(1000, json.load(open(sys.argv[1]))["events_per_s"]))' "$R/usage_batch.json")
  fill_seconds=$(python3 -c "import math; print(max(1, math.ceil(($USAGE_EVENTS - $stored_usage) / $rate * 1.1)))")
  log "usage intake: $stored_usage events in the period; filling for ${fill_seconds}s"
  wrk_json "$TMP/usage_fill.json" "http://127.0.0.1:$BH_PORT/v1/usage-events/batch" "$fill_seconds" 16 \
    bench/usage.lua "$API_KEY" "$USAGE_SUB" 100
  before=$stored_usage
  stored_usage=$(usage_events)
  [ "$stored_usage" -gt "$before" ] || die "usage intake: no events were counted while filling"
done
log "usage intake: GET current usage with $stored_usage events in the period, 50 times"
for _ in $(seq 50); do
  curl -sS -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $API_KEY" \
    "http://127.0.0.1:$BH_PORT/v1/subscriptions/$USAGE_SUB/usage"
done | python3 -c '
import json, statistics, sys
t = sorted(float(x) * 1000 for x in sys.stdin.read().split())
print(json.dumps({"events": int(sys.argv[1]), "calls": len(t), "p50_ms": statistics.median(t), "max_ms": t[-1]}))' \
  "$stored_usage" >"$R/usage_current.json"
stop_pid "$BH_PID"

# ---- report -----------------------------------------------------------------------------------
if [ -n "$ONLY" ]; then
  for f in usage_batch usage_single usage_current; do echo "$f: $(cat "$R/$f.json")"; done
  log "done in $(($(date +%s) - STARTED)) s (--only=$ONLY: no report written)"
  exit 0
fi
echo "{\"load_after\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"seconds\": $(($(date +%s) - STARTED))}" >"$R/run.json"
# A short run writes short.json and short.png, so that CI leaves the full run's figures alone.
NAME=latest; [ "$SHORT" = 1 ] && NAME=short
[ "$POSTGRES" = 1 ] && NAME=$NAME-postgres
mkdir -p bench/results
python3 bench/report.py "$R" "bench/results/$NAME"
log "done in $(($(date +%s) - STARTED)) s: bench/results/$NAME.json, bench/results/$NAME.png"
