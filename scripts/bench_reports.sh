#!/usr/bin/env bash
# Report benchmarks (hotline_reports), written into docs/BENCHMARKS.md "## Reports":
# a month's case pivot by district x main category, a year's telephone traffic by week and the
# department ranking, through the ORM as a hotline manager, against the same GROUP BY in SQL.
#
#   HOTLINE_BENCH_CASES   cases to generate (default 1000000)
#   HOTLINE_BENCH_CALLS   calls to generate (default 3000000)
#   HOTLINE_BENCH_REPORTS_DB  database (default hotline_bench_reports; dropped and recreated)
#   HOTLINE_BENCH_REUSE=1 keep the database when it already has its cases and calls
#                         (its hotline addons are updated first, so that code changes apply)
#   HOTLINE_BENCH_RUNS    timed runs of each measure (default 30)
# About 20 minutes on 2 cores at the default sizes (generation 12-15 minutes).
source "$(dirname "$0")/lib.sh"
load_setup
DB="${HOTLINE_BENCH_REPORTS_DB:-hotline_bench_reports}"
CASES="${HOTLINE_BENCH_CASES:-1000000}"
CALLS="${HOTLINE_BENCH_CALLS:-3000000}"
RUNS="${HOTLINE_BENCH_RUNS:-30}"
read -r -a odoo <<< "$(odoo_cmd)"
read -r -a psql <<< "$(psql_cmd)"
odoo_args=("${odoo[@]:2}" -d "$DB" --log-level=warn)
mkdir -p "$VAR_DIR/log" "$VAR_DIR/bench"
log="$VAR_DIR/log/bench_reports.log"
results="$VAR_DIR/bench/reports.json"
plans="$VAR_DIR/bench/reports_plans.txt"
: > "$log"
cd "$ROOT"

count() {
    "${psql[@]}" -d "$DB" -Atc "SELECT count(*) FROM $1" 2>/dev/null || true
}
existing_cases="$(count hotline_case)"
existing_calls="$(count hotline_call)"
if [ -n "${HOTLINE_BENCH_REUSE:-}" ] && [ -n "$existing_cases" ] && [ "$existing_cases" -ge "$CASES" ] \
    && [ -n "$existing_calls" ] && [ "$existing_calls" -ge "$CALLS" ]; then
    say "Reusing database '$DB' ($existing_cases cases, $existing_calls calls); updating hotline_reports"
    "${odoo[@]}" -d "$DB" -u hotline_reports --stop-after-init --max-cron-threads=0 --log-level=warn >> "$log" 2>&1 \
        || die "updating hotline_reports failed: see $log"
    generation="(reused database)"
else
    # demo data comes from odoo.conf (without_demo = False): "--without-demo=False" on the
    # command line would be the string "False", which disables it
    say "Fresh database '$DB' with hotline_reports and demo data"
    "${psql[@]}" -d postgres -qc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null
    start=$(date +%s)
    "${odoo[@]}" -d "$DB" -i hotline_reports --stop-after-init --max-cron-threads=0 \
        --log-level=warn >> "$log" 2>&1 || die "installing hotline_reports failed: see $log"
    say "Installed in $(( $(date +%s) - start )) s; generating $CASES cases"
    cases_line="$("$VENV/bin/python" "$ROOT/bench/generate_cases.py" --count "$CASES" \
        -- "${odoo_args[@]}" 2>> "$log" | tail -n 1)" || die "generating cases failed: see $log"
    say "$cases_line; generating $CALLS calls"
    calls_line="$("$VENV/bin/python" "$ROOT/bench/generate_calls.py" --count "$CALLS" \
        -- "${odoo_args[@]}" 2>> "$log" | tail -n 1)" || die "generating calls failed: see $log"
    say "$calls_line"
    start=$(date +%s)
    "${psql[@]}" -d "$DB" -qc "VACUUM ANALYZE" >> "$log" 2>&1
    generation="$cases_line; $calls_line; VACUUM ANALYZE in $(( $(date +%s) - start )) s"
fi

say "Running the report benchmarks ($RUNS runs each)"
"$VENV/bin/python" "$ROOT/bench/bench_reports.py" --runs "$RUNS" --json "$results" --plans "$plans" \
    -- "${odoo_args[@]}" >> "$log" 2>&1 || die "the report benchmarks failed: see $log"
command_line="HOTLINE_BENCH_CASES=$CASES HOTLINE_BENCH_CALLS=$CALLS scripts/bench_reports.sh"
"$VENV/bin/python" "$ROOT/bench/reports_report.py" "$results" "$ROOT/docs/BENCHMARKS.md" \
    --generation "$generation" --command "$command_line" || die "writing docs/BENCHMARKS.md failed"
say "Results in docs/BENCHMARKS.md (## Reports), $results and $plans; log: $log"
