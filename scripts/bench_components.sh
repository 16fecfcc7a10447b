#!/usr/bin/env bash
# Components and map benchmark, written into docs/BENCHMARKS.md "## Components and map":
# a database with hotline_case and demo data, open cases (bench/generate_cases.py), then
# bench/bench_components.py: 1,000,000 components generated in SQL, find_nearby p95 (target 20 ms)
# against a primary-key read, and the case map's data request for 10,000 open cases (target 200 ms).
#
#   HOTLINE_BENCH_MAP_COMPONENTS  components (default 1000000)
#   HOTLINE_BENCH_MAP_OPEN        open cases on the map (default 10000)
#   HOTLINE_BENCH_MAP_DB          database (default b_map; dropped and recreated)
#   HOTLINE_BENCH_MAP_REUSE=1     keep an existing database that already has its components
#   HOTLINE_BENCH_MAP_ARGS        more options of bench/bench_components.py, e.g. "--queries 300"
# About 6 minutes on 2 cores. Results also in var/bench/components.json.
source "$(dirname "$0")/lib.sh"
load_setup
DB="${HOTLINE_BENCH_MAP_DB:-b_map}"
COMPONENTS="${HOTLINE_BENCH_MAP_COMPONENTS:-1000000}"
OPEN="${HOTLINE_BENCH_MAP_OPEN:-10000}"
read -r -a odoo <<< "$(odoo_cmd)"
read -r -a psql <<< "$(psql_cmd)"
odoo_args=("${odoo[@]:2}" -d "$DB" --log-level=warn)
mkdir -p "$VAR_DIR/log" "$VAR_DIR/bench"
log="$VAR_DIR/log/bench_components.log"
results="$VAR_DIR/bench/components.json"
: > "$log"

existing="$("${psql[@]}" -d "$DB" -Atc "SELECT count(*) FROM hotline_component" 2>/dev/null || true)"
if [ -n "${HOTLINE_BENCH_MAP_REUSE:-}" ] && [ -n "$existing" ] && [ "$existing" -ge "$COMPONENTS" ]; then
    say "Reusing database '$DB' ($existing components)"
else
    say "Fresh database '$DB' with hotline_case and demo data"
    "${psql[@]}" -d postgres -qc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null
    # demo data: odoo.conf says without_demo = False
    "${odoo[@]}" -d "$DB" -i hotline_case --stop-after-init --max-cron-threads=0 \
        --log-level=warn >> "$log" 2>&1 || die "installing hotline_case failed: see $log"
    say "Generating $OPEN open cases (of $((OPEN * 2)))"
    "$VENV/bin/python" "$ROOT/bench/generate_cases.py" --count "$((OPEN * 2))" --open "$OPEN" \
        -- "${odoo_args[@]}" >> "$log" 2>&1 || die "generating cases failed: see $log"
fi

say "Running the benchmark (components generated on the first run)"
# shellcheck disable=SC2086
"$VENV/bin/python" "$ROOT/bench/bench_components.py" --components "$COMPONENTS" --json "$results" \
    --markdown "$ROOT/docs/BENCHMARKS.md" \
    --command "HOTLINE_BENCH_MAP_COMPONENTS=$COMPONENTS HOTLINE_BENCH_MAP_OPEN=$OPEN scripts/bench_components.sh" \
    ${HOTLINE_BENCH_MAP_ARGS:-} -- "${odoo_args[@]}" 2>> "$log" | tee -a "$log" || die "the benchmark failed: see $log"
say "Results written to docs/BENCHMARKS.md (## Components and map); log: $log"
