#!/usr/bin/env bash
# make run: set up what is missing, install the hotline addons with demo data
# into the database named in odoo.conf (once), print the demo logins, serve.
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
say "Serving on http://localhost:$HTTP_PORT (Ctrl-C stops; 'make stop' stops PostgreSQL)"
exec "${odoo[@]}" -d "$DB" --http-port="$HTTP_PORT"
