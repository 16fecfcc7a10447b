#!/usr/bin/env bash
# SMS gateway benchmark, written into docs/BENCHMARKS.md "## SMS gateway": a fresh database with
# hotline_notify, a real Kannel (bearerbox + smsbox + fakesmsc, on free loopback ports) and an Odoo
# HTTP server for the delivery reports, then bench/bench_sms.py: N texts queued in sms.sms and handed
# to Kannel at the gateway's rate, against the same sendsms requests from a plain Python loop.
#
#   HOTLINE_BENCH_SMS_COUNT  texts per run (default 10000)
#   HOTLINE_BENCH_SMS_RATE   the gateway's rate_per_second (default 500)
#   HOTLINE_BENCH_SMS_PACING_RATE  a second, paced-only run at a rate Kannel can take here (default 50)
#   HOTLINE_BENCH_SMS_DB     database (default hotline_bench_sms; dropped and recreated)
#   HOTLINE_BENCH_SMS_REUSE=1  keep an existing database that has hotline_notify installed (updated)
# About 3 minutes (install) + 15 minutes. Results also in var/bench/sms.json and sms_pacing.json.
source "$(dirname "$0")/lib.sh"
load_setup
ensure_debian_packages "bearerbox:kannel" "/usr/lib/kannel/test/fakesmsc:kannel-extras"
DB="${HOTLINE_BENCH_SMS_DB:-hotline_bench_sms}"
COUNT="${HOTLINE_BENCH_SMS_COUNT:-10000}"
RATE="${HOTLINE_BENCH_SMS_RATE:-500}"
PACING_RATE="${HOTLINE_BENCH_SMS_PACING_RATE:-50}"
read -r -a odoo <<< "$(odoo_cmd)"
read -r -a psql <<< "$(psql_cmd)"
odoo_args=("${odoo[@]:2}" -d "$DB" --log-level=warn)
mkdir -p "$VAR_DIR/log" "$VAR_DIR/bench"
log="$VAR_DIR/log/bench_sms.log"
results="$VAR_DIR/bench/sms.json"
pacing="$VAR_DIR/bench/sms_pacing.json"
: > "$log"

installed="$("${psql[@]}" -d "$DB" -Atc \
    "SELECT 1 FROM ir_module_module WHERE name = 'hotline_notify' AND state = 'installed'" 2>/dev/null || true)"
if [ -n "${HOTLINE_BENCH_SMS_REUSE:-}" ] && [ "$installed" = 1 ]; then
    say "Reusing database '$DB' (updating hotline_notify)"
    "${odoo[@]}" -d "$DB" -u hotline_notify --stop-after-init --max-cron-threads=0 \
        --log-level=warn >> "$log" 2>&1 || die "updating hotline_notify failed: see $log"
else
    say "Fresh database '$DB' with hotline_notify"
    "${psql[@]}" -d postgres -qc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null
    start=$(date +%s)
    "${odoo[@]}" -d "$DB" -i hotline_notify --stop-after-init --max-cron-threads=0 \
        --log-level=warn >> "$log" 2>&1 || die "installing hotline_notify failed: see $log"
    say "Installed in $(( $(date +%s) - start )) s"
fi

say "Running the benchmark ($COUNT texts per run, gateway rate $RATE/s, then $PACING_RATE/s; about 12 minutes)"
command_line="HOTLINE_BENCH_SMS_COUNT=$COUNT HOTLINE_BENCH_SMS_RATE=$RATE HOTLINE_BENCH_SMS_PACING_RATE=$PACING_RATE scripts/bench_sms.sh"
bench=("$VENV/bin/python" "$ROOT/bench/bench_sms.py" --count "$COUNT" --log-dir "$VAR_DIR/log")
"${bench[@]}" --rate "$RATE" --json "$results" -- "${odoo_args[@]}" >> "$log" 2>&1 \
    || die "the benchmark failed: see $log"
say "Pacing at $PACING_RATE/s (below what Kannel takes here)"
"${bench[@]}" --rate "$PACING_RATE" --runs baseline_paced,odoo_paced --json "$pacing" -- "${odoo_args[@]}" \
    >> "$log" 2>&1 || die "the pacing benchmark failed: see $log"
"${bench[@]}" --from-json "$results" --pacing-json "$pacing" --markdown "$ROOT/docs/BENCHMARKS.md" \
    --command "$command_line" || die "writing the report failed"
say "Results written to docs/BENCHMARKS.md (## SMS gateway); log: $log"
