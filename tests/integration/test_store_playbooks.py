"""The store action through ansible-playbook, on the controller only (no lab, a few seconds each).

Split from test_remediate.py so the parallel integration stage can run it on another worker.
"""
from __future__ import annotations

import json

import pytest

from remediate_support import stored_clears  # noqa: E402  (tests/integration is on sys.path)

STEP_PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Step
      netops.ipsec_spi.store:
        store: "{{ store }}"
        step: "{{ step }}"
        legacy_state: "{{ legacy | default(omit) }}"
        lock_timeout: 1
      register: out
"""

PENDING = {"r1": {"host": "r1", "knob": False, "clear_sa": ["10.0.0.1"], "clear_session": [],
                  "clears": [{"scope": "sa", "peers": ["10.0.0.1"]}], "reread": ["r2", "r1"],
                  "actions": [{"action": "clear_sa", "host": "r1", "peer": "10.0.0.1", "spi": 1, "receiver": "r2",
                               "receiver_addr": "10.0.0.1", "sender_addr": "10.0.0.2", "decision": "run",
                               "command": "clear crypto sa peer 10.0.0.1"}]}}


def step(run_playbook, store, name, check=False, **extra):
    result = run_playbook(STEP_PLAY, "localhost,", check=check, forks=1,
                          extra_vars=dict({"store": str(store), "step": name}, **extra),
                          env={"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"})
    return result, result.task("Step")["localhost"]


@pytest.mark.parametrize("content, words", [
    ('{"br4|198.51.100.5": {"time": 1.0,}', "not valid JSON (line 1"),
    ('{"br4|198.51.100.5": {"time": 99999999999}}', "in the future"),
])
def test_an_old_state_that_cannot_be_trusted_stops_the_run_naming_the_file(tmp_path, run_playbook, content, words):
    legacy = tmp_path / "clear-state.json"
    legacy.write_text(content)
    result, out = step(run_playbook, tmp_path / "store.sqlite3", "open", legacy=str(legacy))
    assert result.rc != 0 and out.get("failed"), out
    assert str(legacy) in out["msg"] and words in out["msg"] and out["msg"].startswith("netops.ipsec_spi.store:")


def test_a_corrupt_store_is_refused_before_anything(tmp_path, run_playbook):
    (tmp_path / "store.sqlite3").write_bytes(b"garbage" * 200)
    result, out = step(run_playbook, tmp_path / "store.sqlite3", "open")
    assert result.rc != 0 and str(tmp_path / "store.sqlite3") in out["msg"] and "not a usable SQLite" in out["msg"], out


def test_open_in_check_mode_creates_nothing(tmp_path, run_playbook):
    result, out = step(run_playbook, tmp_path / "new" / "store.sqlite3", "open", check=True)
    assert result.rc == 0 and out["state"] == {} and not (tmp_path / "new").exists(), out
    result, out = step(run_playbook, tmp_path / "new" / "store.sqlite3", "open")
    assert result.rc == 0 and out["backend"] == "sqlite" and out["migrated"] == [1], out


def test_refused_credentials_never_show_the_password(pg_url, run_playbook):
    bad = pg_url.replace("postgres:", "postgres:Wr0ng-S3cret", 1)
    result, out = step(run_playbook, bad, "open")
    assert result.rc != 0 and "credentials were refused" in out["msg"] and "postgres:***@" in out["msg"], out
    assert "Wr0ng-S3cret" not in result.stdout and "Wr0ng-S3cret" not in result.stderr


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
    - name: Open
      netops.ipsec_spi.store: {store: "{{ store }}", step: open}
    - name: Claim
      netops.ipsec_spi.store: {store: "{{ store }}", step: claim, run_id: cycle, todo: "{{ todo }}", readings: "{{ readings }}"}
      register: claimed
    - name: Record
      netops.ipsec_spi.store:
        store: "{{ store }}"
        step: record
        run_id: cycle
        todo: "{{ claimed.todo }}"
        clears: {r1: {changed: true, results: [{item: {scope: sa, peers: [10.0.0.1]}, changed: true,
                                               results: [{peer: 10.0.0.1, command: x, sent: true, ok: true, response: ""}]}]}}
      register: recorded
    - name: Run
      netops.ipsec_spi.store: {store: "{{ store }}", step: run, run_id: cycle}
      register: listed
    - name: Show
      ansible.builtin.debug: {msg: "{{ {'claimed': claimed.claimed, 'recorded': recorded, 'listed': listed.clears} }}"}
"""


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_claim_record_cycle_through_ansible_with_diff(tmp_path, run_playbook, request, backend):
    # On PostgreSQL too: the steps' wiring through Ansible (URL, password, advisory locks) on the real server.
    store = request.getfixturevalue("pg_url") if backend == "postgresql" else str(tmp_path / "store.sqlite3")
    result = run_playbook(CYCLE_PLAY, "localhost,", forks=1, args=["--diff"], extra_vars={"store": str(store), "todo": PENDING})
    assert result.rc == 0, result
    shown = result.task("Show")["localhost"]["msg"]
    assert shown["claimed"] == ["r1|10.0.0.1"]
    recorded = shown["recorded"]
    assert recorded["changed"] is True and recorded["recorded"] == ["r1|10.0.0.1"]
    assert recorded["hosts"]["r1"]["performed"][0]["result"] == "done"
    assert recorded["hosts"]["r1"]["verify"][0] == {"host": "r1", "gather": ["ipsec_sa"], "poll": False}
    if backend == "postgresql":
        password = store.split("@")[0].rsplit(":", 1)[1]
        assert password not in result.stdout and password not in result.stderr
    assert json.loads(recorded["diff"]["before"]) == {"r1|10.0.0.1": "claimed"}
    assert json.loads(recorded["diff"]["after"]) == {"r1|10.0.0.1": "cleared"}
    assert [(c["host"], c["peer"], c["status"]) for c in shown["listed"]] == [("r1", "10.0.0.1", "cleared")]
    assert stored_clears(store) == {"r1|10.0.0.1": ("cycle", "cleared")}
    # The same cycle again: the peer is now in its cool-down (same run: "already cleared"), nothing claimed.
    again = run_playbook(CYCLE_PLAY, "localhost,", forks=1, extra_vars={"store": str(store), "todo": PENDING})
    shown = again.task("Show")["localhost"]["msg"]
    assert again.rc == 0 and shown["claimed"] == [] and shown["recorded"]["changed"] is False
    assert "already cleared in this run" in shown["recorded"]["hosts"]["r1"]["performed"][0]["message"]
