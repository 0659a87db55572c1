# shellcheck shell=bash
# Sourced by every scripts/*.sh: a private virtualenv, HOME and Ansible home
# under .tmp/, and the collection visible as netops.ipsec_spi.
# Nothing is written outside the repository (the user's ~ is left alone).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TMPROOT="${IPSEC_SPI_TMP:-$ROOT/.tmp}"
VENV="${IPSEC_SPI_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"

mkdir -p "$TMPROOT/home"
export HOME="$TMPROOT/home"
export ANSIBLE_HOME="$TMPROOT/home/.ansible"
export ANSIBLE_LOCAL_TEMP="$TMPROOT/home/.ansible/tmp"
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PYTHONDONTWRITEBYTECODE=1

stamp_ok() {
    [ -x "$VENV/bin/python" ] && [ -f "$VENV/.requirements.sha" ] &&
        [ "$(cat "$VENV/.requirements.sha")" = "$(cat "$ROOT/requirements-test.txt" "$ROOT/requirements.txt" | sha256sum)" ]
}

if ! stamp_ok; then
    echo "==> creating $VENV and installing the pinned tool chain (requirements-test.txt)"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -r "$ROOT/requirements-test.txt" -r "$ROOT/requirements.txt"
    cat "$ROOT/requirements-test.txt" "$ROOT/requirements.txt" | sha256sum > "$VENV/.requirements.sha"
fi
# shellcheck disable=SC1091
. "$VENV/bin/activate"

# The repository root is the collection; Ansible finds it at
# <path>/ansible_collections/netops/ipsec_spi, so link it there.
COLLECTIONS="$TMPROOT/collections"
mkdir -p "$COLLECTIONS/ansible_collections/netops"
ln -sfn "$ROOT" "$COLLECTIONS/ansible_collections/netops/ipsec_spi"
export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS"
export PYTHONPATH="$COLLECTIONS${PYTHONPATH:+:$PYTHONPATH}"
