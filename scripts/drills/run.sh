#!/usr/bin/env bash
# Fault drills: scripts/drills/run.sh worker-kill|pg-restart|bridge-kill|spool-full|all
# Each drill starts what it needs (Odoo on 127.0.0.1:8280-8285, the bridge, an AMI
# stream, for pg-restart a throwaway PostgreSQL cluster), stops it, and writes its
# result into docs/FAULTS.md (--no-write: only print it). See scripts/drills/drills.py.
source "$(dirname "$0")/../lib.sh"
load_setup
bash "$ROOT/scripts/pg.sh" start
HOTLINE_ODOO_CMD="$(odoo_cmd)" HOTLINE_PSQL="$(psql_cmd)" \
    PYTHONPATH="$ROOT/pbx/bridge/src${PYTHONPATH:+:$PYTHONPATH}" \
    exec "$VENV/bin/python" "$ROOT/scripts/drills/drills.py" "$@"
