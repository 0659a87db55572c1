#!/usr/bin/env bash
# `make demo-eda`: the Event-Driven Ansible loop on the lab (lab/eda_demo.py), about a minute.
# Needs Java 17 for ansible-rulebook (scripts/system-deps.sh installs it where it can).
. "$(dirname "$0")/env.sh"
cd "$ROOT" || exit 1
bash "$ROOT/scripts/system-deps.sh"
export ANSIBLE_PERSISTENT_COMMAND_TIMEOUT=60
exec python lab/eda_demo.py "$@"
