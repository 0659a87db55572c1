# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""junit.xml: one testsuite; one test case per router and check family (codes.family_of)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any, List, Mapping, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.codes import blocking, family_of
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.recurrence import hint_lines, timeline_line
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.router import (
    action_failed,
    action_ran,
    router_findings,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.view import clean_text


def render_junit(report: Mapping[str, Any]) -> str:
    """junit.xml: one testsuite; one test case per router and check family.

    A family fails when the router has a blocking finding (codes.blocking: an
    un-waived error) of that family; waived and lower-severity findings are
    listed in system-out. Families of a router that could not be assessed are
    skipped. Routers with performed actions get a ``remediation`` case that
    fails when an action failed or could not be verified.
    """
    suite = ET.Element("testsuite", {"name": "netops.ipsec_spi", "timestamp": clean_text(report["generated_at"])})
    props = ET.SubElement(suite, "properties")
    for name, value in (("mode", report["mode"]), ("mode_reason", report.get("mode_reason") or ""),
                        ("report_schema_version", report["schema_version"])):
        ET.SubElement(props, "property", {"name": name, "value": clean_text(value)})
    # Recurring pairs first, then each router's families and its remediation: (tests, failures, skipped).
    totals = [0, 0, 0]
    for counts in [_recurring_cases(suite, props, report.get("recurring") or {})] + [
            _router_cases(suite, router) for router in report["routers"]]:
        totals = [total + count for total, count in zip(totals, counts)]
    tests, failures, skipped = totals
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    suite.set("time", "0")
    root = ET.Element("testsuites", {"name": "netops.ipsec_spi", "tests": str(tests), "failures": str(failures),
                                     "errors": "0", "skipped": str(skipped), "time": "0"})
    root.append(suite)
    _indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _recurring_cases(suite: ET.Element, props: ET.Element, section: Mapping[str, Any]) -> Tuple[int, int, int]:
    """One case per recurring pair, failing for an un-waived error (a waived one passes, listed in system-out)."""
    tests = failures = 0
    ET.SubElement(props, "property", {"name": "history", "value": clean_text(
        "%d recurring pair(s)" % len(section.get("pairs") or []) if section.get("store_read")
        else section.get("note") or "no history store was read")})
    for pair in section.get("pairs") or []:
        tests += 1
        case = ET.SubElement(suite, "testcase", {"classname": clean_text(pair["receiver"]),
                                                 "name": clean_text("recurring %s" % pair["sender_addr"]), "time": "0"})
        detail = "\n".join([clean_text(pair.get("message"))] + [clean_text(line) for line in hint_lines(pair)]
                           + [clean_text(timeline_line(item)) for item in pair.get("timeline") or []])
        if pair.get("severity") == "error" and not pair.get("waived"):
            failures += 1
            failure = ET.SubElement(case, "failure", {"type": "RECURRING_DESYNC",
                                                      "message": clean_text(pair.get("message"))[:1000]})
            failure.text = detail
        else:
            ET.SubElement(case, "system-out").text = detail
    return tests, failures, 0


def _router_cases(suite: ET.Element, router: Mapping[str, Any]) -> Tuple[int, int, int]:
    """One case per check family of a router, then its remediation case."""
    tests = failures = skipped = 0
    findings = router_findings(router)
    for family, state in router["families"].items():
        tests += 1
        case = ET.SubElement(suite, "testcase", {"classname": clean_text(router["host"]), "name": family,
                                                 "time": "0"})
        mine = [f for f in findings if family_of(str(f.get("code"))) == family]
        if state == "fail":
            failures += 1
            _family_failure(case, [f for f in mine if blocking(f)])
        elif state == "skip":
            skipped += 1
            ET.SubElement(case, "skipped", {"message": clean_text("not assessed: %s" % router.get("reason"))})
        rest = [f for f in mine if not blocking(f)]
        if rest:
            out = ET.SubElement(case, "system-out")
            out.text = clean_text("\n".join(
                "%s%s [%s] %s" % ("WAIVED " if f.get("waived") else "", f.get("code"), f.get("severity"),
                                  f.get("message")) for f in rest))
    ran, failed = _remediation_case(suite, router)
    return tests + ran, failures + failed, skipped


def _family_failure(case: ET.Element, failing: List[Mapping[str, Any]]) -> None:
    failure = ET.SubElement(case, "failure", {
        "type": clean_text(failing[0].get("code")),
        "message": clean_text("; ".join("%s: %s" % (f.get("code"), f.get("message")) for f in failing))[:1000],
    })
    failure.text = clean_text("\n".join(
        "%s [%s] %s%s" % (f.get("code"), f.get("severity"), f.get("message"),
                          " (subject: %s)" % f.get("subject") if f.get("subject") else "")
        for f in failing))


def _remediation_case(suite: ET.Element, router: Mapping[str, Any]) -> Tuple[int, int]:
    """A router with performed actions: a case failing when an action failed or could not be verified;
    (tests, failures)."""
    performed = (router["assessment"] or {}).get("performed_actions") or []
    if not any(action_ran(p) for p in performed):
        return 0, 0
    case = ET.SubElement(suite, "testcase", {"classname": clean_text(router["host"]),
                                             "name": "remediation", "time": "0"})
    bad = [p for p in performed if action_failed(p)]
    if bad:
        failure = ET.SubElement(case, "failure", {"type": "ACTION_FAILED", "message": clean_text(
            "; ".join("%s: %s" % (p.get("command"), p.get("message") or p.get("result")) for p in bad))[:1000]})
        failure.text = clean_text("\n".join(json.dumps(p, sort_keys=True) for p in bad))
    out = ET.SubElement(case, "system-out")
    out.text = clean_text("\n".join(
        "%s -> %s (verified: %s)" % (p.get("command"), p.get("result"), p.get("verified")) for p in performed))
    return 1, 1 if bad else 0


def _indent(elem: ET.Element, level: int = 0) -> None:
    # ET.indent exists only from Python 3.9.
    pad = "\n" + "  " * level
    if len(elem):
        if not elem.text or not elem.text.strip():
            elem.text = pad + "  "
        child = elem[0]
        for child in elem:
            _indent(child, level + 1)
        if not child.tail or not child.tail.strip():
            child.tail = pad
    if level and (not elem.tail or not elem.tail.strip()):
        elem.tail = pad
