#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for drills and restore tests, never the shared one:
#   pg_throwaway.sh start DIR PORT   initdb in DIR (when new), start on 127.0.0.1:PORT
#   pg_throwaway.sh restart DIR      stop (fast: connections are cut) and start again
#   pg_throwaway.sh stop DIR         stop it (DIR is kept; rm -rf it afterwards)
# Its superuser is $HOTLINE_PG_USER (hotline), trusted on 127.0.0.1. As root the
# cluster belongs to the unprivileged user scripts/pg.sh uses (hotline-pg).
source "$(dirname "$0")/../lib.sh"

pg_bin() {
    local dir
    for dir in ${PG_BIN:-} /usr/lib/postgresql/15/bin /usr/lib/postgresql/16/bin /usr/lib/postgresql/17/bin; do
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    done
    dirname "$(command -v initdb || die "initdb not found")"
}

owner() {
    if [ "$(id -u)" = 0 ]; then
        local user="${HOTLINE_PG_OS_USER:-hotline-pg}"
        id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
        echo "$user"
    else
        id -un
    fi
}

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u "$(owner)" -- "$@"; else "$@"; fi
}

BIN="$(pg_bin)"
action="${1:-}"; dir="${2:-}"
[ -n "$dir" ] || die "usage: pg_throwaway.sh start DIR PORT | restart DIR | stop DIR"
data="$dir/data"
case "$action" in
    start)
        port="${3:?PORT}"
        mkdir -p "$dir"
        if [ "$(id -u)" = 0 ]; then
            chown "$(owner)" "$dir"
            d="$dir"; while [ "$d" != / ]; do chmod o+x "$d" 2>/dev/null || true; d="$(dirname "$d")"; done
        fi
        if [ ! -f "$data/PG_VERSION" ]; then
            as_owner "$BIN/initdb" --pgdata="$data" --username="$PG_USER" --auth=trust \
                --encoding=UTF8 --locale=C.UTF-8 >/dev/null
            cat >> "$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
shared_buffers = 64MB
jit = off
max_connections = 60
CONF
        fi
        as_owner "$BIN/pg_ctl" start --pgdata="$data" --log="$dir/postgresql.log" --wait --timeout=60 >/dev/null \
            || die "the throwaway cluster did not start: $(tail -n 5 "$dir/postgresql.log")"
        ;;
    restart)
        as_owner "$BIN/pg_ctl" restart --pgdata="$data" --mode=fast --log="$dir/postgresql.log" --wait --timeout=60 >/dev/null
        ;;
    stop)
        [ -f "$data/postmaster.pid" ] && as_owner "$BIN/pg_ctl" stop --pgdata="$data" --mode=fast --wait >/dev/null
        ;;
    *) die "usage: pg_throwaway.sh start DIR PORT | restart DIR | stop DIR" ;;
esac
exit 0
