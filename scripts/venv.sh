#!/usr/bin/env bash
# Creates (once) the virtualenv with Odoo's requirements and the project's, prints its path.
source "$(dirname "$0")/lib.sh"

odoo_path="$1"
venv="$(venv_dir "$odoo_path")"
stamp="$venv/.hotline-complete"
# gevent (Odoo's websocket process with workers > 0) loads its plugins with
# pkg_resources, which finds zope.interface >= 7 (normalized dist-info names)
# only from setuptools 70 on; older venvs get the newer setuptools in place.
setuptools_ok() {
    "$venv/bin/python" -c 'import setuptools, sys; sys.exit(int(setuptools.__version__.split(".")[0]) < 70)' 2>/dev/null
}
if [ -f "$stamp" ]; then
    setuptools_ok || "$venv/bin/pip" install --quiet "setuptools>=70,<80" >&2
    echo "$venv"
    exit 0
fi
command -v "$PYTHON" >/dev/null || die "$PYTHON is required (Odoo 18 runs on Python 3.10-3.12; the project uses 3.11)."
say "Creating the virtualenv $venv (first run only; takes a few minutes)"
rm -rf "$venv"
mkdir -p "$CACHE_DIR"
"$PYTHON" -m venv "$venv"
# Some of Odoo's pinned requirements build from source with a setup.py that
# imports pkg_resources, which setuptools 81 dropped; python-ldap needs system
# headers and only serves auth_ldap.
constraints="$(mktemp)"
trap 'rm -f "$constraints"' EXIT
echo "setuptools<81" > "$constraints"
export PIP_CONSTRAINT="$constraints" PIP_DISABLE_PIP_VERSION_CHECK=1
"$venv/bin/pip" install --quiet "setuptools>=70,<80" wheel
grep -v -i '^python-ldap' "$odoo_path/requirements.txt" > "$venv/odoo-requirements.txt"
"$venv/bin/pip" install --quiet -r "$venv/odoo-requirements.txt"
"$venv/bin/pip" install --quiet -r "$ROOT/requirements.txt"
touch "$stamp"
say "Virtualenv ready: $venv"
echo "$venv"
