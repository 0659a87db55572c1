"""The remediate playbook on a private copy of the default scenario.

Order matters: the dry run first (nothing may change), then the real run
(every desync gone, only the expected commands sent), then a second run
(nothing left to do). Two runs at once are in test_remediate_overlap.py and
the store's refusals in test_store_playbooks.py: each file is one
worker's unit in the parallel integration stage.
"""
from __future__ import annotations

import os

import pytest

from conftest import expected_non_compliant  # noqa: E402  (tests/integration is on sys.path)
from remediate_support import CONFIG_MODE, changed_tasks, marks_of, run, sent_since, snapshot  # noqa: E402


@pytest.fixture(scope="module")
def rlab(lab_factory, tmp_path_factory):
    lab = lab_factory()
    work = tmp_path_factory.mktemp("remediate")
    return lab, work


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
    # One assessment and one report, in the plan play: the plays after it find no routers (issue 26).
    assert names.count("netops.ipsec_spi.check : Correlate every router's evidence and assess the fleet (once, on the controller)") == 1
    assert sum(n.startswith("netops.ipsec_spi.report : Write the fleet report to") for n in names) == 1, names
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
    # Two batches, the first of one router: a later batch that carries on the run (its identity, its budget) is
    # what this run shows; the default's four batches only repeat the second (issue 23).
    result, report = run(rlab, run_playbook, name="applied", extra_vars={"ipsec_spi_serial": [1, "100%"]})
    assert result.rc == 0, result
    batches = [p for p in result.data["plays"] if p["play"]["name"].startswith("Remediate the routers with work")]
    assert len(batches) == 2, [p["play"]["name"] for p in result.data["plays"]]
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
    result, report = run(rlab, run_playbook, name="again")
    assert result.rc == 0, result
    assert changed_tasks(result) == []
    # Nothing to do: one read, one assessment, and a report that says the run was applied and changed nothing.
    names = [t["task"]["name"] for t in result.tasks]
    assert names.count("netops.ipsec_spi.check : Correlate every router's evidence and assess the fleet (once, on the controller)") == 1
    assert report["mode"] == "applied" and report["summary"]["performed_actions"] == 0
    for router, commands in sent_since(lab, marks).items():
        assert not any(c.strip().lower().startswith(("clear",) + CONFIG_MODE) for c in commands), (router, commands)
