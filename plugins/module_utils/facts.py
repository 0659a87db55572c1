# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""From raw command outputs to the ``ipsec_spi`` facts of one router.

The same function serves a live router (spi_facts over network_cli, answers read
through device.run) and captured files (captured_files.read_capture_dir), so both
are parsed alike. Which commands are sent and which parser reads each answer is
commands.py; the transport's quirks are device.py; this file builds the facts.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Set

from ansible_collections.netops.ipsec_spi.plugins.module_utils.commands import COMMAND_OF, ESSENTIAL, GATHER, POLL_KEYS
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import (
    ParseError,
    UnsupportedCommand,
    is_unsupported,
    maybe_addr,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.device import RejectedCommand
from ansible_collections.netops.ipsec_spi.plugins.module_utils.flows import build_flows
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.platform import parse_clock, parse_version
from ansible_collections.netops.ipsec_spi.plugins.module_utils.routes import Route, route

FACTS_VERSION = 1

# `show version` and `show clock` feed the platform facts, not a table: the cli_parse
# sub-plugin does not offer them, so they are not in routes.ROUTES.
_PLATFORM_ROUTES = {"version": Route(("show", "version"), parse_version),
                    "clock": Route(("show", "clock"), parse_clock)}


def _routes() -> Dict[str, Route]:
    return {key: _PLATFORM_ROUTES.get(key) or route(command) for key, command in GATHER}


def known_peers(inventory: Mapping[str, Any], sas: List[Mapping[str, Any]], ike_sas: List[Mapping[str, Any]],
                sessions: List[Mapping[str, Any]], dmvpn: List[Mapping[str, Any]]) -> List[str]:
    """Every address this router knows as a peer (domain.md section 4, rule 3)."""
    peers: Set[Any] = set()
    for tunnel in inventory.get("tunnels") or []:
        peers.update(tunnel.get("peers") or [])
        nhrp = tunnel.get("nhrp") or {}
        for mapping in nhrp.get("static_maps") or []:
            peers.add(mapping.get("nbma"))
        for nhs in nhrp.get("nhs") or []:
            peers.add(nhs.get("nbma") if isinstance(nhs, Mapping) else nhs)
    peers.update(sa.get("peer") for sa in sas)
    peers.update(row.get("remote") for row in ike_sas)
    for row in sessions:
        peers.add(row.get("peer"))
    for row in dmvpn:
        peers.add(row.get("nbma"))
    return sorted(a for a in (maybe_addr(p) if isinstance(p, str) else None for p in peers) if a)


def build_facts(
    host: str,
    outputs: Mapping[str, Optional[str]],
    year: Optional[int] = None,
    min_repeats: int = 2,
    min_span: float = 50,
    max_events: int = 1000,
    second_poll: Optional[Mapping[str, Optional[str]]] = None,
    poll_interval: float = 0,
) -> Dict[str, Any]:
    """Parse every output; never raise for one bad output, record it instead.

    ``outputs`` maps a commands.GATHER key to the router's answer as text (None: not
    collected), as device.run and read_capture_dir give it. Raises
    RejectedCommand only when an essential command was rejected: without it
    an assessment would be guesswork.
    """
    routes = _routes()
    facts: Dict[str, Any] = {
        "facts_version": FACTS_VERSION,
        "host": host,
        "commands": [COMMAND_OF[k] for k, v in outputs.items() if v is not None and k in COMMAND_OF],
        "unsupported_commands": [],
        "unparsed": [],
    }
    _check_essential(outputs)
    parsed = _parse_outputs(facts, outputs, routes, {"host": host, "year": year})
    inventory = parsed.get("running_config") or {"invalid_spi_recovery": False, "dpd": {"ikev1": False, "ikev2": False}, "tunnels": []}
    sas = parsed.get("ipsec_sa") or []
    ike_sas = (parsed.get("isakmp_sa") or []) + (parsed.get("ikev2_sa") or [])
    sessions = parsed.get("session") or []
    dmvpn_rows = parsed.get("dmvpn") or []
    events = parsed.get("logging") or []
    peers = known_peers(inventory, sas, ike_sas, sessions, dmvpn_rows)
    addresses = set(inventory.get("addresses") or [])
    addresses.update(a for a in (maybe_addr(sa.get("local_addr")) for sa in sas) if a)
    facts.update(
        {
            "platform": _platform(parsed, inventory, outputs, facts["unsupported_commands"]),
            "inventory": inventory,
            "addresses": sorted(addresses),
            "known_peers": peers,
            "events_total": len(events),
            "events": events[-max_events:] if max_events else [],
            "flows": _aged_flows(events, peers, min_repeats, min_span, parsed.get("clock")),
            "qfp_drops": parsed.get("qfp_drops"),
            "qfp_ipsec_drops": parsed.get("qfp_ipsec_drops"),
            "ipsec_sas": sas,
            "ike_sas": ike_sas,
            "sessions": sessions,
            "dmvpn": dmvpn_rows,
            "drop_rate": None,
            "device_epoch": parsed.get("clock"),
        }
    )
    if second_poll and poll_interval > 0:
        facts["drop_rate"] = _drop_rate(facts, second_poll, poll_interval, routes)
    return facts


def _check_essential(outputs: Mapping[str, Optional[str]]) -> None:
    """RejectedCommand when the router rejected an essential command: an assessment would be guesswork."""
    for key in ESSENTIAL:
        text = outputs.get(key)
        if text is not None and is_unsupported(text):
            raise RejectedCommand("the router rejected '%s': %s" % (COMMAND_OF[key], " ".join(text.split())[:300]))


def _parse_outputs(facts: Dict[str, Any], outputs: Mapping[str, Optional[str]], routes: Mapping[str, Any],
                   context: Dict[str, Any]) -> Dict[str, Any]:
    """Each collected output through its parser, in GATHER order: {key: parsed}.

    A rejected command goes to ``facts["unsupported_commands"]``, every problem and refusal to
    ``facts["unparsed"]`` (naming the command); none of them stops the others.
    """
    parsed: Dict[str, Any] = {}
    for key, _command in GATHER:
        text = outputs.get(key)
        if text is None:
            continue
        if is_unsupported(text):
            facts["unsupported_commands"].append(COMMAND_OF[key])
            continue
        problems: List[Dict[str, Any]] = []
        if "local_addresses" in routes[key].context:
            context["local_addresses"] = _own_addresses(parsed)
        try:
            parsed[key] = routes[key].parse(text, problems=problems, **{k: context[k] for k in routes[key].context})
        except UnsupportedCommand:
            facts["unsupported_commands"].append(COMMAND_OF[key])
        except ParseError as exc:
            problems.append({"line": None, "reason": str(exc), "text": ""})
        for item in problems:
            facts["unparsed"].append(dict(item, command=COMMAND_OF[key]))
    return parsed


def _platform(parsed: Mapping[str, Any], inventory: Mapping[str, Any], outputs: Mapping[str, Optional[str]],
              unsupported: List[str]) -> Dict[str, Any]:
    """show version's facts, the host name from the configuration when show version has none, and qfp."""
    platform = parsed.get("version") or parse_version("")
    if not platform.get("hostname") and inventory.get("hostname"):
        platform["hostname"] = inventory.get("hostname")
    platform["qfp"] = COMMAND_OF["qfp_drops"] not in unsupported and outputs.get("qfp_drops") is not None
    return platform


def _aged_flows(events: List[Dict[str, Any]], peers: Any, min_repeats: int, min_span: float,
                device_epoch: Optional[float]) -> List[Dict[str, Any]]:
    """The flows of the log's events, each with its age on the router's clock (None without one)."""
    flows = build_flows(events, peers=peers, min_repeats=min_repeats, min_span=min_span)
    for flow in flows:
        last = flow.get("last_epoch")
        flow["age_seconds"] = round(device_epoch - last, 1) if device_epoch is not None and last is not None else None
    return flows


def _own_addresses(parsed: Mapping[str, Any]) -> List[str]:
    own = set((parsed.get("running_config") or {}).get("addresses") or [])
    own.update(a for a in (maybe_addr(sa.get("local_addr")) for sa in parsed.get("ipsec_sa") or []) if a)
    return sorted(own)


def invalid_spi_packets(qfp_drops: Optional[Mapping[str, Any]], ipsec_drops: Optional[Mapping[str, Any]]) -> Optional[int]:
    """The best single invalid-SPI drop figure: the SPI-not-found datapath rows, else IpsecInput."""
    if ipsec_drops:
        rows = [v.get("packets", 0) for k, v in ipsec_drops.items() if k.endswith("NOT_FOUND_SPI")]
        if rows:
            return sum(rows)
    if qfp_drops is not None:
        return (qfp_drops.get("IpsecInput") or {}).get("packets", 0)
    if ipsec_drops is not None:
        return 0
    return None


def _drop_rate(facts: Dict[str, Any], second: Mapping[str, Optional[str]], interval: float,
               routes: Mapping[str, Route]) -> Optional[Dict[str, Any]]:
    before = invalid_spi_packets(facts.get("qfp_drops"), facts.get("qfp_ipsec_drops"))
    after_parsed: Dict[str, Any] = {}
    for key in POLL_KEYS:
        text = second.get(key)
        if text is None or is_unsupported(text):
            continue
        try:
            after_parsed[key] = routes[key].parse(text)
        except ParseError:
            continue
    after = invalid_spi_packets(after_parsed.get("qfp_drops"), after_parsed.get("qfp_ipsec_drops"))
    if before is None or after is None:
        return None
    delta = max(after - before, 0)
    return {"interval": interval, "before": before, "after": after, "delta": delta, "pps": round(delta / interval, 3)}
