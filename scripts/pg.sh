#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for tests: initdb into a temporary directory, listening on
# 127.0.0.1 at a free port and on a socket in that directory, trust authentication, superuser
# "billhook". As root, the cluster runs as the unprivileged user "postgres" (PostgreSQL refuses
# to run as root).
#
#   eval "$(scripts/pg.sh start)"     # exports BILLHOOK_PG_DIR and BILLHOOK_TEST_DATABASE_URL
#   scripts/pg.sh stop "$BILLHOOK_PG_DIR"            # stops it and removes the directory
#   scripts/pg.sh kill "$BILLHOOK_PG_DIR"            # pg_ctl stop -m immediate (a crash); keeps it
#   scripts/pg.sh restart "$BILLHOOK_PG_DIR"         # starts a stopped or killed cluster again
set -euo pipefail

bin=${BILLHOOK_PG_BIN:-/usr/lib/postgresql/15/bin}
[ -x "$bin/initdb" ] || { echo "pg: no PostgreSQL 15 server in $bin (install postgresql-15)" >&2; exit 1; }

# Runs a command as the cluster's owner.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  echo "pg: found no free port" >&2
  return 1
}

pg_start() {
  local dir=$1
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start >/dev/null
}

cmd=${1:-}
case "$cmd" in
  start)
    dir=$(mktemp -d "${TMPDIR:-/tmp}/billhook-pg.XXXXXX")
    chmod 755 "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U billhook --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    for attempt in 1 2 3 4 5; do
      port=$(free_port)
      cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
fsync = on
EOF
      if pg_start "$dir"; then break; fi
      [ "$attempt" -eq 5 ] && { cat "$dir/server.log" >&2; exit 1; }
    done
    echo "export BILLHOOK_PG_DIR='$dir'"
    echo "export BILLHOOK_TEST_DATABASE_URL='postgres://billhook@127.0.0.1:$port/postgres'"
    ;;
  stop)
    dir=${2:?usage: pg.sh stop DIR}
    [ -f "$dir/data/PG_VERSION" ] || { echo "pg: $dir is not a cluster made by pg.sh" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  kill)
    dir=${2:?usage: pg.sh kill DIR}
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
    ;;
  restart)
    dir=${2:?usage: pg.sh restart DIR}
    pg_start "$dir"
    ;;
  *)
    echo "usage: pg.sh start | stop DIR | kill DIR | restart DIR" >&2
    exit 2
    ;;
esac
