"""Recurring desyncs through the audit playbook (issue 28, docs/recurrence.md): the same pair re-desyncs between
nightly audits (the lab re-keys it, then its receiver loses the new inbound SA: a rekey race), another pair breaks
once. After three audits, a day apart on the lab clock, report.json's Recurring pairs names exactly the nightly
pair, with its three episodes, the hints the scenario supports and no other, and a timeline equal to what the
store (this lab's SQLite file, read directly) holds.

Lab: the month scenario (three routers), clock stopped (speed 0) and moved only by the test. Its start is put a
week before today: the store counts the recurrence window back from the run's own time.
"""
from __future__ import annotations

import datetime
import json
import os
import sqlite3

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MONTH = os.path.join(ROOT, "lab", "scenarios", "month.yml")
AUDIT = os.path.join(ROOT, "playbooks", "audit.yml")
DAY = 86400.0
NIGHTS = 3
SCENARIO_HINTS = {("rekey_race", "sender"), ("no_ike_sa", "receiver")}


def report_of(folder):
    with open(os.path.join(str(folder), "report.json"), encoding="utf-8") as handle:
        return json.load(handle)


def store_rows(path, table):
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM %s" % table)]


@pytest.fixture(scope="module")
def month(lab_factory, run_playbook, tmp_path_factory):
    folder = tmp_path_factory.mktemp("recurrence")
    with open(MONTH, encoding="utf-8") as handle:
        scenario = yaml.safe_load(handle)
    today = datetime.datetime.now(datetime.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    scenario["start"] = (today - datetime.timedelta(days=7, hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ")  # 18:00
    path = folder / "month-recent.yml"
    path.write_text(yaml.safe_dump(scenario), encoding="utf-8")
    lab = lab_factory(scenario=str(path), speed=0)
    lab.advance(8 * 3600.0)  # 02:00 the next day
    planted, once, reports, folders = [], None, [], []
    for night in range(1, NIGHTS + 1):
        lab.rekey("spoke", "hub")
        lab.advance(30.0)
        planted.append(lab.start_desync("spoke", "hub"))
        if night == 2:
            once = lab.start_desync("hub", "br")  # breaks once; seen again by the third audit, still one episode
        lab.advance(1800.0)
        out = folder / ("night-%d" % night)
        extra = {"ipsec_spi_report_dir": str(out), "ipsec_spi_run_id": "night-%d" % night}
        result = run_playbook(AUDIT, lab.inventory, extra_vars=extra)
        assert result.rc == 0, result
        reports.append(report_of(out))
        folders.append(str(out))
        lab.advance(DAY - 1830.0)
    store = os.path.join(os.path.dirname(lab.inventory), "store.sqlite3")
    return {"lab": lab, "planted": planted, "once": once, "reports": reports, "folders": folders,
            "episodes": store_rows(store, "episodes"), "actions": store_rows(store, "actions")}


def pairs(report):
    return [(p["receiver"], p["sender_addr"]) for p in report["recurring"]["pairs"]]


def test_the_pair_becomes_recurring_at_its_third_episode_and_no_other(month):
    hub_from_spoke = ("hub", month["planted"][0]["sender_addr"])
    assert [pairs(r) for r in month["reports"]] == [[], [], [hub_from_spoke]]
    assert all(r["recurring"]["store_read"] for r in month["reports"])
    (pair,) = month["reports"][-1]["recurring"]["pairs"]
    assert pair["sender"] == "spoke" and pair["episodes"] == NIGHTS
    # The audit clears nothing: nothing masked, every black hole without a verified fix.
    assert pair["masked"] == 0 and not any(h["ended"] == "verified_fix" for h in pair["black_holes"])
    hub = next(r for r in month["reports"][-1]["routers"] if r["host"] == "hub")
    assert "RECURRING_DESYNC" in {f["code"] for f in hub["assessment"]["findings"]}


def test_each_night_is_one_episode_with_its_own_spi_and_the_one_off_pair_is_one_episode(month):
    spoke_addr, hub_addr = month["planted"][0]["sender_addr"], month["once"]["sender_addr"]
    recurring = [e for e in month["episodes"] if (e["receiver"], e["sender_addr"]) == ("hub", spoke_addr)]
    assert sorted(e["spi"] for e in recurring) == sorted(d["spi"] for d in month["planted"])
    # Seen by the second and third audits, the one-off desync is still one episode, and not recurring.
    once = [e for e in month["episodes"] if (e["receiver"], e["sender_addr"]) == ("br", hub_addr)]
    assert [e["spi"] for e in once] == [month["once"]["spi"]]
    assert {(e["receiver"], e["sender_addr"]) for e in month["episodes"]} == {("hub", spoke_addr), ("br", hub_addr)}
    assert month["actions"] == []


def test_the_hints_are_those_the_scenario_supports_and_no_other(month):
    (pair,) = month["reports"][-1]["recurring"]["pairs"]
    assert {(h["hint"], h["end"]) for h in pair["hints"]} == SCENARIO_HINTS
    (rekey,) = [h for h in pair["hints"] if h["hint"] == "rekey_race"]
    # The latest episode's SPI, installed by the lab's rekey 30 s before the desync.
    assert rekey["data"]["spi"] == month["planted"][-1]["spi"]
    assert 0 <= rekey["data"]["seconds_before"] <= 120


def test_the_timeline_is_what_the_store_holds(month):
    (pair,) = month["reports"][-1]["recurring"]["pairs"]
    rows = sorted((e for e in month["episodes"] if (e["receiver"], e["sender_addr"]) == (pair["receiver"], pair["sender_addr"])),
                  key=lambda e: e["first_epoch"])
    fields = ("spi", "verdict", "messages", "last_epoch", "fixed_epoch", "tunnel", "source", "run_id")
    assert [dict({k: e[k] for k in fields}, epoch=e["epoch"]) for e in pair["timeline"]] == \
        [dict({k: e[k] for k in fields}, epoch=e["first_epoch"]) for e in rows]
    assert [e["kind"] for e in pair["timeline"]] == ["episode"] * NIGHTS
    # Each episode carries the last audit that saw it (an earlier night's messages are still in the next night's log).
    assert pair["timeline"][-1]["run_id"] == "night-%d" % NIGHTS
    assert all(e["run_id"] in {"night-%d" % n for n in range(1, NIGHTS + 1)} for e in pair["timeline"])


def test_the_report_proposes_arming_capture_on_both_ends_for_that_peer_only(month):
    (pair,) = month["reports"][-1]["recurring"]["pairs"]
    plan = pair["debug_plan"]
    hub_addr, spoke_addr = month["once"]["sender_addr"], pair["sender_addr"]
    ends = [(e["host"], e["role"], e["peer"]) for e in plan["ends"]]
    assert ends == [("hub", "receiver", spoke_addr), ("spoke", "sender", hub_addr)]
    assert "debug crypto condition" not in json.dumps(plan)  # debugs are an explicit opt-in


CAPTURE_PLAY = """
- name: Arm capture for the recurring pairs of a report
  hosts: all
  gather_facts: false
  roles:
    - role: netops.ipsec_spi.capture
      vars: {ipsec_spi_capture_state: present}
"""


def applets(lab, router):
    config = lab.state(router)["running_config"]
    return {line.split()[3]: line for line in config.splitlines() if line.startswith("event manager applet ")}, config


def test_a_tampered_plan_reaches_no_router(month, run_playbook, tmp_path):
    # The report is a file: a peer that is no canonical address is refused by eem_applet before the router is read.
    report = dict(month["reports"][-1])
    pair = json.loads(json.dumps(report["recurring"]["pairs"][0]))
    pair["debug_plan"]["ends"][0]["peer"] = pair["sender_addr"] + "\nclear crypto sa"
    report["recurring"] = dict(report["recurring"], pairs=[pair])
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    lab = month["lab"]
    marks = {r: len(lab.commands(r)) for r in ("hub", "spoke", "br")}
    result = run_playbook(CAPTURE_PLAY, lab.inventory, limit="hub",
                          extra_vars={"ipsec_spi_capture_recurring": str(path), "ipsec_spi_capture_debugs": True})
    assert result.rc != 0 and "not an IP address in canonical form" in result.stdout, result
    assert applets(lab, "hub")[0] == {}
    assert not [c for c in lab.commands("hub")[marks["hub"]:] if "clear" in c or "configure" in c]


def test_one_command_arms_capture_and_the_opt_in_debugs_for_the_recurring_pair_only(month, run_playbook):
    lab = month["lab"]
    (pair,) = month["reports"][-1]["recurring"]["pairs"]
    hub_addr, spoke_addr = month["once"]["sender_addr"], pair["sender_addr"]
    report = os.path.join(month["folders"][-1], "report.json")
    result = run_playbook(CAPTURE_PLAY, lab.inventory,
                          extra_vars={"ipsec_spi_capture_recurring": report, "ipsec_spi_capture_debugs": True})
    assert result.rc == 0, result
    hub, hub_config = applets(lab, "hub")
    assert set(hub) == {"IPSEC_SPI_CAPTURE", "IPSEC_SPI_DEBUG"}
    assert 'if $src ne "%s"' % spoke_addr in hub_config  # the capture and the debugs watch the recurring sender only
    assert "debug crypto condition peer ipv4 %s" % spoke_addr in hub_config
    spoke, spoke_config = applets(lab, "spoke")
    assert set(spoke) == {"IPSEC_SPI_TWIN"} and hub_addr in spoke_config
    assert applets(lab, "br")[0] == {}  # no end of a recurring pair: nothing armed
    # Without the opt-in, the same command disarms the debugs and keeps the capture.
    result = run_playbook(CAPTURE_PLAY, lab.inventory, limit="hub", extra_vars={"ipsec_spi_capture_recurring": report})
    assert result.rc == 0, result
    assert set(applets(lab, "hub")[0]) == {"IPSEC_SPI_CAPTURE"}


def test_the_lab_clock_not_the_wall_clock_dated_the_episodes(month):
    starts = sorted(d["since"] for d in month["planted"])
    assert [round(b - a) for a, b in zip(starts, starts[1:])] == [DAY] * (NIGHTS - 1)
    recurring = sorted(e["first_epoch"] for e in month["episodes"] if e["spi"] in {d["spi"] for d in month["planted"]})
    assert [round(b - a) for a, b in zip(recurring, recurring[1:])] == [DAY] * (NIGHTS - 1)


REMEDIATE = os.path.join(ROOT, "playbooks", "remediate.yml")


def test_after_a_remediation_the_hints_are_still_those_of_the_run_that_saw_the_episode(month, run_playbook, tmp_path):
    # A fourth night, remediated: the clear re-keys the pair and the receiver gets its IKE SA back, so the read
    # after the change no longer shows the rekey race or the missing IKE SA. The report keeps the hints of the read
    # that saw the episode.
    lab = month["lab"]
    lab.rekey("spoke", "hub")
    lab.advance(30.0)
    lab.start_desync("spoke", "hub")
    lab.advance(1800.0)
    extra = {"ipsec_spi_report_dir": str(tmp_path), "ipsec_spi_run_id": "night-3-fix", "ipsec_spi_verify_delay": 0}
    result = run_playbook(REMEDIATE, lab.inventory, extra_vars=extra)
    assert result.rc == 0, result
    assert [d for d in lab.desyncs() if d["receiver"] == "hub"] == []
    (pair,) = [p for p in report_of(tmp_path)["recurring"]["pairs"] if p["receiver"] == "hub"]
    assert pair["episodes"] == NIGHTS + 1 and pair["masked"] == 1 and any(e.get("outcome") == "fixed" for e in pair["timeline"] if e["kind"] == "action")
    assert {(h["hint"], h["end"]) for h in pair["hints"]} == SCENARIO_HINTS
