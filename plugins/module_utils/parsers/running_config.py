# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Crypto inventory of an IOS / IOS XE running-config.

``parse_crypto_inventory`` classifies every IPsec tunnel the configuration
defines by whether ``crypto isakmp invalid-spi-recovery`` can help it
(docs: domain notes, section 3). Every config line this module returns has
been through ``secrets.mask_secrets``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Dict, Iterable, List, Optional, Set, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import (
    ParseError,
    TextInput,
    UnsupportedCommand,
    as_lines,
    is_unsupported,
    maybe_addr,
    problem,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.secrets import _KEYWORDISH_RE, _mask, _scrub, mask_secrets

KINDS = (
    "static_crypto_map",
    "dynamic_crypto_map",
    "p2p_gre",
    "mgre_static_nhrp",
    "mgre_dynamic_nhrp",
    "svti",
    "dvti",
    "ezvpn_client",
)

_KIND_RECOVERY = {
    "static_crypto_map": "supported",
    "dynamic_crypto_map": "unsupported",
    "p2p_gre": "supported",
    "mgre_static_nhrp": "supported",
    "mgre_dynamic_nhrp": "unsupported",
    "svti": "supported",
    "dvti": "unsupported",
    "ezvpn_client": "not_applicable",
}

# Output bounds: a hostile or corrupt config must not turn into a huge result.
_MAX_EVIDENCE_LINES = 40
_MAX_LINE_CHARS = 300
_MAX_DESCRIPTION_CHARS = 1024
_MAX_BANNER_LINES = 1000
# Lines scanned for banner ends, over the whole input: many unclosed banners stay linear.
_BANNER_BUDGET = 200000

# --------------------------------------------------------------------------
# Reading the configuration into sections
# --------------------------------------------------------------------------


class _Line(object):
    __slots__ = ("no", "text", "strip", "low", "toks", "indent", "masked", "shown")

    def __init__(self, no: int, text: str, strip: str, indent: bool) -> None:
        self.no = no
        self.text = text
        self.strip = strip
        self.toks = strip.split()
        self.low = [t.lower() for t in self.toks]
        self.indent = indent
        self.masked: Optional[str] = None
        self.shown: Optional[str] = None


class _Section(object):
    __slots__ = ("head", "body")

    def __init__(self, head: _Line) -> None:
        self.head = head
        self.body: List[_Line] = []


_PREAMBLE_RE = re.compile(
    r"^(?:Building configuration\.\.\.|Current configuration\s*:.*|Load for .*|Time source is .*"
    r"|NVRAM config last updated.*|Using \d+ out of \d+ bytes.*)$"
)
# A CLI prompt with the command (`hub-1#show running-config | section crypto`) or a bare prompt.
_PROMPT_RE = re.compile(r"^[A-Za-z0-9][\w.\-]{0,62}(?:\([\w\-]{1,30}\))?[#>](?:\s*(?:sh|sho|show|more|term)\b.*)?$")
_BANNER_RE = re.compile(r"^banner\s+(?:motd|login|exec|incoming|slip-ppp|prompt-timeout|config-save)\s+(\S)")

# Whitespace-stripped configs: first words that always start a new top-level
# command. Words that are also interface or profile sub-commands (logging, ntp,
# mpls, vrf forwarding, aaa authorization in an IKEv2 profile...) are left out:
# keeping a stray global line inside a section is harmless, cutting a section
# short is not.
_TOP_FIRST = frozenset(
    (
        "interface", "router", "line", "hostname", "username", "enable", "boot", "version",
        "license", "vlan", "snmp-server", "access-list", "class-map", "policy-map", "control-plane",
        "event", "archive", "route-map", "banner", "alias", "object-group", "parameter-map",
        "zone", "zone-pair", "dial-peer", "telephony-service", "tacacs-server", "radius-server",
        "tacacs", "radius",
    )
)
_IP_GLOBAL = frozenset(
    (
        "route", "access-list", "domain", "domain-name", "domain-lookup", "name-server", "http",
        "ssh", "forward-protocol", "sla", "prefix-list", "scp", "cef", "multicast-routing", "host",
        "routing", "community-list", "as-path", "extcommunity-list", "tftp", "ftp", "finger",
        "source-route", "explicit-path", "subnet-zero", "classless", "default-gateway", "bgp-community",
    )
)
_IPV6_GLOBAL = frozenset(
    ("route", "unicast-routing", "router", "access-list", "prefix-list", "host", "multicast-routing", "cef")
)
_EZVPN_BODY = frozenset(
    ("connect", "group", "mode", "peer", "xauth", "username", "acl", "backup", "nem", "virtual-interface",
     "local-address", "flow", "password")
)


def _is_top_level(line: _Line, current: _Section, following: Optional[_Line]) -> bool:
    """Whether a non-indented line starts a new command in a whitespace-stripped config."""
    low = line.low
    first = low[0]
    cur = current.head.low
    in_iface = cur[0] == "interface"
    if cur[:4] == ["crypto", "ipsec", "client", "ezvpn"] and not in_iface and first in _EZVPN_BODY:
        return False
    if first == "crypto":
        if len(low) >= 3 and low[1] == "map":
            # `crypto map M` (and `... redundancy`) is the interface command; the
            # header has a sequence number; `crypto map M local-address` etc. are global.
            rest = low[4:] if low[2] == "ipv6" else low[3:]
            if not rest or rest[0] == "redundancy":
                return not in_iface
            return True
        if low[1:3] == ["ipsec", "df-bit"] or low[1:2] == ["engine"]:
            return not in_iface
        if low[1:4] == ["ipsec", "client", "ezvpn"] and in_iface:
            if len(low) > 5 or (len(low) == 5 and low[4] in ("inside", "outside")):
                return False
            # No role keyword: the global block follows with its own commands.
            return following is not None and following.low[0] in _EZVPN_BODY
        return True
    if first == "no":
        # Running-config prints `no` forms of global crypto defaults only (`no crypto isakmp ...`).
        return low[1:2] == ["crypto"] and not in_iface
    if first == "ip":
        return len(low) > 1 and low[1] in _IP_GLOBAL
    if first == "ipv6":
        return len(low) > 1 and low[1] in _IPV6_GLOBAL
    if first == "key":
        return len(low) > 1 and low[1] in ("chain", "config-key")
    if first == "vrf":
        return low[1:2] == ["definition"]
    return first in _TOP_FIRST


def _read_lines(data: TextInput, problems: Optional[list]) -> Tuple[List[_Line], bool]:
    """Clean the raw text into config lines; return them and whether indentation is meaningful."""
    raw = as_lines(data, "running-config")
    lines: List[Tuple[int, str, str]] = []
    banner_closes: Dict[str, Tuple[int, Optional[int]]] = {}
    budget = [_BANNER_BUDGET]
    skip_until = -1
    for index, text in enumerate(raw):
        if index <= skip_until:
            continue
        text = text.rstrip()
        strip = text.strip()
        if not strip:
            continue
        if strip[0] in "BCLTNU" and _PREAMBLE_RE.match(strip):
            continue
        if ("#" in strip or ">" in strip) and _PROMPT_RE.match(strip):
            continue
        banner = _BANNER_RE.match(strip) if strip.startswith("banner") else None
        if banner:
            delim = "^C" if strip[banner.start(1):banner.start(1) + 2] == "^C" else banner.group(1)
            after = strip[banner.start(1) + len(delim):]
            if delim not in after:
                close = _find_banner_close(raw, index + 1, delim, banner_closes, budget)
                if close is None:
                    problem(problems, index + 1, "banner is not closed by its delimiter %r" % delim,
                            mask_secrets(strip))
                else:
                    skip_until = close
            continue
        lines.append((index + 1, text, strip))
    indented = [len(t) - len(t.lstrip()) for dummy_no, t, dummy_strip in lines]
    base = min(indented) if indented else 0
    structured = any(width > base for width in indented)
    out = [_Line(no, text, strip, width > base) for (no, text, strip), width in zip(lines, indented)]
    return out, structured


def _find_banner_close(
    raw: List[str], start: int, delim: str, cache: Dict[str, Tuple[int, Optional[int]]], budget: List[int]
) -> Optional[int]:
    """Index of the line closing a banner, or None; bounded so hostile input stays linear."""
    cached = cache.get(delim)
    if cached is not None:
        searched_from, found = cached
        if searched_from <= start and (found is None or found >= start):
            return found
    stop = min(len(raw), start + _MAX_BANNER_LINES, start + max(budget[0], 0))
    budget[0] -= stop - start
    for index in range(start, stop):
        if delim in raw[index]:
            cache[delim] = (start, index)
            return index
    if stop == len(raw):
        cache[delim] = (start, None)
    return None


def _sections(lines: List[_Line], structured: bool) -> List[_Section]:
    sections: List[_Section] = []
    current: Optional[_Section] = None
    for index, line in enumerate(lines):
        indent = line.indent
        if line.strip.startswith("!"):
            if not indent or not structured:
                current = None
            continue
        if line.low[0] == "end" and len(line.low) == 1 and not indent:
            current = None
            continue
        if structured:
            if indent:
                if current is not None:
                    current.body.append(line)
                # An indented line with no section (a cut output) is left alone.
                continue
        elif current is not None:
            following = lines[index + 1] if index + 1 < len(lines) else None
            if not _is_top_level(line, current, following):
                current.body.append(line)
                continue
        current = _Section(line)
        sections.append(current)
    return sections


# --------------------------------------------------------------------------
# The model built from the sections
# --------------------------------------------------------------------------


class _Iface(object):
    def __init__(self, name: str, head: _Line) -> None:
        self.name = name
        self.head = head
        self.vt_tunnel = False
        self.description: Optional[str] = None
        self.v4: List[str] = []
        self.v6: List[str] = []
        self.crypto_maps: List[Tuple[str, bool, _Line]] = []
        self.ezvpn: List[Tuple[str, str, _Line]] = []
        self.mode: Optional[_Line] = None
        self.source: Optional[_Line] = None
        self.destination: Optional[_Line] = None
        self.protection: Optional[_Line] = None
        self.nhrp: List[_Line] = []
        self.shutdown = False
        self.unnumbered: Optional[str] = None


class _MapEntry(object):
    def __init__(self, name: str, seq: str, ipv6: bool, head: _Line) -> None:
        self.name = name
        self.seq = seq
        self.ipv6 = ipv6
        self.head = head
        self.method = "ipsec-isakmp"
        self.dynamic: Optional[str] = None
        self.peers: List[_Line] = []
        self.ikev2_profile: Optional[_Line] = None
        self.isakmp_profile: Optional[_Line] = None
        self.description: Optional[str] = None


class _Profile(object):
    """An IPsec, ISAKMP or IKEv2 profile: only what decides IKE version and DPD."""

    def __init__(self, name: str, head: _Line) -> None:
        self.name = name
        self.head = head
        self.ikev2_profile: Optional[_Line] = None
        self.isakmp_profile: Optional[_Line] = None
        self.dpd: Optional[_Line] = None
        self.virtual_templates: List[Tuple[str, _Line]] = []
        self.identities: List[object] = []


class _Ezvpn(object):
    def __init__(self, name: str, head: _Line) -> None:
        self.name = name
        self.head = head
        self.peers: List[_Line] = []


class _Config(object):
    def __init__(self) -> None:
        self.hostname: Optional[str] = None
        self.knob = False
        self.isakmp_keepalive: Optional[_Line] = None
        self.ikev2_dpd: Optional[_Line] = None
        self.ifaces: Dict[str, _Iface] = {}
        self.iface_order: List[str] = []
        self.maps: Dict[Tuple[str, str, bool], _MapEntry] = {}
        self.map_order: List[Tuple[str, str, bool]] = []
        self.map_local: Dict[Tuple[str, bool], str] = {}
        self.dynamic_maps: Dict[str, List[_MapEntry]] = {}
        self.ipsec_profiles: Dict[str, _Profile] = {}
        self.isakmp_profiles: Dict[str, _Profile] = {}
        self.ikev2_profiles: Dict[str, _Profile] = {}
        self.ezvpn: Dict[str, _Ezvpn] = {}
        self.ezvpn_order: List[str] = []


_SEQ_RE = re.compile(r"^\d{1,5}$")


def _rest(line: _Line, count: int) -> str:
    """The text of the line after its first ``count`` words, inner spacing kept."""
    parts = line.strip.split(None, count)
    return parts[count] if len(parts) > count else ""


def _build(sections: List[_Section], problems: Optional[list]) -> _Config:
    cfg = _Config()
    for sec in sections:
        head = sec.head
        low = head.low
        first = low[0]
        if first == "hostname" and len(head.toks) >= 2:
            cfg.hostname = head.toks[1]
        elif first == "interface":
            _read_interface(cfg, sec, problems)
        elif first == "crypto" and len(low) >= 2:
            _read_crypto(cfg, sec, problems)
        elif first == "no" and low[1:] == ["crypto", "isakmp", "invalid-spi-recovery"]:
            cfg.knob = False
    return cfg


def _read_crypto(cfg: _Config, sec: _Section, problems: Optional[list]) -> None:
    head = sec.head
    low = head.low
    toks = head.toks
    if low == ["crypto", "isakmp", "invalid-spi-recovery"]:
        cfg.knob = True
    elif low[1:3] == ["isakmp", "keepalive"] and len(low) > 3:
        cfg.isakmp_keepalive = head
    elif low[1:3] == ["ikev2", "dpd"] and len(low) > 3:
        cfg.ikev2_dpd = head
    elif low[1] == "map" and len(low) >= 3:
        _read_map(cfg, sec, problems)
    elif low[1] == "dynamic-map":
        if len(low) < 4 or not _SEQ_RE.match(low[3]):
            problem(problems, head.no, "crypto dynamic-map without a name and sequence number", mask_secrets(head.strip))
            return
        entry = _MapEntry(toks[2], toks[3], False, head)
        _read_map_body(entry, sec.body, problems)
        cfg.dynamic_maps.setdefault(toks[2], []).append(entry)
    elif low[1:3] == ["ipsec", "profile"] and len(low) >= 4:
        prof = cfg.ipsec_profiles.setdefault(toks[3], _Profile(toks[3], head))
        for line in sec.body:
            if line.low[:2] == ["set", "ikev2-profile"] and len(line.low) >= 3:
                prof.ikev2_profile = line
            elif line.low[:2] == ["set", "isakmp-profile"] and len(line.low) >= 3:
                prof.isakmp_profile = line
    elif low[1:3] == ["isakmp", "profile"] and len(low) >= 4:
        prof = cfg.isakmp_profiles.setdefault(toks[3], _Profile(toks[3], head))
        for line in sec.body:
            if line.low[0] == "keepalive" and len(line.low) >= 2:
                prof.dpd = line
            elif line.low[0] == "virtual-template" and len(line.low) >= 2:
                prof.virtual_templates.append((line.toks[1], line))
            elif line.low[:3] == ["match", "identity", "address"]:
                net = _identity_network(line.toks[3:])
                if net is not None:
                    prof.identities.append(net)
    elif low[1:3] == ["ikev2", "profile"] and len(low) >= 4:
        prof = cfg.ikev2_profiles.setdefault(toks[3], _Profile(toks[3], head))
        for line in sec.body:
            if line.low[0] == "dpd" and len(line.low) >= 2:
                prof.dpd = line
            elif line.low[0] == "virtual-template" and len(line.low) >= 2:
                prof.virtual_templates.append((line.toks[1], line))
    elif low[1:4] == ["ipsec", "client", "ezvpn"] and len(low) >= 5:
        ez = cfg.ezvpn.get(toks[4])
        if ez is None:
            ez = cfg.ezvpn[toks[4]] = _Ezvpn(toks[4], head)
            cfg.ezvpn_order.append(toks[4])
        for line in sec.body:
            if line.low[0] == "peer":
                if len(line.low) >= 2:
                    ez.peers.append(line)
                else:
                    problem(problems, line.no, "EzVPN client peer without an address", mask_secrets(line.strip))


def _identity_network(args: List[str]) -> Optional[object]:
    """``match identity address A [MASK] [VRF]`` as a network; None when unreadable."""
    if not args:
        return None
    addr = args[0]
    if addr.lower() == "ipv6" and len(args) > 1:
        addr = args[1]
        try:
            return ipaddress.ip_network(addr, strict=False)
        except ValueError:
            return None
    mask = args[1] if len(args) > 1 and maybe_addr(args[1]) else "255.255.255.255"
    try:
        return ipaddress.ip_network("%s/%s" % (addr, mask), strict=False)
    except ValueError:
        return None


def _read_map(cfg: _Config, sec: _Section, problems: Optional[list]) -> None:
    head = sec.head
    low = head.low
    toks = head.toks
    ipv6 = low[2] == "ipv6"
    base = 3 if ipv6 else 2
    if len(toks) <= base:
        problem(problems, head.no, "crypto map without a name", mask_secrets(head.strip))
        return
    name = toks[base]
    if len(low) > base + 2 and low[base + 1] == "local-address":
        cfg.map_local[(name, ipv6)] = toks[base + 2]
        return
    if len(low) <= base + 1 or not _SEQ_RE.match(low[base + 1]):
        # Other global `crypto map M ...` options (client, isakmp authorization, redundancy) do not matter here.
        return
    seq = toks[base + 1]
    key = (name, seq, ipv6)
    entry = cfg.maps.get(key)
    if entry is None:
        entry = cfg.maps[key] = _MapEntry(name, seq, ipv6, head)
        cfg.map_order.append(key)
    method = low[base + 2] if len(low) > base + 2 else "ipsec-isakmp"
    entry.method = method
    if "dynamic" in low[base + 2:]:
        at = low.index("dynamic", base + 2)
        if at + 1 < len(toks):
            entry.dynamic = toks[at + 1]
        else:
            problem(problems, head.no, "crypto map entry says dynamic but names no dynamic-map", mask_secrets(head.strip))
            entry.dynamic = ""
    _read_map_body(entry, sec.body, problems)


def _read_map_body(entry: _MapEntry, body: List[_Line], problems: Optional[list]) -> None:
    for line in body:
        low = line.low
        if low[:2] == ["set", "peer"]:
            if len(low) >= 3:
                entry.peers.append(line)
            else:
                problem(problems, line.no, "set peer without an address", mask_secrets(line.strip))
        elif low[:2] == ["set", "ikev2-profile"] and len(low) >= 3:
            entry.ikev2_profile = line
        elif low[:2] == ["set", "isakmp-profile"] and len(low) >= 3:
            entry.isakmp_profile = line
        elif low[0] == "description" and len(low) >= 2:
            entry.description = _rest(line, 1)


def _read_interface(cfg: _Config, sec: _Section, problems: Optional[list]) -> None:
    head = sec.head
    if len(head.toks) < 2:
        problem(problems, head.no, "interface without a name", mask_secrets(head.strip))
        return
    name = head.toks[1]
    iface = cfg.ifaces.get(name)
    if iface is None:
        iface = cfg.ifaces[name] = _Iface(name, head)
        cfg.iface_order.append(name)
    if head.low[2:4] == ["type", "tunnel"]:
        iface.vt_tunnel = True
    for line in sec.body:
        _read_interface_line(iface, line, problems)


def _read_interface_line(iface: _Iface, line: _Line, problems: Optional[list]) -> None:
    low = line.low
    toks = line.toks
    first = low[0]
    if first == "description":
        iface.description = _rest(line, 1)[:_MAX_DESCRIPTION_CHARS]
    elif first == "shutdown" and len(low) == 1:
        iface.shutdown = True
    elif low[:2] == ["ip", "address"] and len(low) >= 3:
        if low[2] in ("dhcp", "negotiated", "pool"):
            return
        addr = maybe_addr(toks[2])
        if addr is None or ":" in addr or len(low) < 4 or maybe_addr(toks[3]) is None:
            problem(problems, line.no, "ip address is not an IPv4 address and mask", mask_secrets(line.strip))
        elif addr not in iface.v4:
            iface.v4.append(addr)
    elif low[:2] == ["ipv6", "address"] and len(low) >= 3:
        if low[2] in ("autoconfig", "dhcp") or "eui-64" in low[3:]:
            # The host part comes from the MAC or a server: not in the config.
            return
        addr = maybe_addr(toks[2].split("/", 1)[0])
        if addr is None or ":" not in addr:
            problem(problems, line.no, "ipv6 address is not an IPv6 address", mask_secrets(line.strip))
        elif addr not in iface.v6:
            iface.v6.append(addr)
    elif low[:2] == ["ip", "unnumbered"] and len(low) >= 3:
        iface.unnumbered = toks[2]
    elif first == "crypto" and len(low) >= 3 and low[1] == "map":
        iface.crypto_maps.append((toks[2], False, line))
    elif low[:3] == ["ipv6", "crypto", "map"] and len(low) >= 4:
        iface.crypto_maps.append((toks[3], True, line))
    elif low[:4] == ["crypto", "ipsec", "client", "ezvpn"] and len(low) >= 5:
        role = "inside" if "inside" in low[5:] else "outside"
        iface.ezvpn.append((toks[4], role, line))
    elif first == "tunnel" and len(low) >= 2:
        if low[1] == "mode":
            iface.mode = line
        elif low[1] == "source" and len(low) >= 3:
            iface.source = line
        elif low[1] == "destination" and len(low) >= 3:
            iface.destination = line
        elif low[1] == "protection" and len(low) >= 3:
            iface.protection = line
    elif first in ("ip", "ipv6") and len(low) >= 3 and low[1] == "nhrp":
        iface.nhrp.append(line)


# --------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------


class _Evidence(object):
    """Ordered, de-duplicated, masked, bounded evidence lines."""

    def __init__(self) -> None:
        self.lines: Dict[int, _Line] = {}

    def add(self, *lines: Optional[_Line]) -> None:
        for line in lines:
            if line is not None:
                self.lines[line.no] = line

    def render(self, secrets: Set[str]) -> List[str]:
        out = []
        for no in sorted(self.lines)[:_MAX_EVIDENCE_LINES]:
            line = self.lines[no]
            if line.shown is None:
                # Lines are shared by tunnels (profiles, global keepalive): mask each once.
                masked = _scrub(line.masked if line.masked is not None else mask_secrets(line.text), secrets)
                if len(masked) > _MAX_LINE_CHARS:
                    masked = masked[:_MAX_LINE_CHARS] + "..."
                line.shown = masked
            out.append(line.shown)
        if len(self.lines) > _MAX_EVIDENCE_LINES:
            out.append("! (%d more lines)" % (len(self.lines) - _MAX_EVIDENCE_LINES))
        return out


class _Tunnel(object):
    def __init__(self, kind: str, name: str, order: int) -> None:
        self.kind = kind
        self.name = name
        self.order = order
        self.interfaces: List[str] = []
        self.peers: List[str] = []
        self.ike_version: Optional[str] = None
        self.recovery: Optional[str] = None
        self.notes: List[str] = []
        self.evidence = _Evidence()
        self.dpd = False
        self.description: Optional[str] = None
        self.ipsec_profile: Optional[str] = None
        self.ike_profile: Optional[str] = None
        self.local_addresses: List[str] = []
        self.active = True
        self.nhrp: Optional[dict] = None
        self.unresolved: List[str] = []
        self.base_reason = ""

    def add_peer(self, text: str) -> bool:
        addr = maybe_addr(text)
        if addr is None:
            return False
        if addr not in self.peers:
            self.peers.append(addr)
        return True


def _add_unique(target: List[str], values: Iterable[str]) -> None:
    for value in values:
        if value not in target:
            target.append(value)


def _iface_addresses(cfg: _Config, name: str, v6: bool) -> List[str]:
    iface = cfg.ifaces.get(name)
    if iface is None:
        return []
    addrs = iface.v6 if v6 else iface.v4
    if not addrs and iface.unnumbered and iface.unnumbered in cfg.ifaces:
        other = cfg.ifaces[iface.unnumbered]
        addrs = other.v6 if v6 else other.v4
    return list(addrs)


def _ike_dpd(cfg: _Config, tun: _Tunnel, version: Optional[str], profile: Optional[_Profile]) -> None:
    """Decide whether dead peer detection covers this tunnel, recording the deciding line."""
    if version == "ikev1":
        if profile is None:
            # Without an explicit profile IOS picks an ISAKMP profile by the peer's identity.
            for prof in cfg.isakmp_profiles.values():
                if prof.dpd is not None and _identity_covers(prof, tun.peers):
                    profile = prof
                    break
        if profile is not None and profile.dpd is not None:
            tun.dpd = True
            tun.evidence.add(profile.head, profile.dpd)
        elif cfg.isakmp_keepalive is not None:
            tun.dpd = True
            tun.evidence.add(cfg.isakmp_keepalive)
    elif version == "ikev2":
        if profile is not None and profile.dpd is not None:
            tun.dpd = True
            tun.evidence.add(profile.head, profile.dpd)
        elif cfg.ikev2_dpd is not None:
            tun.dpd = True
            tun.evidence.add(cfg.ikev2_dpd)


def _identity_covers(prof: _Profile, peers: List[str]) -> bool:
    for peer in peers:
        addr = ipaddress.ip_address(peer)
        for net in prof.identities:
            if addr.version == net.version and addr in net:  # type: ignore[attr-defined]
                return True
    return False


def _profile_ref(cfg: _Config, tun: _Tunnel, line: Optional[_Line], v2: bool, problems: Optional[list]) -> Optional[_Profile]:
    """Resolve a `set ikev2-profile` / `set isakmp-profile` line to its profile."""
    if line is None:
        return None
    return _lookup_profile(cfg, tun, line, line.toks[2] if line.low[0] == "set" else line.toks[-1], v2, problems)


def _lookup_profile(cfg: _Config, tun: _Tunnel, line: _Line, name: str, v2: bool, problems: Optional[list]) -> Optional[_Profile]:
    """The IKE profile a tunnel names on ``line``; an undefined one is a problem and a note, not a guess."""
    table = cfg.ikev2_profiles if v2 else cfg.isakmp_profiles
    tun.ike_profile = name
    tun.evidence.add(line)
    prof = table.get(name)
    if prof is None:
        what = "IKEv2" if v2 else "ISAKMP"
        problem(problems, line.no, "%s profile %s is not defined" % (what, name), mask_secrets(line.strip))
        tun.notes.append("its %s profile %s is not defined in this configuration" % (what, name))
    else:
        tun.evidence.add(prof.head)
    return prof


def _map_tunnels(cfg: _Config, problems: Optional[list]) -> List[_Tunnel]:
    applied: Dict[Tuple[str, bool], List[Tuple[_Iface, _Line]]] = {}
    defined = {(k[0], k[2]) for k in cfg.maps}
    for name in cfg.iface_order:
        iface = cfg.ifaces[name]
        for map_name, ipv6, line in iface.crypto_maps:
            applied.setdefault((map_name, ipv6), []).append((iface, line))
            if (map_name, ipv6) not in defined:
                problem(problems, line.no, "crypto map %s is applied but not defined" % map_name, mask_secrets(line.strip))

    tunnels = []
    for key in cfg.map_order:
        entry = cfg.maps[key]
        name = "%s%s %s" % ("ipv6 " if entry.ipv6 else "", entry.name, entry.seq)
        kind = "dynamic_crypto_map" if entry.dynamic is not None else "static_crypto_map"
        tun = _Tunnel(kind, name, entry.head.no)
        tun.evidence.add(entry.head)
        uses = applied.get((entry.name, entry.ipv6), [])
        for iface, line in uses:
            if iface.name not in tun.interfaces:
                tun.interfaces.append(iface.name)
            tun.evidence.add(iface.head, line)
        tun.active = any(not iface.shutdown for iface, dummy_line in uses)
        if not uses:
            tun.notes.append("crypto map %s is not applied to any interface" % entry.name)
        local_if = cfg.map_local.get((entry.name, entry.ipv6))
        if local_if is not None:
            tun.local_addresses = _iface_addresses(cfg, local_if, entry.ipv6)
        else:
            for iface, dummy_line in uses:
                _add_unique(tun.local_addresses, _iface_addresses(cfg, iface.name, entry.ipv6))
        tun.description = entry.description
        if tun.description is None and uses:
            tun.description = uses[0][0].description

        if entry.method == "gdoi":
            problem(problems, entry.head.no, "GET VPN (gdoi) crypto map entries are not assessed",
                    mask_secrets(entry.head.strip))
            continue
        if entry.method == "ipsec-manual":
            _static_peers(tun, entry.peers)
            tun.recovery = "not_applicable"
            tun.base_reason = (
                "manually keyed crypto map entry (ipsec-manual): there is no IKE, so invalid-spi-recovery "
                "cannot renegotiate anything; a desync needs the keys fixed by hand"
            )
            tunnels.append(tun)
            continue

        if entry.dynamic is not None:
            _dynamic_entry(cfg, tun, entry, problems)
        else:
            _static_entry(cfg, tun, entry, problems)
        tunnels.append(tun)
    return tunnels


def _static_peers(tun: _Tunnel, lines: List[_Line], at: int = 2) -> List[str]:
    """Add the peers of `set peer X` (or EzVPN `peer X`) lines; return those that are host names."""
    names = []
    for line in lines:
        tun.evidence.add(line)
        if not tun.add_peer(line.toks[at]):
            names.append(line.toks[at])
    return names


def _static_entry(cfg: _Config, tun: _Tunnel, entry: _MapEntry, problems: Optional[list]) -> None:
    names = _static_peers(tun, entry.peers)
    if entry.ikev2_profile is not None:
        tun.ike_version = "ikev2"
        prof = _profile_ref(cfg, tun, entry.ikev2_profile, True, problems)
    else:
        tun.ike_version = "ikev1"
        prof = _profile_ref(cfg, tun, entry.isakmp_profile, False, problems)
    _ike_dpd(cfg, tun, tun.ike_version, prof)
    if not entry.peers:
        problem(problems, entry.head.no, "crypto map entry %s has no set peer and no dynamic map" % tun.name,
                mask_secrets(entry.head.strip))
        tun.base_reason = (
            "static crypto map entry with no set peer: the entry is incomplete and IOS keeps it disabled"
        )
    elif not tun.peers:
        tun.base_reason = "static crypto map entry whose set peer is a host name (%s), not an address" % ", ".join(names)
    else:
        tun.base_reason = (
            "static crypto map entry with set peer %s: the peer is statically known, so invalid-spi-recovery "
            "can start IKE towards it" % ", ".join(tun.peers)
        )
        if names:
            tun.notes.append("set peer also names host name(s) %s, not addresses" % ", ".join(names))


def _dynamic_entry(cfg: _Config, tun: _Tunnel, entry: _MapEntry, problems: Optional[list]) -> None:
    dyn_name = entry.dynamic or ""
    dyn = cfg.dynamic_maps.get(dyn_name) if dyn_name else None
    versions = set()
    prof_v1 = prof_v2 = None
    if dyn is None:
        if dyn_name:
            problem(problems, entry.head.no, "crypto dynamic-map %s is not defined" % dyn_name,
                    mask_secrets(entry.head.strip))
        tun.notes.append("its dynamic map %s is not defined in this configuration" % (dyn_name or "(unnamed)"))
    else:
        for dentry in dyn:
            tun.evidence.add(dentry.head)
            for line in dentry.peers:
                tun.evidence.add(line)
                tun.add_peer(line.toks[2])
            if dentry.ikev2_profile is not None:
                versions.add("ikev2")
                prof_v2 = _profile_ref(cfg, tun, dentry.ikev2_profile, True, problems) or prof_v2
            else:
                versions.add("ikev1")
                prof_v1 = _profile_ref(cfg, tun, dentry.isakmp_profile, False, problems) or prof_v1
    # Entries that differ: IKEv1 ones are what invalid-spi-recovery could be asked about.
    tun.ike_version = "ikev1" if "ikev1" in versions or not versions else "ikev2"
    _ike_dpd(cfg, tun, tun.ike_version, prof_v1 if tun.ike_version == "ikev1" else prof_v2)
    tun.base_reason = (
        "dynamic crypto map (crypto dynamic-map %s): peers are learned only when they connect, so "
        "invalid-spi-recovery has no address to start IKE towards" % (dyn_name or "(unnamed)")
    )
    if len(versions) > 1:
        tun.notes.append("its dynamic-map entries mix IKEv1 and IKEv2")


def _protection_profile(cfg: _Config, tun: _Tunnel, iface: _Iface, problems: Optional[list]) -> Tuple[Optional[str], Optional[_Profile]]:
    """IKE version and IKE profile from `tunnel protection ipsec profile P [...]` and profile P."""
    line = iface.protection
    if line is None:
        return None, None
    tun.evidence.add(line)
    low = line.low
    if low[2:4] != ["ipsec", "profile"] or len(low) < 5:
        problem(problems, line.no, "tunnel protection names no IPsec profile", mask_secrets(line.strip))
        tun.notes.append("its tunnel protection names no IPsec profile")
        return None, None
    name = line.toks[4]
    tun.ipsec_profile = name
    ike_line = None
    for index in range(5, len(low) - 1):
        if low[index] in ("ikev2-profile", "isakmp-profile"):
            ike_line = line
    prof = cfg.ipsec_profiles.get(name)
    if prof is not None:
        tun.evidence.add(prof.head)
        if ike_line is None:
            ike_line = prof.ikev2_profile or prof.isakmp_profile
    elif ike_line is None:
        if name.lower() == "default":
            # IKEv2 smart defaults: the built-in default IPsec profile uses IKEv2 profile "default".
            tun.ike_profile = "default"
            tun.notes.append("it uses the built-in default IPsec profile (IKEv2 smart defaults)")
            return "ikev2", cfg.ikev2_profiles.get("default")
        problem(problems, line.no, "IPsec profile %s is not defined" % name, mask_secrets(line.strip))
        tun.notes.append("its IPsec profile %s is not defined in this configuration, so the IKE version is unknown" % name)
        return None, None
    if ike_line is not None and "ikev2-profile" in ike_line.low:
        return "ikev2", _named_profile(cfg, tun, ike_line, "ikev2-profile", True, problems)
    if ike_line is not None:
        return "ikev1", _named_profile(cfg, tun, ike_line, "isakmp-profile", False, problems)
    return "ikev1", None


def _named_profile(cfg: _Config, tun: _Tunnel, line: _Line, keyword: str, v2: bool, problems: Optional[list]) -> Optional[_Profile]:
    at = line.low.index(keyword)
    if at + 1 >= len(line.toks):
        return None
    return _lookup_profile(cfg, tun, line, line.toks[at + 1], v2, problems)


_NHRP_MARKERS = {
    ("map", "multicast", "dynamic"): "ip nhrp map multicast dynamic",
    ("shortcut",): "ip nhrp shortcut",
    ("redirect",): "ip nhrp redirect",
}


def _tunnel_interfaces(cfg: _Config, problems: Optional[list]) -> List[_Tunnel]:
    tunnels = []
    for name in cfg.iface_order:
        iface = cfg.ifaces[name]
        is_tunnel = name.lower().startswith("tunnel")
        is_vt = name.lower().startswith("virtual-template") and (
            iface.vt_tunnel or (iface.mode is not None and "ipsec" in iface.mode.low)
        )
        if not (is_tunnel or is_vt):
            continue
        mode = iface.mode.low[2:] if iface.mode is not None else []
        if iface.protection is None:
            if mode[:1] == ["ipsec"]:
                problem(problems, iface.head.no, "%s has tunnel mode ipsec but no tunnel protection" % name,
                        mask_secrets(iface.head.strip))
            # Plain GRE (or other) tunnel without IPsec: not ours.
            continue
        if is_vt:
            tunnels.append(_dvti(cfg, iface, problems))
        else:
            tunnels.append(_tunnel(cfg, iface, mode, problems))
    return tunnels


def _base_tunnel(kind: str, iface: _Iface) -> _Tunnel:
    tun = _Tunnel(kind, iface.name, iface.head.no)
    tun.interfaces = [iface.name]
    tun.description = iface.description
    tun.active = not iface.shutdown
    tun.evidence.add(iface.head, iface.mode)
    return tun


def _tunnel(cfg: _Config, iface: _Iface, mode: List[str], problems: Optional[list]) -> _Tunnel:
    v6_transport = "ipv6" in mode
    if mode[:1] == ["ipsec"]:
        kind = "svti"
    elif mode[:2] == ["gre", "multipoint"]:
        kind = "mgre"
    else:
        kind = "p2p_gre"
    tun = _base_tunnel("mgre_dynamic_nhrp" if kind == "mgre" else kind, iface)
    tun.ike_version, prof = _protection_profile(cfg, tun, iface, problems)
    if kind == "mgre":
        _nhrp(tun, iface, problems)
    else:
        _destination(tun, iface, kind, mode, problems)
    _ike_dpd(cfg, tun, tun.ike_version, prof)
    _local(cfg, tun, iface, v6_transport)
    return tun


_MODE_WORDS = frozenset(
    ("ipsec", "ipv4", "ipv6", "gre", "ip", "multipoint", "v6-overlay", "dual-overlay", "ipip", "ipv6ip", "decapsulate-any")
)


def _destination(tun: _Tunnel, iface: _Iface, kind: str, mode: List[str], problems: Optional[list]) -> None:
    # Only known mode words are echoed: the reason must not carry arbitrary config text.
    mode_text = " ".join(word for word in mode[:4] if word in _MODE_WORDS)
    if kind == "svti":
        what = "static VTI (tunnel mode %s)" % mode_text
    else:
        what = "point-to-point GRE tunnel%s with IPsec tunnel protection" % (
            " (tunnel mode %s)" % mode_text if mode_text else ""
        )
    dest = iface.destination
    if dest is None:
        problem(problems, iface.head.no, "%s has tunnel protection but no tunnel destination" % iface.name,
                mask_secrets(iface.head.strip))
        tun.base_reason = "%s without a tunnel destination: the tunnel is incomplete" % what
        return
    tun.evidence.add(dest)
    target = dest.toks[2]
    if target.lower() == "dynamic":
        tun.recovery = "unsupported"
        tun.base_reason = (
            "%s to tunnel destination dynamic: it only answers peers that connect to it, so "
            "invalid-spi-recovery has no address to start IKE towards" % what
        )
    elif tun.add_peer(target):
        tun.base_reason = (
            "%s to tunnel destination %s: the peer is statically known, so invalid-spi-recovery can start "
            "IKE towards it" % (what, tun.peers[0])
        )
    else:
        tun.base_reason = (
            "%s whose tunnel destination is a host name (%s), resolved at run time, not an address" % (what, target)
        )


def _nhrp(tun: _Tunnel, iface: _Iface, problems: Optional[list]) -> None:
    static_maps: List[dict] = []
    multicast: List[str] = []
    nhs: List[dict] = []
    markers: List[str] = []
    static_lines: List[_Line] = []
    for line in iface.nhrp:
        args = line.low[2:]
        toks = line.toks[2:]
        fam = line.low[0]
        if line.low[0] == "no":
            continue
        if args[0] == "map":
            if args[1:3] == ["multicast", "dynamic"]:
                markers.append("%s nhrp map multicast dynamic" % fam)
                tun.evidence.add(line)
            elif args[1:2] == ["multicast"] and len(toks) >= 3:
                addr = maybe_addr(toks[2])
                if addr is None:
                    problem(problems, line.no, "NHRP multicast mapping to something that is not an address",
                            mask_secrets(line.strip))
                elif addr not in multicast:
                    multicast.append(addr)
                static_lines.append(line)
            elif args[1:2] == ["group"]:
                continue
            elif len(toks) >= 3:
                tun_ip = maybe_addr(toks[1].split("/", 1)[0])
                nbma = maybe_addr(toks[2])
                if tun_ip is None or nbma is None:
                    problem(problems, line.no, "NHRP mapping that is not <tunnel address> <NBMA address>",
                            mask_secrets(line.strip))
                    continue
                static_maps.append({"tunnel_ip": tun_ip, "nbma": nbma})
                static_lines.append(line)
            else:
                problem(problems, line.no, "NHRP mapping without an NBMA address", mask_secrets(line.strip))
        elif args[0] == "nhs":
            markers.append("%s nhrp nhs (NHS registration)" % fam)
            tun.evidence.add(line)
            entry = _nhs_entry(toks[1:])
            if entry is None:
                problem(problems, line.no, "NHRP NHS line not understood", mask_secrets(line.strip))
            elif entry not in nhs:
                nhs.append(entry)
        elif tuple(args) in _NHRP_MARKERS or tuple(args[:1]) in _NHRP_MARKERS:
            markers.append("%s nhrp %s" % (fam, args[0]))
            tun.evidence.add(line)
    # An NHS known only by its tunnel address gets its NBMA from a static mapping.
    for entry in nhs:
        if entry["nbma"] is None and entry["tunnel_ip"] is not None:
            for mapping in static_maps:
                if mapping["tunnel_ip"] == entry["tunnel_ip"]:
                    entry["nbma"] = mapping["nbma"]
                    break
    dynamic = bool(markers) or not (static_maps or multicast)
    tun.nhrp = {"static_maps": static_maps, "nhs": nhs, "dynamic": dynamic, "multicast": multicast}
    if dynamic:
        tun.kind = "mgre_dynamic_nhrp"
        for entry in nhs:
            if entry["nbma"] is not None:
                tun.add_peer(entry["nbma"])
        for line in static_lines:
            tun.evidence.add(line)
        if markers:
            tun.base_reason = (
                "multipoint GRE with dynamic NHRP (%s): peers are learned at run time, so "
                "invalid-spi-recovery cannot count on a static peer address" % "; ".join(_dedupe(markers))
            )
        else:
            tun.base_reason = (
                "multipoint GRE with no static NHRP mapping: peers are learned from NHRP registrations at "
                "run time, so invalid-spi-recovery cannot count on a static peer address"
            )
    else:
        tun.kind = "mgre_static_nhrp"
        for line in static_lines:
            tun.evidence.add(line)
        for mapping in static_maps:
            tun.add_peer(mapping["nbma"])
        for addr in multicast:
            tun.add_peer(addr)
        tun.base_reason = (
            "multipoint GRE with only static NHRP mappings (NBMA %s): the peers are statically known, so "
            "invalid-spi-recovery can start IKE towards them" % ", ".join(tun.peers)
        )


def _dedupe(items: List[str]) -> List[str]:
    out: List[str] = []
    _add_unique(out, items)
    return out


def _nhs_entry(args: List[str]) -> Optional[dict]:
    """`nhs X [nbma Y] [multicast] [priority N] [cluster N]`, `nhs dynamic nbma Y`, `nhs cluster ...`."""
    if not args:
        return None
    low = [a.lower() for a in args]
    if low[0] in ("cluster", "fallback"):
        return {"tunnel_ip": None, "nbma": None, "nbma_name": None}
    tun_ip = None
    if low[0] != "dynamic":
        tun_ip = maybe_addr(args[0].split("/", 1)[0])
        if tun_ip is None:
            return None
    nbma = nbma_name = None
    if "nbma" in low:
        at = low.index("nbma")
        if at + 1 < len(args):
            nbma = maybe_addr(args[at + 1])
            if nbma is None:
                nbma_name = args[at + 1]
    return {"tunnel_ip": tun_ip, "nbma": nbma, "nbma_name": nbma_name}


def _local(cfg: _Config, tun: _Tunnel, iface: _Iface, v6: bool) -> None:
    if iface.source is None:
        return
    tun.evidence.add(iface.source)
    target = iface.source.toks[2]
    addr = maybe_addr(target)
    if addr is not None:
        tun.local_addresses = [addr]
    else:
        tun.local_addresses = _iface_addresses(cfg, target, v6)


def _dvti(cfg: _Config, iface: _Iface, problems: Optional[list]) -> _Tunnel:
    tun = _base_tunnel("dvti", iface)
    number = iface.name[len("virtual-template"):].strip()
    refs_v1 = [(p, line) for p in cfg.isakmp_profiles.values() for n, line in p.virtual_templates if n == number]
    refs_v2 = [(p, line) for p in cfg.ikev2_profiles.values() for n, line in p.virtual_templates if n == number]
    for prof, line in refs_v1 + refs_v2:
        tun.evidence.add(prof.head, line)
    version, prof = _protection_profile(cfg, tun, iface, problems)
    if refs_v2 and not refs_v1:
        version, prof = "ikev2", refs_v2[0][0]
        via = "IKEv2 profile %s" % prof.name
    elif refs_v1 and not refs_v2:
        version, prof = "ikev1", refs_v1[0][0]
        via = "ISAKMP profile %s" % prof.name
    elif refs_v1 and refs_v2:
        via = "ISAKMP profile %s and IKEv2 profile %s" % (refs_v1[0][0].name, refs_v2[0][0].name)
    else:
        via = "no ISAKMP or IKEv2 profile naming virtual-template %s" % number
        tun.notes.append("no IKE profile references it, so no peer can use it yet")
    if refs_v1 or refs_v2:
        tun.ike_profile = prof.name if prof is not None else tun.ike_profile
    tun.ike_version = version
    _ike_dpd(cfg, tun, version, prof)
    tun.base_reason = (
        "dynamic VTI cloned from %s (%s): assumption: its peers are not static (they connect to this "
        "router), so invalid-spi-recovery has no address to start IKE towards" % (iface.name, via)
    )
    _local(cfg, tun, iface, iface.mode is not None and "ipv6" in iface.mode.low)
    return tun


def _ezvpn_tunnels(cfg: _Config, problems: Optional[list]) -> List[_Tunnel]:
    applied: Dict[str, List[Tuple[_Iface, str, _Line]]] = {}
    for name in cfg.iface_order:
        iface = cfg.ifaces[name]
        for ez_name, role, line in iface.ezvpn:
            applied.setdefault(ez_name, []).append((iface, role, line))
            if ez_name not in cfg.ezvpn:
                problem(problems, line.no, "EzVPN client %s is applied but not defined" % ez_name,
                        mask_secrets(line.strip))
    tunnels = []
    for ez_name in cfg.ezvpn_order:
        ez = cfg.ezvpn[ez_name]
        tun = _Tunnel("ezvpn_client", ez_name, ez.head.no)
        tun.evidence.add(ez.head)
        names = _static_peers(tun, ez.peers, 1)
        uses = applied.get(ez_name, [])
        outside = [iface for iface, role, dummy_line in uses if role == "outside"]
        for iface, dummy_role, line in uses:
            if iface.name not in tun.interfaces:
                tun.interfaces.append(iface.name)
            tun.evidence.add(iface.head, line)
        for iface in outside:
            _add_unique(tun.local_addresses, _iface_addresses(cfg, iface.name, False))
        tun.active = any(not iface.shutdown for iface in outside)
        tun.description = outside[0].description if outside else None
        tun.ike_version = "ikev1"
        _ike_dpd(cfg, tun, "ikev1", None)
        if not ez.peers:
            problem(problems, ez.head.no, "EzVPN client %s has no peer" % ez_name, mask_secrets(ez.head.strip))
            tun.notes.append("it has no peer")
        elif names:
            tun.notes.append("its peer is given as host name(s) %s" % ", ".join(names))
        if not outside:
            tun.notes.append("it is not applied to an outside interface")
        tun.base_reason = (
            "Easy VPN client: the EzVPN server manages the IKE and IPsec SAs, so invalid-spi-recovery does "
            "not apply"
        )
        tunnels.append(tun)
    return tunnels


_SO = ", so invalid-spi-recovery"


def _finish(tun: _Tunnel, secrets: Set[str]) -> dict:
    recovery = tun.recovery or _KIND_RECOVERY[tun.kind]
    reason = tun.base_reason
    if tun.ike_version == "ikev2" and tun.kind != "ezvpn_client":
        recovery = "not_applicable"
        # What the kind alone would allow is moot under IKEv2: keep the facts, replace the conclusion.
        reason = reason.split(_SO, 1)[0] + (
            "; it uses IKEv2%s, where invalid-spi-recovery (an IKEv1 command) has no effect: "
            "dead peer detection is what ends a desync" % (" (profile %s)" % tun.ike_profile if tun.ike_profile else "")
        )
    if tun.notes:
        reason += "; " + "; ".join(tun.notes)
    if tun.kind == "ezvpn_client":
        recovery = "not_applicable"
    out = {
        "kind": tun.kind,
        "name": tun.name,
        "interfaces": list(tun.interfaces),
        "peers": list(tun.peers),
        "ike_version": tun.ike_version,
        "recovery": recovery,
        "reason": _scrub(reason[0].upper() + reason[1:] + "." if reason else reason, secrets),
        "evidence": tun.evidence.render(secrets),
        "dpd": bool(tun.dpd),
        "description": _scrub(mask_secrets(tun.description), secrets) if tun.description is not None else None,
        "ipsec_profile": tun.ipsec_profile,
        "ike_profile": tun.ike_profile,
        "local_addresses": list(tun.local_addresses),
        "active": bool(tun.active),
    }
    if tun.nhrp is not None:
        out["nhrp"] = tun.nhrp
    return out


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------

_REFUSED_RE = re.compile(r"^\s*(?:Command authorization failed|% ?Authorization failed|% Permission denied)", re.I)


def parse_crypto_inventory(data: TextInput, problems: Optional[list] = None) -> dict:
    """Classify the IPsec tunnels of a ``show running-config`` for invalid-spi-recovery.

    Returns ``{hostname, invalid_spi_recovery, dpd: {ikev1, ikev2}, ike_versions_in_use,
    addresses, tunnels: [...]}``; see the ``crypto_inventory`` filter documentation for
    every key. Secrets never appear in the result: config lines go through
    ``mask_secrets``. Raises ParseError (UnsupportedCommand when the device
    rejected the command) for input that is not a configuration.
    """
    # Problem texts are masked where they are recorded; scrub them for reused secrets too.
    first_problem = len(problems) if problems is not None else 0
    lines, structured = _read_lines(data, problems)
    if lines:
        first = lines[0].strip
        if is_unsupported(first) or _REFUSED_RE.match(first):
            if is_unsupported(first):
                raise UnsupportedCommand("line %d: the device rejected the command: %s" % (lines[0].no, first[:120]))
            raise ParseError("line %d: the device refused the command: %s" % (lines[0].no, first[:120]))

    secrets: Set[str] = set()
    for line in lines:
        line.masked, found = _mask(line.text)
        for value in found:
            secrets.add(value)
            # A masked rest-of-line may include keywords (`inbound esp 256 cipher ...`): those
            # must not become words to scrub everywhere else.
            secrets.update(word for word in value.split() if not _KEYWORDISH_RE.match(word))

    cfg = _build(_sections(lines, structured), problems)

    tunnels = _map_tunnels(cfg, problems)
    tunnels += _tunnel_interfaces(cfg, problems)
    tunnels += _ezvpn_tunnels(cfg, problems)
    tunnels.sort(key=lambda t: t.order)

    addresses: List[str] = []
    for name in cfg.iface_order:
        _add_unique(addresses, cfg.ifaces[name].v4)
        _add_unique(addresses, cfg.ifaces[name].v6)

    dpd_v1 = cfg.isakmp_keepalive is not None or any(p.dpd is not None for p in cfg.isakmp_profiles.values())
    dpd_v2 = cfg.ikev2_dpd is not None or any(p.dpd is not None for p in cfg.ikev2_profiles.values())
    result_tunnels = [_finish(t, secrets) for t in tunnels]
    if problems is not None:
        for entry in problems[first_problem:]:
            entry["text"] = _scrub(entry["text"], secrets)
    return {
        "hostname": cfg.hostname,
        "invalid_spi_recovery": cfg.knob,
        "dpd": {"ikev1": dpd_v1, "ikev2": dpd_v2},
        "ike_versions_in_use": sorted({t["ike_version"] for t in result_tunnels if t["ike_version"]}),
        "addresses": addresses,
        "tunnels": result_tunnels,
    }
