#!/usr/bin/env bash
# Backs up one Hotline 12319 centre into a dated folder:
#   db.dump            the database (pg_dump custom format)
#   filestore.tar      Odoo's filestore of the database (attachments)
#   recordings-N.tar   each PBX's recording folder (hotline.pbx.recording_path)
#   spool-N.sqlite3    each bridge's spool (SQLite online backup: safe while it runs)
#   manifest.txt       counts a restore is checked against, what came from where
#   SHA256SUMS         checksums of the above (sha256sum -c)
# The counts, the list of stored files and the dump read one snapshot of the
# database; the filestore is copied while that snapshot is held.
#
# usage: scripts/backup.sh [-c odoo.conf] [-d DB] [-o FOLDER] [--data-dir DIR]
#            [--recordings DIR]... [--no-recordings]
#            [--spool FILE]... [--bridge-config bridge.toml]...
# The server: PGHOST/PGPORT/PGUSER/PGPASSWORD, else the config's db_*, else the
# local cluster (scripts/pg.sh) with this checkout's odoo.conf, else libpq's
# defaults as Odoo. Prints the backup folder on stdout.
source "$(dirname "$0")/backup_lib.sh"

usage() { sed -n '2,18s/^# \{0,1\}//p' "$0" >&2; exit 2; }

CONF="$ROOT/odoo.conf"
DB=""
OUT_DIR="$VAR_DIR/backups"
DATA_DIR=""
RECORDINGS=()
NO_RECORDINGS=""
SPOOLS=()
while [ $# -gt 0 ]; do
    case "$1" in
        -c|--config) CONF="$2"; shift 2 ;;
        -d|--database) DB="$2"; shift 2 ;;
        -o|--output) OUT_DIR="$2"; shift 2 ;;
        --data-dir) DATA_DIR="$2"; shift 2 ;;
        --recordings) RECORDINGS+=("$2"); shift 2 ;;
        --no-recordings) NO_RECORDINGS=1; shift ;;
        --spool) SPOOLS+=("$2"); shift 2 ;;
        --bridge-config) SPOOLS+=("$(bridge_spool_path "$2")") || exit 1; shift 2 ;;
        -h|--help) usage ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[ -f "$CONF" ] || die "No Odoo config at $CONF (-c FILE)"
DB="${DB:-$(conf_value "$CONF" db_name)}"
[ -n "$DB" ] || die "Which database? (-d DB, or db_name in $CONF)"
DATA_DIR="${DATA_DIR:-$(odoo_data_dir "$CONF")}"
use_postgres_of "$CONF"
command -v "$(pg_tool pg_dump)" >/dev/null || die "pg_dump not found (Debian: apt-get install postgresql-client; or PG_BIN=...)"

sql_on "$DB" -c "SELECT 1" >/dev/null 2>&1 || die "Cannot connect to database '$DB' on ${PGHOST:-the local socket}:${PGPORT:-5432} as ${PGUSER:-$(id -un)}"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
final="$OUT_DIR/hotline-$DB-$stamp"
work="$final.partial"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
manifest="$work/manifest.txt"
{
    echo "format $BACKUP_FORMAT"
    echo "created $stamp"
    echo "database $DB"
    echo "server_version $(sql_on "$DB" -c 'SHOW server_version')"
} > "$manifest"

# One REPEATABLE READ transaction, held by a psql in the background, exports its
# snapshot: the counts, the stored-file list and pg_dump all see the same data.
coproc SNAP { sql_on "$DB" 2>&1; }
snap_in="${SNAP[1]}"
snap_out="${SNAP[0]}"
snap_pid="$SNAP_PID"  # bash unsets SNAP_PID once the coprocess has ended
ask() {  # one query in the snapshot's transaction, its output up to a marker line
    printf '%s\n\\echo __end__\n' "$1" >&"$snap_in"
    local line
    while IFS= read -r line <&"$snap_out"; do
        [ "$line" = "__end__" ] && return 0
        printf '%s\n' "$line"
    done
    die "The snapshot's psql ended early"
}
ask "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;" >/dev/null
snapshot="$(ask "SELECT pg_export_snapshot();")"
[[ "$snapshot" =~ ^[0-9A-F-]+$ ]] || die "Could not export a snapshot: $snapshot"
ask "$(count_queries)" >> "$manifest"
ask "SELECT 'addon ' || name || ' ' || coalesce(latest_version, '') FROM ir_module_module
     WHERE state = 'installed' AND name LIKE 'hotline\_%' ORDER BY name;" >> "$manifest"
ask "$(stored_files_query)" > "$work/stored_files.txt"

say "Filestore of $DB (from $DATA_DIR/filestore/$DB)"
filestore="$DATA_DIR/filestore/$DB"
if [ -d "$filestore" ]; then
    tar -C "$DATA_DIR/filestore" -cf "$work/filestore.tar" "$DB"
    find "$filestore" -type f | wc -l | sed 's/^/filestore.files /' >> "$manifest"
    missing=0
    while IFS= read -r name; do
        [ -f "$filestore/$name" ] || { missing=$((missing + 1)); say "missing in the filestore: $name"; }
    done < "$work/stored_files.txt"
else
    say "No filestore folder $filestore"
    tar -cf "$work/filestore.tar" -T /dev/null
    echo "filestore.files 0" >> "$manifest"
    missing="$(wc -l < "$work/stored_files.txt")"
fi
echo "filestore.missing $missing" >> "$manifest"
[ "$missing" = 0 ] || say "WARNING: $missing stored file(s) of the database are not in the filestore"

say "Database $DB (pg_dump, custom format)"
"$(pg_tool pg_dump)" --format=custom --snapshot="$snapshot" --no-owner --file="$work/db.dump" "$DB"
ask "COMMIT;" >/dev/null
exec {snap_in}>&-
wait "$snap_pid" 2>/dev/null || true
rm -f "$work/stored_files.txt"

if [ -z "$NO_RECORDINGS" ] && [ ${#RECORDINGS[@]} -eq 0 ]; then
    mapfile -t RECORDINGS < <(sql_on "$DB" -c "SELECT DISTINCT recording_path FROM hotline_pbx
        WHERE active AND coalesce(recording_path, '') <> '' ORDER BY 1" 2>/dev/null || true)
fi
[ -n "$NO_RECORDINGS" ] && RECORDINGS=()
index=0
for folder in "${RECORDINGS[@]}"; do
    if [ -d "$folder" ]; then
        say "Recordings in $folder"
        tar -C "$folder" -cf "$work/recordings-$index.tar" .
        echo "recordings.$index.path $folder" >> "$manifest"
        echo "recordings.$index.files $(find "$folder" -type f | wc -l)" >> "$manifest"
        index=$((index + 1))
    else
        # The PBX's folder is not mounted on this host: back it up where it is.
        say "WARNING: recording folder $folder is not on this host; not in this backup"
        echo "recordings.absent $folder" >> "$manifest"
    fi
done

index=0
for spool in "${SPOOLS[@]}"; do
    [ -f "$spool" ] || die "No bridge spool at $spool"
    say "Bridge spool $spool"
    counts="$(python3 - "$spool" "$work/spool-$index.sqlite3" <<'PY'
import sqlite3
import sys

source = sqlite3.connect(sys.argv[1], timeout=30)
target = sqlite3.connect(sys.argv[2])
with target:
    source.backup(target)  # SQLite's online backup: a consistent copy while the bridge writes
source.close()
for table in ("outbox", "dead_letter"):
    print(table, target.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
target.close()
PY
)"
    echo "spool.$index.path $spool" >> "$manifest"
    sed "s/^/spool.$index./" <<< "$counts" >> "$manifest"
    index=$((index + 1))
done

(cd "$work" && sha256sum -- * > SHA256SUMS)
mv "$work" "$final"
trap - EXIT
say "Backup of $DB in $final ($(du -sh "$final" | cut -f1))"
echo "$final"
