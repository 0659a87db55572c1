# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding codes, their severity and check family, waivers, compliance and the fleet summary.

One home for the rules every consumer shares: the assessment raises findings with these
codes, the capture evidence adds some, the report groups them into JUnit families, and the
summary published to AWX counts them. docs/user-guide.md lists the codes for users.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, Iterable, List, Mapping, Optional

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError

# The release bug whose symptom is an ESP SPI with the top byte 0xFF dropped as invalid (docs/domain.md).
BUG_FF = "CSCvp16730"


def spi_top_byte_ff(spi: Any) -> bool:
    """Whether an SPI shows the symptom of BUG_FF: its top byte is 0xFF. A symptom, never a diagnosis."""
    return isinstance(spi, int) and not isinstance(spi, bool) and 0 <= spi <= 0xFFFFFFFF and spi >> 24 == 0xFF


SEVERITIES = ("error", "warning", "info")

# The check families of junit.xml (one test case per router and family).
FAMILIES = ("reachability", "desync", "knob", "dpd")
FAMILY_OTHER = "other"

# code: (default severity, family). A finding may carry another severity when its evidence
# is weaker (a captured desync whose sender side was not captured is a warning).
CODES = {
    "SPI_DESYNC_CONFIRMED": ("error", "desync"),
    "SPI_DESYNC_SUSPECTED": ("error", "desync"),
    "SPI_DESYNC_RESOLVED": ("info", "desync"),
    "STALE_OUTBOUND_SA": ("error", "desync"),
    "SPI_TRANSIENT": ("info", "desync"),
    "FOREIGN_SENDER": ("warning", "desync"),
    "SPI_SCAN": ("warning", "desync"),
    "SPI_TOP_BYTE_FF": ("warning", "desync"),
    "DROPS_RISING": ("warning", "desync"),
    "KNOB_MISSING": ("error", "knob"),
    "KNOB_IRRELEVANT": ("info", "knob"),
    "RECOVERY_UNSUPPORTED": ("info", "knob"),
    "DPD_MISSING": ("warning", "dpd"),
    "IKE_SA_NOT_READY": ("warning", "dpd"),
    "UNSUPPORTED_COMMAND": ("info", "reachability"),
    "UNPARSED_OUTPUT": ("warning", "reachability"),
    "UNREACHABLE": ("error", "reachability"),
    # From captured evidence (the capture role, docs/capture.md); error only when both ends were captured.
    "CAPTURED_DESYNC": ("error", "desync"),
    "KNOWN_BUG_SYMPTOM": ("warning", "desync"),
    # From the history store (history.recurring, docs/recurrence.md): a pair that desyncs again and again.
    "RECURRING_DESYNC": ("error", "desync"),
}
SEVERITY = {code: severity for code, (severity, _family) in CODES.items()}
FINDING_CODES = tuple(CODES)

STATUS_COMPLIANT = "compliant"
STATUS_NON_COMPLIANT = "non_compliant"
STATUS_NOT_ASSESSED = "not_assessed"

SUMMARY_SCHEMA_VERSION = 1


def family_of(code: str) -> str:
    entry = CODES.get(code)
    return entry[1] if entry else FAMILY_OTHER


def finding(code: str, message: str, subject: Optional[str] = None, severity: Optional[str] = None,
            **extra: Any) -> Dict[str, Any]:
    """A finding: code, severity (the code's unless given), message, subject, waiver state, extras."""
    if code not in CODES:
        raise ParseError("unknown finding code %r" % (code,))
    if severity is not None and severity not in SEVERITIES:
        raise ParseError("unknown severity %r for %s" % (severity, code))
    item = {"code": code, "severity": severity or CODES[code][0], "message": message, "subject": subject,
            "waived": False, "waiver": None}
    item.update(extra)
    return item


def blocking(item: Mapping[str, Any]) -> bool:
    """A finding that makes its router non-compliant: an error nobody waived."""
    return item.get("severity") == "error" and not item.get("waived")


def is_compliant(assessed: Any, findings: Iterable[Mapping[str, Any]]) -> bool:
    """The compliance rule: assessed, and no blocking finding."""
    return bool(assessed) and not any(blocking(f) for f in findings)


def status_of(assessed: Any, compliant: Any) -> str:
    if not assessed:
        return STATUS_NOT_ASSESSED
    return STATUS_COMPLIANT if compliant else STATUS_NON_COMPLIANT


# --------------------------------------------------------------------------------------------------
# Waivers: accepted exceptions (docs/user-guide.md).
# --------------------------------------------------------------------------------------------------

def compile_waivers(waivers: Optional[List[Mapping[str, Any]]]) -> List[Dict[str, Any]]:
    """Check and compile ``ipsec_spi_waivers``; ParseError names the waiver and what is wrong."""
    compiled: List[Dict[str, Any]] = []
    if waivers is None:
        return compiled
    if not isinstance(waivers, (list, tuple)):
        raise ParseError("waivers must be a list, not %s" % type(waivers).__name__)
    for index, waiver in enumerate(waivers):
        if not isinstance(waiver, Mapping) or not waiver.get("code") or not waiver.get("reason"):
            raise ParseError("waiver %d must be a mapping with at least code and reason" % (index + 1))
        if waiver["code"] not in CODES:
            raise ParseError("waiver %d: unknown finding code %r (known: %s)" % (index + 1, waiver["code"], ", ".join(CODES)))
        expression = None
        if waiver.get("when"):
            try:
                import jmespath
            except ImportError:
                raise ParseError("waiver %d uses 'when', which needs the Python package jmespath" % (index + 1)) from None
            try:
                expression = jmespath.compile(str(waiver["when"]))
            except Exception as exc:  # jmespath raises its own ParseError family
                raise ParseError("waiver %d: bad JMESPath in 'when' (%s): %s" % (index + 1, waiver["when"], exc)) from None
        expires = waiver.get("expires")
        if expires is not None and not isinstance(expires, datetime.date):
            try:
                expires = datetime.date.fromisoformat(str(expires))
            except ValueError:
                raise ParseError("waiver %d: expires must be a date YYYY-MM-DD, not %r" % (index + 1, expires)) from None
        compiled.append({"code": waiver["code"], "when": expression, "reason": str(waiver["reason"]),
                         "expires": expires, "source": dict(waiver)})
    return compiled


def apply_waivers(assessment: Dict[str, Any], waivers: List[Dict[str, Any]], today: datetime.date) -> None:
    """Mark the assessment's findings that a compiled waiver covers (an expired one is shown, not applied)."""
    if not waivers:
        return
    tunnels = {t.get("name"): t for t in assessment.get("tunnels") or []}
    for item in assessment["findings"]:
        for waiver in waivers:
            if waiver["code"] != item["code"]:
                continue
            if waiver["when"] is not None:
                context = dict(item, host=assessment["host"], tunnel=tunnels.get(item.get("tunnel")))
                if not waiver["when"].search(context):
                    continue
            expired = waiver["expires"] is not None and waiver["expires"] < today
            item["waiver"] = {"reason": waiver["reason"],
                              "expires": waiver["expires"].isoformat() if waiver["expires"] else None,
                              "expired": expired}
            item["waived"] = not expired
            if not expired:
                break


def settle(assessment: Dict[str, Any], waivers: List[Dict[str, Any]], today: datetime.date) -> Dict[str, Any]:
    """Apply the waivers, then the compliance rule: the last step of every assessment change."""
    apply_waivers(assessment, waivers, today)
    # An assessment without the key predates it (schema 1 always sets it): read as assessed.
    assessment["compliant"] = is_compliant(assessment.get("assessed", True), assessment.get("findings") or [])
    return assessment


# --------------------------------------------------------------------------------------------------
# The fleet summary (set_stats for AWX workflows; the report's summary counts more, from the same rule).
# --------------------------------------------------------------------------------------------------

def fleet_summary(assessments: Mapping[str, Mapping[str, Any]]) -> Dict[str, Any]:
    """The small versioned summary that goes to set_stats for AWX workflows."""
    codes: Dict[str, int] = {}
    summary: Dict[str, Any] = {
        "schema_version": SUMMARY_SCHEMA_VERSION, "routers": len(assessments), "assessed": 0, "compliant": 0,
        "non_compliant": 0, "unreachable": 0, "confirmed_desyncs": 0, "planned_actions": 0,
        "non_compliant_hosts": [], "unreachable_hosts": [], "findings_by_code": codes}
    for host, assessment in sorted(assessments.items()):
        if assessment.get("assessed"):
            summary["assessed"] += 1
        else:
            summary["unreachable"] += 1
            summary["unreachable_hosts"].append(host)
        if assessment.get("compliant"):
            summary["compliant"] += 1
        elif assessment.get("assessed"):
            # As in report.json: compliant + non_compliant + unreachable = routers.
            summary["non_compliant"] += 1
            summary["non_compliant_hosts"].append(host)
        summary["planned_actions"] += len(assessment.get("planned_actions") or [])
        for item in assessment.get("findings") or []:
            codes[item["code"]] = codes.get(item["code"], 0) + 1
            if item["code"] == "SPI_DESYNC_CONFIRMED":
                summary["confirmed_desyncs"] += 1
    # The deprecated keys keep their old meaning: every router that is not compliant, assessed or not.
    summary["noncompliant"] = summary["non_compliant"] + summary["unreachable"]
    summary["noncompliant_hosts"] = sorted(summary["non_compliant_hosts"] + summary["unreachable_hosts"])
    return summary
