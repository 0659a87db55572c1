# -*- coding: utf-8 -*-
"""report.junit: one test case per router and check family (codes.family_of), failing on blocking findings."""

from __future__ import annotations

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils import codes
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report import build_report, render_junit

from report_support import XSS, applied, by_host, fixture_report, load_fleet, parse_junit


def case(suite, host, name):
    return next(c for c in suite.findall("testcase") if (c.get("classname"), c.get("name")) == (host, name))


def test_junit_fails_non_compliant_routers():
    report = fixture_report()
    root, suite = parse_junit(render_junit(report))
    cases = suite.findall("testcase")
    assert len(cases) == 7 * 4 == int(suite.get("tests")) == int(root.get("tests"))
    failed = sorted((c.get("classname"), c.get("name")) for c in cases if c.find("failure") is not None)
    assert failed == [("branch-7", "knob"), ("hub-1", "desync"), ("lab-3", "reachability"),
                      ("spoke-9", "reachability")]
    assert int(suite.get("failures")) == 4 and int(suite.get("skipped")) == 6
    desync = case(suite, "hub-1", "desync")
    assert desync.find("failure").get("type") == "SPI_DESYNC_CONFIRMED"
    assert "FOREIGN_SENDER" in desync.find("system-out").text  # a warning: shown, not failing
    waived = case(suite, "spoke-2", "knob")
    assert waived.find("failure") is None
    assert "WAIVED KNOB_MISSING" in waived.find("system-out").text
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["mode"] == "dry_run"


def test_junit_remediation_case_and_hostile_text():
    fleet = load_fleet()
    fleet["hub-1"] = applied(fleet["hub-1"], result="failed", verified=False,
                             message="%s ]]> \x00\x1b[31m & <b>" % XSS)
    fleet["branch-7"]["findings"][0]["message"] = "<![CDATA[ x ]]> \x07 " + XSS
    text = render_junit(build_report(fleet))
    root, suite = parse_junit(text)
    remediation = next(c for c in suite.findall("testcase") if c.get("name") == "remediation")
    assert remediation.get("classname") == "hub-1" and remediation.find("failure").get("type") == "ACTION_FAILED"
    assert XSS in remediation.find("failure").get("message")
    knob = case(suite, "branch-7", "knob")
    assert knob.find("failure").get("message").startswith("KNOB_MISSING: <![CDATA[ x ]]> \ufffd <script>")


def captured(severity):
    a = load_fleet()["core-1"]
    a["findings"] = [
        codes.finding("CAPTURED_DESYNC", "captured: 10.0.0.2 sends SPI 0x1DB73BBB that core-1 lacks", "10.0.0.2",
                      severity=severity),
        codes.finding("KNOWN_BUG_SYMPTOM", "SPI with top byte 0xFF in the capture", "10.0.0.2"),
    ]
    a["compliant"] = codes.is_compliant(True, a["findings"])
    return a


def test_captured_desync_fails_the_desync_case():
    report = build_report({"core-1": captured("error")})
    router = by_host(report)["core-1"]
    assert router["status"] == "non_compliant"
    assert router["families"] == {"reachability": "pass", "desync": "fail", "knob": "pass", "dpd": "pass"}
    dummy, suite = parse_junit(render_junit(report))
    assert sorted(c.get("name") for c in suite.findall("testcase")) == ["desync", "dpd", "knob", "reachability"]
    desync = case(suite, "core-1", "desync")
    assert desync.find("failure").get("type") == "CAPTURED_DESYNC"
    # The known-bug symptom is a warning of the same family: listed, not failing, and no "other" case.
    assert "KNOWN_BUG_SYMPTOM [warning]" in desync.find("system-out").text
    assert int(suite.get("failures")) == 1


def test_captured_desync_with_one_end_only_is_a_warning():
    report = build_report({"core-1": captured("warning")})
    router = by_host(report)["core-1"]
    assert router["status"] == "compliant" and router["families"]["desync"] == "pass"
    dummy, suite = parse_junit(render_junit(report))
    assert "CAPTURED_DESYNC [warning]" in case(suite, "core-1", "desync").find("system-out").text


@pytest.mark.parametrize("code", sorted(codes.CODES))
def test_every_code_lands_in_its_family(code):
    a = load_fleet()["core-1"]
    a["findings"] = [codes.finding(code, "x", severity="error")]
    a.pop("compliant")
    router = by_host(build_report({"core-1": a}))["core-1"]
    assert router["families"][codes.family_of(code)] == "fail"
    assert codes.FAMILY_OTHER not in router["families"]


def test_an_unknown_code_gets_an_other_case():
    a = load_fleet()["core-1"]
    a["findings"] = [{"code": "FROM_THE_FUTURE", "severity": "error", "message": "?"}]
    a.pop("compliant")
    report = build_report({"core-1": a})
    dummy, suite = parse_junit(render_junit(report))
    other = case(suite, "core-1", "other")
    assert other.find("failure").get("type") == "FROM_THE_FUTURE"


def test_unassessed_without_assessment_fails_reachability_with_its_reason():
    dummy, suite = parse_junit(render_junit(fixture_report()))
    failure = case(suite, "lab-3", "reachability").find("failure")
    assert failure.get("type") == "UNREACHABLE"
    assert failure.get("message") == "UNREACHABLE: host unreachable (no assessment)"
    assert case(suite, "lab-3", "knob").find("skipped") is not None
