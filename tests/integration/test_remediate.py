"""The remediate playbook on a private copy of the default scenario.

Order matters: the dry run first (nothing may change), then the real run
(every desync gone, only the expected commands sent), then a second run
(nothing left to do). Then two runs at once on another private lab (each
clear sent once, both runs' cool-down entries kept), and the state file's
refusals, which need no lab.
"""
from __future__ import annotations

import json
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import ROOT, expected_non_compliant  # noqa: E402  (tests/integration is on sys.path)

PLAYBOOK = "netops.ipsec_spi.remediate"
CONFIG_MODE = ("configure", "conf t", "config t")


def snapshot(lab):
    out = {}
    for router in lab.ground_truth["routers"]:
        state = lab.state(router)
        out[router] = {k: state[k] for k in ("running_config", "sas", "counters", "log", "knob")}
    return out


def sent_since(lab, marks):
    return {r: lab.commands(r)[n:] for r, n in marks.items()}


def marks_of(lab):
    return {r: len(lab.commands(r)) for r in lab.ground_truth["routers"]}


def changed_tasks(result):
    """(task, host) pairs that reported changed, the report's own files aside."""
    out = []
    for task in result.tasks:
        name = task["task"]["name"]
        if name.startswith("netops.ipsec_spi.report"):
            continue
        for host, res in task["hosts"].items():
            if res.get("changed"):
                out.append((name, host))
    return out


@pytest.fixture(scope="module")
def rlab(lab_factory, tmp_path_factory):
    lab = lab_factory()
    work = tmp_path_factory.mktemp("remediate")
    return lab, work


def run(rlab, run_playbook, check=False, name="run", forks=20, extra_vars=None, state="state/clear-state.json"):
    lab, work = rlab
    report_dir = work / name
    result = run_playbook(PLAYBOOK, lab.inventory, check=check, forks=forks,
                          extra_vars=dict({"ipsec_spi_report_dir": str(report_dir), "ipsec_spi_verify_delay": 3},
                                          **(extra_vars or {})),
                          env={"IPSEC_SPI_STATE_FILE": str(work / state)})
    report = json.loads((report_dir / "report.json").read_text()) if (report_dir / "report.json").exists() else None
    return result, report


def test_check_mode_changes_nothing(rlab, run_playbook):
    lab, work = rlab
    lab.set_speed(0)
    try:
        before, marks = snapshot(lab), marks_of(lab)
        result, report = run(rlab, run_playbook, check=True, name="dry")
        after = snapshot(lab)
    finally:
        lab.set_speed(60)
    assert result.rc == 0, result
    assert after == before
    for router, commands in sent_since(lab, marks).items():
        for command in commands:
            low = command.strip().lower()
            assert not low.startswith(CONFIG_MODE) and "clear" not in low, (router, command)
    # Nothing written or created: no state, no lock, not even the state's directory.
    assert sorted(os.listdir(str(work))) == ["dry"]
    # The dry run says what it would do, per router.
    expected = {(a["host"], a["command"]) for a in lab.ground_truth["actions"]}
    shown = set()
    (task,) = [t for t in result.tasks
               if t["task"]["name"] == "netops.ipsec_spi.remediate : Show what will be done, per router (the dry run in check mode)"]
    for res in task["hosts"].values():  # run once: one host holds every router's lines
        for item in res.get("results", []):
            if "WOULD RUN" in item.get("msg", ""):
                host, action = item["_ipsec_spi_pair"][0]["host"], item["_ipsec_spi_pair"][1]
                assert item["msg"].startswith("%s: WOULD RUN %s" % (host, action["command"])), item["msg"]
                shown.add((host, action["command"]))
    assert shown == expected
    # One read and one plan: no batch ran, nothing was read twice.
    names = [t["task"]["name"] for t in result.tasks]
    assert not any(n.startswith("netops.ipsec_spi.remediate : Re-read") for n in names), names
    reads = [host for t in result.tasks for host in t["hosts"]
             if t["task"]["name"] == "netops.ipsec_spi.check : Read the router (one connection, read-only commands) or its captured outputs"]
    assert sorted(reads) == sorted(lab.ground_truth["routers"])
    assert report["mode"] == "dry_run"
    # The dry-run report flags the right routers and lists the right actions.
    truth = lab.ground_truth
    flagged = {r["host"] for r in report["routers"] if r["status"] == "non_compliant"}
    assert flagged == set(expected_non_compliant(truth))
    assert {(a["host"], a["command"]) for a in report["actions"]["planned"]} == expected
    assert report["summary"]["confirmed_desyncs"] == sum(1 for d in truth["desync"] if d["verdict"] == "confirmed")


def test_remediation_fixes_every_desync_and_nothing_else(rlab, run_playbook):
    lab = rlab[0]
    truth = lab.ground_truth
    knob_before = {r: lab.state(r)["knob"] for r in truth["routers"]}
    marks = marks_of(lab)
    result, report = run(rlab, run_playbook, name="applied")
    assert result.rc == 0, result
    # Through the lab's own state, not our check: no pair is out of sync any more.
    lab.advance(180)
    assert lab.desyncs() == []
    knob_hosts = {a["host"] for a in truth["actions"] if a["action"] == "enable_knob"}
    for router in truth["routers"]:
        assert lab.state(router)["knob"] == (knob_before[router] or router in knob_hosts), router
    expected_clears = {(a["host"], a["command"]) for a in truth["actions"] if a["action"] != "enable_knob"}
    sent_clears = set()
    for router, commands in sent_since(lab, marks).items():
        for command in commands:
            low = " ".join(command.lower().split())
            if low.startswith("clear"):
                assert low not in ("clear crypto sa", "clear crypto session", "clear crypto isakmp"), (router, command)
                sent_clears.add((router, " ".join(command.split())))
            if low.startswith(CONFIG_MODE):
                assert router in knob_hosts, (router, command)
    assert sent_clears == expected_clears
    performed = [a for r in report["routers"] for a in (r["assessment"].get("performed_actions") or [])]
    assert performed and all(a["result"] == "done" for a in performed), performed
    assert all(a.get("verified") for a in performed if a["action"] != "enable_knob"), performed
    assert report["mode"] == "applied"
    assert report["summary"]["confirmed_desyncs"] == 0


def test_second_run_changes_nothing(rlab, run_playbook):
    lab = rlab[0]
    marks = marks_of(lab)
    result = run(rlab, run_playbook, name="again")[0]
    assert result.rc == 0, result
    assert changed_tasks(result) == []
    for router, commands in sent_since(lab, marks).items():
        assert not any(c.strip().lower().startswith(("clear",) + CONFIG_MODE) for c in commands), (router, commands)


def clears_sent(lab, marks):
    """Every clear command each router received since ``marks``, in order, repeats kept."""
    out = []
    for router, commands in sent_since(lab, marks).items():
        out.extend((router, " ".join(c.split())) for c in commands if c.strip().lower().startswith("clear"))
    return out


def test_two_runs_at_once_clear_each_peer_once_and_keep_both_entries(lab_factory, tmp_path_factory, run_playbook):
    """Issue 17 item 1: overlapping runs used to send every clear twice and lose one run's entries.

    Run A leaves out hub1 (so only B clears hub1's session), run B leaves out dynhub (so only A can
    prove br4's desync and clear it); both want the hub2 and spoke2 clears. Started together, on the
    same inventory and state file.
    """
    lab = lab_factory()
    work = tmp_path_factory.mktemp("overlap")
    truth = lab.ground_truth
    clears = {(a["host"], a["command"]) for a in truth["actions"] if a["action"] != "enable_knob"}
    only_a = {c for c in clears if c[0] == "br4"}
    only_b = {c for c in clears if c[0] == "hub1"}
    assert only_a and only_b and len(clears - only_a - only_b) == 2, clears
    runs = {"A": "all:!hub1", "B": "all:!dynhub"}
    # Each run reads only part of the fleet: the peer map (as the EDA source has it) says which addresses
    # are the fleet's, so B still knows hub1's sender 203.0.113.77 is outside it (issue 22: without it, a
    # sender that may be the unread dynhub gets no clear).
    peer_map = str(work / "peer_map.json")
    made = run_playbook(os.path.join(ROOT, "extensions", "eda", "playbooks", "peer_map.yml"), lab.inventory,
                        extra_vars={"ipsec_spi_eda_peer_map": peer_map})
    assert made.rc == 0, made
    marks = marks_of(lab)

    def start(run_id):
        return run((lab, work), run_playbook, name=run_id, forks=12,
                   extra_vars={"ipsec_spi_run_id": run_id, "ipsec_spi_targets": runs[run_id],
                               "ipsec_spi_peer_map": peer_map})

    with ThreadPoolExecutor(2) as pool:
        results = dict(zip(runs, pool.map(start, runs)))
    for run_id, (result, _report) in results.items():
        assert result.rc == 0, (run_id, result)

    # The lab's own record of every command: each clear exactly once, nothing else cleared.
    sent = clears_sent(lab, marks)
    assert sorted(sent) == sorted(clears), sent
    lab.advance(180)
    assert lab.desyncs() == []

    # Who cleared what: exactly one run did each shared clear; the other skipped it with the reason.
    done = {}
    for run_id, (_result, report) in results.items():
        for router in report["routers"]:
            for action in router["assessment"].get("performed_actions") or []:
                key = (action["host"], action["command"])
                if key not in clears:
                    continue
                if action["result"] == "done":
                    assert key not in done, (key, run_id, done)
                    done[key] = run_id
                else:
                    assert action["result"] == "skipped", action
                    assert "another run" in action["message"] or "no longer needed" in action["message"], action
    assert set(done) == clears and {done[c] for c in only_a} == {"A"} and {done[c] for c in only_b} == {"B"}

    # The state holds both runs' entries, each under the run that cleared it; no lock is left behind.
    state = json.loads((work / "state" / "clear-state.json").read_text())
    by_key = {"%s|%s" % (h, c.split()[-1]): run_id for (h, c), run_id in done.items()}
    assert {k: v["run_id"] for k, v in state.items()} == by_key
    assert not (work / "state" / "clear-state.json.lock").exists()


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
