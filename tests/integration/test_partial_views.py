"""Partial views of the fleet on the lab (issue 22): act only on what this run read, on both ends.

A router that is in the inventory but was not assessed (unreachable, outside --limit, a failed slice) is
never "outside the inventory": its pairs get no clear, and the report says why. Each test has its own lab,
its clock stopped unless a remediation needs pairs to re-key.
"""
from __future__ import annotations

import json
import os
import subprocess

from conftest import ROOT, ansible_env  # noqa: E402  (tests/integration is on sys.path)
from remediate_support import stored_clears  # noqa: E402


def report_of(folder):
    with open(os.path.join(str(folder), "report.json"), encoding="utf-8") as handle:
        return json.load(handle)


def assessment(report, host):
    (router,) = [r for r in report["routers"] if r["host"] == host]
    return router["assessment"]


def clears_of(report):
    return sorted((a["host"], a["command"]) for a in report["actions"]["planned"] if a["action"] != "enable_knob")


def test_an_unreachable_sender_gets_no_receiver_side_clear(lab_factory, run_playbook, tmp_path):
    # labctl fault hub2 unreachable: the audit used to plan "clear crypto session remote" on vti2.
    lab = lab_factory(speed=0)  # an audit only: the scenario's desyncs are persistent from the start
    lab.fault("hub2", "unreachable")
    result = run_playbook("netops.ipsec_spi.audit", lab.inventory,
                          extra_vars={"ipsec_spi_report_dir": str(tmp_path)})
    # hub2 could not be assessed: the audit fails, after writing its report (ipsec_spi_report_fail_on_unassessed).
    assert result.rc == 2, result
    (failed,) = [r for t in result.tasks if t["task"]["name"].startswith("netops.ipsec_spi.report : Write the fleet")
                 for r in t["hosts"].values()]
    assert failed["failed"] and "1 router(s) could not be assessed: hub2 (unreachable" in failed["msg"], failed
    report = report_of(tmp_path)
    assert [r["host"] for r in report["not_seen"]] == ["hub2"]
    assert all(host not in ("vti2", "hub2") for host, _command in clears_of(report)), clears_of(report)
    vti2 = assessment(report, "vti2")
    (finding,) = [f for f in vti2["findings"] if f["code"] == "SPI_DESYNC_SUSPECTED"]
    assert "sender not assessed in this run" in finding["message"] and "no clear" in finding["message"]
    assert "not in the inventory" not in finding["message"]
    assert assessment(report, "hub2")["assessed"] is False
    # Complete pairs elsewhere in the fleet are still planned.
    assert any(h == "spoke2" for h, _c in clears_of(report)), clears_of(report)


def test_a_limited_run_clears_only_its_own_pair(lab_factory, run_playbook, tmp_path, pg_url):
    # Two desyncs towards one hub (spoke2's from the scenario, spoke1's started now); the run limited to
    # dmhub and spoke1 (what the EDA rulebook starts for spoke1's pair) must leave spoke2's alone.
    # Its store is PostgreSQL: the one remediate run of the stage on that backend (claims, history, actions).
    lab = lab_factory()
    lab.start_desync("spoke1", "dmhub")
    lab.advance(200)
    marks = {r: len(lab.commands(r)) for r in lab.ground_truth["routers"]}
    result = run_playbook("netops.ipsec_spi.remediate", lab.inventory,
                          extra_vars={"ipsec_spi_targets": "dmhub,spoke1", "ipsec_spi_report_dir": str(tmp_path),
                                      "ipsec_spi_verify_delay": 3, "ipsec_spi_serial": [100]},
                          env={"IPSEC_SPI_STORE": pg_url})
    assert result.rc == 0, result
    password = pg_url.split("@")[0].rsplit(":", 1)[1]
    assert password not in result.stdout and password not in result.stderr
    clears = {(r, c) for r, n in marks.items() for c in lab.commands(r)[n:] if c.strip().lower().startswith("clear")}
    assert {r for r, _c in clears} == {"spoke1"}, clears
    assert all(c.startswith("clear crypto sa peer ") for _r, c in clears), clears
    assert lab.commands("spoke2")[marks["spoke2"]:] == []
    live = {(d["sender"], d["receiver"]) for d in lab.desyncs()}
    assert ("spoke2", "dmhub") in live and ("spoke1", "dmhub") not in live, live
    # The store on PostgreSQL holds the run's clear, marked cleared, and nothing of spoke2's pair.
    recorded = stored_clears(pg_url)
    assert {k.split("|")[0] for k in recorded} == {"spoke1"} and {s for _r, s in recorded.values()} == {"cleared"}, recorded


def gather_assess(lab, cache, name, run_id, limit=None, extra=None):
    env = ansible_env({"ANSIBLE_CACHE_PLUGIN": "ansible.builtin.jsonfile", "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(cache),
                       "ANSIBLE_CACHE_PLUGIN_TIMEOUT": "86400"})
    out = []
    for playbook, extra_vars in (("gather", {"ipsec_spi_run_id": run_id}),
                                 ("assess", dict({"ipsec_spi_report_dir": str(cache.parent / name)}, **(extra or {})))):
        cmd = ["ansible-playbook", "-i", lab.inventory, "netops.ipsec_spi.%s" % playbook, "-f", "20",
               "-e", json.dumps(extra_vars)]
        if limit and playbook == "gather":
            cmd += ["--limit", limit]
        out.append(subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False))
    return out


def test_a_failed_slice_and_a_failed_gather_are_never_assessed_from_earlier_facts(lab_factory, tmp_path):
    lab = lab_factory(speed=0)  # gathers and assessments only: the two nights read the same routers
    cache = tmp_path / "cache"
    gather, assess = gather_assess(lab, cache, "night1", "night1")
    assert gather.returncode == 0 and assess.returncode == 0, gather.stdout[-3000:] + assess.stdout[-3000:]
    night1 = report_of(tmp_path / "night1")
    assert any(h == "spoke2" for h, _c in clears_of(night1))
    # Tonight: spoke2's slice never ran, hub2's gather fails. No run id is given to the assessment.
    lab.fault("hub2", "unreachable")
    others = sorted(set(lab.ground_truth["routers"]) - {"spoke2"})
    gather, assess = gather_assess(lab, cache, "night2", "night2", limit=",".join(others))
    assert assess.returncode in (0, 2), assess.stdout[-3000:]
    night2 = report_of(tmp_path / "night2")
    spoke2, hub2 = assessment(night2, "spoke2"), assessment(night2, "hub2")
    assert spoke2["assessed"] is False and spoke2["error"]["kind"] == "stale", spoke2["error"]
    assert "night1" in spoke2["error"]["message"]
    assert hub2["assessed"] is False and hub2["error"]["kind"] == "unreachable", hub2["error"]
    # Neither router's pairs get a clear from either end.
    assert all(h not in ("spoke2", "hub2", "vti2") for h, _c in clears_of(night2)), clears_of(night2)
    assert not any("remote" in c and h == "dmhub" for h, c in clears_of(night2)), clears_of(night2)


HOSTILE = ["fe80::1%x\nclear crypto sa", "::%\rclear crypto session", "10.0.0.1\nclear crypto sa", "2001:db8::1%eth0"]


def test_hostile_peers_never_reach_a_router(lab_factory, run_playbook):
    # The security test's strings, through the real module over network_cli: refused before any clear.
    lab = lab_factory(speed=0)
    marks = {r: len(lab.commands(r)) for r in lab.ground_truth["routers"]}
    play = """
- hosts: hub1
  gather_facts: false
  tasks:
    - name: Clear a hostile peer
      netops.ipsec_spi.sa_clear:
        peers: ["{{ item }}"]
        scope: sa
      loop: %s
      ignore_errors: true
      register: out
    - name: Every one refused
      ansible.builtin.assert:
        that: out.results | rejectattr('failed') | list | length == 0
""" % json.dumps(HOSTILE)
    result = run_playbook(play, lab.inventory)
    assert result.rc == 0, result
    sent = {r: [c for c in lab.commands(r)[n:] if "clear" in c.lower()] for r, n in marks.items()}
    assert {r: c for r, c in sent.items() if c} == {}
