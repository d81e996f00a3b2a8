#!/usr/bin/env bash
# Makes a local PostgreSQL ready for hookflow's tests and benchmarks, idempotently:
# installs it with apt-get when missing, starts the cluster, and creates the role
# hookflow (password hookflow, LOGIN CREATEDB), or gives an existing one those settings.
# Tests then connect with HOOKFLOW_TEST_PG_URL (default postgres://hookflow:hookflow@127.0.0.1:5432/postgres).
set -euo pipefail

ROLE="${HOOKFLOW_PG_ROLE:-hookflow}"
PASSWORD="${HOOKFLOW_PG_PASSWORD:-hookflow}"

log() { printf 'pg-setup: %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

as_postgres() {
  # From /tmp: psql warns when the postgres user cannot enter the current directory.
  if [ "$(id -u)" -eq 0 ]; then su postgres -c "cd /tmp && $1"; else sudo -u postgres sh -c "cd /tmp && $1"; fi
}

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing postgresql with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq postgresql >/dev/null
fi

# The newest installed server version (Debian 12 ships 15).
VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
CLUSTER=main

if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { found = 1 } END { exit !found }'; then
  log "creating cluster $VERSION/$CLUSTER"
  as_root pg_createcluster "$VERSION" "$CLUSTER"
fi

STATUS="$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { print $4 }')"
case "$STATUS" in
  online*) log "cluster $VERSION/$CLUSTER already running" ;;
  *)
    log "starting cluster $VERSION/$CLUSTER"
    as_root pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$CLUSTER" start
    ;;
esac

PORT="$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { print $3 }')"

# Wait until the server accepts connections (start returns before that on slow machines).
for _ in $(seq 1 50); do
  if as_postgres "psql -p $PORT -Atqc 'select 1'" >/dev/null 2>&1; then break; fi
  sleep 0.2
done

EXISTS="$(as_postgres "psql -p $PORT -Atqc \"select 1 from pg_roles where rolname = '$ROLE'\"")"
if [ "$EXISTS" = "1" ]; then
  log "role $ROLE exists; making sure it may log in and create databases"
  as_postgres "psql -p $PORT -qc \"alter role $ROLE login createdb password '$PASSWORD'\""
else
  log "creating role $ROLE"
  as_postgres "psql -p $PORT -qc \"create role $ROLE login createdb password '$PASSWORD'\""
fi

# The benchmark settles the server between cases with CHECKPOINT (PostgreSQL 15's pg_checkpoint role).
as_postgres "psql -p $PORT -qc \"grant pg_checkpoint to $ROLE\"" >/dev/null 2>&1 || true

log "ready: postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/postgres"
