#!/usr/bin/env bash
# Knowledge-base search benchmark, written into docs/BENCHMARKS.md "## Knowledge base search":
# a database with hotline_kb and demo data, N generated articles (bench/generate_kb_articles.py),
# VACUUM ANALYZE, then bench/bench_kb.py (search_articles vs the raw ts_rank SELECT over 1,000
# citizen questions, indexing rate, _reindex_all after a dictionary change) and bench/kb_report.py.
#
#   HOTLINE_BENCH_KB_ARTICLES  articles to generate (default 100000)
#   HOTLINE_BENCH_KB_DB        database (default hotline_bench_kb; dropped and recreated)
#   HOTLINE_BENCH_KB_REUSE=1   keep an existing database that already has its articles
#   HOTLINE_BENCH_KB_ARGS      more options of bench/bench_kb.py, e.g. "--queries 300 --reindex-limit 120"
# About 10 minutes for 100,000 articles on 2 cores. Results also in var/bench/kb.json.
source "$(dirname "$0")/lib.sh"
load_setup
DB="${HOTLINE_BENCH_KB_DB:-hotline_bench_kb}"
ARTICLES="${HOTLINE_BENCH_KB_ARTICLES:-100000}"
read -r -a odoo <<< "$(odoo_cmd)"
read -r -a psql <<< "$(psql_cmd)"
odoo_args=("${odoo[@]:2}" -d "$DB" --log-level=warn)
mkdir -p "$VAR_DIR/log" "$VAR_DIR/bench"
log="$VAR_DIR/log/bench_kb.log"
results="$VAR_DIR/bench/kb.json"
: > "$log"

existing="$("${psql[@]}" -d "$DB" -Atc "SELECT count(*) FROM hotline_kb_article" 2>/dev/null || true)"
if [ -n "${HOTLINE_BENCH_KB_REUSE:-}" ] && [ -n "$existing" ] && [ "$existing" -ge "$ARTICLES" ]; then
    say "Reusing database '$DB' ($existing articles)"
    generation="(reused database)"
else
    say "Fresh database '$DB' with hotline_kb and demo data"
    "${psql[@]}" -d postgres -qc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null
    start=$(date +%s)
    # demo data: odoo.conf says without_demo = False (on the command line, --without-demo=False would read as "True")
    "${odoo[@]}" -d "$DB" -i hotline_kb --stop-after-init --max-cron-threads=0 \
        --log-level=warn >> "$log" 2>&1 || die "installing hotline_kb failed: see $log"
    say "Installed in $(( $(date +%s) - start )) s; generating $ARTICLES articles"
    generation="$("$VENV/bin/python" "$ROOT/bench/generate_kb_articles.py" --count "$ARTICLES" \
        -- "${odoo_args[@]}" 2>> "$log" | tail -n 1)" || die "generating articles failed: see $log"
    say "$generation"
    # statistics (the planner, pg_stats) and the GIN index's pending list, as autovacuum would
    "${psql[@]}" -d "$DB" -qc "VACUUM ANALYZE hotline_kb_article" >> "$log" 2>&1
fi

say "Running the benchmark (search over 1,000 questions, indexing rate, _reindex_all; about 8 minutes)"
# shellcheck disable=SC2086
"$VENV/bin/python" "$ROOT/bench/bench_kb.py" --json "$results" ${HOTLINE_BENCH_KB_ARGS:-} -- "${odoo_args[@]}" \
    >> "$log" 2>&1 || die "the benchmark failed: see $log"
command_line="HOTLINE_BENCH_KB_ARTICLES=$ARTICLES scripts/bench_kb.sh"
"$VENV/bin/python" "$ROOT/bench/kb_report.py" "$results" "$ROOT/docs/BENCHMARKS.md" \
    --generation "$generation" --command "$command_line"
say "Results written to docs/BENCHMARKS.md (## Knowledge base search); log: $log"
