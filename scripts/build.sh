#!/usr/bin/env bash
# `make build`: the collection tarball (ansible-galaxy collection build), then
# proof that it is usable: installed into a fresh collections path, the
# installed copy (not this checkout) answers ansible-doc and lists its files.
. "$(dirname "$0")/env.sh"
cd "$ROOT" || exit 1
OUT="${IPSEC_SPI_BUILD_DIR:-$ROOT}"
version="$(python -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')"
tarball="$OUT/netops-ipsec_spi-$version.tar.gz"

ansible-galaxy collection build --force --output-path "$OUT" "$ROOT"

check="$TMPROOT/build-check"
rm -rf "$check"
mkdir -p "$check"
# The dependencies (cisco.ios, ansible.netcommon, ansible.utils) come with the `ansible` package in the
# virtualenv; Galaxy is not asked (--no-deps), and this checkout is off the path (PYTHONPATH unset).
env -u PYTHONPATH ANSIBLE_COLLECTIONS_PATH="$check" \
    ansible-galaxy collection install --no-deps -p "$check" "$tarball"
installed="$check/ansible_collections/netops/ipsec_spi"
doc="$(env -u PYTHONPATH ANSIBLE_COLLECTIONS_PATH="$check" ansible-doc netops.ipsec_spi.sa_clear)"
case "$doc" in
    *"$installed/plugins/modules/sa_clear.py"*) ;;
    *) echo "ansible-doc did not read the installed copy in $installed:" >&2; echo "$doc" | head -5 >&2; exit 1 ;;
esac
env -u PYTHONPATH ANSIBLE_COLLECTIONS_PATH="$check" ansible-doc -t role netops.ipsec_spi.remediate >/dev/null
echo "built $tarball ($(du -h "$tarball" | cut -f1), $(tar -tzf "$tarball" | grep -vc '/$') files);" \
    "installed and read back from $installed"
