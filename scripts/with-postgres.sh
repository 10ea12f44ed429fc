#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL 15 server:
#
#   scripts/with-postgres.sh <command> [args...]
#
# The server lives in a fresh temporary directory, listens on 127.0.0.1 at a
# free port (and on a socket in that directory), trusts local connections,
# and is stopped and removed when the command ends, whatever its exit. The
# command sees JOBSD_TEST_POSTGRES_URI (a database `jobsd` it may fill; tests
# make their own schemas in it) and PGHOST/PGPORT/PGUSER/PGDATABASE for psql.
# PostgreSQL refuses to run as root, so as root the server runs as the
# `postgres` user that Debian's package creates.
#
# When JOBSD_TEST_POSTGRES_URI is already set, the command runs against that
# server instead and nothing is started.
#
# Durability is off (fsync, synchronous_commit, full_page_writes): the tests
# kill jobsd, never the server, and run several times faster without it.
# JOBSD_PG_DURABLE=1 keeps PostgreSQL's defaults (benchmarks).
set -euo pipefail

if (($# == 0)); then
  echo "usage: scripts/with-postgres.sh <command> [args...]" >&2
  exit 2
fi
if [[ -n "${JOBSD_TEST_POSTGRES_URI:-}" ]]; then
  exec "$@"
fi

pg_bin=${JOBSD_PG_BIN:-/usr/lib/postgresql/15/bin}
if [[ ! -x "$pg_bin/initdb" ]]; then
  echo "with-postgres: no PostgreSQL 15 in $pg_bin (scripts/install-deps.sh installs postgresql-15)" >&2
  exit 1
fi

as_server=()
if [[ $(id -u) -eq 0 ]]; then as_server=(runuser -u postgres --); fi

root=$(mktemp -d /tmp/jobsd-pg.XXXXXX)
chmod 755 "$root"
if ((${#as_server[@]} > 0)); then chown postgres: "$root"; fi
data="$root/data"

cleanup() {
  local status=$?
  "${as_server[@]}" "$pg_bin/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$root"
  exit "$status"
}
trap cleanup EXIT INT TERM

"${as_server[@]}" "$pg_bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
  >"$root/initdb.log" 2>&1 || { cat "$root/initdb.log" >&2; exit 1; }

durability=(-c fsync=off -c synchronous_commit=off -c full_page_writes=off)
if [[ "${JOBSD_PG_DURABLE:-0}" == 1 ]]; then durability=(); fi

started=0
for _ in 1 2 3 4 5 6 7 8; do
  port=$((20000 + RANDOM % 20000))
  options="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$root"
  options+=" -c max_connections=400 -c shared_buffers=256MB ${durability[*]}"
  if "${as_server[@]}" "$pg_bin/pg_ctl" -D "$data" -l "$root/server.log" -w -t 30 \
       -o "$options" start >/dev/null 2>&1; then
    started=1
    break
  fi
done
if ((started == 0)); then
  echo "with-postgres: the server did not start:" >&2
  tail -n 20 "$root/server.log" >&2 || true
  exit 1
fi

export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=jobsd
"$pg_bin/psql" -q -d postgres -c "CREATE DATABASE jobsd" >/dev/null
export JOBSD_TEST_POSTGRES_URI="postgresql://postgres@127.0.0.1:$port/jobsd"
echo "with-postgres: PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') at $JOBSD_TEST_POSTGRES_URI" >&2

set +e
"$@"
status=$?
set -e
exit "$status"
