#!/usr/bin/env bash
# Finds Odoo, builds the virtualenv, starts PostgreSQL. Prints shell assignments
# (ODOO_PATH, VENV) for the other scripts to eval.
source "$(dirname "$0")/lib.sh"
odoo_path="$(bash "$ROOT/scripts/find_odoo.sh")"
venv="$(bash "$ROOT/scripts/venv.sh" "$odoo_path")"
bash "$ROOT/scripts/pg.sh" start
printf 'ODOO_PATH=%q\nVENV=%q\n' "$odoo_path" "$venv"
