# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""After acting: what happened to each action, whether it worked, and what the cool-down remembers.

A clear is matched to its action by (scope, peer), never by the command text: the text depends on
options (``vrf``/``fvrf``) and on the module's version. The sa_clear module returns one result per
peer (``results: [{peer, command, ok|changed, ...}]``); a peer it was asked to clear but gave no entry
for was not cleared.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.commands import CLEAR_SCOPE_OF_ACTION
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, maybe_addr
from ansible_collections.netops.ipsec_spi.plugins.module_utils.desync import outbound_towards, sa_spis
from ansible_collections.netops.ipsec_spi.plugins.module_utils.remediate import CLEAR_ACTIONS, state_key

# Read again after a clear: the receiver's SAs and drop counters, the sender's SAs.
RECEIVER_READ = ["ipsec_sa", "qfp_drops", "qfp_ipsec_drops"]
SENDER_READ = ["ipsec_sa"]

Answer = Tuple[bool, str]


def _peer_ok(item: Mapping[str, Any]) -> bool:
    if item.get("ok") is not None:
        return bool(item["ok"])
    if item.get("failed") or item.get("sent") is False:
        return False
    return bool(item.get("changed", item.get("sent")))


def _task_results(result: Any) -> Iterable[Mapping[str, Any]]:
    """Each sa_clear invocation in a registered result: plain or looped (one per scope)."""
    if not isinstance(result, Mapping) or result.get("skipped"):
        return
    inner = result.get("results")
    if isinstance(inner, list) and inner and all(isinstance(i, Mapping) and "peer" not in i for i in inner):
        for item in inner:
            yield from _task_results(item)
        return
    yield result


def _asked(result: Mapping[str, Any]) -> Tuple[Optional[str], List[str]]:
    """(scope, peers) the task was given: from the loop item, else the module's invocation."""
    loop_item = result.get("item")
    item: Mapping[str, Any] = loop_item if isinstance(loop_item, Mapping) else {}
    args: Mapping[str, Any] = (result.get("invocation") or {}).get("module_args") or {}
    scope = result.get("scope") or item.get("scope") or args.get("scope")
    peers = item.get("peers") or args.get("peers") or []
    return (str(scope) if scope else None), [str(p) for p in peers if p is not None]


def _answers(clears: List[Any]) -> Tuple[Dict[Tuple[Optional[str], Optional[str]], Answer], str]:
    answers: Dict[Tuple[Optional[str], Optional[str]], Answer] = {}
    failure = "not sent"
    for result in clears:
        for task in _task_results(result):
            scope, asked = _asked(task)
            msg = str(task.get("msg") or "")
            if task.get("failed"):
                failure = msg or failure
            per_peer = [i for i in task.get("results") or [] if isinstance(i, Mapping) and "peer" in i]
            for item in per_peer:
                ok = _peer_ok(item)
                text = str(item.get("response") or item.get("msg") or ("cleared" if ok else msg or "not cleared"))
                answers[(scope, maybe_addr(str(item.get("peer"))))] = (ok, text)
            answered = {maybe_addr(str(i.get("peer"))) for i in per_peer}
            for peer in asked:
                addr = maybe_addr(peer)
                if addr not in answered:
                    # No answer for this peer is no evidence it was cleared, whatever the task's status.
                    answers[(scope, addr)] = (False, msg or "not attempted")
    return answers, failure


def outcomes(actions: List[Mapping[str, Any]], knob: Optional[Mapping[str, Any]],
             clears: List[Any], check_mode: bool) -> List[Dict[str, Any]]:
    """What happened to each action, from the registered module results.

    ``knob`` is the invalid_spi_recovery result; ``clears`` the sa_clear results (plain or looped).
    Nothing half-done is called done: a clear is ``done`` only when the router answered it without
    an error.
    """
    if isinstance(actions, (str, bytes, Mapping)):
        actions = [actions]
    for index, action in enumerate(actions, 1):
        if not isinstance(action, Mapping):
            raise ParseError("action %d is %s, not a dict" % (index, type(action).__name__))
    answers, failure = _answers(list(clears or []))
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
            peer = maybe_addr(str(item.get("peer")))
            scope = CLEAR_SCOPE_OF_ACTION.get(str(item.get("action")))
            answer = answers.get((scope, peer)) or answers.get((None, peer))
            if answer is not None and answer[0]:
                item.update(result="done", message=answer[1])
            else:
                item.update(result="failed", message=answer[1] if answer else failure)
        out.append(item)
    return out


def verify_reads(host: str, performed: Sequence[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """The routers to read after the clears, and what to read on each."""
    wanted: Dict[str, List[str]] = {}
    for action in performed:
        if action.get("action") not in CLEAR_ACTIONS or action.get("result") != "done":
            continue
        if action.get("receiver"):
            wanted[str(action["receiver"])] = RECEIVER_READ
        if action.get("action") == "clear_sa":
            wanted.setdefault(host, SENDER_READ)
    # Only a receiver's drop counters are polled twice (poll: the second read ipsec_spi_verify_poll_interval later).
    return [{"host": h, "gather": list(wanted[h]), "poll": wanted[h] is RECEIVER_READ} for h in sorted(wanted)]


def finish(todos: Mapping[str, Mapping[str, Any]], knobs: Mapping[str, Any], clears: Mapping[str, Any],
           check_mode: bool, hosts: Optional[Iterable[str]] = None) -> Dict[str, Dict[str, Any]]:
    """Per router: ``performed`` (each action's outcome), ``failed`` (what to fail it for) and
    ``verify`` (the reads after the clears; none in check mode)."""
    out: Dict[str, Dict[str, Any]] = {}
    for host in list(hosts) if hosts is not None else sorted(todos):
        current = todos.get(host)
        actions = list(current.get("actions") or []) if isinstance(current, Mapping) else []
        performed = outcomes(actions, (knobs or {}).get(host), [(clears or {}).get(host)], check_mode)
        out[host] = {
            "performed": performed,
            "failed": ["%s: %s" % (a.get("command"), a.get("message")) for a in performed if a.get("result") == "failed"],
            "verify": [] if check_mode else verify_reads(host, performed),
        }
    return out


def verify(actions: List[Mapping[str, Any]], fresh: Mapping[Any, Any],
           drop_rates: Optional[Mapping[Any, Any]] = None) -> List[Dict[str, Any]]:
    """After acting: does the pair agree again and have the drops stopped rising?"""
    drop_rates = drop_rates or {}
    out = []
    for action in actions:
        item = dict(action)
        if item.get("action") not in CLEAR_ACTIONS or item.get("result") != "done":
            out.append(item)
            continue
        inbound = set(sa_spis(fresh.get(item.get("receiver")) or [], None, "inbound"))
        notes = []
        ok = item.get("spi") not in sa_spis(fresh.get(item.get("host")) or [], None, "outbound") or item.get("spi") in inbound
        notes.append("old SPI gone from the sender" if ok else "the old SPI is still in use")
        if item.get("action") == "clear_sa":
            sender_out = set(outbound_towards(fresh.get(item.get("host")) or [], maybe_addr(item.get("receiver_addr"))))
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
    """The cool-down state with these clears added: only the ones actually sent and answered.

    Each entry also names the pair (receiver, sender address), so a run clearing the same black hole
    from its other end sees it.
    """
    new = dict(state) if isinstance(state, Mapping) else {}
    for action in performed:
        if action.get("action") in CLEAR_ACTIONS and action.get("result") == "done":
            new[state_key(action)] = {"time": now, "run_id": run_id, "spi": action.get("spi"),
                                      "command": action.get("command"), "receiver": action.get("receiver"),
                                      "sender_addr": action.get("sender_addr")}
    return new


def reread_hosts(host: str, performed: Sequence[Mapping[str, Any]],
                 assessment: Optional[Mapping[str, Any]] = None) -> List[str]:
    """The routers a real run reads again afterwards: this one when it acted, and every pair partner of
    it that the change touches (a clear's receiver, the sender an opted-in receiver clear names, and, since
    the knob changes how this router answers every sender, the senders of its desyncs). Half a pair read
    again beside half a pair from before would prove a desync that is gone. Skipped actions changed nothing."""
    acted = [a for a in performed or [] if isinstance(a, Mapping) and a.get("result") in ("done", "failed")]
    if not acted:
        return []
    out: List[str] = [host]
    names: List[Any] = []
    for action in acted:
        names += [action.get("receiver"), action.get("sender") if action.get("action") == "clear_session" else None]
    if isinstance(assessment, Mapping):
        names += [v.get("sender") for v in assessment.get("desync") or [] if isinstance(v, Mapping)]
    for name in names:
        if isinstance(name, str) and name and name not in out:
            out.append(name)
    return out
