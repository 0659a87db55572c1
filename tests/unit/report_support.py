# -*- coding: utf-8 -*-
"""Fixtures shared by the report tests (tests/unit/test_report_*.py): the sample fleet, a 200-router
generator, schema validation and JUnit parsing."""

from __future__ import annotations

import copy
import glob
import json
import os
import random
import xml.etree.ElementTree as ET

import jsonschema

from ansible_collections.netops.ipsec_spi.plugins.module_utils.report import build_report, render_json

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(HERE, "fixtures", "assessments")
SCHEMA_PATH = os.path.join(ROOT, "docs", "schemas", "report-v1.schema.json")
XSS = "<script>window.__xss=1</script>"
T0 = 1764439200.0


def load_fleet():
    fleet = {}
    for path in sorted(glob.glob(os.path.join(FIXTURES, "*.json"))):
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        fleet[data["host"]] = data
    return fleet


def fixture_report(**kwargs):
    fleet = load_fleet()
    fleet["lab-3"] = None
    # A reason that says its kind, as an assessment's error does (a plain string would be kind failed).
    kwargs.setdefault("reasons", {"lab-3": {"kind": "unreachable", "message": "host unreachable (no assessment)"}})
    kwargs.setdefault("generated_at", "2025-11-29T18:15:00+00:00")
    return build_report(fleet, **kwargs)


def schema():
    with open(SCHEMA_PATH, encoding="utf-8") as handle:
        return json.load(handle)


def validate(report):
    data = json.loads(render_json(report))
    jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator,
                        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return data


def by_host(report):
    return {r["host"]: r for r in report["routers"]}


def applied(assessment, result="done", verified=True, message="cleared; no INV_SPI since"):
    done = copy.deepcopy(assessment)
    done["performed_actions"] = [dict(a, result=result, verified=verified, message=message)
                                 for a in done["planned_actions"]]
    return done


def make_fleet(count, applied=False, seed=7):
    """A deterministic fleet of ``count`` routers: mostly healthy, some desynced, some without the knob,
    a few unreachable; ``applied`` adds performed actions (one of them failed)."""
    rng = random.Random(seed)
    base = load_fleet()
    fleet = {}
    failed_one = False
    for index in range(count):
        host = "rtr-%03d" % index
        roll = index % 20
        if roll == 3:
            fleet[host] = None if index % 40 == 3 else dict(copy.deepcopy(base["spoke-9"]), host=host)
            continue
        if roll in (1, 11):
            a = copy.deepcopy(base["hub-1"])
            src = "10.%d.%d.2" % (index // 250, index % 250)
            spi = rng.randrange(0x10000000, 0xFEFFFFFF)
            offsets = sorted(rng.sample(range(0, 3600), rng.randint(3, 30)))
            a["events"] = [{"epoch": T0 + o, "time": None, "src": src, "dst": "10.0.0.1", "spi": spi} for o in offsets]
            a["flows"] = [dict(a["flows"][0], src=src, spi=spi, spi_hex="0x%08X" % spi, count=len(offsets),
                               span_seconds=float(offsets[-1] - offsets[0]))]
            a["desync"] = [dict(a["desync"][0], sender_addr=src, spi=spi)]
            a["drops"] = dict(a["drops"], invalid_spi_packets=rng.randint(1, 50000))
        elif roll in (5, 15):
            a = copy.deepcopy(base["branch-7"])
        elif roll == 7:
            a = copy.deepcopy(base["spoke-2"])
        else:
            a = copy.deepcopy(base["core-1"])
            if rng.random() < 0.2:
                a["drops"] = dict(a["drops"], invalid_spi_packets=rng.randint(1, 400))
        a["host"] = host
        for action in a["planned_actions"]:
            action["host"] = host
        if applied and a["planned_actions"]:
            ok = failed_one
            failed_one = True
            a["performed_actions"] = [dict(p, result="done" if ok else "failed", verified=ok,
                                           message="ok" if ok else "connection closed") for p in a["planned_actions"]]
        fleet[host] = a
    return fleet


def parse_junit(text):
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    return root, suites[0]


GOLDEN_ASSESSMENTS = os.path.join(HERE, "golden", "default", "assessments.json")


def lab_fleet():
    """The lab's default scenario as assessed (the golden pin), after a remediation with a partial view.

    spoke2's clear of its pair with dmhub was sent and verified (dmhub's drops read twice, flat); hub1's
    drops still rise; hub2 could not be read, so vti2's pair with it is unverified, as assess says it
    then; the view also names two routers this run did not target.
    """
    with open(GOLDEN_ASSESSMENTS, encoding="utf-8") as handle:
        fleet = json.load(handle)
    spoke2 = fleet["spoke2"]
    spoke2["performed_actions"] = [dict(
        a, result="done", message="cleared", verified=True,
        verify_evidence=["old SPI gone from the sender", "the pair's SPIs agree",
                         "invalid-SPI drops no longer rising on dmhub"]) for a in spoke2["planned_actions"]]
    fleet["dmhub"]["drops"] = dict(fleet["dmhub"]["drops"], delta=0, rate_pps=0.0)
    fleet["hub1"]["drops"] = dict(fleet["hub1"]["drops"], delta=1457, rate_pps=145.7)
    fleet["hub2"] = {"schema_version": 1, "host": "hub2", "assessed": False,
                     "error": {"kind": "unreachable", "message": "ssh: connect to host 192.0.2.2 port 22: No route to host"},
                     "findings": [{"code": "UNREACHABLE", "severity": "error", "message": "could not assess hub2"}]}
    for verdict in fleet["vti2"]["desync"]:
        if verdict.get("sender") == "hub2":
            verdict.update(verdict="unverified", sender=None, sender_hint="hub2", sender_status="not_assessed",
                           evidence=["the sender 198.51.100.2 is hub2, a router of the inventory that was not assessed "
                                     "in this run (unreachable: ssh: connect to host 192.0.2.2 port 22: No route to "
                                     "host): its SAs were not read"] + verdict["evidence"][1:])
    for flow in fleet["vti2"]["flows"]:
        if flow.get("sender") == "hub2":
            flow.update(verdict="unverified", sender=None)
    fleet["vti2"]["planned_actions"] = []
    view = {"complete": False, "inventory": 17, "targeted": 15, "assessed": 14,
            "not_assessed": {"hub2": {"kind": "unreachable", "message": "ssh: connect to host 192.0.2.2 port 22: No route to host"},
                             "edge-1": {"kind": "not_targeted", "message": "not targeted by this run (--limit, "
                                        "ipsec_spi_targets, another job slice or an event-driven pair run)"},
                             "edge-2": {"kind": "not_targeted", "message": "not targeted by this run (--limit, "
                                        "ipsec_spi_targets, another job slice or an event-driven pair run)"}}}
    return fleet, view
