#!/usr/bin/env bash
# Restores a folder made by scripts/backup.sh into a NEW database (never over an
# existing one) on the server PGHOST/PGPORT/PGUSER name (else as backup.sh: the
# config's db_*, the local cluster), with its filestore; then checks the counts
# against the backup's manifest and that every stored file is back.
#
# usage: scripts/restore.sh BACKUP_FOLDER -d NEW_DB [-c odoo.conf] [--data-dir DIR]
#            [--recordings-to DIR] [--spool-to FILE] [--jobs N]
#   --recordings-to DIR  unpack the recordings into DIR (one subfolder per PBX
#                        folder when there are several) and point the restored
#                        PBX records at it; without it they stay in the backup
#   --spool-to FILE      put the (first) bridge spool there, for a bridge that
#                        is stopped and has no spool of its own yet
# Exit status 0 only when the restore is complete and checked.
source "$(dirname "$0")/backup_lib.sh"

usage() { sed -n '2,15s/^# \{0,1\}//p' "$0" >&2; exit 2; }

CONF="$ROOT/odoo.conf"
BACKUP=""
DB=""
DATA_DIR=""
RECORDINGS_TO=""
SPOOL_TO=""
JOBS=2
while [ $# -gt 0 ]; do
    case "$1" in
        -c|--config) CONF="$2"; shift 2 ;;
        -d|--database) DB="$2"; shift 2 ;;
        --data-dir) DATA_DIR="$2"; shift 2 ;;
        --recordings-to) RECORDINGS_TO="$2"; shift 2 ;;
        --spool-to) SPOOL_TO="$2"; shift 2 ;;
        -j|--jobs) JOBS="$2"; shift 2 ;;
        -h|--help) usage ;;
        -*) die "unknown argument: $1 (see --help)" ;;
        *) [ -z "$BACKUP" ] || die "one backup folder only"; BACKUP="$1"; shift ;;
    esac
done
[ -n "$BACKUP" ] && [ -n "$DB" ] || usage
manifest="$BACKUP/manifest.txt"
[ -f "$manifest" ] || die "$BACKUP is not a backup folder (no manifest.txt)"
[ "$(manifest_value "$manifest" format)" = "$BACKUP_FORMAT" ] || die "$manifest: unknown format"
[[ "$DB" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]*$ ]] || die "Invalid database name: $DB"
DATA_DIR="${DATA_DIR:-$(odoo_data_dir "$CONF")}"
use_postgres_of "$CONF"
target_filestore="$DATA_DIR/filestore/$DB"

say "Checking the backup's checksums"
(cd "$BACKUP" && sha256sum --check --quiet --strict SHA256SUMS) || die "$BACKUP is damaged: checksums differ"

exists="$(sql_on postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" \
    || die "Cannot connect to ${PGHOST:-the local socket}:${PGPORT:-5432} as ${PGUSER:-$(id -un)}"
[ -z "$exists" ] || die "Database $DB already exists: restore into a new name (or drop it first)"
if [ -d "$target_filestore" ] && [ -n "$(ls -A "$target_filestore")" ]; then
    die "$target_filestore already holds files: restore into a new name (or remove it first)"
fi

say "Database $DB from $(manifest_value "$manifest" database) of $(manifest_value "$manifest" created)"
sql_on postgres -c "CREATE DATABASE \"$DB\" ENCODING 'UTF8' TEMPLATE template0"
if ! "$(pg_tool pg_restore)" --dbname="$DB" --no-owner --no-privileges --exit-on-error --jobs="$JOBS" "$BACKUP/db.dump"; then
    die "pg_restore failed; the partial database $DB is left for inspection (DROP DATABASE \"$DB\" to retry)"
fi

say "Filestore into $target_filestore"
mkdir -p "$target_filestore"
tar -xf "$BACKUP/filestore.tar" -C "$target_filestore" --strip-components=1

index=0
while [ -f "$BACKUP/recordings-$index.tar" ]; do
    source_path="$(manifest_value "$manifest" "recordings.$index.path")"
    if [ -n "$RECORDINGS_TO" ]; then
        target="$RECORDINGS_TO"
        [ -f "$BACKUP/recordings-1.tar" ] && target="$RECORDINGS_TO/$index"
        say "Recordings of $source_path into $target"
        mkdir -p "$target"
        tar -xf "$BACKUP/recordings-$index.tar" -C "$target" --skip-old-files
        sql_on "$DB" -v old="$source_path" -v new="$target" >/dev/null \
            <<< "UPDATE hotline_pbx SET recording_path = :'new' WHERE recording_path = :'old'"
    else
        say "Recordings of $source_path kept in $BACKUP/recordings-$index.tar (--recordings-to DIR unpacks them)"
    fi
    index=$((index + 1))
done

if [ -f "$BACKUP/spool-0.sqlite3" ]; then
    if [ -n "$SPOOL_TO" ]; then
        [ -e "$SPOOL_TO" ] && die "$SPOOL_TO exists: a bridge's spool is never overwritten (stop the bridge, move it away)"
        mkdir -p "$(dirname "$SPOOL_TO")"
        cp "$BACKUP/spool-0.sqlite3" "$SPOOL_TO"
        say "Bridge spool into $SPOOL_TO ($(manifest_value "$manifest" spool.0.outbox) item(s) to deliver)"
    else
        say "Bridge spool kept in $BACKUP/spool-0.sqlite3 (--spool-to FILE restores it)"
    fi
fi

say "Checking the restored database against the manifest"
failed=0
while read -r key value; do
    expected="$(manifest_value "$manifest" "$key")"
    if [ "$expected" = "$value" ]; then
        printf '  %-22s %s\n' "$key" "$value" >&2
    else
        printf '  %-22s %s, expected %s\n' "$key" "$value" "$expected" >&2
        failed=1
    fi
done < <(sql_on "$DB" -c "$(count_queries)")
missing=0
while IFS= read -r name; do
    [ -f "$target_filestore/$name" ] || missing=$((missing + 1))
done < <(sql_on "$DB" -c "$(stored_files_query)")
printf '  %-22s %s\n' "missing stored files" "$missing" >&2
[ "$missing" = "$(manifest_value "$manifest" filestore.missing)" ] || failed=1
[ "$failed" = 0 ] || die "The restored database $DB differs from the backup's manifest"
say "Restored $DB (filestore in $target_filestore)"
