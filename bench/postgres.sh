# Sourced by bench/run.sh and bench/profile.sh: the PostgreSQL server billhook is measured on. Expects
# ROOT (the source tree) and log() from the script that sources it.

# bench_postgres_start: sets PG_URL to $BILLHOOK_BENCH_DATABASE_URL or, without it, to a throwaway cluster
# started with scripts/pg.sh, whose directory it puts in PG_DIR for the caller's cleanup to stop
# (bash scripts/pg.sh stop "$PG_DIR").
bench_postgres_start() {
  PG_URL=${BILLHOOK_BENCH_DATABASE_URL:-}
  [ -z "$PG_URL" ] || return 0
  eval "$(bash "$ROOT/scripts/pg.sh" start | sed 's/^export //; s/BILLHOOK_PG_DIR=/PG_DIR=/; s/BILLHOOK_TEST_DATABASE_URL=/PG_URL=/')"
  log "PostgreSQL: a throwaway cluster at $PG_URL"
}

# bench_fresh_database NAME: database NAME, dropped if it was there and created empty, in PG_URL's
# server; prints its URL.
bench_fresh_database() {
  PGOPTIONS="-c client_min_messages=warning" psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $1" \
    -c "CREATE DATABASE $1" >/dev/null
  echo "${PG_URL%/*}/$1"
}
