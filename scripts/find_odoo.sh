#!/usr/bin/env bash
# Prints the path of an Odoo 18.0 source tree, or explains what is missing.
# Order: $ODOO_PATH, the usual places, then Odoo's official 18.0 source when online.
source "$(dirname "$0")/lib.sh"

is_odoo_18() {
    local release="$1/odoo/release.py"
    [ -f "$release" ] && [ -f "$1/odoo-bin" ] && grep -Eq '^version_info = \(18, 0,' "$release"
}

if [ -n "${ODOO_PATH:-}" ]; then
    is_odoo_18 "$ODOO_PATH" || die "ODOO_PATH=$ODOO_PATH is not an Odoo 18.0 source tree (expected odoo-bin and odoo/release.py with version 18.0)."
    say "Odoo 18.0 from ODOO_PATH: $ODOO_PATH"
    echo "$ODOO_PATH"
    exit 0
fi

for candidate in /opt/odoo /opt/odoo18 /opt/odoo/odoo /usr/local/src/odoo /srv/odoo \
                 "$HOME/odoo" "$ROOT/../odoo" "$CACHE_DIR/odoo-18.0"; do
    if is_odoo_18 "$candidate"; then
        candidate="$(cd "$candidate" && pwd)"
        say "Odoo 18.0 found in $candidate (set ODOO_PATH to use another tree)"
        echo "$candidate"
        exit 0
    fi
done

target="$CACHE_DIR/odoo-18.0"
say "No Odoo 18.0 tree in ODOO_PATH or the usual places; downloading Odoo's official 18.0 source into $target"
mkdir -p "$CACHE_DIR"
tmp="$target.partial"
rm -rf "$tmp"
if command -v git >/dev/null && git clone --quiet --depth 1 --branch 18.0 https://github.com/odoo/odoo.git "$tmp" 2>/dev/null; then
    mv "$tmp" "$target"
elif command -v curl >/dev/null && mkdir -p "$tmp" \
        && curl -fsSL --max-time 900 https://github.com/odoo/odoo/archive/refs/heads/18.0.tar.gz | tar -xz --strip-components=1 -C "$tmp" 2>/dev/null; then
    mv "$tmp" "$target"
else
    rm -rf "$tmp"
    die "Odoo 18.0 is missing and could not be downloaded (offline?). Put an Odoo 18.0 source tree in /opt/odoo or point ODOO_PATH at one, e.g. 'ODOO_PATH=/path/to/odoo make test'."
fi
is_odoo_18 "$target" || die "The download in $target is not Odoo 18.0."
say "Odoo 18.0 downloaded into $target"
echo "$target"
