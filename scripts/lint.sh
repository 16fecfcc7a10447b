#!/usr/bin/env bash
# make lint: ruff (lint + format check) and pylint-odoo's error-level checks on
# addons/ and pbx/, and every addon's zh_CN.po complete.
source "$(dirname "$0")/lib.sh"
odoo_path="$(bash "$ROOT/scripts/find_odoo.sh")" || exit 1
VENV="$(bash "$ROOT/scripts/venv.sh" "$odoo_path")"
cd "$ROOT"
status=0
say "ruff check"
"$VENV/bin/ruff" check addons pbx tests bench scripts || status=1
say "ruff format --check"
"$VENV/bin/ruff" format --check addons pbx tests bench scripts || status=1
say "pylint-odoo (errors)"
PYTHONPATH="$odoo_path" "$VENV/bin/pylint" --rcfile="$ROOT/.pylintrc" --disable=no-member,import-error,no-name-in-module addons/* || status=1
say "translations"
"$VENV/bin/python" scripts/check_po.py addons/*/i18n/zh_CN.po || status=1
[ $status = 0 ] && say "lint clean"
exit $status
