#!/usr/bin/env bash
# `make demo-eda`: the Event-Driven Ansible loop on the lab (lab/eda_demo.py), about a minute.
# Needs Java 17 for ansible-rulebook (scripts/system-deps.sh installs it where it can).
. "$(dirname "$0")/env.sh"
cd "$ROOT" || exit 1
bash "$ROOT/scripts/system-deps.sh"
export ANSIBLE_PERSISTENT_COMMAND_TIMEOUT=60
# ansible-rulebook copies the inventory (with the lab's password) into a data dir under TMPDIR for each run and
# removes it after; one it is stopped in the middle of stays. A private TMPDIR, removed at the end, whatever happens.
EDA_TMP="$(mktemp -d "$TMPROOT/demo-eda-tmp.XXXXXX")"
trap 'rm -rf "$EDA_TMP"' EXIT
export TMPDIR="$EDA_TMP"
python lab/eda_demo.py "$@"
