#!/usr/bin/env bash
# make test: a fresh test database with every hotline addon installed with
# --test-enable (Odoo tests and browser tours), then the pytest suites.
# Ends with one line "N passed, N failed" and a non-zero exit on any failure.
source "$(dirname "$0")/lib.sh"
load_setup
DB="${HOTLINE_TEST_DB:-hotline_test}"
addons="${HOTLINE_TEST_ADDONS:-$(hotline_addons)}"
# Only the hotline addons' tests: installing with --test-enable would otherwise
# also run the tests of every Odoo module installed on the way.
test_tags="${HOTLINE_TEST_TAGS:-$(sed 's/\([^,]*\)/\/\1/g' <<< "$addons")}"
read -r -a odoo <<< "$(odoo_cmd)"
read -r -a psql <<< "$(psql_cmd)"
mkdir -p "$VAR_DIR/log"
log="$VAR_DIR/log/odoo-test-$DB.log"

"$VENV/bin/python" -c "import websocket" 2>/dev/null || die "websocket-client is missing from $VENV: browser tours would be skipped."
chrome="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
ensure_debian_packages bearerbox:kannel smsbox:kannel /usr/lib/kannel/test/fakesmsc:kannel-extras espeak-ng:espeak-ng /usr/sbin/nginx:nginx
[ -n "$chrome" ] || die "Chromium is missing: browser tours cannot run (Debian: apt-get install chromium; .ci/run does it)."

say "Fresh test database '$DB' with $addons"
"${psql[@]}" -d postgres -qc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null
tag_args=(--test-tags="$test_tags")
set +e
"${odoo[@]}" -d "$DB" -i "$addons" --test-enable "${tag_args[@]}" --stop-after-init \
    --http-port="${HOTLINE_TEST_HTTP_PORT:-8169}" --log-level=info --max-cron-threads=0 2>&1 | tee "$log" \
    | grep -E --line-buffered ' (ERROR|CRITICAL|WARNING) |odoo\.tests\.(stats|result)|Starting .*Test|skipped |: (FAIL|ERROR):' || true
set -e

pytest_dirs=()
for dir in "$ROOT/pbx/bridge/tests" "$ROOT/tests"; do
    compgen -G "$dir/test_*.py" >/dev/null && pytest_dirs+=("$dir")
done
pytest_report="$VAR_DIR/log/pytest-$DB.xml"
rm -f "$pytest_report"
if [ ${#pytest_dirs[@]} -gt 0 ] && [ -z "${HOTLINE_SKIP_PYTEST:-}" ]; then
    say "pytest ${pytest_dirs[*]}"
    set +e
    HOTLINE_TEST_DB="$DB" HOTLINE_ODOO_CMD="$(odoo_cmd)" HOTLINE_PSQL="$(psql_cmd)" PYTHONPATH="$ROOT/pbx/bridge/src${PYTHONPATH:+:$PYTHONPATH}" \
        "$VENV/bin/python" -m pytest -q -p no:cacheprovider --junitxml="$pytest_report" "${pytest_dirs[@]}"
    set -e
fi
say "Full Odoo test log: $log"
"$VENV/bin/python" "$ROOT/scripts/test_summary.py" "$log" "$pytest_report"
