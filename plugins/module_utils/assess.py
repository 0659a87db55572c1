# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet assessment: findings, verdicts and planned actions per router.

Input is every router's ``ipsec_spi`` facts (facts.build_facts); output is
the ``ipsec_spi_assessment`` of each (docs/assessment.md). The whole fleet is
assessed at once because a desync is proven from both ends and the clear
usually runs on the other router (the sender).
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.codes import (
    BUG_FF,
    compile_waivers,
    finding,
    fleet_summary,
    settle,
    spi_top_byte_ff,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.commands import KNOB_COMMAND, clear_sa_command, clear_session_command
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, inert, maybe_addr, spi_hex
from ansible_collections.netops.ipsec_spi.plugins.module_utils.desync import CONFIRMED, RESOLVED, UNVERIFIED, check_host, spi_desync
from ansible_collections.netops.ipsec_spi.plugins.module_utils.facts import invalid_spi_packets

SCHEMA_VERSION = 1
MAX_EVENTS = 500
SCAN_SOURCES = 3
READY_STATES = ("QM_IDLE", "READY")


def _tunnel_for(tunnels: List[Mapping[str, Any]], src: str, sas: List[Mapping[str, Any]],
                dmvpn: List[Mapping[str, Any]]) -> Optional[Mapping[str, Any]]:
    """The receiver's tunnel that carries traffic from ``src``.

    Static kinds name the peer in config; dynamic kinds only show it in the
    SA table (interface / crypto map tag) or the DMVPN table.
    """
    for tunnel in tunnels:
        if src in (tunnel.get("peers") or []):
            return tunnel
    hints = set()
    for sa in sas:
        if maybe_addr(sa.get("peer")) == src:
            hints.add(sa.get("interface"))
            if sa.get("crypto_map_tag"):
                hints.add(("map", sa.get("crypto_map_tag")))
    for row in dmvpn:
        if maybe_addr(row.get("nbma")) == src:
            hints.add(row.get("interface"))
    for tunnel in tunnels:
        name = str(tunnel.get("name") or "")
        if ("map", name.split(" ", 1)[0]) in hints and tunnel.get("kind") == "dynamic_crypto_map":
            return tunnel
        if hints.intersection(tunnel.get("interfaces") or []) or name in hints:
            return tunnel
        if tunnel.get("kind") == "dvti" and any(str(h).startswith("Virtual-Access") for h in hints if isinstance(h, str)):
            return tunnel
    dynamic = [t for t in tunnels if t.get("kind") in ("dynamic_crypto_map", "mgre_dynamic_nhrp", "dvti")]
    if len(dynamic) == 1:
        return dynamic[0]
    return None


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, (int, float)):
        return "an unknown time"
    seconds = int(round(seconds))
    if seconds < 120:
        return "%ds" % seconds
    if seconds < 7200:
        return "%d min" % (seconds // 60)
    return "%.1f h" % (seconds / 3600.0)


def _knob(inventory: Mapping[str, Any]) -> Dict[str, Any]:
    present = bool(inventory.get("invalid_spi_recovery"))
    relevant = any(t.get("ike_version") == "ikev1" and t.get("recovery") == "supported" for t in inventory.get("tunnels") or [])
    if present and relevant:
        status = "ok"
    elif relevant:
        status = "missing"
    elif present:
        status = "irrelevant"
    else:
        status = "not_needed"
    return {"present": present, "relevant": relevant, "needed": relevant and not present, "status": status}


def _drops(facts: Mapping[str, Any]) -> Dict[str, Any]:
    qfp = facts.get("qfp_drops")
    ipsec = facts.get("qfp_ipsec_drops")
    rate = facts.get("drop_rate") or {}
    return {
        "qfp": {k: v for k, v in (qfp or {}).items() if k.startswith("Ipsec")},
        "ipsec": {k: v for k, v in (ipsec or {}).items() if "SPI" in k},
        "invalid_spi_packets": invalid_spi_packets(qfp, ipsec),
        "rate_pps": rate.get("pps"),
        "delta": rate.get("delta"),
        "available": qfp is not None or ipsec is not None,
    }


def no_cached_facts(facts_var: str) -> Dict[str, str]:
    """The error of a router the fact cache holds no facts for (spi_assess filter, fleet_assess action)."""
    return {"kind": "missing", "message": "no cached %s facts for this router: never gathered, its gather failed, or "
                                          "the fact cache expired (fact_caching_timeout)" % facts_var}


def _unassessed(host: str, error: Any, now: str) -> Dict[str, Any]:
    if isinstance(error, Mapping):
        message = str(error.get("message") or error.get("msg") or "no facts were gathered")
        kind = str(error.get("kind") or _error_kind(message))
    else:
        message = str(error) if error else "no facts were gathered"
        kind = _error_kind(message)
    return {
        "schema_version": SCHEMA_VERSION, "host": host, "assessed": False,
        "error": {"kind": kind, "message": message}, "assessed_at": now, "source": None, "platform": None,
        "compliant": False, "knob": None, "dpd": None, "tunnels": [], "flows": [], "desync": [], "events": [],
        "drops": None,
        "findings": [finding("UNREACHABLE", "could not assess %s: %s" % (host, message), host)],
        "planned_actions": [], "performed_actions": [], "unsupported_commands": [], "unparsed": [],
    }


def stale_reason(facts: Any, freshness: Mapping[str, Any]) -> Optional[str]:
    """Why cached facts cannot speak for this run, or None when they can."""
    if not isinstance(facts, Mapping):
        return None
    run_id = freshness.get("run_id")
    max_age = freshness.get("max_age")
    now = freshness.get("now")
    gathered = facts.get("gathered_epoch")
    when = facts.get("gathered_at") or "an unknown time"
    if run_id and facts.get("run_id") != run_id:
        return ("the cached facts are from run %s (gathered %s), not from this run %s: the router's gather in this "
                "run failed or did not run" % (facts.get("run_id") or "unknown", when, run_id))
    if max_age:
        if not isinstance(gathered, (int, float)) or isinstance(gathered, bool):
            return "the cached facts carry no gather time, so their age cannot be checked"
        if isinstance(now, (int, float)) and now - gathered > float(max_age):
            return ("the cached facts were gathered %s, %d s ago; the limit is %d s (ipsec_spi_max_fact_age)"
                    % (when, now - gathered, float(max_age)))
    return None


ANY_RUN = "any"


def with_latest_run(facts_by_host: Mapping[str, Any], freshness: Mapping[str, Any]) -> Mapping[str, Any]:
    """Without a run id, the run is the latest gather in the cache: the run id of the newest facts.

    A router whose gather in that run failed or did not run (a failed job slice) then shows facts of an
    earlier run, which must not speak for tonight. ``run_id: any`` turns this off (only the age counts).
    """
    if freshness.get("run_id"):
        return freshness if freshness["run_id"] != ANY_RUN else dict(freshness, run_id=None)
    newest: Optional[Tuple[float, str]] = None
    for facts in facts_by_host.values():
        if not isinstance(facts, Mapping):
            continue
        run, when = facts.get("run_id"), facts.get("gathered_epoch")
        if run and isinstance(run, str) and isinstance(when, (int, float)) and not isinstance(when, bool):
            if newest is None or when > newest[0]:
                newest = (float(when), run)
    return dict(freshness, run_id=newest[1]) if newest else freshness


def _error_kind(message: str) -> str:
    text = (message or "").lower()
    if "auth" in text or "password" in text or "permission denied" in text:
        return "auth"
    if "timeout" in text or "timed out" in text:
        return "timeout"
    if "% invalid" in text or "rejected" in text:
        return "rejected"
    return "unreachable"


def assess_fleet(
    facts_by_host: Mapping[str, Any],
    errors: Optional[Mapping[str, Any]] = None,
    waivers: Optional[List[Mapping[str, Any]]] = None,
    today: Optional[datetime.date] = None,
    source: str = "live",
    active_window: float = 300.0,
    freshness: Optional[Mapping[str, Any]] = None,
    view: Optional[Mapping[str, Any]] = None,
    clear_unverified: bool = False,
) -> Dict[str, Any]:
    """Assess every router; returns ``{assessments: {host: ...}, desync: [...], summary: {...}, plan: {host: [...]},
    view: {...}}``.

    ``freshness`` (facts read from a cache, e.g. AWX sliced gathers): ``{run_id, max_age, now}``.
    Facts of another run, or older than ``max_age`` seconds at ``now``, are not assessed (kind
    ``stale``) and take no part in the fleet's correlation: old SA tables would prove nothing.

    ``view`` (see ``run_view``) says which routers the inventory holds beyond ``facts_by_host``: a sender
    that may be one of them is never "outside the inventory", and its flow gets no clear unless
    ``clear_unverified`` (an operator's explicit opt-in).
    """
    if not isinstance(facts_by_host, Mapping):
        raise ParseError("facts must be a mapping host -> ipsec_spi facts, not %s" % type(facts_by_host).__name__)
    errors = dict(errors or {})
    # Identity survives staleness: a router's addresses from an earlier gather still say who it is.
    known_addresses = {h: list(f.get("addresses") or []) for h, f in facts_by_host.items()
                       if isinstance(f, Mapping) and isinstance(f.get("addresses"), list)}
    _gather_errors(facts_by_host, errors, freshness)
    facts_by_host = {h: (None if h in errors else f) for h, f in facts_by_host.items()}
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    today = today or datetime.date.today()
    compiled = compile_waivers(waivers or [])

    good = {h: f for h, f in facts_by_host.items() if isinstance(f, Mapping) and f.get("inventory") is not None}
    correlated = _correlation_input(good, errors)
    good = {h: f for h, f in good.items() if h in correlated}
    verdicts = spi_desync(correlated)
    seen = run_view(facts_by_host, good, errors, view, known_addresses)
    for verdict in verdicts:
        if verdict.get("sender") is None:
            place_sender(verdict, seen)
    by_flow = {(v["receiver"], v["sender_addr"], v["spi"]): v for v in verdicts}

    assessments: Dict[str, Dict[str, Any]] = {}
    clears: List[Tuple[str, Dict[str, Any]]] = []
    for host, facts in facts_by_host.items():
        if host not in good:
            error = errors.get(host)
            if error is None and isinstance(facts, Mapping):
                error = facts.get("error")
            assessments[host] = _unassessed(host, error, now)
            continue
        assessment, host_clears = _assess_host(host, facts, by_flow, now, source, active_window, clear_unverified)
        assessments[host] = assessment
        clears.extend(host_clears)
    _place_clears(assessments, clears)
    _flag_senders(assessments, verdicts)
    for assessment in assessments.values():
        settle(assessment, compiled, today)
    # The fleet plan a sliced remediation carries out, each slice its own hosts' part (docs/scale.md).
    # Published as an artifact that becomes the next job's extra variables: nothing in it may template.
    plan = {host: inert(a["planned_actions"]) for host, a in sorted(assessments.items()) if a["planned_actions"]}
    return {"assessments": assessments, "desync": verdicts, "summary": fleet_summary(assessments), "plan": plan,
            "assessed_at": now, "view": public_view(seen)}


def _correlation_input(good: Mapping[str, Mapping[str, Any]], errors: Dict[str, Any]) -> Dict[str, Any]:
    """host -> what the fleet's correlation reads of it; a router whose facts do not hold up is left out.

    Cached facts can be edited: one router's hostile or broken flow makes that router not assessed (kind
    ``invalid``, in ``errors``), never the whole fleet's assessment fail, and never a clear from it.
    """
    out = {}
    for host, facts in good.items():
        flows = facts.get("flows") or []
        entry = {"addresses": facts.get("addresses") or [], "sas": facts.get("ipsec_sas") or [],
                 "flows": [fl for fl in flows if not isinstance(fl, Mapping) or fl.get("status") != "foreign"]
                 if isinstance(flows, list) else flows}
        try:
            check_host(host, entry)
        except ParseError as exc:
            errors[host] = {"kind": "invalid", "message": "its facts cannot be used: %s" % exc}
            continue
        out[host] = entry
    return out


def _gather_errors(facts_by_host: Mapping[str, Any], errors: Dict[str, Any],
                   freshness: Optional[Mapping[str, Any]]) -> None:
    """Adds to ``errors`` the routers not to assess: a failed gather, or (with ``freshness``) stale facts."""
    for host, facts in facts_by_host.items():
        # A gather that failed leaves its failure in the cache (check role, gather): never older facts.
        if isinstance(facts, Mapping) and facts.get("inventory") is None and facts.get("error") and host not in errors:
            errors[host] = facts["error"] if isinstance(facts["error"], Mapping) else {"message": str(facts["error"])}
    if freshness:
        freshness = with_latest_run(facts_by_host, freshness)
        for host, facts in facts_by_host.items():
            reason = stale_reason(facts, freshness)
            if reason and host not in errors:
                errors[host] = {"kind": "stale", "message": reason}


def _place_clears(assessments: Dict[str, Dict[str, Any]], clears: List[Tuple[str, Dict[str, Any]]]) -> None:
    """Each clear once per (router, peer), on an assessed router: where it does the most good, on the
    sender when it is ours (_assess_host chose the runner)."""
    placed = set()
    for runner, action in clears:
        key = (runner, action["peer"])
        if key in placed or runner not in assessments or not assessments[runner].get("assessed"):
            continue
        placed.add(key)
        assessments[runner]["planned_actions"].append(action)


# --------------------------------------------------------------------------------------------------
# The run's view of the fleet (slices, --limit, EDA pair runs and failed gathers give partial ones)
# --------------------------------------------------------------------------------------------------

OUTSIDE = "outside_inventory"
NOT_ASSESSED = "not_assessed"
UNKNOWN = "unknown"


def run_view(facts_by_host: Mapping[str, Any], good: Mapping[str, Any], errors: Mapping[str, Any],
             view: Optional[Mapping[str, Any]], known_addresses: Mapping[str, List[Any]]) -> Dict[str, Any]:
    """Which routers exist, which this run targeted, which it assessed, and what is known of the others.

    ``view``: ``{inventory: [host...], targeted: [host...], addresses: {host: [addr...]}, hints: {host:
    [addr...]}}``. ``addresses`` are a router's own addresses from an earlier gather (all of them: enough to
    say a sender is not that router); ``hints`` only some (``ansible_host``): enough to name a sender, never
    to rule one out. Without ``view``, the routers given are the whole inventory (as before).
    """
    view = view if isinstance(view, Mapping) else {}
    if view and not isinstance(view.get("inventory", []), (list, tuple)):
        raise ParseError("view.inventory must be a list of inventory host names")
    targeted = [str(h) for h in (view.get("targeted") or facts_by_host)]
    inventory = sorted(set(str(h) for h in (view.get("inventory") or [])) | set(targeted) | set(facts_by_host))
    not_assessed: Dict[str, Dict[str, str]] = {}
    for host in inventory:
        if host in good:
            continue
        if host not in facts_by_host and host not in targeted:
            not_assessed[host] = {"kind": "not_targeted", "message": "not targeted by this run (--limit, "
                                  "ipsec_spi_targets, another job slice or an event-driven pair run)"}
            continue
        error = errors.get(host)
        if isinstance(error, Mapping):
            message = str(error.get("message") or error.get("msg") or "no facts were gathered")
            kind = str(error.get("kind") or _error_kind(message))
        else:
            message = str(error) if error else "no facts were gathered"
            kind = "missing" if not error else _error_kind(message)
        not_assessed[host] = {"kind": kind, "message": message}
    full: Dict[str, List[str]] = {}
    for source in (known_addresses, view.get("addresses") or {}):
        for host, addrs in (source.items() if isinstance(source, Mapping) else ()):
            if str(host) in not_assessed and isinstance(addrs, (list, tuple)):
                full.setdefault(str(host), []).extend(a for a in (maybe_addr(str(x)) for x in addrs) if a)
    hints: Dict[str, str] = {}
    for host, addrs in full.items():
        for addr in addrs:
            hints.setdefault(addr, host)
    partial: Dict[str, set] = {}
    for host, addrs in (view.get("hints") or {}).items() if isinstance(view.get("hints"), Mapping) else ():
        if str(host) in not_assessed:
            for raw in addrs if isinstance(addrs, (list, tuple)) else [addrs]:
                hinted = maybe_addr(str(raw))
                if hinted:
                    partial.setdefault(hinted, set()).add(str(host))
    for addr, owners in partial.items():
        # An address several hosts share (a lab's 127.0.0.1, a jump host) names none of them.
        if len(owners) == 1 and addr not in hints:
            hints[addr] = next(iter(owners))
    return {"inventory": inventory, "targeted": sorted(set(targeted)), "assessed": sorted(good),
            "not_assessed": not_assessed, "hints": hints,
            # Routers of which not every address is known: any unknown sender may be one of them.
            "unknown": sorted(h for h in not_assessed if not full.get(h)),
            "complete": not not_assessed}


def place_sender(verdict: Dict[str, Any], seen: Mapping[str, Any]) -> None:
    """Say truthfully where a sender this run could not read stands: outside the inventory, a router
    that was not assessed in this run, or not known (it may be one of the routers not assessed)."""
    addr = verdict["sender_addr"]
    host = seen["hints"].get(addr)
    if host is not None:
        why = seen["not_assessed"][host]
        status, text = NOT_ASSESSED, ("the sender %s is %s, a router of the inventory that was not assessed in this "
                                      "run (%s: %s): its SAs were not read" % (addr, host, why["kind"], why["message"]))
    elif seen["unknown"]:
        names = seen["unknown"]
        status, text = UNKNOWN, ("the sender %s is none of the routers assessed in this run, but %d router(s) of the "
                                 "inventory were not assessed (%s%s) and it may be one of them: its SAs were not read"
                                 % (addr, len(names), ", ".join(names[:5]), ", ..." if len(names) > 5 else ""))
    else:
        status, text = OUTSIDE, "sender %s is not a router of this inventory: its SAs cannot be read" % addr
    verdict["sender_status"] = status
    verdict["sender_hint"] = host
    evidence = list(verdict.get("evidence") or [])
    if evidence and evidence[0].startswith("sender %s is not a router" % addr):
        evidence[0] = text
    else:
        evidence.insert(0, text)
    verdict["evidence"] = evidence


def public_view(seen: Mapping[str, Any]) -> Dict[str, Any]:
    """What the report and the plan say of the run's view (no address hints)."""
    return {"complete": seen["complete"], "inventory": len(seen["inventory"]), "targeted": len(seen["targeted"]),
            "assessed": len(seen["assessed"]), "not_assessed": seen["not_assessed"]}


def _flag_senders(assessments: Dict[str, Dict[str, Any]], verdicts: Sequence[Mapping[str, Any]]) -> None:
    """The sender of a confirmed desync is half of the black hole: it gets a finding of its own.

    Without it the sender would read "compliant" with a clear planned beside it.
    """
    for verdict in verdicts:
        sender = verdict.get("sender")
        if verdict.get("verdict") != CONFIRMED or sender not in assessments or not assessments[sender].get("assessed"):
            continue
        receiver_addr = verdict.get("receiver_addr") or verdict["receiver"]
        planned = [a for a in assessments[sender]["planned_actions"]
                   if a.get("action") == "clear_sa" and a.get("spi") == verdict["spi"] and a.get("receiver") == verdict["receiver"]]
        if planned:
            remedy = "remediation: %s on %s" % (planned[0]["command"], sender)
        else:
            remedy = "remediation acts on %s (invalid-spi-recovery or a clear there)" % verdict["receiver"]
        assessments[sender]["findings"].append(finding(
            "STALE_OUTBOUND_SA",
            "stale outbound SA towards %s: %s still sends with SPI %s, which %s no longer has (traffic to it is "
            "black-holed); %s" % (receiver_addr, sender, verdict["spi_hex"], verdict["receiver"], remedy),
            receiver_addr, spi=verdict["spi"], receiver=verdict["receiver"]))


def _assess_host(host: str, facts: Mapping[str, Any], by_flow: Mapping[Tuple[str, str, int], Mapping[str, Any]],
                 now: str, source: str, active_window: float = 300.0,
                 clear_unverified: bool = False) -> Tuple[Dict[str, Any], List[Tuple[str, Dict[str, Any]]]]:
    """One router's assessment and the clears it plans, concern by concern (the findings keep this order)."""
    inventory = facts.get("inventory") or {}
    knob = _knob(inventory)
    dpd = inventory.get("dpd") or {"ikev1": False, "ikev2": False}
    findings: List[Dict[str, Any]] = []
    planned: List[Dict[str, Any]] = []
    tunnels = _tunnel_findings(inventory.get("tunnels") or [], facts.get("ike_sas") or [], findings)
    _config_findings(host, inventory.get("tunnels") or [], knob, dpd, findings, planned)
    flows_out, stale, clears = _flow_findings(host, facts, by_flow, knob, active_window, clear_unverified, findings)
    _note_other_senders(clears, facts.get("flows") or [])
    drops = _drops(facts)
    _device_findings(host, facts, drops, findings)
    events = [{"epoch": e.get("epoch"), "time": e.get("time"), "src": e.get("src"), "dst": e.get("dst"), "spi": e.get("spi")}
              for e in (facts.get("events") or [])[-MAX_EVENTS:]]
    assessment = {
        "schema_version": SCHEMA_VERSION, "host": host, "assessed": True, "error": None, "assessed_at": now,
        "source": source, "platform": facts.get("platform"), "compliant": None, "knob": knob, "dpd": dpd,
        "tunnels": tunnels, "flows": flows_out,
        "desync": [dict(stale.get((v["sender_addr"], v["spi"]), v)) for v in by_flow.values() if v["receiver"] == host],
        "events": events, "drops": drops, "findings": findings, "planned_actions": planned,
        "performed_actions": [], "unsupported_commands": list(facts.get("unsupported_commands") or []),
        "unparsed": facts.get("unparsed") or [],
    }
    return assessment, clears


def _tunnel_findings(tunnels_in: List[Mapping[str, Any]], ike_sas: List[Mapping[str, Any]],
                     findings: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The tunnels with the state of their IKE SAs; a kind the knob cannot help, an IKE SA not up."""
    tunnels = []
    for tunnel in tunnels_in:
        item = dict(tunnel)
        item["ike_sa"] = [
            {"remote": row.get("remote"), "state": row.get("state"), "status": row.get("status"), "version": row.get("version")}
            for row in ike_sas if row.get("remote") in (tunnel.get("peers") or [])
        ]
        tunnels.append(item)
        if tunnel.get("recovery") == "unsupported":
            findings.append(finding(
                "RECOVERY_UNSUPPORTED",
                "%s (%s) cannot use invalid-spi-recovery: %s; a desync there needs its SAs cleared"
                % (tunnel.get("name"), tunnel.get("kind"), tunnel.get("reason")),
                tunnel.get("name"), tunnel=tunnel.get("name")))
        for row in item["ike_sa"]:
            if row["state"] and row["state"] not in READY_STATES:
                findings.append(finding(
                    "IKE_SA_NOT_READY", "IKE SA with %s on %s is %s" % (row["remote"], tunnel.get("name"), row["state"]),
                    row["remote"], tunnel=tunnel.get("name")))
    return tunnels


def _config_findings(host: str, tunnels_in: List[Any], knob: Mapping[str, Any],
                     dpd: Mapping[str, Any], findings: List[Dict[str, Any]], planned: List[Dict[str, Any]]) -> None:
    """The configuration: invalid-spi-recovery (missing: planned) and dead peer detection."""
    if knob["needed"]:
        supported = [t.get("name") for t in tunnels_in if t.get("ike_version") == "ikev1" and t.get("recovery") == "supported"]
        findings.append(finding(
            "KNOB_MISSING", "crypto isakmp invalid-spi-recovery is missing; it would let these IKEv1 tunnels recover "
            "by themselves: %s" % ", ".join(map(str, supported)), host))
        planned.append({"action": "enable_knob", "peer": None, "command": KNOB_COMMAND, "host": host,
                        "reason": "IKEv1 tunnels of a supported kind: %s" % ", ".join(map(str, supported))})
    elif knob["status"] == "irrelevant":
        findings.append(finding(
            "KNOB_IRRELEVANT", "crypto isakmp invalid-spi-recovery is configured but no tunnel can use it "
            "(it only acts for IKEv1 peers of a static kind)", host))
    for version in sorted({t.get("ike_version") for t in tunnels_in if t.get("ike_version")}):
        if not dpd.get(version):
            hint = "crypto isakmp keepalive" if version == "ikev1" else "dpd in the IKEv2 profile or crypto ikev2 dpd"
            findings.append(finding(
                "DPD_MISSING", "%s tunnels have no dead peer detection (%s): a black hole lasts until the SA expires"
                % (version.upper(), hint), version))


def _flow_findings(host: str, facts: Mapping[str, Any], by_flow: Mapping[Tuple[str, str, int], Mapping[str, Any]],
                   knob: Mapping[str, Any], active_window: float, clear_unverified: bool,
                   findings: List[Dict[str, Any]]) -> Tuple[List[Dict[str, Any]], Dict[Tuple[str, int], Dict[str, Any]],
                                                            List[Tuple[str, Dict[str, Any]]]]:
    """Each flow with its verdict and its finding; (flows, verdicts gone stale, planned clears)."""
    flows_out = []
    stale: Dict[Tuple[str, int], Dict[str, Any]] = {}
    clears: List[Tuple[str, Dict[str, Any]]] = []
    scan: Dict[int, set] = {}
    ff_reported = set()
    for flow in facts.get("flows") or []:
        item = dict(flow)
        verdict = by_flow.get((host, flow.get("src"), flow.get("spi")))
        item["verdict"] = verdict["verdict"] if verdict else None
        item["sender"] = verdict["sender"] if verdict else None
        flows_out.append(item)
        scan.setdefault(flow["spi"], set()).add(flow["src"])
        label = "%s from %s to %s" % (flow.get("spi_hex") or spi_hex(flow["spi"]), flow["src"], flow["dst"])
        if spi_top_byte_ff(flow["spi"]) and flow["spi"] not in ff_reported:
            ff_reported.add(flow["spi"])
            findings.append(finding(
                "SPI_TOP_BYTE_FF", "SPI %s starts with 0xFF: matches the symptom of %s (ESP packets whose SPI starts "
                "with 0xFF dropped as invalid SPI)" % (flow.get("spi_hex"), BUG_FF), flow["src"], bug=BUG_FF))
        status = flow.get("status")
        if status == "foreign":
            findings.append(finding(
                "FOREIGN_SENDER", "INV_SPI %s: %s is no configured or known peer (a scan or a foreign sender); "
                "reported only, never remediated" % (label, flow["src"]), flow["src"]))
        elif status == "transient":
            findings.append(finding(
                "SPI_TRANSIENT", "one INV_SPI message for %s: most likely a rekey race" % label, flow["src"]))
        else:
            verdict = _age_out(item, verdict, flow.get("age_seconds"), active_window, stale)
            _persistent_finding(host, facts, flow, item["verdict"], verdict, label, knob, clear_unverified, findings,
                                clears)
    for spi, sources in scan.items():
        if len(sources) >= SCAN_SOURCES:
            message = "SPI %s arrived from %d different sources (%s): a scan" % (
                spi_hex(spi), len(sources), ", ".join(sorted(sources)))
            findings.append(finding("SPI_SCAN", message, spi_hex(spi)))
    return flows_out, stale, clears


def _age_out(item: Dict[str, Any], verdict: Optional[Mapping[str, Any]], age: Any, active_window: float,
             stale: Dict[Tuple[str, int], Dict[str, Any]]) -> Optional[Mapping[str, Any]]:
    """Only the log speaks for a sender we cannot read: a flow that stopped logging has stopped (cleared,
    expired or rekeyed). Such a verdict becomes RESOLVED (recorded in ``stale``)."""
    if item["verdict"] == UNVERIFIED and isinstance(age, (int, float)) and age > active_window:
        item["verdict"] = RESOLVED
        verdict = dict(verdict or {}, verdict=RESOLVED, evidence=list((verdict or {}).get("evidence") or []) + [
            "no INV_SPI message for %s (the message repeats every minute while the desync lasts)" % _duration(age)])
        stale[(item["src"], item["spi"])] = verdict
    return verdict


def _persistent_finding(host: str, facts: Mapping[str, Any], flow: Mapping[str, Any], v: Optional[str],
                        verdict: Optional[Mapping[str, Any]], label: str, knob: Mapping[str, Any],
                        clear_unverified: bool, findings: List[Dict[str, Any]],
                        clears: List[Tuple[str, Dict[str, Any]]]) -> None:
    """The finding of a persistent flow, and its clear when one is planned."""
    if v == RESOLVED:
        findings.append(finding(
            "SPI_DESYNC_RESOLVED", "persistent INV_SPI %s has since cleared: %s"
            % (label, "; ".join((verdict or {}).get("evidence") or [])), flow["src"]))
        return
    tunnel = _tunnel_for((facts.get("inventory") or {}).get("tunnels") or [], flow["src"], facts.get("ipsec_sas") or [],
                         facts.get("dmvpn") or [])
    code = "SPI_DESYNC_CONFIRMED" if v == CONFIRMED else "SPI_DESYNC_SUSPECTED"
    why = "; ".join(verdict["evidence"]) if verdict else "no verdict"
    action = _plan_clear(host, flow, verdict, tunnel, knob, clear_unverified)
    sender_status = (verdict or {}).get("sender_status") if v == UNVERIFIED else None
    where = ""
    if action:
        action["drops_at_plan"] = invalid_spi_packets(facts.get("qfp_drops"), facts.get("qfp_ipsec_drops"))
        clears.append((action["host"], action))
        where = "; remediation: %s on %s" % (action["command"], action["host"])
        if action.get("opt_in"):
            where += " (ipsec_spi_clear_unverified: the sender's side was not read)"
    elif tunnel is not None and tunnel.get("recovery") == "supported" and not knob["present"]:
        where = "; remediation: invalid-spi-recovery lets %s recover by itself" % tunnel.get("name")
    elif sender_status in (NOT_ASSESSED, UNKNOWN):
        where = ("; no clear: the pair was not read on both ends in this run (ipsec_spi_clear_unverified "
                 "would clear it on the receiver)")
    elif tunnel is not None and tunnel.get("recovery") == "supported":
        where = "; remediation: invalid-spi-recovery lets %s recover by itself" % tunnel.get("name")
    if v == CONFIRMED:
        lead = "confirmed desync:"
    elif sender_status in (NOT_ASSESSED, UNKNOWN):
        lead = "persistent INV_SPI, sender not assessed in this run:"
    else:
        lead = "persistent INV_SPI, sender not in the inventory:"
    extra = {"sender_status": sender_status} if sender_status in (NOT_ASSESSED, UNKNOWN) else {}
    findings.append(finding(
        code, "%s %s black-holes traffic (%d messages over %s)%s: %s"
        % (lead, label, flow.get("count") or 0, _duration(flow.get("span_seconds")), where, why),
        flow["src"], tunnel=tunnel.get("name") if tunnel else None, spi=flow["spi"], **extra))


def _note_other_senders(clears: List[Tuple[str, Dict[str, Any]]], flows: List[Mapping[str, Any]]) -> None:
    """Drop counters are per router: name the other senders that keep them rising, so a clear is not
    judged by drops it cannot stop."""
    for _runner, action in clears:
        action["receiver_other_flows"] = [
            "%s %s (%s)" % (fl["src"], fl.get("spi_hex") or spi_hex(fl["spi"]), fl.get("status"))
            for fl in flows
            if fl.get("status") != "transient" and (fl["src"], fl["spi"]) != (action["sender_addr"], action["spi"])
        ]


def _device_findings(host: str, facts: Mapping[str, Any], drops: Mapping[str, Any],
                     findings: List[Dict[str, Any]]) -> None:
    """What the device itself says: drops rising, commands it does not support, output not understood."""
    if drops["delta"]:
        findings.append(finding(
            "DROPS_RISING", "invalid-SPI drops rose by %s packets in %ss" % (drops["delta"], (facts.get("drop_rate") or {}).get("interval")),
            host))
    for command in facts.get("unsupported_commands") or []:
        findings.append(finding("UNSUPPORTED_COMMAND", "the platform does not support '%s'" % command, command))
    unparsed = facts.get("unparsed") or []
    if unparsed:
        findings.append(finding(
            "UNPARSED_OUTPUT", "%d line(s) of device output were not understood, e.g. %s line %s: %s"
            % (len(unparsed), unparsed[0].get("command"), unparsed[0].get("line"), unparsed[0].get("reason")), host))


def _plan_clear(host: str, flow: Mapping[str, Any], verdict: Optional[Mapping[str, Any]],
                tunnel: Optional[Mapping[str, Any]], knob: Mapping[str, Any],
                clear_unverified: bool = False) -> Optional[Dict[str, Any]]:
    """The clear for one persistent desync, or None when the knob is the answer (domain.md 4.4).

    A receiver-side clear is for a sender truly outside the inventory; a sender that may be a router
    this run did not read gets none, unless the operator opted in (``clear_unverified``)."""
    if verdict is None or verdict["verdict"] not in (CONFIRMED, UNVERIFIED):
        return None
    opt_in = verdict["verdict"] == UNVERIFIED and verdict.get("sender_status", OUTSIDE) != OUTSIDE
    if opt_in and not clear_unverified:
        return None
    supported = tunnel is not None and tunnel.get("recovery") == "supported"
    if supported and not knob["present"]:
        # Enabling the knob (planned separately) lets the receiver recover by itself.
        return None
    why_kind = ("%s (%s, %s)" % (tunnel.get("name"), tunnel.get("kind"), tunnel.get("ike_version"))
                if tunnel else "an unidentified tunnel")
    if supported:
        reason = "invalid-spi-recovery is configured yet the desync on %s persists" % why_kind
    else:
        reason = "invalid-spi-recovery cannot help %s" % why_kind
    base = {"receiver": host, "spi": flow["spi"], "spi_hex": flow.get("spi_hex") or spi_hex(flow["spi"]),
            "sender_addr": flow["src"], "receiver_addr": flow["dst"], "verdict": verdict["verdict"],
            # What the last-moment re-check compares with: a later message of this flow, or rising drops.
            "last_epoch": flow.get("last_epoch"), "count": flow.get("count")}
    if verdict.get("sender") and verdict["verdict"] == CONFIRMED:
        base.update({"action": "clear_sa", "host": verdict["sender"], "peer": flow["dst"],
                     "command": clear_sa_command(flow["dst"]),
                     "reason": "%s; clearing on the sender %s re-creates the pair's SAs" % (reason, verdict["sender"])})
    elif opt_in:
        base.update({"action": "clear_session", "host": host, "peer": flow["src"], "opt_in": "ipsec_spi_clear_unverified",
                     "sender": verdict.get("sender_hint"), "sender_status": verdict.get("sender_status"),
                     "command": clear_session_command(flow["src"]),
                     "reason": "%s; the sender %s was not read in this run and ipsec_spi_clear_unverified is on, so the "
                               "receiver clears" % (reason, flow["src"])})
    else:
        base.update({"action": "clear_session", "host": host, "peer": flow["src"],
                     "command": clear_session_command(flow["src"]),
                     "reason": "%s; the sender %s is not in the inventory, so the receiver clears" % (reason, flow["src"])})
    return base
