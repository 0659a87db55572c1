# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report's "Recurring pairs" section: what the history store says (docs/recurrence.md).

``recurring_section`` turns the optional ``history`` input (history.recurring findings, per-pair
timelines, hints.recurring_hints, the debug plans and history.trend) into report["recurring"];
every format renders it first. Without a history the section says no history store was read.
The input comes from a database through the caller: each value is checked or dropped here,
and the rest goes through sanitize.jsonable like every other report value.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import is_host_name, plain_addr
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.sanitize import jsonable
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.values import int_or_none, natural_key, num_or_none

NO_STORE = "no history store was read in this run: recurring pairs and the trend need it (docs/recurrence.md)"
MAX_PAIRS = 200
MAX_TIMELINE = 500
MAX_DAYS = 400
_TREND_KEYS = ("found", "fixed", "recurring", "clears")


class HistoryInputError(ValueError):
    """A history input the report cannot use (the message names the field)."""


def pair_key(receiver: str, sender_addr: str) -> str:
    return "%s|%s" % (receiver, sender_addr)


def _pair(item: Any, index: int) -> Dict[str, Any]:
    where = "history.findings[%d]" % index
    if not isinstance(item, Mapping) or item.get("code") != "RECURRING_DESYNC":
        raise HistoryInputError("%s must be a RECURRING_DESYNC finding (history.recurring)" % where)
    receiver, sender_addr = item.get("receiver"), plain_addr(item.get("sender_addr"))
    if not is_host_name(receiver) or sender_addr is None:
        raise HistoryInputError("%s: receiver must be an inventory host and sender_addr an IP address" % where)
    episodes = int_or_none(item.get("episodes"))
    if episodes is None or episodes < 1:
        raise HistoryInputError("%s: episodes must be a positive integer, not %r" % (where, item.get("episodes")))
    return {
        "receiver": receiver, "sender_addr": sender_addr,
        "sender": item.get("sender") if is_host_name(item.get("sender")) else None,
        "tunnel": item.get("tunnel") if isinstance(item.get("tunnel"), str) else None,
        "severity": item.get("severity") if item.get("severity") in ("error", "warning", "info") else "error",
        "waived": bool(item.get("waived")),
        "episodes": episodes, "masked": int_or_none(item.get("masked")) or 0,
        "mttr_seconds": num_or_none(item.get("mttr_seconds")),
        "first_epoch": num_or_none(item.get("first_epoch")), "last_epoch": num_or_none(item.get("last_epoch")),
        "window_days": num_or_none(item.get("window_days")), "message": item.get("message"),
        "black_holes": jsonable(list(item.get("black_holes") or [])[-MAX_TIMELINE:], None),
    }


def _trend(rows: Any) -> List[Dict[str, Any]]:
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise HistoryInputError("history.trend must be a list of per-day rows (history.trend)")
    out = []
    for index, row in enumerate(rows[-MAX_DAYS:]):
        if not isinstance(row, Mapping) or not isinstance(row.get("day"), str):
            raise HistoryInputError("history.trend[%d] must be a mapping with a day" % index)
        counts = {k: int_or_none(row.get(k)) for k in _TREND_KEYS}
        if any(v is None or v < 0 for v in counts.values()):
            raise HistoryInputError("history.trend[%d]: %s must be integers >= 0" % (index, ", ".join(_TREND_KEYS)))
        out.append(dict(day=row["day"][:10], **counts))
    return out


def recurring_section(history: Any) -> Dict[str, Any]:
    """report["recurring"]: ``{store_read, note, settings, pairs: [...], trend: [...]}``.

    ``history``: None (no store was read), or ``{findings, timelines: {receiver|sender_addr: [...]},
    hints: {receiver|sender_addr: {hints, unavailable}}, debug_plans: {receiver|sender_addr: plan},
    trend: [...], settings: {...}}``.
    """
    if history is None:
        return {"store_read": False, "note": NO_STORE, "settings": {}, "pairs": [], "more_pairs": 0, "trend": []}
    if not isinstance(history, Mapping):
        raise HistoryInputError("history must be a mapping (findings, timelines, hints, trend), not %s"
                                % type(history).__name__)
    findings = history.get("findings")
    findings = [] if findings is None else findings
    if not isinstance(findings, list):
        raise HistoryInputError("history.findings must be a list of RECURRING_DESYNC findings")
    maps = {}
    for name in ("timelines", "hints", "debug_plans"):
        value = history.get(name)
        value = {} if value is None else value
        if not isinstance(value, Mapping):
            raise HistoryInputError("history.%s must be a mapping receiver|sender_addr -> value" % name)
        maps[name] = value
    pairs = [_pair(item, i) for i, item in enumerate(findings)]
    pairs.sort(key=lambda p: (-p["episodes"], natural_key(p["receiver"]), p["sender_addr"]))
    for p in pairs[:MAX_PAIRS]:
        key = pair_key(p["receiver"], p["sender_addr"])
        timeline = maps["timelines"].get(key) or []
        p["timeline"] = jsonable(list(timeline)[-MAX_TIMELINE:] if isinstance(timeline, list) else [], None)
        found = maps["hints"].get(key) or {}
        p["hints"] = jsonable(list(found.get("hints") or []) if isinstance(found, Mapping) else [], None)
        p["hints_unavailable"] = jsonable(list(found.get("unavailable") or []) if isinstance(found, Mapping) else [],
                                          None)
        plan = maps["debug_plans"].get(key)
        p["debug_plan"] = jsonable(dict(plan), None) if isinstance(plan, Mapping) else None
    settings: Mapping[str, Any] = history["settings"] if isinstance(history.get("settings"), Mapping) else {}
    return {"store_read": True, "note": None, "settings": jsonable(dict(settings), None), "pairs": pairs[:MAX_PAIRS],
            "more_pairs": max(0, len(pairs) - MAX_PAIRS), "trend": _trend(history.get("trend"))}


def hint_lines(pair: Mapping[str, Any]) -> List[str]:
    """Each hint as one line for the text formats (hints are evidence, never a verdict)."""
    return ["%s (%s): %s" % (h.get("hint"), h.get("end"), h.get("message")) for h in pair.get("hints") or []
            if isinstance(h, Mapping)]


def timeline_line(item: Mapping[str, Any]) -> str:
    """One timeline entry as text: an episode or an action with its outcome."""
    if item.get("kind") == "episode":
        fixed = " - fixed (verified)" if item.get("fixed_epoch") is not None else ""
        return "%s INV_SPI SPI %s, %s messages, %s%s" % (item.get("time"), item.get("spi_hex"), item.get("messages"),
                                                         item.get("verdict"), fixed)
    return "%s %s: %s -> %s" % (item.get("time"), item.get("action"), item.get("command"),
                                item.get("outcome") or "no outcome recorded")


def trend_peak(trend: List[Mapping[str, Any]]) -> int:
    return max([max(int(r[k]) for k in _TREND_KEYS[:3]) for r in trend] + [0])
