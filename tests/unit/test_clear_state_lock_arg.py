# -*- coding: utf-8 -*-
"""clear_state's `lock` argument on every ansible-core the collection claims (issue 24, item 1).

ansible-core 2.16-2.18 template `lock: "{{ claim.lock }}"` to the string "" when the claim held no lock (null),
which the `dict` type refused, so remediation stopped on a batch with nothing to clear. The action takes
what any supported core passes: null or "" (no lock), the lock mapping, or that mapping as JSON text.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.netops.ipsec_spi.plugins.action.clear_state import lock_arg
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOCK = {"token": "t-1", "run_id": "r", "pid": 1, "host": "ctl", "since": 1.5, "took_over": "", "waited": 0.0}


@pytest.mark.parametrize("value", [None, "", "  "])
def test_no_lock(value):
    assert lock_arg(value) is None


def test_the_mapping_and_its_json_text():
    assert lock_arg(LOCK) == LOCK
    assert lock_arg(json.dumps(LOCK)) == LOCK
    assert lock_arg(" %s\n" % json.dumps(LOCK)) == LOCK


@pytest.mark.parametrize("value, words", [
    ("None", "not a JSON object"),
    ("{'token': 't-1'}", "not a JSON object"),
    ("[1, 2]", "not a JSON object"),
    ("{" * 5, "not a JSON object"),
    ("[" * 100000, "not a JSON object"),
    (7, "int"),
    (["t-1"], "list"),
    ({"token": 7}, "token"),
    ('{"token": ["a"]}', "token"),
])
def test_anything_else_is_refused_naming_the_argument(value, words):
    with pytest.raises(ParseError) as err:
        lock_arg(value)
    assert "lock" in str(err.value) and words in str(err.value)
    assert "t-1" not in str(err.value)  # the token is a capability: never echoed


def bin_path(name):
    return os.path.join(os.path.dirname(sys.executable), name)


PLAY = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
    claim: {lock: null}
  tasks:
    - name: Release
      netops.ipsec_spi.clear_state:
        path: "{{ path }}"
        step: "{{ item.step }}"
        lock: "{{ item.lock }}"
      loop:
        - {step: release, lock: "{{ claim.lock }}"}
        - {step: record, lock: "{{ claim.lock }}"}
        - {step: release, lock: '{"token": "not-ours"}'}
        - {step: release, lock: "junk"}
      ignore_errors: true
      register: out
    - name: Show
      ansible.builtin.debug:
        msg: "{{ out.results | map(attribute='failed', default=false) | zip(out.results | map(attribute='msg', default='')) }}"
"""


@pytest.mark.skipif(not os.path.exists(bin_path("ansible-playbook")), reason="ansible-playbook not in the virtualenv")
def test_through_ansible(tmp_path):
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAY, encoding="utf-8")
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".tmp", "collections"),
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"))
    proc = subprocess.run([bin_path("ansible-playbook"), "-i", "localhost,", str(playbook),
                           "-e", "path=%s" % (tmp_path / "state.json")], env=env, capture_output=True,
                          text=True, check=False, timeout=300)
    data = json.loads(proc.stdout[proc.stdout.index("{"):])
    shown = [t for p in data["plays"] for t in p["tasks"] if t["task"]["name"] == "Show"]
    assert shown, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = shown[0]["hosts"]["localhost"]["msg"]
    # No lock ("" on ansible-core < 2.19), twice; someone else's token: nothing removed; text: refused.
    assert [r[0] for r in results] == [False, False, False, True], results
    assert "clear_state" in results[3][1] and "lock" in results[3][1] and "Traceback" not in results[3][1]
