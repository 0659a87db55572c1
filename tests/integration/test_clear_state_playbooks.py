"""The clear_state action through ansible-playbook, on the controller only (no lab, a few seconds each).

Split from test_remediate.py so the parallel integration stage can run it on another worker.
"""
from __future__ import annotations

import json
import os
import socket
import time

import pytest

# --------------------------------------------------------------------------------------------------
# The state file and its lock through Ansible, on the controller only (no lab, a few seconds each).
# --------------------------------------------------------------------------------------------------

STEP_PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Step
      netops.ipsec_spi.clear_state:
        path: "{{ path }}"
        step: "{{ step }}"
        lock_timeout: 1
        todo: "{{ todo | default({}) }}"
      register: out
"""

PENDING = {"r1": {"host": "r1", "knob": False, "clear_sa": ["10.0.0.1"], "clear_session": [],
                  "clears": [{"scope": "sa", "peers": ["10.0.0.1"]}], "reread": ["r2", "r1"],
                  "actions": [{"action": "clear_sa", "host": "r1", "peer": "10.0.0.1", "spi": 1, "receiver": "r2",
                               "receiver_addr": "10.0.0.1", "sender_addr": "10.0.0.2", "decision": "run",
                               "command": "clear crypto sa peer 10.0.0.1"}]}}


def step(run_playbook, path, name, check=False, **extra):
    result = run_playbook(STEP_PLAY, "localhost,", check=check, forks=1,
                          extra_vars=dict({"path": str(path), "step": name}, **extra),
                          env={"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"})
    return result, result.task("Step")["localhost"]


@pytest.mark.parametrize("content, words", [
    ('{"br4|198.51.100.5": {"time": 1.0,}', "not valid JSON (line 1"),
    ('["br4|198.51.100.5"]', "holds a list"),
    ('{"br4|198.51.100.5": {"time": "yesterday"}}', "time is str"),
    ('{"br4|198.51.100.5": {"time": NaN}}', "not a finite number"),
    ('{"br4|198.51.100.5": {"time": 99999999999}}', "in the future"),
])
def test_a_state_that_cannot_be_trusted_stops_the_run_naming_the_file(tmp_path, run_playbook, content, words):
    path = tmp_path / "clear-state.json"
    path.write_text(content)
    result, out = step(run_playbook, path, "read")
    assert result.rc != 0 and out.get("failed"), out
    assert str(path) in out["msg"] and words in out["msg"] and out["msg"].startswith("netops.ipsec_spi.clear_state:")


def test_an_unusable_path_is_refused_before_anything(tmp_path, run_playbook):
    (tmp_path / "file").write_text("")
    result, out = step(run_playbook, tmp_path / "file" / "clear-state.json", "read")
    assert result.rc != 0 and str(tmp_path / "file") in out["msg"], out
    result, out = step(run_playbook, tmp_path, "read")
    assert result.rc != 0 and "is a directory" in out["msg"], out


def test_read_in_check_mode_creates_nothing(tmp_path, run_playbook):
    result, out = step(run_playbook, tmp_path / "new" / "clear-state.json", "read", check=True)
    assert result.rc == 0 and out["state"] == {} and not (tmp_path / "new").exists(), out
    result, out = step(run_playbook, tmp_path / "new" / "clear-state.json", "read")
    assert result.rc == 0 and (tmp_path / "new").is_dir() and os.listdir(str(tmp_path / "new")) == []


def test_a_held_lock_fails_the_claim_naming_its_holder(tmp_path, run_playbook):
    path = tmp_path / "clear-state.json"
    # This test process is alive on this host: the lock is not stale.
    holder = {"token": "t", "run_id": "job-42", "pid": os.getpid(), "host": socket.gethostname(),
              "time": time.time(), "since": "2026-01-01T00:00:00Z"}
    (tmp_path / "clear-state.json.lock").write_text(json.dumps(holder))
    result, out = step(run_playbook, path, "claim", todo=PENDING)
    assert result.rc != 0 and out.get("failed"), out
    assert "job-42" in out["msg"] and "pid %d" % os.getpid() in out["msg"] and str(path) + ".lock" in out["msg"]
    assert out["holder"]["run_id"] == "job-42"
    # A dead holder on this host is taken over, with a warning; the lock is then ours.
    holder.update(pid=4_000_000)
    (tmp_path / "clear-state.json.lock").write_text(json.dumps(holder))
    result, out = step(run_playbook, path, "claim", todo=PENDING)
    assert result.rc == 0 and "4000000" in out["took_over"], out
    assert any("took over the stale lock" in w for w in out.get("warnings", [])), out
    # Nothing was re-read, so nothing is cleared, and the lock is not kept for nothing.
    assert out["todo"]["r1"]["clears"] == [] and "could not re-read" in out["todo"]["r1"]["actions"][0]["skip_reason"]
    assert out["lock"] is None and not (tmp_path / "clear-state.json.lock").exists()


CYCLE_PLAY = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
    sas:
      r1: [{peer: 10.0.0.1, inbound_spis: [2], outbound_spis: [1], current_outbound_spi: 1}]
      r2: [{peer: 10.0.0.2, inbound_spis: [5], outbound_spis: [2], current_outbound_spi: 2}]
    readings:
      r1: {results: [{item: r1, ansible_facts: {ipsec_spi: {ipsec_sas: "{{ sas.r1 }}"}}},
                     {item: r2, ansible_facts: {ipsec_spi: {ipsec_sas: "{{ sas.r2 }}"}}}]}
  tasks:
    - name: Claim
      netops.ipsec_spi.clear_state: {path: "{{ path }}", step: claim, run_id: cycle, todo: "{{ todo }}", readings: "{{ readings }}"}
      register: claimed
    - name: Lock file while held
      ansible.builtin.stat: {path: "{{ path }}.lock"}
      register: held
    - name: Record
      netops.ipsec_spi.clear_state:
        path: "{{ path }}"
        step: record
        run_id: cycle
        todo: "{{ claimed.todo }}"
        lock: "{{ claimed.lock }}"
        clears: {r1: {changed: true, results: [{item: {scope: sa, peers: [10.0.0.1]}, changed: true,
                                               results: [{peer: 10.0.0.1, command: x, sent: true, ok: true, response: ""}]}]}}
      register: recorded
    - name: Show
      ansible.builtin.debug: {msg: "{{ {'held': held.stat.exists, 'lock': claimed.lock, 'recorded': recorded} }}"}
"""


def test_claim_record_cycle_through_ansible_with_diff(tmp_path, run_playbook):
    path = tmp_path / "clear-state.json"
    result = run_playbook(CYCLE_PLAY, "localhost,", forks=1, args=["--diff"],
                          extra_vars={"path": str(path), "todo": PENDING})
    assert result.rc == 0, result
    shown = result.task("Show")["localhost"]["msg"]
    assert shown["held"] is True and shown["lock"]["run_id"] == "cycle"
    recorded = shown["recorded"]
    assert recorded["changed"] is True and recorded["recorded"] == ["r1|10.0.0.1"] and recorded["released"] is True
    assert recorded["hosts"]["r1"]["performed"][0]["result"] == "done"
    assert recorded["hosts"]["r1"]["verify"][0] == {"host": "r1", "gather": ["ipsec_sa"], "poll": False}
    assert "r1|10.0.0.1" in recorded["diff"]["after"] and recorded["diff"]["before"] == "{}\n"
    state = json.loads(path.read_text())
    assert state["r1|10.0.0.1"]["run_id"] == "cycle" and state["r1|10.0.0.1"]["receiver"] == "r2"
    assert not (tmp_path / "clear-state.json.lock").exists()
    # The same cycle again: the peer is now in its cool-down (same run: "already cleared"), nothing held.
    again = run_playbook(CYCLE_PLAY, "localhost,", forks=1, extra_vars={"path": str(path), "todo": PENDING})
    shown = again.task("Show")["localhost"]["msg"]
    assert again.rc == 0 and shown["lock"] is None and shown["recorded"]["changed"] is False
    assert "already cleared in this run" in shown["recorded"]["hosts"]["r1"]["performed"][0]["message"]
