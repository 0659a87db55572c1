# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deciding, re-verifying and verifying remediation actions (domain.md 4.4).

Clearing SAs is not idempotent and interrupts traffic, so every clear passes
four gates: it was planned by the assessment (confirmed or receiver-proven
persistent desync, never transient or foreign), clearing is allowed, the
peer is out of its cool-down and the run is under its clear budget, and the
desync still holds when re-read just before acting.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Set

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, maybe_addr

CLEAR_ACTIONS = ("clear_sa", "clear_session")


def state_key(action: Mapping[str, Any]) -> str:
    return "%s|%s" % (action.get("host"), action.get("peer"))


def _spis(sas: List[Mapping[str, Any]], peer: Optional[str], direction: str) -> Set[int]:
    out: Set[int] = set()
    for sa in sas or []:
        if peer is not None and maybe_addr(sa.get("peer")) != peer:
            continue
        out.update(sa.get(direction + "_spis") or ())
        if direction == "outbound" and sa.get("current_outbound_spi"):
            out.add(sa["current_outbound_spi"])
    return out


def plan(
    assessments: Mapping[str, Any],
    state: Optional[Mapping[str, Any]] = None,
    now: float = 0.0,
    allow_clear: bool = True,
    cooldown: float = 3600.0,
    max_clears: int = 10,
    run_id: str = "",
) -> Dict[str, List[Dict[str, Any]]]:
    """Every host's planned actions with a decision: ``run`` or ``skip`` and why.

    ``state`` maps ``host|peer`` to ``{time, run_id}`` of earlier clears; the
    budget counts clears already made by this ``run_id`` (earlier batches).
    """
    if not isinstance(assessments, Mapping):
        raise ParseError("assessments must be a mapping host -> ipsec_spi_assessment")
    state = state if isinstance(state, Mapping) else {}
    used = sum(1 for v in state.values() if isinstance(v, Mapping) and run_id and v.get("run_id") == run_id)
    out: Dict[str, List[Dict[str, Any]]] = {}
    for host in sorted(assessments):
        assessment = assessments[host]
        if not isinstance(assessment, Mapping) or not assessment.get("assessed"):
            out[host] = []
            continue
        decided = []
        for action in assessment.get("planned_actions") or []:
            item = dict(action, decision="run", skip_reason=None)
            if action.get("action") in CLEAR_ACTIONS:
                last = state.get(state_key(action))
                last_time = last.get("time") if isinstance(last, Mapping) else None
                if not allow_clear:
                    item.update(decision="skip", skip_reason="clearing is turned off (ipsec_spi_allow_clear: false)")
                elif isinstance(last_time, (int, float)) and now - last_time < cooldown and last.get("run_id") != run_id:
                    item.update(decision="skip", skip_reason="peer %s was cleared %ds ago; cool-down is %ds"
                                % (action.get("peer"), now - last_time, cooldown))
                elif isinstance(last_time, (int, float)) and last.get("run_id") == run_id:
                    item.update(decision="skip", skip_reason="already cleared in this run")
                elif used >= max_clears:
                    item.update(decision="skip", skip_reason="the run's limit of %d clears is reached" % max_clears)
                else:
                    used += 1
            decided.append(item)
        out[host] = decided
    return out


def reverify(actions: List[Mapping[str, Any]], fresh: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """Re-check each clear against SA tables read just now.

    ``fresh`` maps host -> ``ipsec_sas`` (list) read just before acting. A
    clear stays ``run`` only while the SPI is still absent from the receiver
    and, when the sender is ours, still among the sender's outbound SPIs.
    """
    out = []
    for action in actions:
        item = dict(action)
        if item.get("decision") != "run" or item.get("action") not in CLEAR_ACTIONS:
            out.append(item)
            continue
        spi = item.get("spi")
        receiver_sas = fresh.get(item.get("receiver"))
        evidence = []
        still = True
        if receiver_sas is None:
            still = False
            evidence.append("could not re-read the receiver %s" % item.get("receiver"))
        elif spi in _spis(receiver_sas, None, "inbound"):
            still = False
            evidence.append("the receiver %s now has SPI 0x%08X inbound" % (item.get("receiver"), spi))
        else:
            evidence.append("SPI 0x%08X still absent from %s's inbound SAs" % (spi, item.get("receiver")))
        if still and item.get("action") == "clear_sa":
            sender_sas = fresh.get(item.get("host"))
            if sender_sas is None:
                still = False
                evidence.append("could not re-read the sender %s" % item.get("host"))
            elif spi not in _spis(sender_sas, maybe_addr(item.get("receiver_addr")), "outbound"):
                still = False
                evidence.append("the sender %s no longer uses SPI 0x%08X" % (item.get("host"), spi))
            else:
                evidence.append("the sender %s still sends with SPI 0x%08X" % (item.get("host"), spi))
        item["reverified"] = still
        item["reverify_evidence"] = evidence
        if not still:
            item.update(decision="skip", skip_reason="no longer needed: " + "; ".join(evidence))
        out.append(item)
    return out


def outcomes(actions: List[Mapping[str, Any]], knob: Optional[Mapping[str, Any]],
             clears: List[Optional[Mapping[str, Any]]], check_mode: bool) -> List[Dict[str, Any]]:
    """What happened to each action, from the registered module results.

    ``knob`` is the invalid_spi_recovery result; ``clears`` the sa_clear
    results (per-peer ``results`` inside). Nothing half-done is called done:
    a clear is ``done`` only when the router answered it without an error.
    """
    sent: Dict[str, Mapping[str, Any]] = {}
    failure = "not sent"
    for result in clears:
        if not isinstance(result, Mapping) or result.get("skipped"):
            continue
        for item in result.get("results") or []:
            sent[item.get("command")] = item
        if result.get("failed"):
            failure = str(result.get("msg") or failure)
    out = []
    for action in actions:
        item = dict(action)
        if item.get("decision") != "run":
            item.update(result="skipped", message=item.get("skip_reason"))
        elif check_mode:
            item.update(result="would_run", message="check mode: not sent", verified=None)
        elif item.get("action") == "enable_knob":
            knob = knob or {}
            if knob.get("failed") or knob.get("skipped") or not knob:
                item.update(result="failed", message=str(knob.get("msg") or "the knob task did not run"))
            else:
                item.update(result="done", verified=bool(knob.get("after")),
                            message="configured" if knob.get("changed") else "already configured")
        else:
            answer = sent.get(item.get("command"))
            if answer is not None and answer.get("ok"):
                item.update(result="done", message=answer.get("response") or "cleared")
            else:
                item.update(result="failed", message=(answer or {}).get("response") or failure)
        out.append(item)
    return out


def verify(actions: List[Mapping[str, Any]], fresh: Mapping[str, Any], drop_rates: Optional[Mapping[str, Any]] = None) -> List[Dict[str, Any]]:
    """After acting: does the pair agree again and have the drops stopped rising?"""
    drop_rates = drop_rates or {}
    out = []
    for action in actions:
        item = dict(action)
        if item.get("action") not in CLEAR_ACTIONS or item.get("result") != "done":
            out.append(item)
            continue
        receiver_sas = fresh.get(item.get("receiver")) or []
        inbound = _spis(receiver_sas, None, "inbound")
        notes = []
        ok = item.get("spi") not in _spis(fresh.get(item.get("host")) or [], None, "outbound") or item.get("spi") in inbound
        notes.append("old SPI gone from the sender" if ok else "the old SPI is still in use")
        if item.get("action") == "clear_sa":
            sender_out = _spis(fresh.get(item.get("host")) or [], maybe_addr(item.get("receiver_addr")), "outbound")
            agree = bool(sender_out) and sender_out <= inbound
            notes.append("the pair's SPIs agree" if agree else "the sender's outbound SPIs are not all inbound on the receiver")
            ok = ok and agree
        rate = drop_rates.get(item.get("receiver"))
        others = item.get("receiver_other_flows") or []
        if isinstance(rate, Mapping) and rate.get("delta") and others:
            notes.append("invalid-SPI drops still rising on %s (+%s), which also gets INV_SPI from %s"
                         % (item.get("receiver"), rate.get("delta"), ", ".join(others)))
        elif isinstance(rate, Mapping) and rate.get("delta"):
            ok = False
            notes.append("invalid-SPI drops still rising on %s (+%s)" % (item.get("receiver"), rate.get("delta")))
        elif isinstance(rate, Mapping):
            notes.append("invalid-SPI drops no longer rising on %s" % item.get("receiver"))
        item["verified"] = ok
        item["verify_evidence"] = notes
        out.append(item)
    return out


def record(state: Optional[Mapping[str, Any]], performed: List[Mapping[str, Any]], now: float, run_id: str) -> Dict[str, Any]:
    """The cool-down state after this batch: the clears actually sent."""
    new = dict(state) if isinstance(state, Mapping) else {}
    for action in performed:
        if action.get("action") in CLEAR_ACTIONS and action.get("result") == "done":
            new[state_key(action)] = {"time": now, "run_id": run_id, "spi": action.get("spi"), "command": action.get("command")}
    return new
