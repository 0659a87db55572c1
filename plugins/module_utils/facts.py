# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""From raw command outputs to the ``ipsec_spi`` facts of one router.

The same function serves a live router (spi_facts over network_cli) and
captured files (``ipsec_spi_source: files``), so both are parsed alike.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Mapping, Optional

from ansible_collections.netops.ipsec_spi.plugins.module_utils.commands import COMMAND_OF, ESSENTIAL, FILE_NAMES, GATHER, POLL_KEYS, parser_for
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import (
    ParseError,
    UnsupportedCommand,
    is_unsupported,
    maybe_addr,
)

FACTS_VERSION = 1

# The catalogue is commands.GATHER (one home for every command sent).
COMMANDS = GATHER

# What cliconf returns instead of output when the session itself failed
# (with check_rc=False it does not raise).
_SESSION_ERROR_RE = re.compile(
    r"^\s*(?:ssh connection failed|command timeout triggered|unable to (?:open shell|connect)|"
    r"failed to authenticate|socket path .* does not exist|connection (?:refused|reset|closed))",
    re.IGNORECASE,
)


class RejectedCommand(ParseError):
    """An essential command was rejected by the router or the session broke while running it."""


def session_error(text: Optional[str]) -> bool:
    return bool(text) and bool(_SESSION_ERROR_RE.match(text))


_CLOCK_RE = re.compile(
    r"^[*.]?(\d{1,2}):(\d{2}):(\d{2})(?:\.\d+)?\s+(\S+)\s+\w{3}\s+(\w{3})\s+(\d{1,2})\s+(\d{4})\s*$", re.MULTILINE)
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


def parse_clock(text: Optional[str]) -> Optional[float]:
    """`show clock` as epoch seconds, on the same scale as the log's event epochs.

    A `*` (not authoritative) clock is still the clock the log stamps use, so
    the age of a flow's last message stays meaningful.
    """
    import calendar

    from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog import tz_offset_minutes

    match = _CLOCK_RE.search(text or "")
    if not match or match.group(5).lower()[:3] not in _MONTHS:
        return None
    hh, mm, ss, zone, month, day, year = match.groups()
    try:
        base = calendar.timegm((int(year), _MONTHS[month.lower()[:3]], int(day), int(hh), int(mm), int(ss)))
    except (ValueError, OverflowError):
        return None
    return float(base - tz_offset_minutes(zone) * 60)


_VERSION_RES = [
    ("version", re.compile(r"Cisco IOS XE Software, Version\s+(\S+)")),
    ("version", re.compile(r"Cisco IOS Software.*?Version\s+([^,\s]+)")),
    ("model", re.compile(r"^cisco\s+(\S+)\s+\(", re.MULTILINE)),
    ("uptime", re.compile(r"^\S+ uptime is (.+)$", re.MULTILINE)),
    ("hostname", re.compile(r"^(\S+) uptime is ", re.MULTILINE)),
]


def normalize_response(text: Any) -> Optional[str]:
    """The device's answer as text.

    With check_rc=False, cliconf returns a rejected command's error as the
    repr of the bytes it read (``b"...\\r\\n% Invalid input..."``); turn that back
    into what the router printed so `% Invalid input` is recognised.
    """
    if text is None:
        return None
    if isinstance(text, bytes):
        return text.decode("utf-8", errors="replace")
    text = str(text)
    if len(text) > 2 and text[0] == "b" and text[1] in "'\"" and text.rstrip()[-1:] == text[1]:
        import ast

        try:
            value = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            return text
        if isinstance(value, bytes):
            return value.decode("utf-8", errors="replace").replace("\r\n", "\n")
    return text


def parse_version(text: str) -> Dict[str, Any]:
    """The few `show version` facts an assessment needs."""
    out: Dict[str, Any] = {"os": None, "version": None, "model": None, "uptime": None, "hostname": None}
    text = text or ""
    if "IOS XE" in text or "IOS-XE" in text:
        out["os"] = "ios-xe"
    elif "Cisco IOS Software" in text or "IOS (tm)" in text:
        out["os"] = "ios"
    for key, regex in _VERSION_RES:
        if out[key] is None:
            match = regex.search(text)
            if match:
                out[key] = match.group(1).strip()
    return out


def _parsers() -> Dict[str, Callable[..., Any]]:
    # Named here as well as routed by commands.parser_for: AnsiballZ (import_modules off)
    # ships only the module_utils it sees imported.
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers import dmvpn, ike, ipsec_sa, qfp, session, syslog  # noqa: F401
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers import running_config  # noqa: F401

    return {key: parser_for(command) for key, command in GATHER if key not in ("version", "clock")}


def known_peers(inventory: Mapping[str, Any], sas: List[Mapping[str, Any]], ike_sas: List[Mapping[str, Any]],
                sessions: List[Mapping[str, Any]], dmvpn: List[Mapping[str, Any]]) -> List[str]:
    """Every address this router knows as a peer (domain.md section 4, rule 3)."""
    peers = set()
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

    ``outputs`` maps a COMMANDS key to the device's answer (None: not collected).
    """
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.flows import build_flows

    parsers = _parsers()
    facts: Dict[str, Any] = {
        "facts_version": FACTS_VERSION,
        "host": host,
        "commands": [COMMAND_OF[k] for k, v in outputs.items() if v is not None and k in COMMAND_OF],
        "unsupported_commands": [],
        "unparsed": [],
    }
    parsed: Dict[str, Any] = {}
    outputs = {k: normalize_response(v) for k, v in outputs.items()}
    for key, text in outputs.items():
        if session_error(text):
            raise RejectedCommand("the session failed during '%s': %s" % (COMMAND_OF.get(key, key), text.strip()[:300]))
        if key in ESSENTIAL and text is not None and is_unsupported(text):
            raise RejectedCommand("the router rejected '%s': %s" % (COMMAND_OF[key], " ".join(text.split())[:300]))
    for key, _command in COMMANDS:
        text = outputs.get(key)
        if text is None or key in ("version", "clock"):
            continue
        if is_unsupported(text):
            facts["unsupported_commands"].append(COMMAND_OF[key])
            continue
        problems: List[Dict[str, Any]] = []
        try:
            if key == "logging":
                parsed[key] = parsers[key](text, host=host, year=year, problems=problems)
            elif key in ("isakmp_sa", "ikev2_sa"):
                # IKEv1 rows print dst/src only; our own addresses tell which end is remote.
                parsed[key] = parsers[key](text, problems=problems, local_addresses=_own_addresses(parsed))
            else:
                parsed[key] = parsers[key](text, problems=problems)
        except UnsupportedCommand:
            facts["unsupported_commands"].append(COMMAND_OF[key])
        except ParseError as exc:
            problems.append({"line": None, "reason": str(exc), "text": ""})
        for item in problems:
            facts["unparsed"].append(dict(item, command=COMMAND_OF[key]))

    platform = parse_version(outputs.get("version") or "")
    device_epoch = parse_clock(outputs.get("clock"))
    inventory = parsed.get("running_config") or {"invalid_spi_recovery": False, "dpd": {"ikev1": False, "ikev2": False}, "tunnels": []}
    if not platform.get("hostname") and inventory.get("hostname"):
        platform["hostname"] = inventory.get("hostname")
    qfp_supported = COMMAND_OF["qfp_drops"] not in facts["unsupported_commands"] and outputs.get("qfp_drops") is not None
    platform["qfp"] = qfp_supported
    sas = parsed.get("ipsec_sa") or []
    ike_sas = (parsed.get("isakmp_sa") or []) + (parsed.get("ikev2_sa") or [])
    sessions = parsed.get("session") or []
    dmvpn_rows = parsed.get("dmvpn") or []
    events = parsed.get("logging") or []
    peers = known_peers(inventory, sas, ike_sas, sessions, dmvpn_rows)
    flows = build_flows(events, peers=peers, min_repeats=min_repeats, min_span=min_span)
    for flow in flows:
        last = flow.get("last_epoch")
        flow["age_seconds"] = round(device_epoch - last, 1) if device_epoch is not None and last is not None else None

    addresses = set(inventory.get("addresses") or [])
    addresses.update(a for a in (maybe_addr(sa.get("local_addr")) for sa in sas) if a)

    facts.update(
        {
            "platform": platform,
            "inventory": inventory,
            "addresses": sorted(addresses),
            "known_peers": peers,
            "events_total": len(events),
            "events": events[-max_events:] if max_events else [],
            "flows": flows,
            "qfp_drops": parsed.get("qfp_drops"),
            "qfp_ipsec_drops": parsed.get("qfp_ipsec_drops"),
            "ipsec_sas": sas,
            "ike_sas": ike_sas,
            "sessions": sessions,
            "dmvpn": dmvpn_rows,
            "drop_rate": None,
            "device_epoch": device_epoch,
        }
    )
    if second_poll and poll_interval > 0:
        facts["drop_rate"] = _drop_rate(facts, second_poll, poll_interval, parsers)
    return facts


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
               parsers: Mapping[str, Callable[..., Any]]) -> Optional[Dict[str, Any]]:
    before = invalid_spi_packets(facts.get("qfp_drops"), facts.get("qfp_ipsec_drops"))
    after_parsed: Dict[str, Any] = {}
    for key in POLL_KEYS:
        text = normalize_response(second.get(key))
        if text is None or is_unsupported(text):
            continue
        try:
            after_parsed[key] = parsers[key](text)
        except ParseError:
            continue
    after = invalid_spi_packets(after_parsed.get("qfp_drops"), after_parsed.get("qfp_ipsec_drops"))
    if before is None or after is None:
        return None
    delta = max(after - before, 0)
    return {"interval": interval, "before": before, "after": after, "delta": delta, "pps": round(delta / interval, 3)}


def read_capture_dir(path: str) -> Dict[str, Optional[str]]:
    """Outputs from a folder of captured command outputs (one file per command)."""
    import os

    if not os.path.isdir(path):
        raise ParseError("capture folder %s does not exist" % path)
    outputs: Dict[str, Optional[str]] = {}
    for key, names in FILE_NAMES.items():
        outputs[key] = None
        for name in names:
            candidate = os.path.join(path, name)
            if os.path.isfile(candidate):
                with open(candidate, "rb") as handle:
                    outputs[key] = handle.read().decode("utf-8", errors="replace")
                break
    if all(v is None for v in outputs.values()):
        raise ParseError(
            "capture folder %s holds none of the expected files (%s)"
            % (path, ", ".join(names[0] for names in FILE_NAMES.values()))
        )
    return outputs
