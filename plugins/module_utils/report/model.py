# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report dict: what report.json holds and every renderer reads.

``build_report`` turns the per-router assessments (docs/assessment.md) into one dict
(docs/schemas/report-v1.schema.json): one entry per router (report.router), the fleet's
actions, run mode and summary. The renderers only read that dict, so every output tells the
same story. This module knows no output format.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.codes import (
    SEVERITIES,
    STATUS_COMPLIANT,
    STATUS_NON_COMPLIANT,
    STATUS_NOT_ASSESSED,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.pairs import (
    commands_by_router,
    count_pairs,
    fleet_pairs,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.recurrence import HistoryInputError, recurring_section
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.router import (
    KIND_FAILED,
    KIND_UNREACHABLE,
    action_failed,
    action_ran,
    router_entry,
    router_findings,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.sanitize import jsonable, masked_message
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.values import natural_key, now_iso

REPORT_SCHEMA_VERSION = 1

MODE_DRY_RUN = "dry_run"
MODE_APPLIED = "applied"
MODES = ("auto", MODE_DRY_RUN, MODE_APPLIED)

LEFT_PLAY_REASON = "no assessment: the host failed or was unreachable earlier in the run"


class ReportError(ValueError):
    """Input build_report cannot accept at all (the message names what and where)."""


# --------------------------------------------------------------------------- the fleet

def _reason(value: Any) -> Optional[Tuple[str, str]]:
    """(kind, message) of a reason as given, or None when it gives none.

    A reason is a mapping like an assessment's error (``kind``, ``message``), a failed task result
    (only its ``msg`` is used, results carry output; ``unreachable: true`` makes it unreachable), or
    a plain message, whose kind is ``failed``: the text is not read for words like "unreachable".
    """
    if isinstance(value, Mapping):
        msg = value.get("message") or value.get("msg")
        if value.get("kind"):
            return str(value["kind"]), masked_message(msg or "no message")
        if not msg:
            return None
        if value.get("unreachable"):
            return KIND_UNREACHABLE, masked_message("unreachable: %s" % msg)
        return KIND_FAILED, masked_message(msg)
    if value is None or value == "":
        return None
    return KIND_FAILED, masked_message(value)


def _view(view: Any) -> Optional[Dict[str, Any]]:
    """The run's view of the fleet as the assessment gives it (assess.public_view), checked.

    ``not_assessed`` maps each inventory router this run did not assess to ``{kind, message}``; the
    report keeps it as a list like ``unassessed``, in host order.
    """
    if view is None:
        return None
    if not isinstance(view, Mapping):
        raise ReportError("view must be a mapping (the assessment's view), not %s" % type(view).__name__)
    missing = view.get("not_assessed") or {}
    if not isinstance(missing, Mapping):
        raise ReportError("view.not_assessed must be a mapping host -> {kind, message}, not %s"
                          % type(missing).__name__)
    rows = []
    for host in sorted((str(h) for h in missing), key=natural_key):
        reason = _reason(missing.get(host)) or (KIND_FAILED, "not assessed in this run")
        rows.append({"host": host, "kind": reason[0], "reason": reason[1]})
    counts = {}
    for key in ("inventory", "targeted", "assessed"):
        value = view.get(key)
        counts[key] = value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
    complete = view.get("complete")
    return dict(counts, complete=bool(complete) if isinstance(complete, bool) else not rows, not_assessed=rows)


def _checked_arguments(assessments: Any, mode: str, meta: Any, reasons: Any,
                       active_hosts: Any) -> Mapping[str, Any]:
    """ReportError naming the first argument of build_report that is wrong; the assessments keyed by host."""
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
    return assessments


def _actions(routers: List[Dict[str, Any]]) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    """(planned, performed) actions of every router, each naming its host."""
    planned: List[Dict[str, Any]] = []
    performed: List[Dict[str, Any]] = []
    for router in routers:
        assessment = router["assessment"] or {}
        for action in assessment.get("planned_actions") or []:
            planned.append(dict(action, host=action.get("host") or router["host"]))
        for action in assessment.get("performed_actions") or []:
            performed.append(dict(action, host=action.get("host") or router["host"]))
    return planned, performed


def _effective_mode(mode: str, performed: List[Dict[str, Any]]) -> Tuple[str, str]:
    """(mode, why): the report says applied only when the run was no dry run and changed something or was
    a real remediation run with nothing to change."""
    ran = sum(1 for a in performed if action_ran(a))
    if mode == MODE_DRY_RUN:
        return MODE_DRY_RUN, "check mode"
    if ran:
        return MODE_APPLIED, "%d action(s) performed" % ran
    if mode == MODE_APPLIED:
        # A real remediation run that found nothing to do: it was not a dry run, it had nothing to change.
        return MODE_APPLIED, "nothing to change"
    return MODE_DRY_RUN, "no action was performed"


def build_report(assessments: Any, mode: Optional[str] = "auto", meta: Optional[Mapping[str, Any]] = None,
                 reasons: Optional[Mapping[str, Any]] = None, generated_at: Optional[str] = None,
                 active_hosts: Optional[Iterable[str]] = None, view: Any = None,
                 history: Any = None) -> Dict[str, Any]:
    """Build the fleet report dict (the content of report.json).

    ``assessments`` maps an inventory host to its ``ipsec_spi_assessment``, or to
    None / {} when the host has none (unreachable, failed earlier). A list of
    assessments is accepted too (keyed by their ``host``). ``mode`` is
    ``dry_run`` (check mode: forced), ``applied`` or ``auto``: the report says
    applied only when some router has performed actions. ``reasons`` maps a
    host without an assessment to why (see ``_reason``). A host left out of
    ``active_hosts`` (the play's remaining hosts) without an assessment or a
    reason is reported as failed earlier in the run. ``meta`` is free-form run
    information (title, playbook, user, collection version) copied into the report.
    ``view`` is the assessment's view of the fleet (``assess.public_view``: ``complete``, counts and
    ``not_assessed``), which names the routers a partial run did not see at all (docs/report.md).
    ``history`` is what the history store says (report.recurrence.recurring_section; None: no store was
    read), rendered first in every format as "Recurring pairs".
    """
    mode = "auto" if mode is None else mode
    assessments = _checked_arguments(assessments, mode, meta, reasons, active_hosts)
    reasons = reasons or {}
    seen = _view(view)
    try:
        recurring = recurring_section(history)
    except HistoryInputError as exc:
        raise ReportError(str(exc)) from None
    active = None if active_hosts is None else {str(a) for a in active_hosts}

    routers = []
    for host in sorted((str(h) for h in assessments), key=natural_key):
        reason = _reason(reasons.get(host))
        if reason is None and active is not None and host not in active:
            # Ansible drops failed and unreachable hosts alike from the play: which one is not known.
            reason = (KIND_FAILED, LEFT_PLAY_REASON)
        routers.append(router_entry(host, assessments.get(host), reason))

    planned, performed = _actions(routers)
    effective, why = _effective_mode(mode, performed)

    pairs = fleet_pairs(routers)
    unassessed = [{"host": r["host"], "kind": r["error_kind"], "reason": r["reason"]}
                  for r in routers if not r["assessed"]]
    summary = _summary(routers, planned, performed)
    by_verdict = count_pairs(pairs)
    summary["pairs_by_verdict"] = by_verdict
    summary["black_holed_pairs"] = by_verdict["confirmed"] + by_verdict["unverified"]
    summary["stale_outbound_sas"] = sum(r["counts"]["stale_outbound_sas"] for r in routers)
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "generated_at": generated_at or now_iso(),
        "mode": effective,
        "mode_reason": why,
        "recurring": recurring,
        "meta": jsonable(dict(meta or {}), None),
        "summary": summary,
        "routers": routers,
        "actions": {"planned": planned, "performed": performed},
        "unassessed": unassessed,
        "pairs": pairs,
        "commands": commands_by_router(routers),
        "view": seen,
        "not_seen": _not_seen(unassessed, seen),
    }


def _not_seen(unassessed: Sequence[Mapping[str, Any]], seen: Optional[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """Every router of the inventory this run did not assess: the report's own and those of the view."""
    rows = {u["host"]: dict(u, targeted=True) for u in unassessed}
    for row in (seen or {}).get("not_assessed") or []:
        if row["host"] not in rows:
            rows[row["host"]] = dict(row, targeted=row["kind"] != "not_targeted")
    return [rows[h] for h in sorted(rows, key=natural_key)]


MAX_NAMED = 20


def run_failure(report: Mapping[str, Any], unassessed: bool = True, noncompliant: bool = False) -> str:
    """Why the run should fail after its report is written, or "" when it should not.

    ``unassessed``: a router this run targeted could not be assessed (a router a --limit run did not
    target is not counted). ``noncompliant``: a router is non-compliant (or not assessed). The message
    names the routers (at most MAX_NAMED of each) and their reasons.
    """
    parts = []
    missing = list(report.get("unassessed") or [])
    failing = [r["host"] for r in report.get("routers") or [] if r.get("status") == "non_compliant"]
    if (unassessed or noncompliant) and missing:
        named = "; ".join("%s (%s: %s)" % (u["host"], u["kind"], u["reason"]) for u in missing[:MAX_NAMED])
        more = " and %d more" % (len(missing) - MAX_NAMED) if len(missing) > MAX_NAMED else ""
        parts.append("%d router(s) could not be assessed: %s%s" % (len(missing), named, more))
    if noncompliant and failing:
        more = " and %d more" % (len(failing) - MAX_NAMED) if len(failing) > MAX_NAMED else ""
        parts.append("%d router(s) are non-compliant: %s%s" % (len(failing), ", ".join(failing[:MAX_NAMED]), more))
    return ". ".join(parts)


def _summary(routers: Sequence[Mapping[str, Any]], planned: Sequence[Mapping[str, Any]],
             performed: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
    """The report's fleet summary: codes.fleet_summary's spelling, more counts (docs/report.md)."""
    by_code: Dict[str, int] = {}
    by_code_waived: Dict[str, int] = {}
    by_severity = {s: 0 for s in SEVERITIES}
    not_assessed_by_kind: Dict[str, int] = {}
    drops_total = 0
    drops_known = 0
    for router in routers:
        for f in router_findings(router):
            code = str(f.get("code"))
            by_code[code] = by_code.get(code, 0) + 1
            if f.get("waived"):
                by_code_waived[code] = by_code_waived.get(code, 0) + 1
            else:
                by_severity[f["severity"]] += 1
        if not router["assessed"]:
            kind = router["error_kind"]
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
        "unreachable": sum(1 for r in routers if r["status"] == STATUS_NOT_ASSESSED),
        "not_assessed_by_kind": dict(sorted(not_assessed_by_kind.items())),
        "confirmed_desyncs": sum(r["counts"]["confirmed_desyncs"] for r in routers),
        "persistent_flows": sum(r["counts"]["persistent_flows"] for r in routers),
        "planned_actions": len(planned),
        "performed_actions": sum(1 for a in performed if action_ran(a)),
        "skipped_actions": sum(1 for a in performed if not action_ran(a)),
        "failed_actions": sum(1 for a in performed if action_failed(a)),
        "findings_by_code": dict(sorted(by_code.items())),
        "waived_by_code": dict(sorted(by_code_waived.items())),
        "findings_by_severity": by_severity,
        "waived_findings": sum(by_code_waived.values()),
        "invalid_spi_packets": drops_total if drops_known else None,
        "routers_with_drops": sum(1 for r in routers if (r["counts"]["invalid_spi_packets"] or 0) > 0),
    }
