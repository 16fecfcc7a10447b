#!/usr/bin/env bash
# make run: set up what is missing, install the hotline addons with demo data
# into the database named in odoo.conf (once), print the demo logins, serve as
# in production: HOTLINE_WORKERS (default 2) HTTP worker processes, so that the
# PBX bridge's rings and CDR batches and the users' requests do not share one
# process, and the gevent process for the websocket (bus: screen pops, chatter)
# on HOTLINE_GEVENT_PORT (default 8072). scripts/dev_proxy.py plays nginx's part
# (deploy/nginx): http://localhost:HTTP_PORT, /websocket to the gevent process.
# HOTLINE_WORKERS=0 serves from one threaded process, without the proxy.
source "$(dirname "$0")/lib.sh"
load_setup
DB="${HOTLINE_DB:-$(sed -n 's/^db_name *= *//p' "$ROOT/odoo.conf")}"
DB="${DB:-hotline}"
addons="${HOTLINE_ADDONS:-$(hotline_addons)}"
read -r -a odoo <<< "$(odoo_cmd)"
read -r -a psql <<< "$(psql_cmd)"

installed="$("${psql[@]}" -d "$DB" -Atc "SELECT name FROM ir_module_module WHERE state = 'installed' AND name LIKE 'hotline\_%'" 2>/dev/null || true)"
missing=()
IFS=, read -r -a wanted <<< "$addons"
for addon in "${wanted[@]}"; do
    grep -qx "$addon" <<< "$installed" || missing+=("$addon")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "Installing ${missing[*]} with demo data into database '$DB' (first run takes a few minutes)"
    ( IFS=,; "${odoo[@]}" -d "$DB" -i "${missing[*]}" --load-language=zh_CN --stop-after-init --log-level=warn )
else
    say "Database '$DB' has every hotline addon; reusing it ('make clean' starts over)"
fi
cat "$ROOT/docs/DEMO_LOGINS.txt"
WORKERS="${HOTLINE_WORKERS:-2}"
if [ "$WORKERS" -eq 0 ]; then
    say "Serving on http://localhost:$HTTP_PORT, one threaded process (Ctrl-C stops; 'make stop' stops PostgreSQL)"
    exec "${odoo[@]}" -d "$DB" --http-port="$HTTP_PORT" --workers=0
fi
# as in production (deploy/nginx), a front door on HTTP_PORT sends /websocket to the gevent
# process and the rest to the HTTP workers, which listen on their own ports
GEVENT_PORT="${HOTLINE_GEVENT_PORT:-8072}"
WORKERS_PORT="${HOTLINE_WORKERS_PORT:-$((HTTP_PORT + 10000))}"
"$VENV/bin/python" "$ROOT/scripts/dev_proxy.py" --listen "$HTTP_PORT" --http "$WORKERS_PORT" --websocket "$GEVENT_PORT" &
proxy=$!
trap 'kill "$proxy" 2>/dev/null || true' EXIT
say "Serving on http://localhost:$HTTP_PORT: $WORKERS HTTP workers (port $WORKERS_PORT), websocket on the gevent port $GEVENT_PORT (Ctrl-C stops; 'make stop' stops PostgreSQL)"
"${odoo[@]}" -d "$DB" --http-port="$WORKERS_PORT" --workers="$WORKERS" --gevent-port="$GEVENT_PORT"
