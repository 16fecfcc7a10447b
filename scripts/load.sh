#!/usr/bin/env bash
# make load: the load scenario (deploy/load/locustfile.py) against Odoo with workers behind
# nginx (both from deploy/), at 50, 100 and 200 operators; results in var/bench/load.md
# (copied by hand into docs/BENCHMARKS.md "## Load").
#
#   HOTLINE_LOAD_DB         database (default hotline_load; created with the addons, demo data
#                           and generated cases when missing)
#   HOTLINE_LOAD_FRESH=1    drop and recreate it
#   HOTLINE_LOAD_CASES      cases generated in a new database (default 50000, 10000 open)
#   HOTLINE_LOAD_ADDONS     addons of a new database (default: those the scenario uses)
#   HOTLINE_LOAD_OPERATORS  simulated operators per run (default 50,100,200)
#   HOTLINE_LOAD_DEPARTMENT_USERS  department staff in every run (default 20)
#   HOTLINE_LOAD_DURATION   seconds per run (default 60)
#   HOTLINE_LOAD_WORKERS    Odoo HTTP workers (default 4: 2 x cores for this 2-core machine)
# Locust comes from the package registry into its own virtualenv (not requirements.txt).
source "$(dirname "$0")/lib.sh"
load_setup
DB="${HOTLINE_LOAD_DB:-hotline_load}"
CASES="${HOTLINE_LOAD_CASES:-50000}"
# the addons the scenario exercises (bench/generate_cases.py fills the columns of these)
ADDONS="${HOTLINE_LOAD_ADDONS:-hotline_case,hotline_kb,hotline_telephony,hotline_reports}"
OPERATORS="${HOTLINE_LOAD_OPERATORS:-50,100,200}"
DEPARTMENT_USERS="${HOTLINE_LOAD_DEPARTMENT_USERS:-20}"
read -r -a odoo <<< "$(odoo_cmd)"
read -r -a psql <<< "$(psql_cmd)"
mkdir -p "$VAR_DIR/log" "$VAR_DIR/bench"
log="$VAR_DIR/log/load.log"
: > "$log"
ensure_debian_packages /usr/sbin/nginx:nginx openssl:openssl

load_venv="$CACHE_DIR/venv-load"
if ! "$load_venv/bin/locust" --version >/dev/null 2>&1; then
    say "Creating $load_venv with Locust"
    rm -rf "$load_venv"
    "$PYTHON" -m venv "$load_venv"
    "$load_venv/bin/pip" install --quiet "locust>=2.30,<3" "websocket-client>=1.6" >> "$log" 2>&1 \
        || die "installing Locust failed: see $log"
fi

max_operators="$(tr ',' '\n' <<< "$OPERATORS" | sort -n | tail -n 1)"
has_users="$("${psql[@]}" -d "$DB" -Atc "SELECT count(*) FROM res_users WHERE login LIKE 'load_op_%'" 2>/dev/null || true)"
if [ -n "${HOTLINE_LOAD_FRESH:-}" ] || [ -z "$has_users" ]; then
    say "Fresh database '$DB' with $ADDONS and demo data"
    "${psql[@]}" -d postgres -qc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null
    "${odoo[@]}" -d "$DB" -i "$ADDONS" --stop-after-init --max-cron-threads=0 \
        --log-level=warn >> "$log" 2>&1 || die "installing the addons failed: see $log"
    say "Generating $CASES cases"
    "$VENV/bin/python" "$ROOT/bench/generate_cases.py" --count "$CASES" --open "$((CASES / 5))" \
        -- "${odoo[@]:2}" -d "$DB" --log-level=warn >> "$log" 2>&1 || die "generating cases failed: see $log"
    "${psql[@]}" -d "$DB" -qc "VACUUM ANALYZE" >> "$log" 2>&1
fi
fixture="$VAR_DIR/bench/load_fixture.json"
"$VENV/bin/python" "$ROOT/deploy/load/prepare.py" --operators "$max_operators" \
    --department-users "$DEPARTMENT_USERS" --out "$fixture" -- "${odoo[@]:2}" -d "$DB" --log-level=warn 2>> "$log" \
    || die "preparing the load users failed: see $log"

say "Load runs: $OPERATORS operators + $DEPARTMENT_USERS department staff, ${HOTLINE_LOAD_DURATION:-60} s each"
HOTLINE_ODOO_CMD="$(odoo_cmd)" HOTLINE_PSQL="$(psql_cmd)" "$VENV/bin/python" "$ROOT/deploy/load/run_load.py" \
    --db "$DB" --fixture "$fixture" --locust "$load_venv/bin/locust" --operators "$OPERATORS" \
    --department-users "$DEPARTMENT_USERS" --duration "${HOTLINE_LOAD_DURATION:-60}" \
    --workers "${HOTLINE_LOAD_WORKERS:-4}" --json "$VAR_DIR/bench/load.json" --markdown "$VAR_DIR/bench/load.md"
say "Results: $VAR_DIR/bench/load.md"
