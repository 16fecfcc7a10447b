#!/usr/bin/env bash
# Open311 benchmark (hotline_open311), written into docs/BENCHMARKS.md "## Open311":
# GET /open311/v2/requests over 1,000,000 cases with date windows, server time through Odoo's
# WSGI application, against the same search in SQL alone and without the addon's index.
#
#   HOTLINE_BENCH_CASES        cases to generate (default 1000000)
#   HOTLINE_BENCH_OPEN311_DB   database (default b_o311; dropped and recreated)
#   HOTLINE_BENCH_REUSE=1      keep the database when it already has its cases
#                              (hotline_open311 is updated first, so that code changes apply)
#   HOTLINE_BENCH_RUNS         timed requests per scenario (default 200)
# About 15-20 minutes on 2 cores at the default size (generation 12-15 minutes).
source "$(dirname "$0")/lib.sh"
load_setup
DB="${HOTLINE_BENCH_OPEN311_DB:-b_o311}"
CASES="${HOTLINE_BENCH_CASES:-1000000}"
RUNS="${HOTLINE_BENCH_RUNS:-200}"
read -r -a odoo <<< "$(odoo_cmd)"
read -r -a psql <<< "$(psql_cmd)"
odoo_args=("${odoo[@]:2}" -d "$DB" --log-level=warn)
mkdir -p "$VAR_DIR/log" "$VAR_DIR/bench"
log="$VAR_DIR/log/bench_open311.log"
results="$VAR_DIR/bench/open311.json"
: > "$log"
cd "$ROOT"

existing="$("${psql[@]}" -d "$DB" -Atc "SELECT count(*) FROM hotline_case" 2>/dev/null || true)"
if [ -n "${HOTLINE_BENCH_REUSE:-}" ] && [ -n "$existing" ] && [ "$existing" -ge "$CASES" ]; then
    say "Reusing database '$DB' ($existing cases); updating hotline_open311"
    "${odoo[@]}" -d "$DB" -u hotline_open311 --stop-after-init --max-cron-threads=0 --log-level=warn >> "$log" 2>&1 \
        || die "updating hotline_open311 failed: see $log"
    generation="$existing cases (reused database)"
else
    # demo data (public services, the API key) comes from odoo.conf (without_demo = False)
    say "Fresh database '$DB' with hotline_open311 and demo data"
    "${psql[@]}" -d postgres -qc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null
    "${odoo[@]}" -d "$DB" -i hotline_open311 --stop-after-init --max-cron-threads=0 --log-level=warn >> "$log" 2>&1 \
        || die "installing hotline_open311 failed: see $log"
    say "Generating $CASES cases"
    cases_line="$("$VENV/bin/python" "$ROOT/bench/generate_cases.py" --count "$CASES" \
        -- "${odoo_args[@]}" 2>> "$log" | tail -n 1)" || die "generating cases failed: see $log"
    start=$(date +%s)
    "${psql[@]}" -d "$DB" -qc "VACUUM ANALYZE" >> "$log" 2>&1
    generation="$cases_line; VACUUM ANALYZE in $(( $(date +%s) - start )) s"
fi

say "Timing GET requests ($RUNS requests per scenario)"
"$VENV/bin/python" "$ROOT/bench/bench_open311.py" --runs "$RUNS" --json "$results" \
    --markdown "$ROOT/docs/BENCHMARKS.md" --generation "$generation" \
    --command "HOTLINE_BENCH_CASES=$CASES scripts/bench_open311.sh" \
    -- "${odoo_args[@]}" >> "$log" 2>&1 || die "the Open311 benchmark failed: see $log"
say "Results in docs/BENCHMARKS.md (## Open311) and $results; log: $log"
