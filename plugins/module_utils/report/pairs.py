# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet's black-holed pairs: one row per (receiver, sender address, SPI) desync verdict.

What a reader wants first: which pair, since when, how sure, and what was (or will be) done about it.
Everything here is read from the router entries (report.router) that the report already holds; nothing
is re-judged. An action belongs to a pair when it names the pair's receiver and SPI (and, when it
says, the same sender address). A pair without a clear whose receiver gets invalid-spi-recovery for
the pair's tunnel is shown with that action, as the assessment's finding says.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.router import action_failed, action_ran
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.values import (
    int_or_none,
    natural_key,
    num_or_none,
)

PAIR_VERDICTS = ("confirmed", "unverified", "resolved")
_VERDICT_ORDER = {v: i for i, v in enumerate(PAIR_VERDICTS)}
KNOB_ACTIONS = ("enable_knob", "add_knob")
# How many lines of remediation evidence a pair keeps (the router details have the rest).
_MAX_EVIDENCE = 6


def _text(value: Any) -> Optional[str]:
    return None if value is None else str(value)


def _lines(value: Any) -> List[str]:
    if isinstance(value, list):
        return [str(v) for v in value if v is not None][:_MAX_EVIDENCE]
    return [str(value)] if value else []


def drops_state(drops: Any) -> Dict[str, Any]:
    """A router's invalid-SPI counter and whether it rose between the reads this run made.

    ``rising`` is True or False only when the run read the counters twice (``delta`` is set), else None:
    one read cannot tell a live black hole from an old total.
    """
    drops = drops if isinstance(drops, Mapping) else {}
    delta = int_or_none(drops.get("delta"))
    rate = num_or_none(drops.get("rate_pps"))
    if delta is not None:
        rising: Optional[bool] = delta > 0
    else:
        rising = None if rate is None else rate > 0
    return {"packets": int_or_none(drops.get("invalid_spi_packets")), "delta": delta, "rate_pps": rate,
            "rising": rising}


def _matches(action: Mapping[str, Any], receiver: str, sender_addr: Any, spi: Optional[int]) -> bool:
    if action.get("receiver") != receiver or spi is None or int_or_none(action.get("spi")) != spi:
        return False
    named = action.get("sender_addr")
    return named is None or str(named) == str(sender_addr)


def _planned(action: Mapping[str, Any], router_host: str) -> Dict[str, Any]:
    return {"host": _text(action.get("host") or router_host), "action": _text(action.get("action")),
            "command": _text(action.get("command")), "opt_in": _text(action.get("opt_in")),
            "reason": _text(action.get("reason"))}


def _performed(action: Mapping[str, Any], router_host: str) -> Dict[str, Any]:
    out = _planned(action, router_host)
    verified = action.get("verified")
    out.update({
        "result": _text(action.get("result")),
        "ran": action_ran(action),
        "failed": action_failed(action),
        "verified": verified if isinstance(verified, bool) else None,
        "message": _text(action.get("message") or action.get("skip_reason")),
        "evidence": _lines(action.get("verify_evidence") or action.get("reverify_evidence")),
    })
    return out


def _knob_helps(assessment: Mapping[str, Any], sender_addr: Any, spi: Optional[int]) -> bool:
    """The receiver's own finding for this flow names a tunnel that invalid-spi-recovery can help."""
    names = {str(f.get("tunnel")) for f in assessment.get("findings") or []
             if f.get("code") in ("SPI_DESYNC_CONFIRMED", "SPI_DESYNC_SUSPECTED") and f.get("tunnel")
             and int_or_none(f.get("spi")) == spi and str(f.get("subject")) == str(sender_addr)}
    return any(t.get("name") in names and t.get("recovery") == "supported" and t.get("ike_version") == "ikev1"
               for t in assessment.get("tunnels") or [])


def _flow_of(assessment: Mapping[str, Any], sender_addr: Any, spi: Optional[int]) -> Mapping[str, Any]:
    for flow in assessment.get("flows") or []:
        if str(flow.get("src")) == str(sender_addr) and int_or_none(flow.get("spi")) == spi:
            return flow
    return {}


def _why(verdict: Mapping[str, Any], status: str) -> Optional[str]:
    """Why a pair is not confirmed: the verdict's first evidence line says where the sender stands."""
    evidence = _lines(verdict.get("evidence"))
    if status == "unverified":
        return evidence[0] if evidence else "the sender's SAs were not read"
    if status == "resolved":
        return "; ".join(evidence) or None
    return None


def fleet_pairs(routers: Sequence[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """Every persistent desync verdict of the fleet with its flow, drops and actions (docs/report.md)."""
    actions = _actions_by_pair(routers)
    senders = {r["host"] for r in routers if r.get("assessed")}
    pairs: List[Dict[str, Any]] = []
    for router in routers:
        if not router.get("assessed"):
            continue
        a = router.get("assessment") or {}
        for verdict in a.get("desync") or []:
            pair = _pair(router["host"], a, verdict, actions, senders)
            if pair is not None:
                pairs.append(pair)
    pairs.sort(key=lambda p: (_VERDICT_ORDER[p["verdict"]], natural_key(p["receiver"]), p["sender_addr"] or "",
                              p["spi"] if p["spi"] is not None else -1))
    return pairs


def _actions_by_pair(routers: Sequence[Mapping[str, Any]]) -> Dict[tuple, List[tuple]]:
    """Every planned and performed action that names a receiver: {(receiver, SPI): [(kind, host, action)]}."""
    # By (receiver, SPI): a large fleet has thousands of actions and hundreds of pairs.
    actions: Dict[tuple, List[tuple]] = {}
    for router in routers:
        a = router.get("assessment") or {}
        for kind, key in (("planned", "planned_actions"), ("performed", "performed_actions")):
            for action in a.get(key) or []:
                if action.get("receiver") is not None:
                    actions.setdefault((action.get("receiver"), int_or_none(action.get("spi"))), []).append(
                        (kind, router["host"], action))
    return actions


def _pair(receiver: str, a: Mapping[str, Any], verdict: Mapping[str, Any], actions: Mapping[tuple, List[tuple]],
          senders: Set[str]) -> Optional[Dict[str, Any]]:
    """The pair row of one desync verdict of ``receiver``, or None when it is no black-holed pair."""
    status = str(verdict.get("verdict") or "")
    if status not in PAIR_VERDICTS:
        return None
    sender_addr = verdict.get("sender_addr")
    spi = int_or_none(verdict.get("spi"))
    flow = _flow_of(a, sender_addr, spi)
    # A verdict exists for every flow; only a persistent one is a black hole (a single message is a
    # rekey race, a foreign sender a scan).
    if (verdict.get("status") or flow.get("status") or "persistent") != "persistent":
        return None
    sender = verdict.get("sender") or (verdict.get("sender_hint") if status == "unverified" else None)
    planned, performed, knob = _pair_actions(receiver, a, sender_addr, spi, status, actions)
    return {
        "receiver": receiver,
        "receiver_addr": _text(verdict.get("receiver_addr")),
        "sender": _text(sender),
        "sender_addr": _text(sender_addr),
        # The sender's own row of the report, when this run read it (it carries STALE_OUTBOUND_SA).
        "sender_assessed": sender in senders if sender else False,
        "sender_status": _text(verdict.get("sender_status")) if status == "unverified" else None,
        "spi": spi,
        "spi_hex": _text(verdict.get("spi_hex") or flow.get("spi_hex")),
        "verdict": status,
        "why": _why(verdict, status),
        "first_seen": _text(flow.get("first_seen")),
        "last_seen": _text(flow.get("last_seen")),
        "span_seconds": num_or_none(flow.get("span_seconds")),
        "messages": int_or_none(flow.get("count")),
        "receiver_drops": drops_state(a.get("drops")),
        "knob_remedy": knob,
        "planned": planned,
        "performed": performed,
    }


def _pair_actions(receiver: str, a: Mapping[str, Any], sender_addr: Any, spi: Optional[int], status: str,
                  actions: Mapping[tuple, List[tuple]]) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]], bool]:
    """The pair's planned and performed actions, and whether they are the receiver's invalid-spi-recovery knob.

    The knob is the pair's remedy when no action names the pair, it is not resolved, and the receiver's
    own finding says the knob helps its tunnel.
    """
    candidates = actions.get((receiver, spi), [])
    planned = [_planned(act, host) for kind, host, act in candidates
               if kind == "planned" and _matches(act, receiver, sender_addr, spi)]
    performed = [_performed(act, host) for kind, host, act in candidates
                 if kind == "performed" and _matches(act, receiver, sender_addr, spi)]
    knob = not planned and not performed and status != "resolved" and _knob_helps(a, sender_addr, spi)
    if knob:
        planned = [_planned(act, receiver) for act in a.get("planned_actions") or []
                   if act.get("action") in KNOB_ACTIONS]
        performed = [_performed(act, receiver) for act in a.get("performed_actions") or []
                     if act.get("action") in KNOB_ACTIONS]
    return planned, performed, knob


def commands_by_router(routers: Sequence[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """The commands planned or sent per router (the router a command runs on), in host order."""
    out: Dict[str, Dict[str, Any]] = {}

    def add(host: Any, item: Dict[str, Any]) -> None:
        entry = out.setdefault(str(host), {"host": str(host), "commands": []})
        entry["commands"].append(item)

    for router in routers:
        a = router.get("assessment") or {}
        performed = list(a.get("performed_actions") or [])
        # A performed entry is the planned action plus its outcome: show each command once.
        done = {(p.get("host") or router["host"], p.get("command")) for p in performed}
        for action in a.get("planned_actions") or []:
            host = action.get("host") or router["host"]
            if (host, action.get("command")) not in done:
                add(host, dict(_planned(action, router["host"]), state="planned"))
        for action in performed:
            item = _performed(action, router["host"])
            item["state"] = "sent" if item["ran"] else "not sent"
            add(action.get("host") or router["host"], item)
    return [out[h] for h in sorted(out, key=natural_key)]


def stale_outbound(assessment: Mapping[str, Any]) -> List[Mapping[str, Any]]:
    """The router's STALE_OUTBOUND_SA findings: it is the sender of a confirmed desync."""
    return [f for f in assessment.get("findings") or [] if f.get("code") == "STALE_OUTBOUND_SA"]


def count_pairs(pairs: Iterable[Mapping[str, Any]]) -> Dict[str, int]:
    counts = {v: 0 for v in PAIR_VERDICTS}
    for pair in pairs:
        counts[pair["verdict"]] += 1
    return counts
