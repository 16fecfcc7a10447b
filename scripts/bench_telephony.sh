#!/usr/bin/env bash
# Telephony benchmarks, written into docs/BENCHMARKS.md "## Telephony":
#   1. screen-pop latency: AMI AgentCalled -> bus notification committed (real Odoo served as in
#      production: 2 HTTP workers + the gevent process; the bridge), against a one-record committing
#      RPC on the same server in the same run
#   2. bridge event throughput: 500 concurrent calls' AMI stream, fake Odoo (no database)
#   3. Master.csv import of 200,000 rows through the hotline.cdr.import wizard vs a bare COPY
#
#   BENCH_DB               database with hotline_telephony and its demo data (default hotline_bench_telephony;
#                          created with the odoo command of scripts/lib.sh when it lacks hotline_telephony:
#                          demo data from odoo.conf's without_demo = False; on Odoo 18's command line
#                          --without-demo=False would name a module list, i.e. no demo data)
#   BENCH_UPDATE=1         update the hotline addons of BENCH_DB first (after code changes)
#   BENCH_SCREEN_POP_ARGS  e.g. "--calls 200 --interval 0.5 --isolated 30 --bridge-only 60 --workers 2" (the defaults)
#   BENCH_BRIDGE_ARGS      default "--calls 500 --waves 2 --rate 1000 --probe-rates 2000,4000"
#   BENCH_IMPORT_ARGS      default "--rows 200000 --days 30"
#   BENCH_ONLY             a subset of "screen_pop bridge cdr_import" (default: all three)
# About 15 minutes on 2 cores. Child processes listen on 127.0.0.1 only and are stopped by the
# benchmark that started them.
source "$(dirname "$0")/lib.sh"
load_setup
DB="${BENCH_DB:-hotline_bench_telephony}"
read -r -a odoo <<< "$(odoo_cmd)"
read -r -a psql <<< "$(psql_cmd)"
odoo_args=("${odoo[@]:2}" -d "$DB" --log-level=warn)
only="${BENCH_ONLY:-screen_pop bridge cdr_import}"
mkdir -p "$VAR_DIR/log" "$VAR_DIR/bench"
log="$VAR_DIR/log/bench_telephony.log"
: > "$log"
cd "$ROOT"

needs_db=""
[[ "$only" == *screen_pop* || "$only" == *cdr_import* ]] && needs_db=1
if [ -n "$needs_db" ]; then
    state="$("${psql[@]}" -d "$DB" -Atc "SELECT state FROM ir_module_module WHERE name = 'hotline_telephony'" 2>/dev/null || true)"
    if [ "$state" != "installed" ]; then
        say "Installing hotline_telephony with demo data into '$DB' (a few minutes)"
        "${odoo[@]}" -d "$DB" -i hotline_telephony --stop-after-init --max-cron-threads=0 \
            --log-level=warn >> "$log" 2>&1 || die "installing hotline_telephony failed: see $log"
        demo="$("${psql[@]}" -d "$DB" -Atc "SELECT count(*) FROM hotline_pbx WHERE active AND token IS NOT NULL")"
        [ "${demo:-0}" -gt 0 ] || die "'$DB' was installed without demo data (no PBX with a token): check without_demo in odoo.conf"
    elif [ -n "${BENCH_UPDATE:-}" ]; then
        say "Updating the hotline addons of '$DB'"
        "${odoo[@]}" -d "$DB" -u hotline_base --stop-after-init --max-cron-threads=0 --log-level=warn >> "$log" 2>&1 \
            || die "updating '$DB' failed: see $log"
    fi
fi

status=0
py="$VENV/bin/python"
if [[ "$only" == *screen_pop* ]]; then
    say "Screen-pop latency (real Odoo on '$DB' + the bridge)"
    # shellcheck disable=SC2086
    HOTLINE_ODOO_CMD="$(odoo_cmd)" "$py" bench/bench_telephony_screen_pop.py --db "$DB" ${BENCH_SCREEN_POP_ARGS:-} \
        2>> "$log" || status=1
fi
if [[ "$only" == *bridge* ]]; then
    say "Bridge throughput (fake Odoo)"
    # shellcheck disable=SC2086
    "$py" bench/bench_telephony_bridge.py ${BENCH_BRIDGE_ARGS:---calls 500 --waves 2 --rate 1000 --probe-rates 2000,4000} \
        2>> "$log" || status=1
fi
if [[ "$only" == *cdr_import* ]]; then
    say "Master.csv import (wizard on '$DB', rolled back) vs COPY"
    # shellcheck disable=SC2086
    "$py" bench/bench_telephony_cdr_import.py ${BENCH_IMPORT_ARGS:---rows 200000 --days 30} -- "${odoo_args[@]}" \
        2>> "$log" || status=1
fi

"$py" bench/telephony_report.py --command "BENCH_DB=$DB scripts/bench_telephony.sh" || status=1
say "Results in docs/BENCHMARKS.md (## Telephony) and $VAR_DIR/bench/telephony_*.json; log: $log"
exit "$status"
