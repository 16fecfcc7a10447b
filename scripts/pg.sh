#!/usr/bin/env bash
# start | stop | status of the project-local PostgreSQL cluster.
# Does nothing when PGHOST or odoo.conf's db_host names a server.
source "$(dirname "$0")/lib.sh"

PGDATA_DIR="$VAR_DIR/pg/data"
PG_LOG="$VAR_DIR/pg/postgresql.log"
SOCKET_DIR="/tmp/hotline12319-pg-$PG_PORT"
OS_USER="${HOTLINE_PG_OS_USER:-}"

find_pg_bin() {
    local dir
    for dir in ${PG_BIN:-} /usr/lib/postgresql/15/bin /usr/lib/postgresql/16/bin /usr/lib/postgresql/17/bin /usr/lib/postgresql/14/bin; do
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    done
    command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return 0; }
    die "PostgreSQL server binaries not found (initdb). Install them (Debian: apt-get install postgresql) or set PGHOST to use a running server."
}

# PostgreSQL refuses to run as root: as root, the cluster belongs to an
# unprivileged system user that is created when missing.
cluster_user() {
    if [ "$(id -u)" != 0 ]; then
        id -un
        return 0
    fi
    local user="${OS_USER:-hotline-pg}"
    if ! id "$user" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
        say "Created the system user $user to own the local PostgreSQL cluster"
    fi
    echo "$user"
}

as_user() {
    local user="$1"; shift
    if [ "$(id -u)" = 0 ]; then
        runuser -u "$user" -- "$@"
    else
        "$@"
    fi
}

is_running() {
    [ -f "$PGDATA_DIR/postmaster.pid" ] && as_user "$(cluster_user)" "$BIN/pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1
}

# Whether something accepts connections on 127.0.0.1:PORT.
port_answers() {
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# "name pid" of what listens on $PG_PORT, when ss can tell (as root, or for one's own processes).
port_listener() {
    command -v ss >/dev/null || return 0
    ss -Hltnp "sport = :$PG_PORT" 2>/dev/null \
        | sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\),.*/\1 \2/p' | head -n 1
}

# The data folder of the PostgreSQL server on $PG_PORT: a postmaster works in
# its data folder; else ask the server (local clusters trust $PG_USER).
other_data_dir() {
    local pid="$1"
    [ -n "$pid" ] && readlink "/proc/$pid/cwd" 2>/dev/null && return 0
    PGCONNECT_TIMEOUT=3 "$BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres -XAtc 'SHOW data_directory' \
        2>/dev/null || true
}

free_port() {
    local port
    for port in $(seq $((PG_PORT + 1)) $((PG_PORT + 100))); do
        port_answers "$port" || { echo "$port"; return 0; }
    done
    echo "$((PG_PORT + 1))"
}

die_port_taken() {
    local name="" pid="" dir=""
    read -r name pid <<< "$(port_listener)"
    case "$name" in postgres|postmaster|"") dir="$(other_data_dir "$pid")" ;; esac
    local hint="choose another port for this checkout, e.g. 'HOTLINE_PG_PORT=$(free_port) make test'"
    if [[ "$dir" == */var/pg/data ]]; then
        die "Port $PG_PORT is taken by another PostgreSQL cluster (data folder $dir, probably another clone of this project): stop it there with 'make stop', or $hint."
    elif [ -n "$dir" ]; then
        die "Port $PG_PORT is taken by another PostgreSQL cluster (data folder $dir): stop it, or $hint."
    elif [ "$name" = postgres ] || [ "$name" = postmaster ]; then
        die "Port $PG_PORT is taken by another PostgreSQL server (pid $pid): stop it, or $hint."
    elif [ -n "$name" ]; then
        die "Port $PG_PORT is taken by '$name' (pid $pid): stop it, or $hint."
    fi
    die "Port $PG_PORT on 127.0.0.1 is taken by another program: $hint."
}

start() {
    local user
    user="$(cluster_user)"
    if is_running; then
        local port
        port="$(sed -n 4p "$PGDATA_DIR/postmaster.pid")"
        # Going on would connect to whatever else answers on $PG_PORT.
        [ "$port" = "$PG_PORT" ] || die "This checkout's PostgreSQL cluster runs on port $port, not $PG_PORT: run with HOTLINE_PG_PORT=$port, or stop it first with 'make stop'."
        say "PostgreSQL already running on 127.0.0.1:$PG_PORT"
        return 0
    fi
    port_answers "$PG_PORT" && die_port_taken
    mkdir -p "$VAR_DIR/pg" "$SOCKET_DIR"
    if [ "$(id -u)" = 0 ]; then
        chown "$user" "$VAR_DIR/pg" "$SOCKET_DIR"
        # The cluster user must be able to reach its folder inside the checkout.
        local dir="$VAR_DIR"
        while [ "$dir" != "/" ]; do
            [ -x "$dir" ] && runuser -u "$user" -- test -x "$dir" || chmod o+x "$dir"
            dir="$(dirname "$dir")"
        done
    fi
    if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
        say "Creating a local PostgreSQL cluster in $PGDATA_DIR (port $PG_PORT, 127.0.0.1 only)"
        as_user "$user" "$BIN/initdb" --pgdata="$PGDATA_DIR" --username="$PG_USER" \
            --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
        cat >> "$PGDATA_DIR/postgresql.conf" <<CONF
# Hotline 12319 local cluster
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$SOCKET_DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 512MB
work_mem = 32MB
jit = off
maintenance_work_mem = 256MB
max_connections = 100
CONF
    fi
    local log_size output
    log_size="$(stat -c %s "$PG_LOG" 2>/dev/null || echo 0)"
    output="$(as_user "$user" "$BIN/pg_ctl" start --pgdata="$PGDATA_DIR" --log="$PG_LOG" --wait --timeout=60 \
        --options="-p $PG_PORT -k $SOCKET_DIR" 2>&1)" \
        || die "PostgreSQL did not start. The end of $PG_LOG:
$(tail -c +"$((log_size + 1))" "$PG_LOG" 2>/dev/null | tail -n 5 | grep . || echo "$output")"
    say "PostgreSQL running on 127.0.0.1:$PG_PORT (data in $PGDATA_DIR; 'make stop' stops it)"
}

stop() {
    if is_running; then
        as_user "$(cluster_user)" "$BIN/pg_ctl" stop --pgdata="$PGDATA_DIR" --mode=fast --wait >/dev/null
        say "PostgreSQL stopped"
    fi
}

if uses_external_pg; then
    [ "${1:-}" = start ] && say "Using the PostgreSQL server named by PGHOST / odoo.conf; no local cluster started"
    exit 0
fi
BIN="$(find_pg_bin)"
case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) if is_running; then echo running; else echo stopped; fi ;;
    *) die "usage: pg.sh start|stop|status" ;;
esac
