# Shared settings for the Makefile's scripts. Sourced, never run.
# shellcheck shell=bash
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VAR_DIR="${HOTLINE_VAR_DIR:-$ROOT/var}"
CACHE_DIR="${HOTLINE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hotline12319}"
PYTHON="${PYTHON:-python3.11}"
PG_PORT="${HOTLINE_PG_PORT:-54319}"
PG_USER="${HOTLINE_PG_USER:-hotline}"
HTTP_PORT="${HOTLINE_HTTP_PORT:-8069}"


say() { printf '\033[1m[hotline]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[hotline] %s\033[0m\n' "$*" >&2; exit 1; }

# Runs setup.sh and takes its ODOO_PATH and VENV. A failed setup has already
# said why; `eval "$(setup.sh)"` would ignore the failure and go on.
load_setup() {
    local assignments
    assignments="$(bash "$ROOT/scripts/setup.sh")" || exit $?
    eval "$assignments"
    export ODOO_PATH VENV
}

# The virtualenv lives outside the checkout, keyed by what it installs, so a
# fresh clone on the same machine reuses it; a changed requirement makes a new one.
venv_dir() {
    local odoo_path="$1" key
    key=$( (cat "$odoo_path/requirements.txt" "$ROOT/requirements.txt"; "$PYTHON" -V) | sha1sum | cut -c1-10)
    echo "$CACHE_DIR/venv-$key"
}

# Debian packages the tests and benchmarks run for real (Kannel and its fake
# SMSC, espeak-ng), installed when missing as .ci/run installs Chromium.
# Arguments: "command-or-path:package" pairs.
ensure_debian_packages() {
    local missing=() pair
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        die "Missing Debian packages: ${missing[*]} (as root: apt-get install ${missing[*]})"
    fi
    say "Installing Debian's ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/dev/null \
        || die "apt-get could not install ${missing[*]}"
}

# The addons that exist in this checkout (an addon is a folder with a manifest).
hotline_addons() {
    local names=()
    for manifest in "$ROOT"/addons/*/__manifest__.py; do
        names+=("$(basename "$(dirname "$manifest")")")
    done
    local IFS=,
    echo "${names[*]}"
}

# Local PostgreSQL cluster unless the environment or odoo.conf names a server.
uses_external_pg() {
    [ -n "${PGHOST:-}" ] && return 0
    grep -Eq '^[[:space:]]*db_host[[:space:]]*=[[:space:]]*[^[:space:]]' "$ROOT/odoo.conf" && return 0
    return 1
}

odoo_db_args() {
    if uses_external_pg; then
        return 0
    fi
    echo "--db_host=127.0.0.1 --db_port=$PG_PORT --db_user=$PG_USER"
}

# The odoo-bin command line for this checkout (after setup.sh).
odoo_cmd() {
    # shellcheck disable=SC2046
    echo "$VENV/bin/python" "$ODOO_PATH/odoo-bin" -c "$ROOT/odoo.conf" \
        --addons-path="$ODOO_PATH/addons,$ODOO_PATH/odoo/addons,$ROOT/addons" $(odoo_db_args)
}

psql_cmd() {
    if uses_external_pg; then
        echo psql
    else
        echo psql -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER"
    fi
}
