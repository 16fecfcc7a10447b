#!/usr/bin/env bash
# make test-asterisk: the opt-in live telephony suite (tests/asterisk_live).
# Runs only where an Asterisk binary is given (ASTERISK=/path/to/sbin/asterisk,
# else `asterisk` on PATH or in /usr/sbin) and says so plainly otherwise.
# A fresh database (HOTLINE_LIVE_DB, default t_live) with hotline_telephony and
# its demo data; Odoo, Asterisk (pbx/asterisk, derived by
# pbx/asterisk/testpbx/testpbx.py conf --live) and the bridge started by the tests.
# HOTLINE_LIVE_RECORD=DIR writes the AMI transcripts of the runs into DIR
# (pbx/bridge/tests/fixtures to refresh the recorded ones).
source "$(dirname "$0")/lib.sh"
asterisk="${ASTERISK:-$(command -v asterisk || true)}"
[ -n "$asterisk" ] || { [ -x /usr/sbin/asterisk ] && asterisk=/usr/sbin/asterisk; } || true
if [ -z "$asterisk" ] || [ ! -x "$asterisk" ]; then
    say "Live Asterisk suite NOT RUN: no Asterisk binary${ASTERISK:+ at $ASTERISK} (give one: make test-asterisk ASTERISK=/path/to/sbin/asterisk)."
    exit 0
fi
load_setup
DB="${HOTLINE_LIVE_DB:-t_live}"
read -r -a odoo <<< "$(odoo_cmd)"
read -r -a psql <<< "$(psql_cmd)"
mkdir -p "$VAR_DIR/log"
log="$VAR_DIR/log/odoo-live-$DB.log"
say "Live Asterisk suite with $("$asterisk" -V 2>/dev/null || echo "$asterisk")"
say "Fresh database '$DB' with hotline_telephony and demo data"
"${psql[@]}" -d postgres -qc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null
"${odoo[@]}" -d "$DB" -i hotline_telephony --stop-after-init --max-cron-threads=0 \
    --http-port="${HOTLINE_LIVE_HTTP_PORT:-8273}" --log-level=warn > "$log" 2>&1 \
    || die "installing hotline_telephony in '$DB' failed, see $log"
report="$VAR_DIR/log/pytest-live-$DB.xml"
rm -f "$report"
set +e
ASTERISK="$asterisk" HOTLINE_TEST_DB="$DB" HOTLINE_ODOO_CMD="$(odoo_cmd)" HOTLINE_PSQL="$(psql_cmd)" \
    HOTLINE_E2E_HTTP_PORT="${HOTLINE_LIVE_HTTP_PORT:-8273}" \
    PYTHONPATH="$ROOT/pbx/bridge/src${PYTHONPATH:+:$PYTHONPATH}" \
    "$VENV/bin/python" -m pytest -q -p no:cacheprovider --junitxml="$report" "$ROOT/tests/asterisk_live" "$@"
status=$?
set -e
"$VENV/bin/python" - "$report" <<'PY'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
run = sum(int(s.get("tests", 0)) for s in suites)
failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
print(f"live Asterisk suite: {run - failed - skipped} passed, {failed} failed, {skipped} skipped")
PY
exit $status
