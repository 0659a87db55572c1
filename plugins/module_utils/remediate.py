# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deciding and re-verifying remediation actions, and the to-do the role reads (docs/domain.md 4.4).

Clearing SAs is not idempotent and interrupts traffic, so every clear passes
four gates: it was planned by the assessment (confirmed or receiver-proven
persistent desync, never transient or foreign), clearing is allowed, the
peer is out of its cool-down and the run is under its clear budget, and the
desync still holds when re-read just before acting. The cool-down is checked
twice: at the plan, and again in the store's claim transaction just before the
clear (``claim``, ``claim_in``), since another run may have cleared the peer in between.

The role gets each router's to-do ready-made (``todo``): knob yes/no, the
peers per clear scope, the routers to re-read. What happened afterwards is in
``remediate_after`` (outcomes, verification, the state entries).
"""

from __future__ import annotations

import time
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.commands import CLEAR_BUILDERS, CLEAR_SCOPE_OF_ACTION, KNOB_COMMAND
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import (
    ParseError,
    has_template_marks,
    is_host_name,
    maybe_addr,
    plain_addr,
    spi_hex,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.desync import (
    CONFIRMED,
    RESOLVED,
    judge,
    sa_spis,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.facts import invalid_spi_packets
from ansible_collections.netops.ipsec_spi.plugins.module_utils.store.entries import validate

CLEAR_ACTIONS = ("clear_sa", "clear_session")


ACTIONS = ("enable_knob",) + CLEAR_ACTIONS
SPI_MAX = 0xFFFFFFFF
# A plan is read on the controller that made it or on a slice of the same workflow: a clock a few minutes
# off is tolerated, a plan from the future is not (it would never grow old).
PLAN_SKEW = 300.0


def check_action(host: str, action: Any) -> Dict[str, Any]:
    """One planned action, refused unless every field is well formed and the fields belong together.

    Plans travel as files and artifacts that can be edited: nothing in one reaches a command or a
    decision unchecked. The command is built again from the checked peer, never taken as written.
    """
    where = "planned action of %s" % host
    if not isinstance(action, Mapping):
        raise ParseError("%s is %s, not a mapping" % (where, type(action).__name__))
    kind = action.get("action")
    if kind not in ACTIONS:
        raise ParseError("%s: action %r is none of %s" % (where, kind, ", ".join(ACTIONS)))
    if action.get("host") != host:
        raise ParseError("%s: it names host %r; an action runs on the router it is planned for" % (where, action.get("host")))
    if kind == "enable_knob":
        if action.get("command") != KNOB_COMMAND or action.get("peer") is not None:
            raise ParseError("%s: enable_knob is %r with no peer" % (where, KNOB_COMMAND))
        return dict(action)
    spi = action.get("spi")
    if not isinstance(spi, int) or isinstance(spi, bool) or not 0 < spi <= SPI_MAX:
        raise ParseError("%s: spi %r is not a 32-bit SPI" % (where, spi))
    for field in ("peer", "receiver_addr", "sender_addr"):
        if plain_addr(action.get(field)) != action.get(field):
            raise ParseError("%s: %s %r is not a plain address in canonical form" % (where, field, action.get(field)))
    receiver = action.get("receiver")
    if not is_host_name(receiver):
        raise ParseError("%s: receiver %r is not an inventory host name" % (where, receiver))
    if kind == "clear_sa" and (action["peer"] != action["receiver_addr"] or receiver == host):
        raise ParseError("%s: a clear_sa runs on the sender and names the receiver's address (peer %s, receiver %s at %s)"
                         % (where, action["peer"], receiver, action["receiver_addr"]))
    if kind == "clear_session" and (action["peer"] != action["sender_addr"] or receiver != host):
        raise ParseError("%s: a clear_session runs on the receiver and names the sender's address (peer %s, sender %s)"
                         % (where, action["peer"], action["sender_addr"]))
    sender = action.get("sender")
    if sender is not None and not is_host_name(sender):
        raise ParseError("%s: sender %r is not an inventory host name" % (where, sender))
    command = CLEAR_BUILDERS[CLEAR_SCOPE_OF_ACTION[kind]](action["peer"])
    if action.get("command") != command:
        raise ParseError("%s: command %r is not the one its fields give (%r)" % (where, action.get("command"), command))
    for field, value in action.items():
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(t, str) and has_template_marks(t) for t in texts):
            raise ParseError("%s: %s carries a template delimiter: refused" % (where, field))
    for field in ("last_epoch", "drops_at_plan", "count"):
        value = action.get(field)
        if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool)):
            raise ParseError("%s: %s %r is not a number" % (where, field, value))
    return dict(action)


def fleet_plan(plan: Any, hosts: Iterable[str], now: float, max_age: float) -> Dict[str, List[Dict[str, Any]]]:
    """This slice's part of the fleet plan (``netops.ipsec_spi.assess``'s ``ipsec_spi_plan``), checked.

    Refused whole when it is not one, too old, from the future, or any of its actions is malformed.
    """
    if not isinstance(plan, Mapping) or plan.get("schema_version") != 1 or not isinstance(plan.get("actions"), Mapping):
        raise ParseError("ipsec_spi_plan must be the fleet plan of netops.ipsec_spi.assess (schema_version 1, actions "
                         "per host)")
    assessed = _epoch(plan.get("assessed_at"))
    if assessed is None:
        raise ParseError("ipsec_spi_plan.assessed_at %r is not a time (ISO 8601 with its zone)" % (plan.get("assessed_at"),))
    if assessed > now + PLAN_SKEW:
        raise ParseError("ipsec_spi_plan was assessed at %s, %d s in the future: refused (a plan must come from an "
                         "assessment that already ran)" % (plan["assessed_at"], assessed - now))
    if now - assessed > max_age:
        raise ParseError("ipsec_spi_plan was assessed at %s, %d s ago; ipsec_spi_plan_max_age is %d s. Run the "
                         "assessment again." % (plan["assessed_at"], now - assessed, max_age))
    run_id = plan.get("run_id")
    if run_id not in (None, "") and not is_run_id(run_id):
        raise ParseError("ipsec_spi_plan.run_id %r is not a run id" % (run_id,))
    actions = plan["actions"]
    out: Dict[str, List[Dict[str, Any]]] = {}
    for host in hosts:
        listed = actions.get(host) or []
        if not isinstance(listed, list):
            raise ParseError("ipsec_spi_plan.actions[%r] must be a list" % host)
        out[host] = [check_action(host, action) for action in listed]
    return out


_RUN_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-")


def run_id(given: Any = "", job_id: Any = "", now: Optional[float] = None, token: Optional[int] = None) -> str:
    """The run's identity, one home: the id given (a plan's, an extra variable), else the AWX job's, else a
    new one unique to this run (``run-20261207T140000-3fa2c1``). A given id must be a plain run id: it is
    written to the state and shown in reports."""
    for value in (given, job_id):
        if value in (None, ""):
            continue
        if not is_run_id(value):
            raise ParseError("run id %r must be 1-64 letters, digits or _.:-" % (value,))
        return str(value)
    import random

    when = time.gmtime(time.time() if now is None else now)
    return "run-%s-%06x" % (time.strftime("%Y%m%dT%H%M%S", when), random.getrandbits(24) if token is None else token)


def is_run_id(value: Any) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool) and 0 < len(str(value)) <= 64 \
        and set(str(value)) <= _RUN_ID_CHARS


def _epoch(text: Any) -> Optional[float]:
    import datetime

    if not isinstance(text, str):
        return None
    try:
        when = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    return when.timestamp()


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
            if age < self.cooldown and entry.get("status") == "claimed":
                return ("%s was claimed %ds ago by another run (%s) that has not recorded the clear (still running, "
                        "or stopped between the clear and its record); it counts as cleared until its cool-down of "
                        "%ds ends" % ("peer %s" % action.get("peer") if where == key else "the same pair",
                                      max(age, 0), by or "unnamed", self.cooldown))
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
            item = dict(check_action(host, action), decision="run", skip_reason=None)
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
    # An opted-in receiver-side clear names the router the sender may be: read it too when it can be.
    reread.update(a.get("sender") for a in run if a.get("action") == "clear_session" and a.get("sender"))
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

def _facts_of(result: Any) -> Optional[Mapping[str, Any]]:
    if not isinstance(result, Mapping) or result.get("failed") or result.get("unreachable") or result.get("skipped"):
        return None
    facts = (result.get("ansible_facts") or {}).get("ipsec_spi")
    if not isinstance(facts, Mapping) or not isinstance(facts.get("ipsec_sas") or [], list):
        return None
    return facts


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


def fresh_facts(readings: Mapping[str, Any]) -> Dict[str, Mapping[str, Any]]:
    """host -> the ipsec_spi facts of registered spi_facts results (single or looped); unread hosts absent."""
    out: Dict[str, Mapping[str, Any]] = {}
    for host, result in _items(readings):
        facts = _facts_of(result)
        if facts is not None:
            out[host] = facts
    return out


def fresh_sas(readings: Mapping[str, Any]) -> Dict[str, List[Mapping[str, Any]]]:
    """host -> ipsec_sas from registered spi_facts results (single or looped); unread hosts absent."""
    return {host: list(facts.get("ipsec_sas") or []) for host, facts in fresh_facts(readings).items()}


def drop_rates(readings: Mapping[str, Any]) -> Dict[str, Any]:
    """host -> the drop_rate spi_facts measured (two polls), where it did."""
    out: Dict[str, Any] = {}
    for host, result in _items(readings):
        if isinstance(result, Mapping):
            rate = ((result.get("ansible_facts") or {}).get("ipsec_spi") or {}).get("drop_rate")
            if rate is not None:
                out[host] = rate
    return out


def _as_facts(value: Any) -> Optional[Mapping[str, Any]]:
    # An SA table alone (the older call) carries no log and no counters: enough for a clear_sa only.
    if isinstance(value, list):
        return {"ipsec_sas": value}
    return value if isinstance(value, Mapping) else None


def _owns(facts: Mapping[str, Any], addr: Optional[str]) -> bool:
    """The router shows ``addr`` as its own: an address of its config, an SA's local side, or the
    destination of the INV_SPI messages it logs."""
    if addr is None:
        return False
    own = {maybe_addr(str(a)) for a in facts.get("addresses") or []}
    own.update(maybe_addr(sa.get("local_addr")) for sa in facts.get("ipsec_sas") or [] if isinstance(sa, Mapping))
    own.update(maybe_addr(e.get("dst")) for e in facts.get("events") or [] if isinstance(e, Mapping))
    return addr in own


def _flow_events(facts: Mapping[str, Any], action: Mapping[str, Any]) -> List[Mapping[str, Any]]:
    src, dst, spi = maybe_addr(action.get("sender_addr")), maybe_addr(action.get("receiver_addr")), action.get("spi")
    return [e for e in facts.get("events") or [] if isinstance(e, Mapping) and e.get("spi") == spi
            and maybe_addr(e.get("src")) == src and maybe_addr(e.get("dst")) == dst]


def still_live(facts: Mapping[str, Any], action: Mapping[str, Any]) -> Tuple[bool, str]:
    """Fresh evidence that a receiver-side flow is still black-holing traffic since the plan read it:
    a later INV_SPI message of the flow, or the receiver's invalid-SPI drops still rising while this is
    its only live flow. A receiver merely lacking the SPI proves nothing (true of any unused SPI)."""
    events = _flow_events(facts, action)
    last = action.get("last_epoch")
    newer = [e for e in events if isinstance(e.get("epoch"), (int, float)) and isinstance(last, (int, float))
             and e["epoch"] > last]
    if newer:
        return True, "%d INV_SPI message(s) of the flow since the plan read it" % len(newer)
    if last is None and isinstance(action.get("count"), int) and len(events) > action["count"]:
        return True, "%d INV_SPI messages of the flow, %d when planned" % (len(events), action["count"])
    alone = not action.get("receiver_other_flows")
    before = action.get("drops_at_plan")
    after = invalid_spi_packets(facts.get("qfp_drops"), facts.get("qfp_ipsec_drops"))
    rate = facts.get("drop_rate") or {}
    if alone and isinstance(before, int) and isinstance(after, int) and after > before:
        return True, "invalid-SPI drops rose from %d to %d since the plan, and this is the receiver's only live flow" % (
            before, after)
    if alone and isinstance(rate.get("delta"), int) and rate["delta"] > 0:
        return True, "invalid-SPI drops rose by %d in %ss just now, and this is the receiver's only live flow" % (
            rate["delta"], rate.get("interval"))
    return False, ("no fresh evidence that the flow is still live: no INV_SPI message of it since the plan%s"
                   % ("" if alone else ", and the drop counters also count the receiver's other flows")
                   + ("" if not alone or isinstance(after, int) else ", and no drop counters to read"))


def reverify(actions: List[Mapping[str, Any]], fresh: Mapping[Any, Any]) -> List[Dict[str, Any]]:
    """Re-check each clear against what was read just now (``desync.judge``, the assessment's rule).

    ``fresh`` maps host -> its ipsec_spi facts read just before acting (or only its ``ipsec_sas``). A
    clear_sa stays ``run`` while the desync is still confirmed from both ends, with the sender still
    facing the receiver's address; a clear_session (the receiver's own) while the receiver still lacks the
    SPI and fresh evidence says the flow is live, and the sender, when it is a router of ours, still sends it.
    """
    out = []
    for action in actions:
        item = dict(action)
        if item.get("decision") != "run" or item.get("action") not in CLEAR_ACTIONS:
            out.append(item)
            continue
        still, evidence = _recheck(item, fresh)
        item["reverified"] = still
        item["reverify_evidence"] = evidence
        if not still:
            item.update(decision="skip", skip_reason="no longer needed: " + "; ".join(evidence))
        out.append(item)
    return out


def _recheck(item: Mapping[str, Any], fresh: Mapping[Any, Any]) -> Tuple[bool, List[str]]:
    spi, receiver, host = item.get("spi"), item.get("receiver"), item.get("host")
    receiver_addr = maybe_addr(item.get("receiver_addr"))
    if not isinstance(spi, int):
        return False, ["the action names no SPI to re-check"]
    r_facts = _as_facts(fresh.get(receiver))
    if r_facts is None:
        return False, ["could not re-read the receiver %s" % receiver]
    evidence: List[str] = []
    if item.get("action") == "clear_session" and not _owns(r_facts, receiver_addr):
        return False, ["the receiver %s shows no address %s: the action's fields do not belong together"
                       % (receiver, receiver_addr)]
    inbound = sa_spis(r_facts.get("ipsec_sas") or [], None, "inbound")
    if spi in inbound:
        return False, ["the receiver %s now has SPI %s inbound" % (receiver, spi_hex(spi))]
    evidence.append("SPI %s still absent from %s's inbound SAs" % (spi_hex(spi), receiver))
    sender = host if item.get("action") == "clear_sa" else item.get("sender")
    sender_out = None
    if sender:
        s_facts = _as_facts(fresh.get(sender))
        if s_facts is None:
            if item.get("action") == "clear_sa":
                return False, evidence + ["could not re-read the sender %s" % sender]
            evidence.append("could not re-read the sender %s (ipsec_spi_clear_unverified)" % sender)
        else:
            # Strict: an SA block facing exactly the receiver's address; a clear names that address as its peer.
            sender_out = [x for sa in s_facts.get("ipsec_sas") or [] if isinstance(sa, Mapping)
                          and maybe_addr(sa.get("peer")) == receiver_addr for x in sa_spis([sa], None, "outbound")]
            evidence.append("the sender %s %s SPI %s towards %s" % (
                sender, "still sends with" if spi in sender_out else "does not send with", spi_hex(spi), receiver_addr))
    verdict = judge(spi, inbound, sender_out)
    if item.get("action") == "clear_sa":
        return verdict == CONFIRMED, evidence
    if verdict == RESOLVED:
        return False, evidence
    live, why = still_live(r_facts, item)
    evidence.append(why)
    return live, evidence


def claim(todos_by_host: Mapping[str, Mapping[str, Any]], readings: Mapping[str, Any], state: Mapping[str, Any],
          now: float, cooldown: float, run_id: str = "", hosts: Optional[Iterable[str]] = None,
          max_clears: Optional[int] = None) -> Dict[str, Dict[str, Any]]:
    """The batch's final to-dos, decided in the store's claim transaction just before the clears.

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
            actions = reverify(actions, fresh_facts({host: (readings or {}).get(host)}))
        final = []
        for action in actions:
            if action.get("decision") == "run" and action.get("action") in CLEAR_ACTIONS:
                waiting = cool.reason(action)
                if waiting is None and max_clears is not None and used >= max_clears:
                    waiting = "the run's limit of %d clears is reached" % max_clears
                if waiting:
                    action = dict(action, decision="skip",
                                  skip_reason="%s; seen in the store just before clearing" % waiting)
                else:
                    used += 1
            final.append(action)
        out[host] = todo(host, final)
    return out


def claim_keys(todos_by_host: Mapping[str, Mapping[str, Any]], hosts: Iterable[str], run_id: str) -> List[str]:
    """What a claim must hold in the store: each pending clear's peer and pair, and the run (its budget)."""
    keys = ["run:%s" % run_id]
    for host in hosts:
        current = todos_by_host.get(host)
        for action in (current.get("actions") or []) if isinstance(current, Mapping) else []:
            if action.get("decision") == "run" and action.get("action") in CLEAR_ACTIONS:
                keys.append("peer:%s" % state_key(action))
                pair = _pair(action)
                if pair:
                    keys.append("pair:%s|%s" % pair)
    return keys


def claim_in(store: Any, todos_by_host: Mapping[str, Mapping[str, Any]], readings: Mapping[str, Any], cooldown: float,
             run_id: str = "", hosts: Optional[Iterable[str]] = None, max_clears: Optional[int] = None) -> Tuple[Dict[str, Dict[str, Any]], float]:
    """``claim`` in the store's transaction: the clears it keeps are claimed there before any is sent.

    Returns the final to-dos and the time the decision was made (taken once the store's lock is held).
    """
    if not isinstance(todos_by_host, Mapping):
        raise ParseError("todo must be a mapping host -> to-do, not %s" % type(todos_by_host).__name__)
    batch = list(hosts) if hosts is not None else sorted(todos_by_host)
    decided_at: List[float] = []

    def decide(entries: Dict[str, Dict[str, Any]], now: float) -> Tuple[Dict[str, Dict[str, Any]], List[Dict[str, Any]]]:
        decided_at.append(now)
        final = claim(todos_by_host, readings, entries, now, cooldown, run_id, hosts=batch, max_clears=max_clears)
        claims = [{"host": host, "peer": a.get("peer"), "action": a.get("action"), "receiver": a.get("receiver"),
                   "sender_addr": a.get("sender_addr"), "spi": a.get("spi"), "command": a.get("command")}
                  for host in batch for a in final[host]["actions"]
                  if a.get("decision") == "run" and a.get("action") in CLEAR_ACTIONS]
        return final, claims

    routers = set(batch)
    for host in batch:
        current = todos_by_host.get(host)
        if isinstance(current, Mapping):
            routers.update(str(a["receiver"]) for a in current.get("actions") or []
                           if isinstance(a, Mapping) and a.get("receiver"))
    final = store.claim(run_id, float(cooldown), claim_keys(todos_by_host, batch, run_id), decide, sorted(routers))
    return final, decided_at[-1]
