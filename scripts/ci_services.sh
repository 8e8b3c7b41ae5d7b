#!/usr/bin/env bash
# PostgreSQL + an MLflow tracking server on 127.0.0.1, for the scale-out tests (tests/test_scaleout.py).
#
#   scripts/ci_services.sh start   # install what is missing, start both, wait until healthy
#   . "$NNFS_SERVICES_DIR/env.sh"  # (default dir: /tmp/nnfs-services) sets NNFS_TEST_PG_URL and
#                                  # NNFS_TEST_TRACKING_URI for this shell only
#   scripts/ci_services.sh stop    # stop both (the data stays in the dir until the next start)
#
# start installs PostgreSQL from the distribution's packages (apt-get, needs root) when no server
# binaries are found, creates a throwaway cluster in $NNFS_SERVICES_DIR owned by the `postgres`
# user (when run as root) with a random password, two databases (optuna, mlflow), installs
# the psycopg driver into .venv, and starts `mlflow server` with the PostgreSQL backend and served
# artifacts (no shared filesystem needed by clients). It exports nothing: the URLs are printed
# (password masked) and written to env.sh.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
DIR=${NNFS_SERVICES_DIR:-/tmp/nnfs-services}
PY=${PY:-$ROOT/.venv/bin/python}
PG_PORT=${NNFS_PG_PORT:-55432}
MLFLOW_PORT=${NNFS_MLFLOW_PORT:-55000}
export MLFLOW_DISABLE_TELEMETRY=true

log() { echo "ci_services: $*"; }

pg_bindir() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$d" ] && command -v pg_config >/dev/null 2>&1; then d=$(pg_config --bindir); fi
    echo "$d"
}

# Run a PostgreSQL command as the cluster's owner (PostgreSQL refuses to run as root).
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_free() {
    "$PY" - "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: TIME_WAIT is fine
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
EOF
}

install_postgres() {
    if [ -n "$(pg_bindir)" ] && [ -x "$(pg_bindir)/initdb" ]; then return; fi
    if [ "$(id -u)" != 0 ]; then
        log "PostgreSQL is not installed and this is not root: apt-get install postgresql first"
        exit 1
    fi
    log "installing PostgreSQL from the distribution's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
}

start() {
    [ -x "$PY" ] || { log "$PY missing: run 'make install' first"; exit 1; }
    if [ -f "$DIR/mlflow.pid" ] || [ -f "$DIR/pgdata/postmaster.pid" ]; then
        log "stopping the services a previous start left in $DIR"
        stop
    fi
    install_postgres
    local bin
    bin=$(pg_bindir)
    # SQLAlchemy 2.1 maps postgresql:// to psycopg 3 (2.0 mapped it to psycopg2).
    "$PY" -c "import psycopg" 2>/dev/null || "$PY" -m pip install --quiet "psycopg[binary]"
    for p in "$PG_PORT" "$MLFLOW_PORT"; do
        port_free "$p" || { log "port $p on 127.0.0.1 is taken; set NNFS_PG_PORT/NNFS_MLFLOW_PORT"; exit 1; }
    done

    rm -rf "$DIR"
    mkdir -p "$DIR/pgdata" "$DIR/socket" "$DIR/artifacts"
    local password
    password=$("$PY" -c "import secrets; print(secrets.token_hex(12))")
    printf '%s\n' "$password" >"$DIR/pwfile"
    chmod 600 "$DIR/pwfile"
    if [ "$(id -u)" = 0 ]; then chown -R postgres: "$DIR/pgdata" "$DIR/socket" "$DIR/pwfile"; fi
    chmod 755 "$DIR"

    log "initdb + PostgreSQL on 127.0.0.1:$PG_PORT ($DIR/pgdata)"
    as_owner "$bin/initdb" -D "$DIR/pgdata" -U postgres --auth=scram-sha-256 \
        --pwfile="$DIR/pwfile" -E UTF8 >"$DIR/initdb.log"
    as_owner "$bin/pg_ctl" -D "$DIR/pgdata" -l "$DIR/pgdata/server.log" -w -t 60 \
        -o "-h 127.0.0.1 -p $PG_PORT -k $DIR/socket" start >/dev/null
    local psql=("$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt)
    PGPASSWORD=$password "${psql[@]}" -d postgres \
        -c "CREATE ROLE nnfs LOGIN PASSWORD '$password'" \
        -c "CREATE DATABASE optuna OWNER nnfs" \
        -c "CREATE DATABASE mlflow OWNER nnfs"

    local base="postgresql://nnfs:$password@127.0.0.1:$PG_PORT"
    log "mlflow server on 127.0.0.1:$MLFLOW_PORT (backend PostgreSQL, served artifacts)"
    # setsid: the server and its workers form one process group that `stop` ends by its id.
    setsid "$PY" -m mlflow server --backend-store-uri "$base/mlflow" --serve-artifacts \
        --artifacts-destination "$DIR/artifacts" --host 127.0.0.1 --port "$MLFLOW_PORT" \
        --workers 2 >"$DIR/mlflow.log" 2>&1 </dev/null &
    echo $! >"$DIR/mlflow.pid"
    local i
    for i in $(seq 1 120); do
        if "$PY" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$MLFLOW_PORT/health', timeout=2)" 2>/dev/null; then
            break
        fi
        if ! kill -0 "$(cat "$DIR/mlflow.pid")" 2>/dev/null; then
            log "mlflow server died; its log:"; tail -n 30 "$DIR/mlflow.log"; exit 1
        fi
        [ "$i" = 120 ] && { log "mlflow server not healthy after 120 s"; tail -n 30 "$DIR/mlflow.log"; exit 1; }
        sleep 1
    done

    cat >"$DIR/env.sh" <<EOF
NNFS_TEST_PG_URL='$base/optuna'
NNFS_TEST_TRACKING_URI='http://127.0.0.1:$MLFLOW_PORT'
export NNFS_TEST_PG_URL NNFS_TEST_TRACKING_URI
EOF
    chmod 600 "$DIR/env.sh"
    log "ready: NNFS_TEST_PG_URL=postgresql://nnfs:***@127.0.0.1:$PG_PORT/optuna"
    log "ready: NNFS_TEST_TRACKING_URI=http://127.0.0.1:$MLFLOW_PORT"
    log "source $DIR/env.sh to use them"
}

stop() {
    local bin
    bin=$(pg_bindir)
    if [ -f "$DIR/mlflow.pid" ]; then
        local pid
        pid=$(cat "$DIR/mlflow.pid")
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
            kill -KILL -- "-$pid" 2>/dev/null || true
        fi
        rm -f "$DIR/mlflow.pid"
        log "mlflow server stopped"
    fi
    if [ -n "$bin" ] && [ -f "$DIR/pgdata/postmaster.pid" ]; then
        as_owner "$bin/pg_ctl" -D "$DIR/pgdata" -m fast -w stop >/dev/null || true
        log "PostgreSQL stopped"
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
