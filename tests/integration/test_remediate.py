"""The remediate playbook on a private copy of the default scenario.

Order matters: the dry run first (nothing may change), then the real run
(every desync gone, only the expected commands sent), then a second run
(nothing left to do).
"""
from __future__ import annotations

import json

import pytest

from conftest import expected_non_compliant  # noqa: E402  (tests/integration is on sys.path)

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


def run(rlab, run_playbook, check=False, name="run"):
    lab, work = rlab
    report_dir = work / name
    result = run_playbook(PLAYBOOK, lab.inventory, check=check, forks=20,
                          extra_vars={"ipsec_spi_report_dir": str(report_dir), "ipsec_spi_verify_delay": 3},
                          env={"IPSEC_SPI_STATE_FILE": str(work / "clear-state.json")})
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
    assert not (work / "clear-state.json").exists()
    # The dry run says what it would do, per router.
    expected = {(a["host"], a["command"]) for a in lab.ground_truth["actions"]}
    shown = set()
    for task in result.tasks:  # one per serial batch
        if task["task"]["name"] != "netops.ipsec_spi.remediate : Show what will be done (the dry run in check mode)":
            continue
        for host, res in task["hosts"].items():
            for item in res.get("results", []):
                if "WOULD RUN" in item.get("msg", ""):
                    shown.add((host, item["item"]["command"]))
    assert shown == expected
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
