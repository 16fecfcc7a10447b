#!/usr/bin/env bash
# Working-time arithmetic of the time limits (bench/bench_working_time.py): deadlines and stage
# durations per call on the company calendar with holidays and a make-up day, next to the usual
# baseline (one res.partner.category created and flushed). With a git history, the same script
# also runs on the addons of an earlier commit (the hand-written interval walk) in a second
# database, so both are measured in the same run.
#
#   HOTLINE_BENCH_WT_DB      database (default hotline_bench_wt; dropped and recreated)
#   HOTLINE_BENCH_WT_CALLS   calls per figure (default 3000)
#   HOTLINE_BENCH_WT_BEFORE  earlier commit to compare with (default 074bda4; empty: none)
source "$(dirname "$0")/lib.sh"
load_setup
DB="${HOTLINE_BENCH_WT_DB:-hotline_bench_wt}"
CALLS="${HOTLINE_BENCH_WT_CALLS:-3000}"
BEFORE="${HOTLINE_BENCH_WT_BEFORE-074bda4}"
read -r -a odoo <<< "$(odoo_cmd)"
read -r -a psql <<< "$(psql_cmd)"
mkdir -p "$VAR_DIR/log"
log="$VAR_DIR/log/bench_working_time.log"
: > "$log"

# run <label> <database> <addons folder>
run() {
    local label="$1" db="$2" addons="$3" command=()
    for arg in "${odoo[@]}"; do
        [[ "$arg" == --addons-path=* ]] && arg="${arg/$ROOT\/addons/$addons}"
        command+=("$arg")
    done
    "${psql[@]}" -d postgres -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
    "${command[@]}" -d "$db" -i hotline_case --stop-after-init --max-cron-threads=0 --log-level=warn >> "$log" 2>&1 \
        || die "installing hotline_case ($label) failed: see $log"
    say "$label"
    ODOO_PATH="$ODOO_PATH" "$VENV/bin/python" "$ROOT/bench/bench_working_time.py" --calls "$CALLS" \
        -- "${command[@]:2}" -d "$db" --log-level=warn 2>> "$log" || die "the benchmark failed: see $log"
}

if [ -n "$BEFORE" ] && git -C "$ROOT" rev-parse --verify --quiet "$BEFORE^{commit}" >/dev/null; then
    before_dir="$(mktemp -d)"
    git -C "$ROOT" archive "$BEFORE" addons | tar -x -C "$before_dir"
    run "before ($BEFORE)" "${DB}_before" "$before_dir/addons"
    "${psql[@]}" -d postgres -qc "DROP DATABASE IF EXISTS \"${DB}_before\" WITH (FORCE)" >/dev/null
    rm -rf "$before_dir"
fi
run "now (working tree)" "$DB" "$ROOT/addons"
say "log: $log"
