# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet compliance report: one dict, rendered as JSON, Markdown, HTML and JUnit XML.

Pure Python, standard library only, no Ansible imports. ``build_report`` turns
the per-router assessments (docs/assessment.md) into the report dict that
report.json holds (docs/schemas/report-v1.schema.json); the renderers only read
that dict, so every output tells the same story.

Every string that came from a router is untrusted: the renderers escape it for
their format (HTML entities, Markdown backslash escapes, XML via ElementTree
with XML-illegal characters replaced), and the HTML page forbids every script
but its own through a hash-based Content-Security-Policy, so a missed escape
still cannot run code.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import html
import json
import math
import re
import xml.etree.ElementTree as ET
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.codes import (
    FAMILIES,
    FAMILY_OTHER,
    SEVERITIES,
    STATUS_COMPLIANT,
    STATUS_NON_COMPLIANT,
    STATUS_NOT_ASSESSED,
    family_of,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.secrets import mask_text

REPORT_SCHEMA_VERSION = 1
ASSESSMENT_SCHEMA_VERSION = 1

MODE_DRY_RUN = "dry_run"
MODE_APPLIED = "applied"
MODES = ("auto", MODE_DRY_RUN, MODE_APPLIED)



# Only these assessment keys reach a report. A key the check role adds later
# must be added here on purpose: that keeps raw device output or configuration
# from ever leaking into a report through a new fact.
ASSESSMENT_KEYS = (
    "schema_version", "host", "assessed", "error", "assessed_at", "source", "platform", "compliant",
    "knob", "dpd", "tunnels", "flows", "desync", "events", "drops", "findings", "planned_actions",
    "performed_actions", "unsupported_commands", "unparsed",
)


MAX_EVENTS_PER_ROUTER = 500
MAX_STRING = 4096
TIMELINE_MAX_FLOWS = 40
DROPS_MAX_BARS = 30


class ReportError(ValueError):
    """Input build_report cannot accept at all (the message names what and where)."""


# --------------------------------------------------------------------------- helpers

_NATURAL_RE = re.compile(r"(\d+)")


def natural_key(text: str) -> Tuple[Any, ...]:
    """spoke-2 before spoke-10."""
    parts = _NATURAL_RE.split(text.lower())
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


# Keys whose string values carry device text and get the secret masking.
_DEVICE_TEXT_KEYS = frozenset(("evidence", "text", "description", "message", "line", "reason", "output"))


_PLAIN = (str, int, float, bool, type(None))


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        return value[:MAX_STRING]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _jsonable(value: Any, key: Optional[str], depth: int = 0) -> Any:
    """A JSON-safe deep copy; device-text strings are masked and length-capped."""
    if depth > 12:
        return None
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        text = value if len(value) <= MAX_STRING else value[:MAX_STRING] + "...[truncated]"
        return mask_text(text) if key in _DEVICE_TEXT_KEYS else text
    if isinstance(value, Mapping):
        if key == "events" and all(isinstance(v, _PLAIN) for v in value.values()):
            # Events come by the hundred per router: skip the recursion for flat ones.
            return {str(k): _plain(v) for k, v in value.items()}
        return {str(k): _jsonable(v, str(k), depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [_jsonable(v, key, depth + 1) for v in items]
    return _jsonable(str(value), key, depth + 1)


def _as_list(value: Any, where: str, problems: List[str]) -> List[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    problems.append("%s is %s, not a list: ignored" % (where, type(value).__name__))
    return []


def _as_dict(value: Any, where: str, problems: List[str]) -> Dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    problems.append("%s is %s, not a mapping: ignored" % (where, type(value).__name__))
    return {}


def _int_or_none(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    return None


def _num_or_none(value: Any) -> Optional[float]:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and math.isfinite(float(value)):
        return float(value)
    return None


def _utc_iso(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


# Results remediate records for actions it did not carry out (check mode, healed meanwhile, cool-down).
NOT_RUN_RESULTS = frozenset(("would_run", "skipped", "planned", "not_run", "dry_run"))


def _action_ran(action: Mapping[str, Any]) -> bool:
    return str(action.get("result") or "").lower() not in NOT_RUN_RESULTS


def _action_failed(action: Mapping[str, Any]) -> bool:
    if not _action_ran(action):
        return False
    result = str(action.get("result") or "").lower()
    return (
        result in ("failed", "error", "unverified")
        or action.get("failed") is True
        or action.get("verified") is False
    )


def _finding_family(code: str) -> str:
    return family_of(code)


def _error_reason(error: Any) -> Tuple[str, str]:
    if isinstance(error, Mapping):
        kind = str(error.get("kind") or "unreachable")
        message = str(error.get("message") or "no message")
        return kind, mask_text(message[:500])
    if error:
        return "unreachable", mask_text(str(error)[:500])
    return "unreachable", "no assessment"


# --------------------------------------------------------------------------- build

def _router_entry(host: str, raw: Any, reason: Optional[str]) -> Dict[str, Any]:
    problems: List[str] = []
    entry: Dict[str, Any] = {"host": host, "problems": problems}
    if raw is None or (isinstance(raw, Mapping) and not raw):
        kind = "missing" if not reason else ("unreachable" if "unreachable" in reason.lower() else "failed")
        message = mask_text(str(reason)[:500]) if reason else "no assessment"
        return _not_assessed(entry, kind, message, None)
    if not isinstance(raw, Mapping):
        return _not_assessed(entry, "invalid", "the assessment is %s, not a mapping" % type(raw).__name__, None)

    assessment = {k: _jsonable(raw[k], k) for k in ASSESSMENT_KEYS if k in raw}
    omitted = sorted(str(k) for k in raw if k not in ASSESSMENT_KEYS)
    if omitted:
        problems.append("assessment keys not included in the report: %s" % ", ".join(omitted))
    assessment["host"] = host if not assessment.get("host") else assessment["host"]
    version = assessment.get("schema_version")
    if version not in (None, ASSESSMENT_SCHEMA_VERSION):
        problems.append("assessment schema_version %r, this report reads version %d"
                        % (version, ASSESSMENT_SCHEMA_VERSION))

    if assessment.get("assessed") is False:
        kind, message = _error_reason(assessment.get("error"))
        return _not_assessed(entry, kind, message, assessment)

    findings = []
    for index, item in enumerate(_as_list(assessment.get("findings"), "findings", problems)):
        if not isinstance(item, dict) or not item.get("code"):
            problems.append("findings[%d] has no code: ignored" % index)
            continue
        severity = str(item.get("severity") or "info").lower()
        if severity not in SEVERITIES:
            problems.append("findings[%d] severity %r read as warning" % (index, severity))
            severity = "warning"
        finding = dict(item)
        finding["code"] = str(item["code"])
        finding["severity"] = severity
        finding["message"] = str(item.get("message") or "")
        finding["waived"] = bool(item.get("waived"))
        findings.append(finding)
    assessment["findings"] = findings
    for key in ("tunnels", "flows", "desync", "events", "planned_actions", "performed_actions",
                "unsupported_commands", "unparsed"):
        items = _as_list(assessment.get(key), key, problems)
        if key in ("tunnels", "flows", "desync", "events", "planned_actions", "performed_actions"):
            bad = sum(1 for i in items if not isinstance(i, dict))
            if bad:
                problems.append("%d %s entr%s not a mapping: ignored" % (bad, key, "y is" if bad == 1 else "ies are"))
            items = [i for i in items if isinstance(i, dict)]
        assessment[key] = items
    for key in ("knob", "dpd", "drops", "platform"):
        assessment[key] = _as_dict(assessment.get(key), key, problems)
    events = assessment["events"]
    if len(events) > MAX_EVENTS_PER_ROUTER:
        events = sorted(events, key=lambda e: _num_or_none(e.get("epoch")) or 0.0)[-MAX_EVENTS_PER_ROUTER:]
        assessment["events"] = events

    unwaived_errors = [f for f in findings if f["severity"] == "error" and not f["waived"]]
    compliant = assessment.get("compliant") is not False and not unwaived_errors
    if assessment.get("compliant") is True and unwaived_errors:
        problems.append("the assessment says compliant but has un-waived error findings: reported non-compliant")

    entry.update(_router_counts(assessment, findings))
    entry.update({
        "status": STATUS_COMPLIANT if compliant else STATUS_NON_COMPLIANT,
        "assessed": True,
        "compliant": compliant,
        "reason": None,
        "error_kind": None,
        "platform": _platform_text(assessment["platform"]),
        "families": _families(findings, assessed=True),
        "assessment": assessment,
    })
    return entry


def _not_assessed(entry: Dict[str, Any], kind: str, message: str,
                  assessment: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    findings: List[Dict[str, Any]] = []
    if assessment is not None:
        problems = entry["problems"]
        findings = [f for f in _as_list(assessment.get("findings"), "findings", problems) if isinstance(f, dict)]
        for key in ("planned_actions", "performed_actions", "tunnels", "flows", "events", "desync"):
            assessment[key] = [i for i in _as_list(assessment.get(key), key, problems) if isinstance(i, dict)]
        for key in ("knob", "dpd", "drops", "platform"):
            assessment[key] = _as_dict(assessment.get(key), key, problems)
    if not any(f.get("code") == "UNREACHABLE" for f in findings):
        findings.append({"code": "UNREACHABLE", "severity": "error", "message": "%s: %s" % (kind, message),
                         "subject": entry["host"], "waived": False, "waiver": None})
    if assessment is not None:
        assessment["findings"] = findings
    for f in findings:
        f.setdefault("severity", "error")
        f.setdefault("waived", False)
        f.setdefault("message", "")
    entry.update(_router_counts(assessment or {"findings": findings}, findings))
    entry.update({
        "status": STATUS_NOT_ASSESSED,
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
    counts = {
        "tunnels": len(assessment.get("tunnels") or []),
        "flows": len(flows),
        "persistent_flows": sum(1 for f in flows if f.get("status") == "persistent"),
        "confirmed_desyncs": _confirmed_desyncs(assessment, findings),
        "errors": sum(1 for f in findings if f.get("severity") == "error" and not f.get("waived")),
        "warnings": sum(1 for f in findings if f.get("severity") == "warning" and not f.get("waived")),
        "infos": sum(1 for f in findings if f.get("severity") == "info" and not f.get("waived")),
        "waived": sum(1 for f in findings if f.get("waived")),
        "planned_actions": len(assessment.get("planned_actions") or []),
        "performed_actions": sum(1 for a in performed if _action_ran(a)),
        "skipped_actions": sum(1 for a in performed if not _action_ran(a)),
        "failed_actions": sum(1 for a in performed if _action_failed(a)),
        "invalid_spi_packets": _int_or_none(drops.get("invalid_spi_packets")) if isinstance(drops, Mapping) else None,
    }
    return {"counts": counts}


def _families(findings: Sequence[Mapping[str, Any]], assessed: bool) -> Dict[str, str]:
    """pass | fail | skip per check family (fail: an un-waived error finding of that family)."""
    result = {}
    families = list(FAMILIES)
    if any(_finding_family(str(f.get("code"))) == FAMILY_OTHER for f in findings):
        families.append(FAMILY_OTHER)
    for family in families:
        failing = any(
            _finding_family(str(f.get("code"))) == family and f.get("severity") == "error" and not f.get("waived")
            for f in findings
        )
        if failing:
            result[family] = "fail"
        elif not assessed and family != "reachability":
            result[family] = "skip"
        else:
            result[family] = "pass"
    return result


def _reason_text(value: Any) -> Optional[str]:
    """A reason as given: a string, or a failed task result (only its msg is used: results carry output)."""
    if isinstance(value, Mapping):
        msg = value.get("msg") or value.get("message")
        if not msg:
            return None
        prefix = "unreachable: " if value.get("unreachable") else ""
        return prefix + str(msg)
    if value is None or value == "":
        return None
    return str(value)


def build_report(assessments: Any, mode: Optional[str] = "auto", meta: Optional[Mapping[str, Any]] = None,
                 reasons: Optional[Mapping[str, Any]] = None, generated_at: Optional[str] = None,
                 active_hosts: Optional[Iterable[str]] = None) -> Dict[str, Any]:
    """Build the fleet report dict (the content of report.json).

    ``assessments`` maps an inventory host to its ``ipsec_spi_assessment``, or to
    None / {} when the host has none (unreachable, failed earlier). A list of
    assessments is accepted too (keyed by their ``host``). ``mode`` is
    ``dry_run`` (check mode: forced), ``applied`` or ``auto``: the report says
    applied only when some router has performed actions. ``reasons`` maps a
    host without an assessment to why: a string, or a failed task result
    whose ``msg`` is used. A host left out of ``active_hosts`` (the play's
    remaining hosts) without an assessment is reported as failed/unreachable.
    ``meta`` is free-form run information (title, playbook, user, collection
    version) copied into the report.
    """
    if mode is None:
        mode = "auto"
    if mode not in MODES:
        raise ReportError("mode must be one of %s, not %r" % (", ".join(MODES), mode))
    if isinstance(assessments, (list, tuple)):
        keyed: Dict[str, Any] = {}
        for index, item in enumerate(assessments):
            if not isinstance(item, Mapping) or not item.get("host"):
                raise ReportError("assessments[%d] has no host; pass a mapping host -> assessment" % index)
            keyed[str(item["host"])] = item
        assessments = keyed
    if not isinstance(assessments, Mapping):
        raise ReportError("assessments must be a mapping host -> assessment, not %s" % type(assessments).__name__)
    if reasons is not None and not isinstance(reasons, Mapping):
        raise ReportError("reasons must be a mapping host -> reason, not %s" % type(reasons).__name__)
    if meta is not None and not isinstance(meta, Mapping):
        raise ReportError("meta must be a mapping, not %s" % type(meta).__name__)
    if active_hosts is not None and not isinstance(active_hosts, (list, tuple, set, frozenset)):
        raise ReportError("active_hosts must be a list of host names, not %s" % type(active_hosts).__name__)
    reasons = reasons or {}
    active = None if active_hosts is None else {str(a) for a in active_hosts}

    routers = []
    for host in sorted((str(h) for h in assessments), key=natural_key):
        raw = assessments.get(host)
        reason = _reason_text(reasons.get(host))
        if reason is None and active is not None and host not in active:
            reason = "no assessment: the host failed or was unreachable earlier in the run"
        routers.append(_router_entry(host, raw, reason))

    planned: List[Dict[str, Any]] = []
    performed: List[Dict[str, Any]] = []
    for router in routers:
        assessment = router["assessment"] or {}
        for action in assessment.get("planned_actions") or []:
            planned.append(dict(action, host=action.get("host") or router["host"]))
        for action in assessment.get("performed_actions") or []:
            performed.append(dict(action, host=action.get("host") or router["host"]))

    if mode == MODE_DRY_RUN:
        effective, why = MODE_DRY_RUN, "check mode"
    elif any(_action_ran(a) for a in performed):
        effective, why = MODE_APPLIED, "%d action(s) performed" % sum(1 for a in performed if _action_ran(a))
    else:
        effective, why = MODE_DRY_RUN, "no action was performed"

    summary = _summary(routers, planned, performed)
    report = {
        "schema_version": REPORT_SCHEMA_VERSION,
        "generated_at": generated_at or _now_iso(),
        "mode": effective,
        "mode_reason": why,
        "meta": _jsonable(dict(meta or {}), None),
        "summary": summary,
        "routers": routers,
        "actions": {"planned": planned, "performed": performed},
        "unassessed": [
            {"host": r["host"], "kind": r["error_kind"], "reason": r["reason"]}
            for r in routers if not r["assessed"]
        ],
    }
    return report


def _summary(routers: Sequence[Mapping[str, Any]], planned: Sequence[Mapping[str, Any]],
             performed: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
    by_code: Dict[str, int] = {}
    by_code_waived: Dict[str, int] = {}
    by_severity = {s: 0 for s in SEVERITIES}
    not_assessed_by_kind: Dict[str, int] = {}
    drops_total = 0
    drops_known = 0
    for router in routers:
        findings = (router["assessment"] or {}).get("findings") if router["assessment"] else None
        if findings is None:
            findings = [{"code": "UNREACHABLE", "severity": "error", "waived": False}]
        for f in findings:
            code = str(f.get("code"))
            by_code[code] = by_code.get(code, 0) + 1
            if f.get("waived"):
                by_code_waived[code] = by_code_waived.get(code, 0) + 1
            else:
                sev = f.get("severity") if f.get("severity") in by_severity else "warning"
                by_severity[sev] += 1
        if not router["assessed"]:
            kind = router["error_kind"] or "unreachable"
            not_assessed_by_kind[kind] = not_assessed_by_kind.get(kind, 0) + 1
        packets = router["counts"]["invalid_spi_packets"]
        if packets is not None:
            drops_known += 1
            drops_total += packets
    assessed = sum(1 for r in routers if r["assessed"])
    return {
        "routers": len(routers),
        "assessed": assessed,
        "compliant": sum(1 for r in routers if r["status"] == STATUS_COMPLIANT),
        "non_compliant": sum(1 for r in routers if r["status"] == STATUS_NON_COMPLIANT),
        "unreachable": len(routers) - assessed,
        "not_assessed_by_kind": dict(sorted(not_assessed_by_kind.items())),
        "confirmed_desyncs": sum(r["counts"]["confirmed_desyncs"] for r in routers),
        "persistent_flows": sum(r["counts"]["persistent_flows"] for r in routers),
        "planned_actions": len(planned),
        "performed_actions": sum(1 for a in performed if _action_ran(a)),
        "skipped_actions": sum(1 for a in performed if not _action_ran(a)),
        "failed_actions": sum(1 for a in performed if _action_failed(a)),
        "findings_by_code": dict(sorted(by_code.items())),
        "waived_by_code": dict(sorted(by_code_waived.items())),
        "findings_by_severity": by_severity,
        "waived_findings": sum(by_code_waived.values()),
        "invalid_spi_packets": drops_total if drops_known else None,
        "routers_with_drops": sum(1 for r in routers if (r["counts"]["invalid_spi_packets"] or 0) > 0),
    }


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _json_lines(value: Any, depth: int) -> str:
    # Pretty at the top, one list item (e.g. one router) per line below: diff-friendly, and fast, since
    # json's C encoder only runs without indent (indent=2 on a big fleet costs seconds).
    pad = "  " * (depth + 1)
    if isinstance(value, Mapping) and value and depth < 2:
        items = ["%s%s: %s" % (pad, _compact(str(k)), _json_lines(value[k], depth + 1)) for k in sorted(value)]
        return "{\n" + ",\n".join(items) + "\n" + "  " * depth + "}"
    if isinstance(value, list) and value and depth < 2:
        return "[\n" + ",\n".join(pad + _compact(v) for v in value) + "\n" + "  " * depth + "]"
    return _compact(value)


def render_json(report: Mapping[str, Any]) -> str:
    """report.json: sorted keys and a fixed layout, so that unchanged fleets give identical files."""
    return _json_lines(report, 0) + "\n"


# --------------------------------------------------------------------------- shared view helpers

# Characters XML 1.0 forbids even as references; HTML treats them as parse errors.
_ILLEGAL_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: Any) -> str:
    """Any value as text that every output format can hold."""
    if value is None:
        return ""
    return _ILLEGAL_XML_RE.sub("\ufffd", str(value))


def _spi_text(value: Any) -> str:
    spi = _int_or_none(value)
    return "0x%08X" % spi if spi is not None and spi >= 0 else clean_text(value)


def _fmt_int(value: Any) -> str:
    number = _int_or_none(value)
    return "{:,}".format(number) if number is not None else "n/a"


def _mode_banner(report: Mapping[str, Any]) -> str:
    summary = report["summary"]
    if report["mode"] == MODE_APPLIED:
        failed = summary.get("failed_actions") or 0
        text = "APPLIED: %d action(s) performed on routers" % summary["performed_actions"]
        if failed:
            text += ", %d failed or not verified" % failed
        return text
    return "DRY RUN (%s): nothing was changed on any router; %d action(s) planned" % (
        report.get("mode_reason") or "no action was performed", summary["planned_actions"])


_STATUS_LABEL = {
    STATUS_COMPLIANT: "compliant",
    STATUS_NON_COMPLIANT: "non-compliant",
    STATUS_NOT_ASSESSED: "not assessed",
}
_STATUS_ORDER = {STATUS_NOT_ASSESSED: 0, STATUS_NON_COMPLIANT: 1, STATUS_COMPLIANT: 2}


def _affected(router: Mapping[str, Any]) -> bool:
    counts = router["counts"]
    return (router["status"] != STATUS_COMPLIANT or counts["warnings"] > 0 or counts["waived"] > 0
            or counts["planned_actions"] > 0 or counts["performed_actions"] > 0 or counts["skipped_actions"] > 0)


def _flow_category(flow: Mapping[str, Any]) -> str:
    status = str(flow.get("status") or "")
    if status == "persistent":
        return "resolved" if flow.get("verdict") == "resolved" else "persistent"
    if status in ("transient", "foreign"):
        return status
    return "other"


# --------------------------------------------------------------------------- Markdown

_MD_SPECIAL_RE = re.compile(r"([\\`*_\[\]{}|~#!])")
_MD_AUTOLINK_RE = re.compile(r"(?i)\b(https?|ftp)(:)(//)")
_MD_WWW_RE = re.compile(r"(?i)\b(www)(\.)")
# Block markers only count at the start of a line and before a space (or alone).
_MD_LEADING_RE = re.compile(r"^(\s*)([-+=]|\d{1,9}[.)])(?=\s|$)")


def md_escape(value: Any) -> str:
    """Router text as inert inline Markdown: no markup, no HTML, no autolinks, one line."""
    text = clean_text(value).replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")
    text = _MD_SPECIAL_RE.sub(r"\\\1", text)
    # Entities rather than backslashes: a Markdown renderer passes raw HTML through.
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_AUTOLINK_RE.sub(r"\1\\\2\3", text)
    text = _MD_WWW_RE.sub(r"\1\\\2", text)
    return _MD_LEADING_RE.sub(lambda m: m.group(1) + "\\" + m.group(2) if len(m.group(2)) == 1
                              else m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], text)


_MD_CODE_SAFE_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")


def md_code(value: Any) -> str:
    """Identifiers we define (finding codes, actions) as code spans; anything else escaped."""
    text = clean_text(value)
    return "`%s`" % text if _MD_CODE_SAFE_RE.match(text) else md_escape(text)


def _md_table(headers: Sequence[str], rows: Iterable[Sequence[str]], align: Optional[Sequence[str]] = None) -> List[str]:
    align = align or ["l"] * len(headers)
    lines = ["| " + " | ".join(headers) + " |",
             "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(cell if cell != "" else " " for cell in row) + " |")
    return lines


def _md_fence(lines: Sequence[Any]) -> List[str]:
    body = [clean_text(line).replace("\r", " ").replace("\n", " ") for line in lines]
    longest = max([len(run) for text in body for run in re.findall(r"`+|~+", text)] + [2])
    fence = "`" * (longest + 1)
    return [fence + "text"] + body + [fence]


def _md_list(values: Iterable[Any]) -> str:
    return ", ".join(md_escape(v) for v in values) or "-"


def render_markdown(report: Mapping[str, Any]) -> str:
    """report.md: a summary table, the router table, then one section per affected router."""
    summary = report["summary"]
    meta = report.get("meta") or {}
    out: List[str] = []
    title = md_escape(meta.get("title") or "IPsec invalid-SPI compliance report")
    out.append("# " + title)
    out.append("")
    out.append("> **%s**" % md_escape(_mode_banner(report)))
    out.append("")
    out.append("Generated %s by netops.ipsec_spi (report schema %s)." % (
        md_escape(report["generated_at"]), report["schema_version"]))
    out.append("")
    out.append("## Summary")
    out.append("")
    out.extend(_md_table(
        ["Routers", "Assessed", "Compliant", "Non-compliant", "Not assessed", "Confirmed desyncs",
         "Planned actions", "Performed actions", "Invalid-SPI drops"],
        [[str(summary["routers"]), str(summary["assessed"]), str(summary["compliant"]),
          str(summary["non_compliant"]), str(summary["unreachable"]), str(summary["confirmed_desyncs"]),
          str(summary["planned_actions"]),
          "%d (%d failed)" % (summary["performed_actions"], summary["failed_actions"])
          if summary["failed_actions"] else str(summary["performed_actions"]),
          _fmt_int(summary["invalid_spi_packets"])]],
        ["r"] * 9))
    out.append("")
    if summary["findings_by_code"]:
        out.append("### Findings by code")
        out.append("")
        severity_of: Dict[str, str] = {}
        for router in report["routers"]:
            for f in (router["assessment"] or {}).get("findings") or []:
                severity_of.setdefault(str(f.get("code")), str(f.get("severity")))
        severity_of.setdefault("UNREACHABLE", "error")
        order = {s: i for i, s in enumerate(SEVERITIES)}
        codes = sorted(summary["findings_by_code"], key=lambda c: (order.get(severity_of.get(c, ""), 9), c))
        out.extend(_md_table(
            ["Code", "Severity", "Findings", "Waived"],
            [[md_code(c), md_escape(severity_of.get(c, "")), str(summary["findings_by_code"][c]),
              str(summary["waived_by_code"].get(c, 0))] for c in codes],
            ["l", "l", "r", "r"]))
        out.append("")

    out.append("## Routers")
    out.append("")
    routers = sorted(report["routers"], key=lambda r: (_STATUS_ORDER[r["status"]], natural_key(r["host"])))
    out.extend(_md_table(
        ["Router", "Status", "Platform", "Tunnels", "Desyncs", "Errors", "Warnings", "Drops", "Planned", "Performed"],
        [[md_escape(r["host"]), _STATUS_LABEL[r["status"]], md_escape(r["platform"]) or "-",
          str(r["counts"]["tunnels"]), str(r["counts"]["confirmed_desyncs"]), str(r["counts"]["errors"]),
          str(r["counts"]["warnings"]), _fmt_int(r["counts"]["invalid_spi_packets"]),
          str(r["counts"]["planned_actions"]), str(r["counts"]["performed_actions"])] for r in routers],
        ["l", "l", "l", "r", "r", "r", "r", "r", "r", "r"]))
    out.append("")

    if report["unassessed"]:
        out.append("## Not assessed")
        out.append("")
        out.extend(_md_table(["Router", "Kind", "Reason"],
                             [[md_escape(u["host"]), md_escape(u["kind"]), md_escape(u["reason"])]
                              for u in report["unassessed"]]))
        out.append("")

    affected = [r for r in routers if _affected(r) and r["assessed"]]
    if affected:
        out.append("## Affected routers")
        out.append("")
        for router in affected:
            out.extend(_md_router(router, report["mode"]))
    return "\n".join(out).rstrip("\n") + "\n"


def _md_router(router: Mapping[str, Any], mode: str) -> List[str]:
    a = router["assessment"] or {}
    knob = a.get("knob") or {}
    dpd = a.get("dpd") or {}
    out = ["### %s: %s" % (md_escape(router["host"]), _STATUS_LABEL[router["status"]]), ""]
    facts = []
    if router["platform"]:
        facts.append("platform " + md_escape(router["platform"]))
    if knob:
        state = knob.get("status") or ("present" if knob.get("present") else "absent")
        facts.append("invalid-spi-recovery %s" % md_escape(state))
    if dpd:
        facts.append("DPD " + ", ".join("%s %s" % (md_escape(k), "yes" if v else "no") for k, v in sorted(dpd.items())))
    if router["counts"]["invalid_spi_packets"] is not None:
        facts.append("invalid-SPI drops %s" % _fmt_int(router["counts"]["invalid_spi_packets"]))
    if facts:
        out.append("- " + "; ".join(facts))
        out.append("")

    tunnels = a.get("tunnels") or []
    if tunnels:
        out.append("**Tunnels**")
        out.append("")
        out.extend(_md_table(
            ["Kind", "Name", "Interfaces", "Peers", "IKE", "Recovery", "Description"],
            [[md_escape(t.get("kind")), md_escape(t.get("name")), _md_list(t.get("interfaces") or []),
              _md_list(t.get("peers") or []), md_escape(t.get("ike_version")) or "-",
              md_escape(t.get("recovery")), md_escape(t.get("description") or "")] for t in tunnels]))
        out.append("")

    findings = a.get("findings") or []
    if findings:
        out.append("**Findings**")
        out.append("")
        order = {s: i for i, s in enumerate(SEVERITIES)}
        for f in sorted(findings, key=lambda f: (bool(f.get("waived")), order.get(f.get("severity"), 9))):
            line = "- **%s** %s: %s" % (md_escape(str(f.get("severity")).upper()), md_code(f.get("code")),
                                        md_escape(f.get("message")))
            if f.get("subject"):
                line += " (subject: %s)" % md_escape(f.get("subject"))
            if f.get("waived"):
                waiver = f.get("waiver")
                why = waiver.get("reason") if isinstance(waiver, Mapping) else waiver
                line += " *waived%s*" % (": " + md_escape(why) if why else "")
            out.append(line)
        out.append("")

    flows = a.get("flows") or []
    if flows:
        out.append("**INV_SPI flows**")
        out.append("")
        out.extend(_md_table(
            ["Source", "Destination", "SPI", "Messages", "Span (s)", "Status", "Verdict", "Sender"],
            [[md_escape(f.get("src")), md_escape(f.get("dst")), md_escape(_spi_text(f.get("spi"))),
              _fmt_int(f.get("count")), md_escape(f.get("span_seconds")) if f.get("span_seconds") is not None else "-",
              md_escape(f.get("status")), md_escape(f.get("verdict")) or "-", md_escape(f.get("sender")) or "-"]
             for f in flows],
            ["l", "l", "l", "r", "r", "l", "l", "l"]))
        out.append("")

    evidence = [(d, d.get("evidence")) for d in a.get("desync") or [] if d.get("evidence")]
    if evidence:
        out.append("**Desync evidence**")
        out.append("")
        for verdict, lines in evidence:
            out.append("- %s from %s, SPI %s:" % (
                md_escape(verdict.get("verdict")), md_escape(verdict.get("sender") or verdict.get("sender_addr")),
                md_escape(_spi_text(verdict.get("spi")))))
            out.append("")
            out.extend("  " + line for line in _md_fence(lines if isinstance(lines, list) else [lines]))
            out.append("")

    planned = a.get("planned_actions") or []
    performed = a.get("performed_actions") or []
    if planned:
        out.append("**Planned actions**%s" % (" (dry run: not sent)" if mode == MODE_DRY_RUN else ""))
        out.append("")
        out.extend(_md_table(
            ["Action", "On router", "Command", "Reason"],
            [[md_escape(p.get("action")), md_escape(p.get("host") or router["host"]), md_escape(p.get("command")),
              md_escape(p.get("reason"))] for p in planned]))
        out.append("")
    if performed:
        out.append("**Remediation results**")
        out.append("")
        out.extend(_md_table(
            ["Action", "On router", "Command", "Result", "Verified", "Message"],
            [[md_escape(p.get("action")), md_escape(p.get("host") or router["host"]), md_escape(p.get("command")),
              md_escape(p.get("result")), md_escape(p.get("verified")), md_escape(p.get("message") or "")]
             for p in performed]))
        out.append("")

    tunnel_evidence = [(t, t.get("evidence")) for t in tunnels if t.get("evidence")]
    if tunnel_evidence:
        out.append("<details><summary>Configuration evidence</summary>")
        out.append("")
        for tunnel, lines in tunnel_evidence:
            out.append("%s %s:" % (md_escape(tunnel.get("kind")), md_escape(tunnel.get("name"))))
            out.append("")
            out.extend(_md_fence(lines if isinstance(lines, list) else [lines]))
            out.append("")
        out.append("</details>")
        out.append("")
    if router.get("problems"):
        out.append("*Report notes:* " + "; ".join(md_escape(p) for p in router["problems"]))
        out.append("")
    return out


# --------------------------------------------------------------------------- JUnit

def render_junit(report: Mapping[str, Any]) -> str:
    """junit.xml: one testsuite; one test case per router and check family.

    A family fails when the router has an un-waived error-level finding of
    that family; waived and lower-severity findings are listed in system-out.
    Families of a router that could not be assessed are skipped. Routers with
    performed actions get a ``remediation`` case that fails when an action
    failed or could not be verified.
    """
    suite = ET.Element("testsuite", {"name": "netops.ipsec_spi", "timestamp": clean_text(report["generated_at"])})
    props = ET.SubElement(suite, "properties")
    for name, value in (("mode", report["mode"]), ("mode_reason", report.get("mode_reason") or ""),
                        ("report_schema_version", report["schema_version"])):
        ET.SubElement(props, "property", {"name": name, "value": clean_text(value)})
    tests = failures = skipped = 0
    for router in report["routers"]:
        findings = (router["assessment"] or {}).get("findings")
        if findings is None:
            findings = [{"code": "UNREACHABLE", "severity": "error", "message": router.get("reason") or "",
                         "waived": False}]
        for family, state in router["families"].items():
            tests += 1
            case = ET.SubElement(suite, "testcase", {"classname": clean_text(router["host"]), "name": family,
                                                     "time": "0"})
            mine = [f for f in findings if _finding_family(str(f.get("code"))) == family]
            if state == "fail":
                failures += 1
                failing = [f for f in mine if f.get("severity") == "error" and not f.get("waived")]
                failure = ET.SubElement(case, "failure", {
                    "type": clean_text(failing[0].get("code")),
                    "message": clean_text("; ".join("%s: %s" % (f.get("code"), f.get("message")) for f in failing))[:1000],
                })
                failure.text = clean_text("\n".join(
                    "%s [%s] %s%s" % (f.get("code"), f.get("severity"), f.get("message"),
                                      " (subject: %s)" % f.get("subject") if f.get("subject") else "")
                    for f in failing))
            elif state == "skip":
                skipped += 1
                ET.SubElement(case, "skipped", {"message": clean_text("not assessed: %s" % router.get("reason"))})
            rest = [f for f in mine if not (f.get("severity") == "error" and not f.get("waived"))]
            if rest:
                out = ET.SubElement(case, "system-out")
                out.text = clean_text("\n".join(
                    "%s%s [%s] %s" % ("WAIVED " if f.get("waived") else "", f.get("code"), f.get("severity"),
                                      f.get("message")) for f in rest))
        performed = (router["assessment"] or {}).get("performed_actions") or []
        if any(_action_ran(p) for p in performed):
            tests += 1
            case = ET.SubElement(suite, "testcase", {"classname": clean_text(router["host"]),
                                                     "name": "remediation", "time": "0"})
            bad = [p for p in performed if _action_failed(p)]
            if bad:
                failures += 1
                failure = ET.SubElement(case, "failure", {"type": "ACTION_FAILED", "message": clean_text(
                    "; ".join("%s: %s" % (p.get("command"), p.get("message") or p.get("result")) for p in bad))[:1000]})
                failure.text = clean_text("\n".join(json.dumps(p, sort_keys=True) for p in bad))
            out = ET.SubElement(case, "system-out")
            out.text = clean_text("\n".join(
                "%s -> %s (verified: %s)" % (p.get("command"), p.get("result"), p.get("verified")) for p in performed))
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


def _indent(elem: ET.Element, level: int = 0) -> None:
    # ET.indent exists only from Python 3.9.
    pad = "\n" + "  " * level
    if len(elem):
        if not elem.text or not elem.text.strip():
            elem.text = pad + "  "
        for child in elem:
            _indent(child, level + 1)
        if not child.tail or not child.tail.strip():
            child.tail = pad
    if level and (not elem.tail or not elem.tail.strip()):
        elem.tail = pad


# --------------------------------------------------------------------------- HTML

def h(value: Any) -> str:
    """Escape for HTML text and attribute values."""
    return html.escape(clean_text(value), quote=True)


_CATEGORY_LABEL = (
    ("persistent", "persistent (desync)"),
    ("resolved", "persistent, since resolved"),
    ("transient", "transient (rekey race)"),
    ("foreign", "foreign sender"),
    ("other", "unclassified"),
)


def _flow_key(src: Any, dst: Any, spi: Any) -> Tuple[str, str, Optional[int]]:
    return (str(src or ""), str(dst or ""), _int_or_none(spi))


def _timeline_rows(routers: Sequence[Mapping[str, Any]], with_host: bool) -> List[Dict[str, Any]]:
    rows: List[Dict[str, Any]] = []
    for router in routers:
        a = router["assessment"] or {}
        by_key: Dict[Tuple[str, str, Optional[int]], Dict[str, Any]] = {}
        for flow in a.get("flows") or []:
            key = _flow_key(flow.get("src"), flow.get("dst"), flow.get("spi"))
            by_key[key] = {"host": router["host"], "flow": flow, "category": _flow_category(flow), "points": []}
        for event in a.get("events") or []:
            epoch = _num_or_none(event.get("epoch"))
            if epoch is None:
                continue
            key = _flow_key(event.get("src"), event.get("dst"), event.get("spi"))
            row = by_key.get(key)
            if row is None:
                row = by_key[key] = {"host": router["host"], "category": "other", "points": [],
                                     "flow": {"src": key[0], "dst": key[1], "spi": key[2]}}
            row["points"].append((epoch, event.get("time")))
        for row in by_key.values():
            if row["points"]:
                row["points"].sort(key=lambda p: p[0])
                row["with_host"] = with_host
                rows.append(row)
    priority = {"persistent": 0, "foreign": 1, "resolved": 2, "transient": 3, "other": 4}
    rows.sort(key=lambda r: (priority[r["category"]], -len(r["points"]), natural_key(r["host"]),
                             r["flow"].get("src") or ""))
    return rows


def _time_ticks(lo: float, hi: float) -> List[float]:
    span = hi - lo
    steps = [60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800]
    step = next((s for s in steps if span / s <= 7), 604800 * max(1, int(span / (604800 * 7)) + 1))
    first = math.ceil(lo / step) * step
    ticks = []
    t = first
    while t <= hi and len(ticks) < 12:
        ticks.append(t)
        t += step
    return ticks


def _tick_label(epoch: float, span: float) -> str:
    moment = datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)
    return moment.strftime("%d %b %H:%M" if span > 86400 else "%H:%M")


def svg_timeline(rows: Sequence[Mapping[str, Any]], max_rows: int = TIMELINE_MAX_FLOWS, label: str = "") -> str:
    """INV_SPI messages per flow over time, one row per flow, coloured by flow status."""
    shown = list(rows[:max_rows])
    if not shown:
        return '<p class="muted">No INV_SPI messages were logged.</p>'
    epochs = [p[0] for r in shown for p in r["points"]]
    lo, hi = min(epochs), max(epochs)
    if hi - lo < 60:
        lo, hi = lo - 30, hi + 30
    pad = (hi - lo) * 0.02
    lo, hi = lo - pad, hi + pad
    left, right, top, row_h = 300, 20, 14, 20
    width = 980
    plot_w = width - left - right
    height = top + row_h * len(shown) + 34

    def x(epoch: float) -> float:
        return left + (epoch - lo) / (hi - lo) * plot_w

    parts = ['<svg class="timeline" role="img" viewBox="0 0 %d %d" width="100%%" preserveAspectRatio="xMinYMin meet" '
             'aria-label="%s">' % (width, height, h(label or "Timeline of INV_SPI messages per flow"))]
    parts.append('<title>%s</title>' % h(label or "Timeline of INV_SPI messages per flow"))
    axis_y = top + row_h * len(shown) + 4
    for tick in _time_ticks(lo, hi):
        tx = x(tick)
        parts.append('<line class="grid" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>' % (tx, top - 4, tx, axis_y))
        parts.append('<text class="tick" x="%.1f" y="%d" text-anchor="middle">%s</text>'
                     % (tx, axis_y + 16, h(_tick_label(tick, hi - lo))))
    parts.append('<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>' % (left, axis_y, width - right, axis_y))
    for index, row in enumerate(shown):
        y = top + row_h * index + row_h / 2
        flow = row["flow"]
        name = "%s \u2192 %s  %s" % (flow.get("src"), flow.get("dst"), _spi_text(flow.get("spi")))
        if row.get("with_host"):
            name = "%s: %s" % (row["host"], name)
        short = name if len(name) <= 46 else name[:45] + "\u2026"
        cat = row["category"]
        if index % 2 == 0:
            parts.append('<rect class="band" x="0" y="%.1f" width="%d" height="%d"/>' % (y - row_h / 2, width, row_h))
        parts.append('<text class="flow-label" x="%d" y="%.1f"><title>%s</title>%s</text>'
                     % (left - 8, y + 4, h(name), h(short)))
        pts = row["points"]
        if len(pts) > 1:
            parts.append('<line class="span span-%s" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>'
                         % (cat, x(pts[0][0]), y, x(pts[-1][0]), y))
        # Messages closer than 2 px share one dot (its title says how many): a router can bring 500.
        clusters: List[List[Tuple[float, Any]]] = []
        for point in pts:
            if clusters and x(point[0]) - x(clusters[-1][0][0]) < 2.0:
                clusters[-1].append(point)
            else:
                clusters.append([point])
        for cluster in clusters:
            epoch, when = cluster[0]
            if len(cluster) == 1:
                tip = "%s  %s (%s)" % (when or _utc_iso(epoch), name, cat)
            else:
                tip = "%d messages %s to %s  %s (%s)" % (len(cluster), when or _utc_iso(epoch),
                                                         cluster[-1][1] or _utc_iso(cluster[-1][0]), name, cat)
            parts.append('<circle class="pt pt-%s" cx="%.1f" cy="%.1f" r="4" data-epoch="%.3f" data-count="%d">'
                         '<title>%s</title></circle>' % (cat, x(epoch), y, epoch, len(cluster), h(tip)))
    parts.append("</svg>")
    legend = ['<ul class="legend">']
    present = {r["category"] for r in shown}
    for cat, text in _CATEGORY_LABEL:
        if cat in present or cat in ("persistent", "transient", "foreign"):
            legend.append('<li><svg width="12" height="12" aria-hidden="true"><circle class="pt pt-%s" cx="6" cy="6" r="4.5"/>'
                          '</svg>%s</li>' % (cat, h(text)))
    legend.append("</ul>")
    note = ""
    if len(rows) > len(shown):
        note = '<p class="muted">Showing %d of %d flows (persistent first).</p>' % (len(shown), len(rows))
    return "".join(parts) + "".join(legend) + note


def svg_drops(routers: Sequence[Mapping[str, Any]], max_bars: int = DROPS_MAX_BARS) -> str:
    """Invalid-SPI drop counters per router, largest first."""
    data = [(r, r["counts"]["invalid_spi_packets"]) for r in routers
            if (r["counts"]["invalid_spi_packets"] or 0) > 0]
    unknown = sum(1 for r in routers if r["assessed"] and r["counts"]["invalid_spi_packets"] is None)
    if not data:
        text = "No invalid-SPI drops were counted on any router."
        if unknown:
            text += " %d router(s) have no drop counters (no QFP or the command failed)." % unknown
        return '<p class="muted">%s</p>' % h(text)
    data.sort(key=lambda item: (-item[1], natural_key(item[0]["host"])))
    shown = data[:max_bars]
    peak = max(value for _router, value in shown)
    left, right, top, bar_h, gap = 170, 90, 8, 16, 6
    width = 980
    plot_w = width - left - right
    height = top + (bar_h + gap) * len(shown) + 8
    parts = ['<svg class="drops" role="img" viewBox="0 0 %d %d" width="100%%" preserveAspectRatio="xMinYMin meet" '
             'aria-label="Invalid-SPI drop counters per router">' % (width, height),
             "<title>Invalid-SPI drop counters per router</title>"]
    for index, (router, value) in enumerate(shown):
        y = top + index * (bar_h + gap)
        w = max(2.0, value / peak * plot_w)
        cls = "bar bar-desync" if router["counts"]["confirmed_desyncs"] else "bar"
        host = router["host"] if len(router["host"]) <= 24 else router["host"][:23] + "\u2026"
        parts.append('<text class="bar-label" x="%d" y="%.1f">%s</text>' % (left - 8, y + bar_h - 4, h(host)))
        parts.append('<rect class="%s" x="%d" y="%d" width="%.1f" height="%d" data-value="%d">'
                     '<title>%s: %s invalid-SPI packets dropped</title></rect>'
                     % (cls, left, y, w, bar_h, value, h(router["host"]), _fmt_int(value)))
        parts.append('<text class="bar-value" x="%.1f" y="%.1f">%s</text>'
                     % (left + w + 6, y + bar_h - 4, h(_fmt_int(value))))
    parts.append("</svg>")
    legend = ('<ul class="legend"><li><span class="swatch swatch-desync"></span>router with a confirmed desync</li>'
              '<li><span class="swatch swatch-bar"></span>other routers</li></ul>')
    notes = []
    if len(data) > len(shown):
        notes.append("Showing the %d largest of %d routers with drops." % (len(shown), len(data)))
    if unknown:
        notes.append("%d router(s) have no drop counters (no QFP or the command failed)." % unknown)
    note = "".join('<p class="muted">%s</p>' % h(n) for n in notes)
    return "".join(parts) + legend + note


_CSS = """
:root{--bg:#f5f6f8;--card:#fff;--ink:#1d2530;--muted:#5d6b7a;--line:#dfe3e8;--accent:#2f5d8a;
--ok:#2e7d4f;--ok-bg:#e6f4ec;--bad:#b3261e;--bad-bg:#fbe9e7;--warn:#9a6700;--warn-bg:#fff4d6;
--na:#5b5f97;--na-bg:#ecebf7;--info:#3d5a80;--info-bg:#e8eef6}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif}
header.top{background:#1f2d3d;color:#fff;padding:18px 32px}
header.top h1{margin:0;font-size:20px;font-weight:600;letter-spacing:.2px}
header.top p{margin:4px 0 0;color:#c3ccd6;font-size:13px}
main{max-width:1280px;margin:0 auto;padding:20px 32px 48px}
.banner{border-radius:8px;padding:12px 16px;margin:0 0 18px;font-weight:600;border:1px solid}
.banner.dry_run{background:#eef4fb;border-color:#b7cde6;color:#23476b}
.banner.applied{background:#fdf1e3;border-color:#ecc48f;color:#7a4304}
.banner small{display:block;font-weight:400;margin-top:2px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(128px,1fr));gap:12px;margin-bottom:22px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.card .n{font-size:26px;font-weight:650;line-height:1.1;font-variant-numeric:tabular-nums}
.card .l{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.5px;margin-top:2px}
.card.bad .n{color:var(--bad)}.card.ok .n{color:var(--ok)}.card.na .n{color:var(--na)}.card.warn .n{color:var(--warn)}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 18px;margin-bottom:18px}
section>h2{font-size:16px;margin:0 0 10px;font-weight:600}
h3{font-size:14px;margin:14px 0 6px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
thead th{background:#f0f2f5;font-weight:600;white-space:nowrap}
th button{all:unset;cursor:pointer;display:inline-flex;gap:4px;align-items:center}
th button:focus-visible{outline:2px solid var(--accent);outline-offset:2px;border-radius:3px}
th button::after{content:"\\2195";color:#9aa5b1;font-size:11px}
th[aria-sort=ascending] button::after{content:"\\25B2";color:var(--accent)}
th[aria-sort=descending] button::after{content:"\\25BC";color:var(--accent)}
tbody tr:hover{background:#f8fafc}
.pill{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;font-weight:600;white-space:nowrap}
.s-compliant{background:var(--ok-bg);color:var(--ok)}.s-non_compliant{background:var(--bad-bg);color:var(--bad)}
.s-not_assessed{background:var(--na-bg);color:var(--na)}
.sev-error{background:var(--bad-bg);color:var(--bad)}.sev-warning{background:var(--warn-bg);color:var(--warn)}
.sev-info{background:var(--info-bg);color:var(--info)}.waived{background:#eceff1;color:#546e7a}
.muted{color:var(--muted)}
a{color:var(--accent)}
.toolbar{display:flex;gap:8px;align-items:center;margin-bottom:10px;flex-wrap:wrap}
.toolbar input{padding:6px 10px;border:1px solid var(--line);border-radius:6px;min-width:240px;font:inherit}
.toolbar button{padding:6px 10px;border:1px solid var(--line);background:#fff;border-radius:6px;font:inherit;cursor:pointer}
.toolbar button:focus-visible,.toolbar input:focus-visible{outline:2px solid var(--accent)}
details.router{border:1px solid var(--line);border-radius:8px;margin:8px 0;background:#fff}
details.router>summary{cursor:pointer;padding:9px 12px;display:flex;gap:10px;align-items:center;list-style:none}
details.router>summary::-webkit-details-marker{display:none}
details.router>summary::before{content:"\\25B8";color:var(--muted);width:10px}
details.router[open]>summary::before{content:"\\25BE"}
details.router>summary .host{font-weight:600;min-width:160px}
details.router>summary .meta{color:var(--muted);font-size:12px}
details.router .body{padding:4px 16px 14px;border-top:1px solid var(--line)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:10px 0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
pre{background:#f6f8fa;border:1px solid var(--line);border-radius:6px;padding:8px 10px;overflow:auto;font-size:12px;
margin:6px 0}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
ul.findings{list-style:none;padding:0;margin:6px 0}ul.findings li{padding:4px 0;border-bottom:1px dashed var(--line)}
ul.findings li.is-waived{color:var(--muted)}ul.findings li.is-waived .pill.sev-error,
ul.findings li.is-waived .pill.sev-warning{background:#eceff1;color:#546e7a}
ul.findings .code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;margin:0 6px}
svg text{font:11px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#3b4652}
svg .flow-label,svg .bar-label{text-anchor:end}
svg .tick{fill:#6b7785}svg .grid{stroke:#e6e9ed}svg .axis{stroke:#9aa5b1}svg .band{fill:#f7f8fa}
.pt-persistent{fill:#c62828}.pt-resolved{fill:#fff;stroke:#c62828;stroke-width:1.6}
.pt-transient{fill:#e0a100}.pt-foreign{fill:#6a4fb3}.pt-other{fill:#8a96a3}
.span{stroke-width:2;opacity:.35}.span-persistent,.span-resolved{stroke:#c62828}.span-transient{stroke:#e0a100}
.span-foreign{stroke:#6a4fb3}.span-other{stroke:#8a96a3}
.bar{fill:#5b7fa6}.bar-desync{fill:#c62828}
.swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.swatch-bar{background:#5b7fa6}.swatch-desync{background:#c62828}
ul.legend{list-style:none;display:flex;gap:18px;padding:0;margin:6px 0 0;font-size:12px;color:var(--muted);flex-wrap:wrap}
ul.legend li{display:flex;align-items:center;gap:5px}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:24px}
.grid2{display:grid;grid-template-columns:1fr;gap:18px}
@media print{details.router{break-inside:avoid}.toolbar{display:none}}
"""

_JS = """
(function () {
  "use strict";
  var table = document.getElementById("router-table");
  if (table) {
    var heads = Array.prototype.slice.call(table.querySelectorAll("thead th[data-type]"));
    var body = table.tBodies[0];
    var cellValue = function (row, index, type) {
      var cell = row.cells[index];
      var raw = cell.getAttribute("data-sort");
      if (raw === null) { raw = cell.textContent; }
      if (type === "num") { var n = parseFloat(raw); return isNaN(n) ? -Infinity : n; }
      return raw.toLowerCase();
    };
    var natural = function (a, b) {
      return a.localeCompare(b, undefined, {numeric: true, sensitivity: "base"});
    };
    heads.forEach(function (th) {
      var button = th.querySelector("button");
      button.addEventListener("click", function () {
        var index = Array.prototype.indexOf.call(th.parentNode.children, th);
        var type = th.getAttribute("data-type");
        var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
        heads.forEach(function (other) { other.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", dir);
        var sign = dir === "ascending" ? 1 : -1;
        var rows = Array.prototype.slice.call(body.rows).map(function (row, i) {
          return {row: row, key: cellValue(row, index, type), host: cellValue(row, 0, "text"), i: i};
        });
        rows.sort(function (a, b) {
          var c = type === "num" ? (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) : natural(a.key, b.key);
          if (c === 0) { c = natural(a.host, b.host); }
          return c * sign || a.i - b.i;
        });
        rows.forEach(function (item) { body.appendChild(item.row); });
        var status = document.getElementById("sort-status");
        if (status) { status.textContent = "Sorted by " + button.textContent + ", " + dir + "."; }
      });
    });
  }
  var filter = document.getElementById("router-filter");
  if (filter) {
    filter.addEventListener("input", function () {
      var q = filter.value.trim().toLowerCase();
      Array.prototype.forEach.call(document.querySelectorAll("#router-table tbody tr, details.router"), function (el) {
        el.hidden = q !== "" && (el.getAttribute("data-host") || "").toLowerCase().indexOf(q) === -1;
      });
    });
  }
  var setAll = function (open) {
    Array.prototype.forEach.call(document.querySelectorAll("details.router"), function (d) {
      if (!d.hidden) { d.open = open; }
    });
  };
  var ex = document.getElementById("expand-all");
  if (ex) { ex.addEventListener("click", function () { setAll(true); }); }
  var co = document.getElementById("collapse-all");
  if (co) { co.addEventListener("click", function () { setAll(false); }); }
  var openHash = function () {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id ? document.getElementById(id) : null;
    if (el && el.tagName === "DETAILS") { el.open = true; el.scrollIntoView(); }
  };
  window.addEventListener("hashchange", openHash);
  openHash();
}());
"""


def _pill(status: str) -> str:
    return '<span class="pill s-%s">%s</span>' % (h(status), h(_STATUS_LABEL.get(status, status)))


def _html_list(values: Any) -> str:
    if not isinstance(values, list):
        values = [values] if values else []
    return h(", ".join(clean_text(v) for v in values)) or '<span class="muted">-</span>'


def _html_table(headers: Sequence[Tuple[str, str]], rows: Iterable[Sequence[str]]) -> str:
    head = "".join('<th class="%s">%s</th>' % (cls, h(text)) for text, cls in headers)
    body = []
    for row in rows:
        body.append("<tr>" + "".join('<td class="%s">%s</td>' % (headers[i][1], cell)
                                     for i, cell in enumerate(row)) + "</tr>")
    return "<table><thead><tr>%s</tr></thead><tbody>%s</tbody></table>" % (head, "".join(body))


def _html_router(router: Mapping[str, Any], index: int, mode: str) -> str:
    a = router["assessment"] or {}
    counts = router["counts"]
    bits = []
    if counts["confirmed_desyncs"]:
        bits.append("%d confirmed desync%s" % (counts["confirmed_desyncs"], "" if counts["confirmed_desyncs"] == 1 else "s"))
    if counts["errors"]:
        bits.append("%d error%s" % (counts["errors"], "" if counts["errors"] == 1 else "s"))
    if counts["warnings"]:
        bits.append("%d warning%s" % (counts["warnings"], "" if counts["warnings"] == 1 else "s"))
    if counts["waived"]:
        bits.append("%d waived" % counts["waived"])
    if counts["planned_actions"]:
        bits.append("%d planned" % counts["planned_actions"])
    if counts["performed_actions"]:
        bits.append("%d performed" % counts["performed_actions"])
    if counts["skipped_actions"]:
        bits.append("%d not run" % counts["skipped_actions"])
    if not router["assessed"]:
        bits.append(clean_text(router.get("reason")))
    out = ['<details class="router" id="r-%d" data-host="%s"><summary><span class="host">%s</span>%s'
           '<span class="meta">%s</span></summary><div class="body">'
           % (index, h(router["host"]), h(router["host"]), _pill(router["status"]), h(" \u00b7 ".join(bits)))]

    facts = []
    if router["platform"]:
        facts.append(("Platform", h(router["platform"])))
    if a.get("assessed_at") or a.get("source"):
        facts.append(("Assessed", h("%s (%s)" % (a.get("assessed_at") or "?", a.get("source") or "?"))))
    if not router["assessed"]:
        facts.append(("Not assessed", h("%s: %s" % (router.get("error_kind"), router.get("reason")))))
    knob = a.get("knob") or {}
    if knob:
        facts.append(("invalid-spi-recovery", h("%s (configured: %s, relevant: %s)" % (
            knob.get("status") or "?", "yes" if knob.get("present") else "no",
            "yes" if knob.get("relevant") else "no"))))
    dpd = a.get("dpd") or {}
    if dpd:
        facts.append(("Dead peer detection", h(", ".join("%s %s" % (k, "yes" if v else "no")
                                                         for k, v in sorted(dpd.items())))))
    drops = a.get("drops") or {}
    if drops:
        text = "%s packets" % _fmt_int(drops.get("invalid_spi_packets"))
        if drops.get("rate_pps") is not None:
            text += ", %s pps" % clean_text(drops.get("rate_pps"))
        if drops.get("available") is False:
            text = "not available on this platform"
        facts.append(("Invalid-SPI drops", h(text)))
    if a.get("unsupported_commands"):
        facts.append(("Unsupported commands", _html_list(a.get("unsupported_commands"))))
    if facts:
        out.append('<dl class="facts">%s</dl>' % "".join("<dt>%s</dt><dd>%s</dd>" % (h(k), v) for k, v in facts))

    tunnels = a.get("tunnels") or []
    if tunnels:
        out.append("<h3>Tunnels</h3>")
        out.append(_html_table(
            [("Kind", ""), ("Name", ""), ("Interfaces", ""), ("Peers", ""), ("IKE", ""), ("Recovery", ""),
             ("Reason", ""), ("Description", "")],
            [[h(t.get("kind")), h(t.get("name")), _html_list(t.get("interfaces")), _html_list(t.get("peers")),
              h(t.get("ike_version") or "-"), h(t.get("recovery")), h(t.get("reason")),
              h(t.get("description") or "")] for t in tunnels]))

    findings = a.get("findings") or []
    if findings:
        order = {s: i for i, s in enumerate(SEVERITIES)}
        out.append('<h3>Findings</h3><ul class="findings">')
        for f in sorted(findings, key=lambda f: (bool(f.get("waived")), order.get(f.get("severity"), 9))):
            waived = ""
            if f.get("waived"):
                waiver = f.get("waiver")
                why = waiver.get("reason") if isinstance(waiver, Mapping) else waiver
                waived = ' <span class="pill waived">waived%s</span>' % (": " + h(why) if why else "")
            subject = ' <span class="muted">(%s)</span>' % h(f.get("subject")) if f.get("subject") else ""
            out.append('<li%s><span class="pill sev-%s">%s</span><span class="code">%s</span>%s%s%s</li>'
                       % (' class="is-waived"' if f.get("waived") else "", h(f.get("severity")),
                          h(f.get("severity")), h(f.get("code")), h(f.get("message")),
                          subject, waived))
        out.append("</ul>")

    flows = a.get("flows") or []
    if flows:
        out.append("<h3>INV_SPI flows</h3>")
        out.append(_html_table(
            [("Source", ""), ("Destination", ""), ("SPI", ""), ("Messages", "num"), ("Span (s)", "num"),
             ("First seen", ""), ("Last seen", ""), ("Status", ""), ("Verdict", ""), ("Sender", "")],
            [[h(f.get("src")), h(f.get("dst")), "<code>%s</code>" % h(_spi_text(f.get("spi"))), h(_fmt_int(f.get("count"))),
              h(f.get("span_seconds") if f.get("span_seconds") is not None else "-"), h(f.get("first_seen") or ""),
              h(f.get("last_seen") or ""), h(f.get("status")), h(f.get("verdict") or "-"), h(f.get("sender") or "-")]
             for f in flows]))
        rows = _timeline_rows([router], with_host=False)
        if rows:
            out.append(svg_timeline(rows, label="INV_SPI messages per flow on %s" % router["host"]))

    desync = [d for d in a.get("desync") or [] if d.get("evidence")]
    if desync:
        out.append("<h3>Desync evidence</h3>")
        for d in desync:
            out.append("<p>%s</p><pre>%s</pre>" % (
                h("%s: %s (%s) sends SPI %s to %s" % (d.get("verdict"), d.get("sender") or "unknown sender",
                                                      d.get("sender_addr"), _spi_text(d.get("spi")),
                                                      d.get("receiver_addr"))),
                h("\n".join(clean_text(e) for e in (d["evidence"] if isinstance(d["evidence"], list) else [d["evidence"]])))))

    planned = a.get("planned_actions") or []
    if planned:
        out.append("<h3>Planned actions%s</h3>" % (" (dry run: not sent)" if mode == MODE_DRY_RUN else ""))
        out.append(_html_table(
            [("Action", ""), ("On router", ""), ("Command", ""), ("Reason", "")],
            [[h(p.get("action")), h(p.get("host") or router["host"]), "<code>%s</code>" % h(p.get("command")),
              h(p.get("reason"))] for p in planned]))
    performed = a.get("performed_actions") or []
    if performed:
        out.append("<h3>Remediation results</h3>")
        out.append(_html_table(
            [("Action", ""), ("On router", ""), ("Command", ""), ("Result", ""), ("Verified", ""), ("Message", "")],
            [[h(p.get("action")), h(p.get("host") or router["host"]), "<code>%s</code>" % h(p.get("command")),
              '<span class="pill %s">%s</span>' % (
                  "sev-error" if _action_failed(p) else "s-compliant" if _action_ran(p) else "waived", h(p.get("result"))),
              h(p.get("verified")), h(p.get("message") or "")] for p in performed]))

    evidence = [t for t in tunnels if t.get("evidence")]
    if evidence:
        out.append("<h3>Configuration evidence</h3>")
        for t in evidence:
            lines = t["evidence"] if isinstance(t["evidence"], list) else [t["evidence"]]
            out.append("<pre>%s</pre>" % h("\n".join(clean_text(e) for e in lines)))
    unparsed = a.get("unparsed") or []
    if unparsed:
        out.append('<p class="muted">%d line(s) of device output were not understood (see report.json).</p>'
                   % len(unparsed))
    if router.get("problems"):
        out.append('<p class="muted">Report notes: %s</p>' % h("; ".join(router["problems"])))
    out.append("</div></details>")
    return "".join(out)


def render_html(report: Mapping[str, Any]) -> str:
    """report.html: one self-contained page (inline CSS, SVG and JS; nothing fetched)."""
    summary = report["summary"]
    meta = report.get("meta") or {}
    routers = sorted(report["routers"], key=lambda r: (_STATUS_ORDER[r["status"]], natural_key(r["host"])))
    index_of = {id(r): i for i, r in enumerate(report["routers"])}
    title = clean_text(meta.get("title") or "IPsec invalid-SPI compliance report")
    script_hash = base64.b64encode(hashlib.sha256(_JS.encode("utf-8")).digest()).decode("ascii")
    csp = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-%s'; "
           "base-uri 'none'; form-action 'none'" % script_hash)

    cards = [
        ("Routers", summary["routers"], ""),
        ("Compliant", summary["compliant"], "ok"),
        ("Non-compliant", summary["non_compliant"], "bad" if summary["non_compliant"] else ""),
        ("Not assessed", summary["unreachable"], "na" if summary["unreachable"] else ""),
        ("Confirmed desyncs", summary["confirmed_desyncs"], "bad" if summary["confirmed_desyncs"] else ""),
        ("Planned actions", summary["planned_actions"], "warn" if summary["planned_actions"] else ""),
        ("Performed actions", summary["performed_actions"], "bad" if summary["failed_actions"] else ""),
        ("Invalid-SPI drops", _fmt_int(summary["invalid_spi_packets"]), ""),
    ]
    out = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
           '<meta http-equiv="Content-Security-Policy" content="%s">' % csp,
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           '<meta name="generator" content="netops.ipsec_spi report v%d">' % report["schema_version"],
           "<title>%s</title><style>%s</style></head><body>" % (h(title), _CSS)]
    out.append('<header class="top"><h1>%s</h1><p>Generated %s \u00b7 netops.ipsec_spi%s</p></header><main>' % (
        h(title), h(report["generated_at"]),
        h(" %s" % meta["collection_version"]) if meta.get("collection_version") else ""))
    banner_detail = ("Planned commands below were not sent." if report["mode"] == MODE_DRY_RUN
                     else "The actions listed under each router were carried out and verified where possible.")
    out.append('<div class="banner %s" role="status" id="mode-banner">%s<small>%s</small></div>'
               % (h(report["mode"]), h(_mode_banner(report)), h(banner_detail)))
    out.append('<div class="cards">%s</div>' % "".join(
        '<div class="card %s"><div class="n">%s</div><div class="l">%s</div></div>' % (cls, h(n), h(label))
        for label, n, cls in cards))

    # Router table.
    cols = [("Router", "text", ""), ("Status", "num", ""), ("Platform", "text", ""), ("Tunnels", "num", "num"),
            ("Desyncs", "num", "num"), ("Errors", "num", "num"), ("Warnings", "num", "num"),
            ("Drops", "num", "num"), ("Planned", "num", "num"), ("Performed", "num", "num")]
    head = "".join('<th scope="col" data-type="%s" aria-sort="none" class="%s"><button type="button">%s</button></th>'
                   % (t, cls, h(name)) for name, t, cls in cols)
    rows = []
    for r in routers:
        c = r["counts"]
        drops = c["invalid_spi_packets"]
        cells = [
            ('<a href="#r-%d">%s</a>' % (index_of[id(r)], h(r["host"])), h(r["host"])),
            (_pill(r["status"]), str(_STATUS_ORDER[r["status"]])),
            (h(r["platform"]) or '<span class="muted">-</span>', h(r["platform"])),
            (str(c["tunnels"]), str(c["tunnels"])),
            (str(c["confirmed_desyncs"]), str(c["confirmed_desyncs"])),
            (str(c["errors"]), str(c["errors"])),
            (str(c["warnings"]), str(c["warnings"])),
            (h(_fmt_int(drops)), str(drops) if drops is not None else "-1"),
            (str(c["planned_actions"]), str(c["planned_actions"])),
            (str(c["performed_actions"]), str(c["performed_actions"])),
        ]
        rows.append('<tr data-host="%s">%s</tr>' % (h(r["host"]), "".join(
            '<td class="%s" data-sort="%s">%s</td>' % (cols[i][2], sort, shown)
            for i, (shown, sort) in enumerate(cells))))
    out.append('<section aria-labelledby="h-routers"><h2 id="h-routers">Routers</h2>'
               '<div class="toolbar"><input id="router-filter" type="search" placeholder="Filter routers by name" '
               'aria-label="Filter routers by name"><button type="button" id="expand-all">Expand all details</button>'
               '<button type="button" id="collapse-all">Collapse all</button>'
               '<span id="sort-status" class="muted" aria-live="polite"></span></div>'
               '<table id="router-table"><thead><tr>%s</tr></thead><tbody>%s</tbody></table></section>'
               % (head, "".join(rows)))

    timeline_rows = _timeline_rows(routers, with_host=True)
    out.append('<section aria-labelledby="h-timeline"><h2 id="h-timeline">INV_SPI messages per flow</h2>'
               '<p class="muted">Each row is one flow (sender \u2192 receiver, SPI); each dot one '
               '%%CRYPTO-4-RECVD_PKT_INV_SPI message (times in UTC). The message is rate-limited to one per '
               'minute, so a row of dots spanning minutes is a persistent desync.</p>%s</section>'
               % svg_timeline(timeline_rows, label="Timeline of INV_SPI messages per flow, fleet-wide"))
    out.append('<section aria-labelledby="h-drops"><h2 id="h-drops">Invalid-SPI drop counters</h2>'
               '<p class="muted">QFP invalid-SPI drops per router (IN_*_NOT_FOUND_SPI, else IpsecInput), as read '
               'during the assessment.</p>%s</section>' % svg_drops(routers))

    out.append('<section aria-labelledby="h-details"><h2 id="h-details">Router details</h2>')
    for r in routers:
        out.append(_html_router(r, index_of[id(r)], report["mode"]))
    out.append("</section>")
    out.append('<footer>netops.ipsec_spi fleet report \u00b7 schema v%d \u00b7 %s</footer></main>'
               % (report["schema_version"], h(report["generated_at"])))
    out.append("<script>%s</script></body></html>\n" % _JS)
    return "".join(out)


def render_all(report: Mapping[str, Any]) -> Dict[str, str]:
    """All four files by name."""
    return {
        "report.json": render_json(report),
        "report.md": render_markdown(report),
        "report.html": render_html(report),
        "junit.xml": render_junit(report),
    }
