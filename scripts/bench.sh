#!/usr/bin/env bash
# make bench: a benchmark database with hotline_case and demo data, N generated
# cases (bench/generate_cases.py), the case benchmarks (bench/bench_case.py), and
# the results written into docs/BENCHMARKS.md.
#
#   HOTLINE_BENCH_CASES   cases to generate (default 1000000)
#   HOTLINE_BENCH_OPEN    open cases among them (default min(100000, N/10))
#   HOTLINE_BENCH_DB      database (default hotline_bench; dropped and recreated)
#   HOTLINE_BENCH_REUSE=1 keep an existing database that already has its cases
#   HOTLINE_BENCH_ADDONS  addons to install (default hotline_case)
#   HOTLINE_BENCH_IMPORT_ROWS  rows of the base_import benchmark (default 100000)
#   HOTLINE_BENCH_SKIP_IMPORT=1  skip the base_import benchmark (bench/bench_case_import.py)
#   HOTLINE_BENCH_SKIP_TELEPHONY=1  skip scripts/bench_telephony.sh (database hotline_bench_telephony)
#   HOTLINE_BENCH_SKIP_KB=1  skip scripts/bench_kb.sh (database hotline_bench_kb, 100,000 articles)
#   HOTLINE_BENCH_SKIP_REPORTS=1  skip scripts/bench_reports.sh (database hotline_bench_reports, cases and 3,000,000 calls)
#   HOTLINE_BENCH_SKIP_SMS=1  skip scripts/bench_sms.sh (10,000 texts through Kannel)
#   HOTLINE_BENCH_SKIP_OPEN311=1  skip scripts/bench_open311.sh (GET requests over 1,000,000 cases)
#   HOTLINE_BENCH_SKIP_COMPONENTS=1  skip scripts/bench_components.sh (find_nearby among 1,000,000 components, case map data)
source "$(dirname "$0")/lib.sh"
load_setup
DB="${HOTLINE_BENCH_DB:-hotline_bench}"
CASES="${HOTLINE_BENCH_CASES:-1000000}"
ADDONS="${HOTLINE_BENCH_ADDONS:-hotline_case}"
read -r -a odoo <<< "$(odoo_cmd)"
read -r -a psql <<< "$(psql_cmd)"
odoo_args=("${odoo[@]:2}" -d "$DB" --log-level=warn)
mkdir -p "$VAR_DIR/log" "$VAR_DIR/bench"
log="$VAR_DIR/log/bench.log"
results="$VAR_DIR/bench/results.json"
: > "$log"

existing="$("${psql[@]}" -d "$DB" -Atc "SELECT count(*) FROM hotline_case" 2>/dev/null || true)"
if [ -n "${HOTLINE_BENCH_REUSE:-}" ] && [ -n "$existing" ] && [ "$existing" -ge "$CASES" ]; then
    say "Reusing database '$DB' ($existing cases)"
    generation="(reused database)"
else
    say "Fresh database '$DB' with $ADDONS and demo data"
    "${psql[@]}" -d postgres -qc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null
    start=$(date +%s)
    "${odoo[@]}" -d "$DB" -i "$ADDONS" --stop-after-init --max-cron-threads=0 \
        --log-level=warn >> "$log" 2>&1 || die "installing $ADDONS failed: see $log"
    say "Installed in $(( $(date +%s) - start )) s; generating $CASES cases"
    open_args=()
    [ -n "${HOTLINE_BENCH_OPEN:-}" ] && open_args=(--open "$HOTLINE_BENCH_OPEN")
    generation="$("$VENV/bin/python" "$ROOT/bench/generate_cases.py" --count "$CASES" "${open_args[@]}" \
        -- "${odoo_args[@]}" 2>> "$log" | tail -n 1)" || die "generating cases failed: see $log"
    say "$generation"
    # what autovacuum would do after such a load: statistics and the visibility map (index-only scans)
    "${psql[@]}" -d "$DB" -qc "VACUUM ANALYZE hotline_case" >> "$log" 2>&1
fi

# a reused database may come out of an earlier run's cron benchmark with every open case rewritten
"${psql[@]}" -d "$DB" -qc "VACUUM ANALYZE hotline_case" >> "$log" 2>&1
say "Running the benchmarks (registration, time-limit cron, case list)"
"$VENV/bin/python" "$ROOT/bench/bench_case.py" --json "$results" -- "${odoo_args[@]}" >> "$log" 2>&1 \
    || die "the benchmarks failed: see $log"
say "Profiling a registration (bench/profile_case.py)"
profile="$VAR_DIR/bench/profile.json"
"$VENV/bin/python" "$ROOT/bench/profile_case.py" --json "$profile" -- "${odoo_args[@]}" >> "$log" 2>&1 \
    || die "the profile failed: see $log"
imported="$VAR_DIR/bench/import.json"
rm -f "$imported"
if [ -z "${HOTLINE_BENCH_SKIP_IMPORT:-}" ]; then
    say "Importing ${HOTLINE_BENCH_IMPORT_ROWS:-100000} earlier registrations through base_import"
    "$VENV/bin/python" "$ROOT/bench/bench_case_import.py" --rows "${HOTLINE_BENCH_IMPORT_ROWS:-100000}" \
        --file "$VAR_DIR/bench/case_import" --json "$imported" -- "${odoo_args[@]}" >> "$log" 2>&1 \
        || die "the import benchmark failed: see $log"
fi
# the command as run: the HOTLINE_BENCH_* settings given, then make bench
settings="$(env | grep -E '^HOTLINE_BENCH_[A-Z_]+=' | grep -v '^HOTLINE_BENCH_CASES=' | sort | tr '\n' ' ' || true)"
command_line="${settings}HOTLINE_BENCH_CASES=$CASES make bench"
"$VENV/bin/python" "$ROOT/bench/report.py" "$results" "$ROOT/docs/BENCHMARKS.md" \
    --generation "$generation" --command "$command_line" --profile "$profile" --import-results "$imported"
say "Results written to docs/BENCHMARKS.md"

if [ -z "${HOTLINE_BENCH_SKIP_TELEPHONY:-}" ]; then
    say "Telephony benchmarks (screen pop, bridge throughput, Master.csv import)"
    bash "$ROOT/scripts/bench_telephony.sh"
fi

if [ -z "${HOTLINE_BENCH_SKIP_KB:-}" ]; then
    say "Knowledge-base search benchmark (search_articles over 100,000 articles, indexing)"
    bash "$ROOT/scripts/bench_kb.sh"
fi

if [ -z "${HOTLINE_BENCH_SKIP_REPORTS:-}" ]; then
    say "Report benchmarks (month's case pivot, year's traffic by week, department ranking)"
    bash "$ROOT/scripts/bench_reports.sh"
fi
if [ -z "${HOTLINE_BENCH_SKIP_SMS:-}" ]; then say "SMS gateway benchmark (10,000 texts through Kannel)"; bash "$ROOT/scripts/bench_sms.sh"; fi
if [ -z "${HOTLINE_BENCH_SKIP_OPEN311:-}" ]; then
    say "Open311 benchmark (GET requests over 1,000,000 cases with a date window)"
    bash "$ROOT/scripts/bench_open311.sh"
fi
if [ -z "${HOTLINE_BENCH_SKIP_COMPONENTS:-}" ]; then
    say "Components and map benchmark (find_nearby among 1,000,000 components, map data for 10,000 open cases)"
    bash "$ROOT/scripts/bench_components.sh"
fi
