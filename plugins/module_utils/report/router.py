# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One router's entry in the report: its assessment as kept, its status, counts and check families.

The rules come from codes (is_compliant, blocking, status_of, family_of); this module only reads
an assessment defensively (it may come from a newer collection or be written by hand) and says in
the entry's ``problems`` what it had to ignore or correct.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.codes import (
    CODES,
    FAMILIES,
    FAMILY_OTHER,
    SEVERITIES,
    blocking,
    family_of,
    finding,
    is_compliant,
    status_of,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.sanitize import (
    as_dict,
    as_list,
    jsonable,
    mappings,
    masked_message,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.values import int_or_none, num_or_none

ASSESSMENT_SCHEMA_VERSION = 1

# Only these assessment keys reach a report. A key the check role adds later
# must be added here on purpose: that keeps raw device output or configuration
# from ever leaking into a report through a new fact.
ASSESSMENT_KEYS = (
    "schema_version", "host", "assessed", "error", "assessed_at", "source", "platform", "compliant",
    "knob", "dpd", "tunnels", "flows", "desync", "events", "drops", "findings", "planned_actions",
    "performed_actions", "unsupported_commands", "unparsed", "read_after_remediation",
)
_LIST_KEYS = ("tunnels", "flows", "desync", "events", "planned_actions", "performed_actions")
_MAPPING_KEYS = ("knob", "dpd", "drops", "platform")

MAX_EVENTS_PER_ROUTER = 500

# Why a router is not assessed, when the report has to say it itself. An assessment's own
# error.kind (assess: unreachable, auth, timeout, rejected, ...) and a reason's kind are passed
# through as given; the report never guesses a kind from message text.
KIND_FAILED = "failed"  # a reason with no kind: the host failed, how is in the message
KIND_MISSING = "missing"  # no assessment and no reason
KIND_INVALID = "invalid"  # the assessment is not a mapping
KIND_UNREACHABLE = "unreachable"  # only when a reason says so (a failed result with unreachable: true)

# Results remediate records for actions it did not carry out (check mode, healed meanwhile, cool-down).
NOT_RUN_RESULTS = frozenset(("would_run", "skipped", "planned", "not_run", "dry_run"))


def action_ran(action: Mapping[str, Any]) -> bool:
    return str(action.get("result") or "").lower() not in NOT_RUN_RESULTS


def action_failed(action: Mapping[str, Any]) -> bool:
    if not action_ran(action):
        return False
    result = str(action.get("result") or "").lower()
    return (
        result in ("failed", "error", "unverified")
        or action.get("failed") is True
        or action.get("verified") is False
    )


def _unreachable(host: str, kind: str, message: str) -> Dict[str, Any]:
    return finding("UNREACHABLE", "%s: %s" % (kind, message), host)


def router_findings(router: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """The findings a router entry is judged by; without an assessment, its UNREACHABLE finding.

    Its message is the reason alone, as junit.xml has always shown it; the kind is the entry's error_kind.
    """
    assessment = router["assessment"]
    if assessment is not None:
        return assessment.get("findings") or []
    return [finding("UNREACHABLE", router["reason"] or "no assessment")]


# --------------------------------------------------------------------------- one router

def _findings(value: Any, problems: List[str]) -> List[Dict[str, Any]]:
    """Findings with a code, a known severity, a message and a waived flag."""
    out = []
    for index, item in enumerate(as_list(value, "findings", problems)):
        if not isinstance(item, dict) or not item.get("code"):
            problems.append("findings[%d] has no code: ignored" % index)
            continue
        code = str(item["code"])
        severity = str(item.get("severity") or "").lower()
        if not severity:
            # Read as its code would be raised (codes.CODES), so a finding cannot dodge compliance
            # by leaving its severity out.
            severity = CODES[code][0] if code in CODES else "warning"
            problems.append("findings[%d] has no severity: read as %s" % (index, severity))
        elif severity not in SEVERITIES:
            problems.append("findings[%d] severity %r read as warning" % (index, severity))
            severity = "warning"
        out.append(dict(item, code=code, severity=severity, message=str(item.get("message") or ""),
                        waived=bool(item.get("waived"))))
    return out


def _error_reason(error: Any) -> Tuple[str, str]:
    """kind and message of an assessment with assessed: false."""
    if isinstance(error, Mapping):
        kind = str(error.get("kind") or KIND_FAILED)
        return kind, masked_message(error.get("message") or error.get("msg") or "no message")
    if error:
        return KIND_FAILED, masked_message(error)
    return KIND_FAILED, "the assessment says not assessed and gives no error"


def router_entry(host: str, raw: Any, reason: Optional[Tuple[str, str]]) -> Dict[str, Any]:
    problems: List[str] = []
    entry: Dict[str, Any] = {"host": host, "problems": problems}
    if raw is None or (isinstance(raw, Mapping) and not raw):
        kind, message = reason or (KIND_MISSING, "no assessment")
        return _not_assessed(entry, kind, message, None)
    if not isinstance(raw, Mapping):
        return _not_assessed(entry, KIND_INVALID, "the assessment is %s, not a mapping" % type(raw).__name__, None)

    assessment = {k: jsonable(raw[k], k) for k in ASSESSMENT_KEYS if k in raw}
    omitted = sorted(str(k) for k in raw if k not in ASSESSMENT_KEYS)
    if omitted:
        problems.append("assessment keys not included in the report: %s" % ", ".join(omitted))
    assessment["host"] = host if not assessment.get("host") else assessment["host"]
    if not isinstance(assessment.get("read_after_remediation", False), bool):
        problems.append("read_after_remediation is %s, not a bool: left out"
                        % type(assessment.pop("read_after_remediation")).__name__)
    version = assessment.get("schema_version")
    if version not in (None, ASSESSMENT_SCHEMA_VERSION):
        problems.append("assessment schema_version %r, this report reads version %d"
                        % (version, ASSESSMENT_SCHEMA_VERSION))
    # As codes.settle reads it: an assessment without the key predates it and was assessed.
    if assessment.get("assessed", True) is False:
        kind, message = _error_reason(assessment.get("error"))
        return _not_assessed(entry, kind, message, assessment)

    findings = _checked_lists(assessment, problems)
    compliant = _compliant(assessment.get("compliant"), findings, problems)
    entry.update(_router_counts(assessment, findings))
    entry.update({
        "status": status_of(True, compliant),
        "assessed": True,
        "compliant": compliant,
        "reason": None,
        "error_kind": None,
        "platform": _platform_text(assessment["platform"]),
        "families": _families(findings, assessed=True),
        "assessment": assessment,
    })
    return entry


def _checked_lists(assessment: Dict[str, Any], problems: List[str]) -> List[Dict[str, Any]]:
    """The assessment's findings, lists and mappings as the report shows them (what is not is a problem);
    at most MAX_EVENTS_PER_ROUTER events, the latest. Returns the findings."""
    findings = _findings(assessment.get("findings"), problems)
    assessment["findings"] = findings
    for key in _LIST_KEYS:
        assessment[key] = mappings(assessment.get(key), key, problems)
    for key in ("unsupported_commands", "unparsed"):
        assessment[key] = as_list(assessment.get(key), key, problems)
    for key in _MAPPING_KEYS:
        assessment[key] = as_dict(assessment.get(key), key, problems)
    events = assessment["events"]
    if len(events) > MAX_EVENTS_PER_ROUTER:
        events = sorted(events, key=lambda e: num_or_none(e.get("epoch")) or 0.0)[-MAX_EVENTS_PER_ROUTER:]
        assessment["events"] = events
    return findings


def _compliant(given: Any, findings: List[Dict[str, Any]], problems: List[str]) -> bool:
    """Whether the router is reported compliant: codes.is_compliant over the findings shown here.

    The assessment's own flag (``given``) was set by the same rule (codes.settle); if the two disagree,
    the stricter one wins and the router's problems say so: a blocking finding is never hidden by
    compliant: true, and a compliant: false (say, from a newer rule) is never turned into compliant.
    """
    by_rule = is_compliant(True, findings)
    if given is True and not by_rule:
        problems.append("the assessment says compliant but has un-waived error findings: reported non-compliant")
    elif given is False and by_rule:
        problems.append("the assessment says non-compliant without an un-waived error finding: reported non-compliant")
    return by_rule and given is not False


def _not_assessed(entry: Dict[str, Any], kind: str, message: str,
                  assessment: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    if assessment is not None:
        problems = entry["problems"]
        findings = _findings(assessment.get("findings"), problems)
        for key in _LIST_KEYS:
            assessment[key] = mappings(assessment.get(key), key, problems)
        for key in _MAPPING_KEYS:
            assessment[key] = as_dict(assessment.get(key), key, problems)
        if not any(f["code"] == "UNREACHABLE" for f in findings):
            findings.append(_unreachable(entry["host"], kind, message))
        assessment["findings"] = findings
    else:
        findings = [_unreachable(entry["host"], kind, message)]
    entry.update(_router_counts(assessment or {"findings": findings}, findings))
    entry.update({
        "status": status_of(False, False),
        "assessed": False,
        "compliant": False,
        "reason": message,
        "error_kind": kind,
        "platform": _platform_text((assessment or {}).get("platform") or {}),
        "families": _families(findings, assessed=False),
        "assessment": assessment,
    })
    return entry


def _platform_text(platform: Mapping[str, Any]) -> str:
    parts = [platform.get("model"), platform.get("os"), platform.get("version")]
    return " ".join(str(p) for p in parts if p)


def _confirmed_desyncs(assessment: Mapping[str, Any], findings: Sequence[Mapping[str, Any]]) -> int:
    desync = [d for d in assessment.get("desync") or [] if isinstance(d, Mapping)]
    if desync:
        return sum(1 for d in desync if d.get("verdict") == "confirmed")
    flows = [f for f in assessment.get("flows") or [] if isinstance(f, Mapping)]
    confirmed = sum(1 for f in flows if f.get("verdict") == "confirmed")
    if confirmed:
        return confirmed
    return sum(1 for f in findings if f.get("code") == "SPI_DESYNC_CONFIRMED")


def _router_counts(assessment: Mapping[str, Any], findings: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
    flows = [f for f in assessment.get("flows") or [] if isinstance(f, Mapping)]
    performed = [a for a in assessment.get("performed_actions") or [] if isinstance(a, Mapping)]
    drops = assessment.get("drops") or {}
    active = [f for f in findings if not f.get("waived")]
    counts = {
        "tunnels": len(assessment.get("tunnels") or []),
        "flows": len(flows),
        "persistent_flows": sum(1 for f in flows if f.get("status") == "persistent"),
        "confirmed_desyncs": _confirmed_desyncs(assessment, findings),
        "errors": sum(1 for f in findings if blocking(f)),
        "warnings": sum(1 for f in active if f.get("severity") == "warning"),
        "infos": sum(1 for f in active if f.get("severity") == "info"),
        "waived": len(findings) - len(active),
        "planned_actions": len(assessment.get("planned_actions") or []),
        "performed_actions": sum(1 for a in performed if action_ran(a)),
        "skipped_actions": sum(1 for a in performed if not action_ran(a)),
        "failed_actions": sum(1 for a in performed if action_failed(a)),
        "invalid_spi_packets": int_or_none(drops.get("invalid_spi_packets")) if isinstance(drops, Mapping) else None,
        # The sender's half of a confirmed desync: it still encrypts with an SPI its peer no longer has.
        "stale_outbound_sas": sum(1 for f in findings if f.get("code") == "STALE_OUTBOUND_SA"),
    }
    return {"counts": counts}


def _families(findings: Sequence[Mapping[str, Any]], assessed: bool) -> Dict[str, str]:
    """pass | fail | skip per check family (codes.family_of); fail: a blocking finding of that family."""
    families = list(FAMILIES)
    if any(family_of(str(f.get("code"))) == FAMILY_OTHER for f in findings):
        families.append(FAMILY_OTHER)
    failing = {family_of(str(f.get("code"))) for f in findings if blocking(f)}
    result = {}
    for family in families:
        if family in failing:
            result[family] = "fail"
        elif not assessed and family != "reachability":
            result[family] = "skip"
        else:
            result[family] = "pass"
    return result
