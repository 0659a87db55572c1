# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deciding and re-verifying remediation actions, and the to-do the role reads (docs/domain.md 4.4).

Clearing SAs is not idempotent and interrupts traffic, so every clear passes
four gates: it was planned by the assessment (confirmed or receiver-proven
persistent desync, never transient or foreign), clearing is allowed, the
peer is out of its cool-down and the run is under its clear budget, and the
desync still holds when re-read just before acting. The cool-down is checked
twice: at the plan, and again under the state lock just before the clear
(``claim``), since another run may have cleared the peer in between.

The role gets each router's to-do ready-made (``todo``): knob yes/no, the
peers per clear scope, the routers to re-read. What happened afterwards is in
``remediate_after`` (outcomes, verification, the state entries).
"""

from __future__ import annotations

import time
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.commands import CLEAR_SCOPE_OF_ACTION
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, maybe_addr, spi_hex
from ansible_collections.netops.ipsec_spi.plugins.module_utils.desync import (
    CONFIRMED,
    RESOLVED,
    judge,
    outbound_towards,
    sa_spis,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.state import validate

CLEAR_ACTIONS = ("clear_sa", "clear_session")


def state_key(action: Mapping[str, Any]) -> str:
    return "%s|%s" % (action.get("host"), action.get("peer"))


def _pair(entry: Mapping[str, Any]) -> Optional[Tuple[str, str]]:
    """The black hole a clear ends: (receiver, sender address), whichever end it was cleared from."""
    receiver, sender = entry.get("receiver"), maybe_addr(entry.get("sender_addr"))
    return (str(receiver), sender) if receiver and sender else None


class Cooldowns:
    """Earlier clears from the (validated) state, asked per action: may it be cleared now?"""

    def __init__(self, state: Mapping[str, Mapping[str, Any]], now: float, cooldown: float, run_id: str) -> None:
        self.state, self.now, self.cooldown, self.run_id = state, now, cooldown, run_id
        self.pairs: Dict[Tuple[str, str], Tuple[str, Mapping[str, Any]]] = {}
        for key, entry in state.items():
            pair = _pair(entry)
            if pair and (pair not in self.pairs or entry["time"] > self.pairs[pair][1]["time"]):
                self.pairs[pair] = (key, entry)

    def reason(self, action: Mapping[str, Any]) -> Optional[str]:
        """Why this clear must wait, or None."""
        key = state_key(action)
        found = [(key, self.state[key])] if key in self.state else []
        pair = _pair(action)
        if pair in self.pairs and self.pairs[pair][0] != key:
            found.append(self.pairs[pair])
        for where, entry in found:
            by = entry.get("run_id") or ""
            if self.run_id and by == self.run_id:
                return "already cleared in this run"
            age = self.now - entry["time"]
            if age < self.cooldown:
                what = "peer %s" % action.get("peer") if where == key else (
                    "the same pair (%s, from %s)" % (where.split("|", 1)[1], where.split("|", 1)[0]))
                return "%s was cleared %ds ago by another run (%s); cool-down is %ds" % (
                    what, max(age, 0), by or "unnamed", self.cooldown)
        return None


def cooldown_reason(state: Mapping[str, Any], action: Mapping[str, Any], now: float, cooldown: float,
                    run_id: str = "") -> Optional[str]:
    """Why ``action`` must wait for its cool-down (state as read from the file), or None."""
    return Cooldowns(validate(state, now, "state"), now, float(cooldown), run_id).reason(action)


def plan(
    assessments: Mapping[str, Any],
    state: Optional[Mapping[str, Any]] = None,
    now: Optional[float] = None,
    allow_clear: bool = True,
    cooldown: float = 3600.0,
    max_clears: int = 10,
    run_id: str = "",
) -> Dict[str, List[Dict[str, Any]]]:
    """Every host's planned actions with a decision: ``run`` or ``skip`` and why.

    ``state`` maps ``host|peer`` to ``{time, run_id}`` of earlier clears (refused when it cannot be
    trusted); the budget counts clears already made by this ``run_id`` (earlier batches).
    """
    if not isinstance(assessments, Mapping):
        raise ParseError("assessments must be a mapping host -> ipsec_spi_assessment")
    now = time.time() if now is None else float(now)
    checked = validate(state, now, "state")
    cool = Cooldowns(checked, now, float(cooldown), run_id)
    used = sum(1 for v in checked.values() if run_id and v.get("run_id") == run_id)
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
                waiting = cool.reason(action)
                if not allow_clear:
                    item.update(decision="skip", skip_reason="clearing is turned off (ipsec_spi_allow_clear: false)")
                elif waiting:
                    item.update(decision="skip", skip_reason=waiting)
                elif used >= max_clears:
                    item.update(decision="skip", skip_reason="the run's limit of %d clears is reached" % max_clears)
                else:
                    used += 1
            decided.append(item)
        out[host] = decided
    return out


def _unique(values: Iterable[Any]) -> List[Any]:
    out: List[Any] = []
    for value in values:
        if value is not None and value not in out:
            out.append(value)
    return out


def todo(host: str, actions: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
    """One router's to-do, ready for the role: nothing left to filter in YAML.

    ``clears`` is the loop of the clear task (one sa_clear per scope); ``reread`` the routers to read
    again just before clearing: each receiver, and the router itself when it is the sender.
    """
    run = [a for a in actions if a.get("decision") == "run"]
    clear_sa = _unique(a.get("peer") for a in run if a.get("action") == "clear_sa")
    clear_session = _unique(a.get("peer") for a in run if a.get("action") == "clear_session")
    reread = set(a.get("receiver") for a in run if a.get("action") in CLEAR_ACTIONS and a.get("receiver"))
    if clear_sa:
        reread.add(host)
    clears = [{"scope": CLEAR_SCOPE_OF_ACTION[name], "peers": peers}
              for name, peers in (("clear_sa", clear_sa), ("clear_session", clear_session)) if peers]
    return {
        "host": host,
        "knob": any(a.get("action") == "enable_knob" for a in run),
        "clear_sa": clear_sa,
        "clear_session": clear_session,
        "clears": clears,
        "reread": sorted(str(h) for h in reread),
        "actions": [dict(a) for a in actions],
    }


def todos(assessments: Mapping[str, Any], **plan_args: Any) -> Dict[str, Dict[str, Any]]:
    """The fleet's plan as one to-do per router (``plan``'s arguments)."""
    return {host: todo(host, actions) for host, actions in plan(assessments, **plan_args).items()}


# --------------------------------------------------------------------------------------------------
# Just before acting
# --------------------------------------------------------------------------------------------------

def _sas_of(result: Any) -> Optional[List[Mapping[str, Any]]]:
    if not isinstance(result, Mapping) or result.get("failed") or result.get("unreachable") or result.get("skipped"):
        return None
    facts = (result.get("ansible_facts") or {}).get("ipsec_spi")
    if not isinstance(facts, Mapping):
        return None
    sas = facts.get("ipsec_sas") or []
    return list(sas) if isinstance(sas, list) else None


def _items(readings: Mapping[str, Any]) -> Iterable[Tuple[str, Any]]:
    """(host, one spi_facts result) from host -> result, where a result may be a looped one."""
    for host, result in (readings or {}).items():
        if isinstance(result, Mapping) and isinstance(result.get("results"), list):
            for item in result["results"]:
                name = item.get("item") if isinstance(item, Mapping) else None
                if isinstance(name, Mapping):
                    name = name.get("host")
                if name:
                    yield str(name), item
        else:
            yield str(host), result


def fresh_sas(readings: Mapping[str, Any]) -> Dict[str, List[Mapping[str, Any]]]:
    """host -> ipsec_sas from registered spi_facts results (single or looped); unread hosts absent."""
    out: Dict[str, List[Mapping[str, Any]]] = {}
    for host, result in _items(readings):
        sas = _sas_of(result)
        if sas is not None:
            out[host] = sas
    return out


def drop_rates(readings: Mapping[str, Any]) -> Dict[str, Any]:
    """host -> the drop_rate spi_facts measured (two polls), where it did."""
    out: Dict[str, Any] = {}
    for host, result in _items(readings):
        if isinstance(result, Mapping):
            rate = ((result.get("ansible_facts") or {}).get("ipsec_spi") or {}).get("drop_rate")
            if rate is not None:
                out[host] = rate
    return out


def reverify(actions: List[Mapping[str, Any]], fresh: Mapping[Any, Any]) -> List[Dict[str, Any]]:
    """Re-check each clear against SA tables read just now (``desync.judge``, the assessment's rule).

    ``fresh`` maps host -> ``ipsec_sas`` read just before acting. A clear_sa stays ``run`` while the
    desync is still confirmed; a clear_session (sender not ours) while the receiver still lacks the SPI.
    """
    out = []
    for action in actions:
        item = dict(action)
        if item.get("decision") != "run" or item.get("action") not in CLEAR_ACTIONS:
            out.append(item)
            continue
        spi, receiver, host = item.get("spi"), item.get("receiver"), item.get("host")
        receiver_sas = fresh.get(receiver)
        evidence = []
        if not isinstance(spi, int):
            still = False
            evidence.append("the action names no SPI to re-check")
        elif receiver_sas is None:
            still = False
            evidence.append("could not re-read the receiver %s" % receiver)
        else:
            inbound = sa_spis(receiver_sas, None, "inbound")
            sender_out = None
            if spi in inbound:
                evidence.append("the receiver %s now has SPI %s inbound" % (receiver, spi_hex(spi)))
            else:
                evidence.append("SPI %s still absent from %s's inbound SAs" % (spi_hex(spi), receiver))
                if item.get("action") == "clear_sa":
                    sender_sas = fresh.get(host)
                    if sender_sas is None:
                        evidence.append("could not re-read the sender %s" % host)
                    else:
                        sender_out = outbound_towards(sender_sas, maybe_addr(item.get("receiver_addr")))
                        evidence.append("the sender %s %s SPI %s" % (
                            host, "still sends with" if spi in sender_out else "no longer uses", spi_hex(spi)))
            verdict = judge(spi, inbound, sender_out)
            # The sender of a clear_session is not ours: the receiver's lack of the SPI is the proof left.
            still = verdict == CONFIRMED if item.get("action") == "clear_sa" else verdict != RESOLVED
        item["reverified"] = still
        item["reverify_evidence"] = evidence
        if not still:
            item.update(decision="skip", skip_reason="no longer needed: " + "; ".join(evidence))
        out.append(item)
    return out


def claim(todos_by_host: Mapping[str, Mapping[str, Any]], readings: Mapping[str, Any], state: Mapping[str, Any],
          now: float, cooldown: float, run_id: str = "", hosts: Optional[Iterable[str]] = None,
          max_clears: Optional[int] = None) -> Dict[str, Dict[str, Any]]:
    """The batch's final to-dos, decided under the state lock just before the clears.

    ``readings`` maps each router to its registered re-read (spi_facts, looped over ``todo.reread``);
    ``state`` is the state as read under the lock. A clear still needed by the SA tables but made by
    another run since this run planned is skipped with that reason, and so is one past ``max_clears``
    counted again under the lock (job slices sharing a run id plan at the same time). Only ``hosts``
    (the routers still in the batch) are returned, default all.
    """
    if not isinstance(todos_by_host, Mapping):
        raise ParseError("todo must be a mapping host -> to-do, not %s" % type(todos_by_host).__name__)
    checked = validate(state, now, "state")
    cool = Cooldowns(checked, now, float(cooldown), run_id)
    used = sum(1 for v in checked.values() if run_id and v.get("run_id") == run_id)
    out: Dict[str, Dict[str, Any]] = {}
    for host in list(hosts) if hosts is not None else sorted(todos_by_host):
        current = todos_by_host.get(host)
        actions = list(current.get("actions") or []) if isinstance(current, Mapping) else []
        if any(a.get("decision") == "run" and a.get("action") in CLEAR_ACTIONS for a in actions):
            actions = reverify(actions, fresh_sas({host: (readings or {}).get(host)}))
        final = []
        for action in actions:
            if action.get("decision") == "run" and action.get("action") in CLEAR_ACTIONS:
                waiting = cool.reason(action)
                if waiting is None and max_clears is not None and used >= max_clears:
                    waiting = "the run's limit of %d clears is reached" % max_clears
                if waiting:
                    action = dict(action, decision="skip",
                                  skip_reason="%s; seen under the lock just before clearing" % waiting)
                else:
                    used += 1
            final.append(action)
        out[host] = todo(host, final)
    return out
