"""The scenario's ground truth, in the shape docs/lab.md describes.

Per-router tunnel and knob expectations are derived from the scenario's tunnel list (kind and IKE version
decide recovery, domain.md section 3) unless the scenario states them; flows, desync verdicts and
remediation actions are taken as written in the scenario's `expect` block, with router names resolved to
addresses so a test can compare them with what the collection reports.
"""
from __future__ import annotations

from typing import Any, Dict, List

from .build import SUPPORTED_KINDS


def router_truth(spec: Any) -> Dict[str, Any]:
    tunnels = [t.ground_truth() for t in spec.tunnels]
    relevant = any(t.ike == "ikev1" and t.kind in SUPPORTED_KINDS for t in spec.tunnels)
    knob = {"present": spec.knob, "relevant": relevant, "needed": relevant and not spec.knob}
    knob.update((spec.expect or {}).get("knob") or {})
    uses = spec.uses
    dpd = {"ikev1": bool(uses["ikev1"] and spec.dpd["ikev1"]), "ikev2": bool(uses["ikev2"] and spec.dpd["ikev2"])}
    dpd_missing = [v for v in ("ikev1", "ikev2") if uses[v] and not spec.dpd[v]]
    return {"address": spec.addr, "platform": spec.platform, "qfp": bool(spec.plat["qfp"]),
            "version": spec.plat["version"], "tunnels": tunnels, "knob": knob, "dpd": dpd,
            "dpd_missing": dpd_missing}


def _addr(fleet: Any, value: Any) -> Any:
    if isinstance(value, str) and value in fleet.specs:
        return fleet.specs[value].addr
    return value


def ground_truth(fleet: Any) -> Dict[str, Any]:
    sc = fleet.scenario
    exp = sc.get("expect") or {}
    routers = {name: router_truth(spec) for name, spec in fleet.specs.items()}
    flows: List[Dict[str, Any]] = []
    for f in exp.get("flows") or []:
        item = dict(f)
        item["dst"] = _addr(fleet, f.get("dst", f["receiver"]))
        item["src"] = _addr(fleet, f["src"])
        flows.append(item)
    desync: List[Dict[str, Any]] = []
    for d in exp.get("desync") or []:
        item = dict(d)
        sender = d.get("sender")
        item["sender"] = sender if sender in fleet.specs else None
        item["sender_addr"] = _addr(fleet, d.get("sender_addr", sender))
        item["receiver_addr"] = _addr(fleet, d["receiver"])
        desync.append(item)
    actions: List[Dict[str, Any]] = []
    for a in exp.get("actions") or []:
        item = dict(a)
        if item.get("peer") is not None:
            item["peer"] = _addr(fleet, item["peer"])
        if item["action"] == "enable_knob":
            item.setdefault("command", "crypto isakmp invalid-spi-recovery")
        elif item["action"] == "clear_sa":
            item.setdefault("command", "clear crypto sa peer %s" % item["peer"])
        elif item["action"] == "clear_session":
            item.setdefault("command", "clear crypto session remote %s" % item["peer"])
        actions.append(item)
    return {"scenario": sc.get("name"), "routers": routers, "flows": flows, "desync": desync, "actions": actions}
