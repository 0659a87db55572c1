# shellcheck shell=bash
# Sourced by every scripts/*.sh: a private virtualenv, HOME and Ansible home
# under .tmp/, and the collection visible as netops.ipsec_spi.
# Nothing is written outside the repository (the user's ~ is left alone).
#
# Also safe to source in an interactive shell (`. scripts/env.sh`, then run
# ansible-playbook by hand): there it leaves the shell's options and HOME
# alone (only Ansible's own home moves under .tmp/), and a failure returns
# instead of closing the terminal.
#
# IPSEC_SPI_VENV, IPSEC_SPI_TMP and PYTHON choose the virtualenv, the scratch
# folder and the interpreter; IPSEC_SPI_REQUIREMENTS (one file) replaces the
# pinned tool chain for that virtualenv (scripts/matrix.sh uses it).

case $- in
    *i*) ;;
    *) set -euo pipefail ;;
esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" || return 1
TMPROOT="${IPSEC_SPI_TMP:-$ROOT/.tmp}"
VENV="${IPSEC_SPI_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"

if [ -n "${IPSEC_SPI_REQUIREMENTS:-}" ]; then
    _ipsec_spi_reqs=("$IPSEC_SPI_REQUIREMENTS")
else
    _ipsec_spi_reqs=("$ROOT/requirements-test.txt" "$ROOT/requirements.txt")
fi

_ipsec_spi_stamp() { cat "${_ipsec_spi_reqs[@]}" | sha256sum; }

_ipsec_spi_venv() {
    if [ -x "$VENV/bin/python" ] && [ -f "$VENV/.requirements.sha" ] &&
        [ "$(cat "$VENV/.requirements.sha")" = "$(_ipsec_spi_stamp)" ]; then
        return 0
    fi
    local reqs=() req started=$SECONDS
    for req in "${_ipsec_spi_reqs[@]}"; do reqs+=(-r "$req"); done
    echo "==> creating $VENV and installing the pinned tool chain (${_ipsec_spi_reqs[*]##*/})"
    "$PYTHON" -m venv "$VENV" &&
        "$VENV/bin/python" -m pip install -q --upgrade pip &&
        "$VENV/bin/python" -m pip install -q "${reqs[@]}" &&
        _ipsec_spi_stamp > "$VENV/.requirements.sha" &&
        # scripts/test.sh reports the build apart from the stages' times.
        export IPSEC_SPI_VENV_BUILD_SECONDS=$((SECONDS - started))
}

mkdir -p "$TMPROOT/home/.ansible/tmp" || return 1
case $- in
    *i*) ;;  # the user's shell keeps its HOME (ssh keys, git config, cd ~)
    *) export HOME="$TMPROOT/home" ;;
esac
export ANSIBLE_HOME="$TMPROOT/home/.ansible"
export ANSIBLE_LOCAL_TEMP="$TMPROOT/home/.ansible/tmp"
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PYTHONDONTWRITEBYTECODE=1

_ipsec_spi_venv || { echo "scripts/env.sh: could not set up $VENV" >&2; return 1; }
# shellcheck disable=SC1091
. "$VENV/bin/activate"

# The repository root is the collection; Ansible finds it at
# <path>/ansible_collections/netops/ipsec_spi, so link it there.
COLLECTIONS="$TMPROOT/collections"
mkdir -p "$COLLECTIONS/ansible_collections/netops" || return 1
ln -sfn "$ROOT" "$COLLECTIONS/ansible_collections/netops/ipsec_spi"
export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS"
case ":${PYTHONPATH:-}:" in
    *":$COLLECTIONS:"*) ;;  # sourced twice: once on the path is enough
    *) export PYTHONPATH="$COLLECTIONS${PYTHONPATH:+:$PYTHONPATH}" ;;
esac
