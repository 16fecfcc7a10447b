# Shared by scripts/backup.sh and scripts/restore.sh. Sourced, never run.
# shellcheck shell=bash
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BACKUP_FORMAT="hotline12319-backup 1"

# A value of odoo.conf's [options] (empty when unset or False).
conf_value() {
    local conf="$1" key="$2"
    [ -f "$conf" ] || return 0
    awk -v key="$key" '
        /^[[:space:]]*\[/ { in_options = ($0 ~ /^[[:space:]]*\[options\]/) }
        in_options && $0 ~ "^[[:space:]]*" key "[[:space:]]*=" {
            sub(/^[^=]*=[[:space:]]*/, ""); sub(/[[:space:]]*$/, "")
            if ($0 != "False") value = $0
        }
        END { print value }' "$conf"
}

# The PostgreSQL server as libpq environment variables, so that psql, pg_dump and
# pg_restore all reach the same one: PGHOST/PGPORT/PGUSER when set, else the
# config's db_host/db_port/db_user/db_password, else the project's local cluster
# (with this checkout's odoo.conf) or libpq's defaults, as Odoo (another config).
use_postgres_of() {
    local conf="$1" host
    if [ -z "${PGHOST:-}" ]; then
        host="$(conf_value "$conf" db_host)"
        if [ -n "$host" ]; then
            export PGHOST="$host"
            local port user password
            port="$(conf_value "$conf" db_port)"; user="$(conf_value "$conf" db_user)"
            password="$(conf_value "$conf" db_password)"
            [ -n "$port" ] && export PGPORT="$port"
            [ -n "$user" ] && export PGUSER="$user"
            [ -n "$password" ] && export PGPASSWORD="$password"
        elif [ "$(realpath "$conf")" = "$(realpath "$ROOT/odoo.conf")" ]; then
            export PGHOST=127.0.0.1 PGPORT="$PG_PORT" PGUSER="$PG_USER"
        else
            local port user
            port="$(conf_value "$conf" db_port)"; user="$(conf_value "$conf" db_user)"
            [ -n "$port" ] && export PGPORT="$port"
            [ -n "$user" ] && export PGUSER="$user"
        fi
    fi
    export PGDATABASE=postgres
}

# Odoo's data_dir (filestore/<db>, sessions): the config's, else Odoo's default.
odoo_data_dir() {
    local conf="$1" dir
    dir="$(conf_value "$conf" data_dir)"
    if [ -z "$dir" ]; then
        dir="${XDG_DATA_HOME:-$HOME/.local/share}/Odoo"
    fi
    echo "${dir/#\~/$HOME}"
}

pg_tool() {
    echo "${PG_BIN:+$PG_BIN/}$1"
}

# psql on database $1, quiet, unaligned, failing on the first error.
sql_on() {
    local db="$1"; shift
    "$(pg_tool psql)" -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"
}

# The counts a restore is checked against, one "key value" a line. Tables of
# addons that are not installed count -1.
count_queries() {
    cat <<'SQL'
SELECT 'count.cases ' || CASE WHEN to_regclass('hotline_case') IS NULL THEN -1
    ELSE (xpath('/row/c/text()', query_to_xml('SELECT count(*) AS c FROM hotline_case', false, true, '')))[1]::text::bigint END;
SELECT 'count.calls ' || CASE WHEN to_regclass('hotline_call') IS NULL THEN -1
    ELSE (xpath('/row/c/text()', query_to_xml('SELECT count(*) AS c FROM hotline_call', false, true, '')))[1]::text::bigint END;
SELECT 'count.messages ' || count(*) FROM mail_message;
SELECT 'count.attachments ' || count(*) FROM ir_attachment;
SELECT 'count.stored_files ' || count(DISTINCT store_fname) FROM ir_attachment WHERE store_fname IS NOT NULL;
SQL
}

# The files attachments of the database point to, one relative path a line.
stored_files_query() {
    echo "SELECT DISTINCT store_fname FROM ir_attachment WHERE store_fname IS NOT NULL ORDER BY 1;"
}

manifest_value() {
    local manifest="$1" key="$2"
    awk -v key="$key" '$1 == key { sub(/^[^ ]+ /, ""); print; exit }' "$manifest"
}

# The spool file named by a bridge's TOML config ([spool] path, relative to the config's folder).
bridge_spool_path() {
    python3 - "$1" <<'PY'
import sys
import tomllib
from pathlib import Path

config = Path(sys.argv[1])
with config.open("rb") as handle:
    path = Path(tomllib.load(handle).get("spool", {}).get("path", "spool.sqlite3"))
print(path if path.is_absolute() else config.parent / path)
PY
}
