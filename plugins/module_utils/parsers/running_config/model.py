# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The configuration model: interfaces, crypto maps, profiles and EzVPN clients read from the sections.

Only what decides a tunnel's kind, peers, IKE version and dead peer detection
is kept; the lines themselves stay attached so they can be shown as evidence.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Dict, List, Optional, Tuple, Union

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import maybe_addr, problem
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config.reader import Line, Section
from ansible_collections.netops.ipsec_spi.plugins.module_utils.secrets import mask_secrets

_MAX_DESCRIPTION_CHARS = 1024

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


class Iface(object):
    def __init__(self, name: str, head: Line) -> None:
        self.name = name
        self.head = head
        self.vt_tunnel = False
        self.description: Optional[str] = None
        self.v4: List[str] = []
        self.v6: List[str] = []
        self.crypto_maps: List[Tuple[str, bool, Line]] = []
        self.ezvpn: List[Tuple[str, str, Line]] = []
        self.mode: Optional[Line] = None
        self.source: Optional[Line] = None
        self.destination: Optional[Line] = None
        self.protection: Optional[Line] = None
        self.nhrp: List[Line] = []
        self.shutdown = False
        self.unnumbered: Optional[str] = None


class MapEntry(object):
    def __init__(self, name: str, seq: str, ipv6: bool, head: Line) -> None:
        self.name = name
        self.seq = seq
        self.ipv6 = ipv6
        self.head = head
        self.method = "ipsec-isakmp"
        self.dynamic: Optional[str] = None
        self.peers: List[Line] = []
        self.ikev2_profile: Optional[Line] = None
        self.isakmp_profile: Optional[Line] = None
        self.description: Optional[str] = None
        # `set security-association lifetime seconds N` (None: the global lifetime applies).
        self.lifetime_sec: Optional[int] = None


class Profile(object):
    """An IPsec, ISAKMP or IKEv2 profile: only what decides IKE version and DPD."""

    def __init__(self, name: str, head: Line) -> None:
        self.name = name
        self.head = head
        self.ikev2_profile: Optional[Line] = None
        self.isakmp_profile: Optional[Line] = None
        self.dpd: Optional[Line] = None
        self.virtual_templates: List[Tuple[str, Line]] = []
        self.identities: List[Network] = []
        self.lifetime_sec: Optional[int] = None


class Ezvpn(object):
    def __init__(self, name: str, head: Line) -> None:
        self.name = name
        self.head = head
        self.peers: List[Line] = []


class Config(object):
    def __init__(self) -> None:
        self.hostname: Optional[str] = None
        self.knob = False
        self.isakmp_keepalive: Optional[Line] = None
        self.ikev2_dpd: Optional[Line] = None
        # `crypto ipsec security-association lifetime seconds N` (None: the IOS default, 3600 s).
        self.ipsec_lifetime_sec: Optional[int] = None
        self.ifaces: Dict[str, Iface] = {}
        self.iface_order: List[str] = []
        self.maps: Dict[Tuple[str, str, bool], MapEntry] = {}
        self.map_order: List[Tuple[str, str, bool]] = []
        self.map_local: Dict[Tuple[str, bool], str] = {}
        self.dynamic_maps: Dict[str, List[MapEntry]] = {}
        self.ipsec_profiles: Dict[str, Profile] = {}
        self.isakmp_profiles: Dict[str, Profile] = {}
        self.ikev2_profiles: Dict[str, Profile] = {}
        self.ezvpn: Dict[str, Ezvpn] = {}
        self.ezvpn_order: List[str] = []


# ASCII digits: IOS reads no other (a Unicode digit is junk, not a number).
_SEQ_RE = re.compile(r"^[0-9]{1,5}$")
# Seconds, as IOS XE takes them (up to 2592000, 30 days): one to seven ASCII digits.
_LIFETIME_RE = re.compile(r"[0-9]{1,7}")

# The first words of the sections and of the sub-commands the readers below look at; the reader keeps no
# other line (a new reader here adds its words).
HEADS = frozenset(("hostname", "interface", "crypto", "no"))
BODY = frozenset(
    ("description", "shutdown", "ip", "ipv6", "crypto", "tunnel", "set", "keepalive", "virtual-template", "match",
     "dpd", "peer")
)


def _rest(line: Line, count: int) -> str:
    """The text of the line after its first ``count`` words, inner spacing kept."""
    parts = line.strip.split(None, count)
    return parts[count] if len(parts) > count else ""


_SA_LIFETIME = ["set", "security-association", "lifetime"]


def _sa_lifetime(line: Line, problems: Optional[list]) -> Optional[int]:
    """``set security-association lifetime seconds N`` of a crypto map entry or IPsec profile: N, or None (another
    unit, or a value that is not 1 to 7 ASCII digits, which is a problem)."""
    low = line.low
    if low[3:4] != ["seconds"]:
        return None  # kilobytes (or days): not a time this collection reads
    if len(low) == 5 and _LIFETIME_RE.fullmatch(low[4]):
        return int(low[4])
    problem(problems, line.no, "IPsec SA lifetime that is not 1 to 7 ASCII digits", mask_secrets(line.strip))
    return None


def build_config(sections: List[Section], problems: Optional[list]) -> Config:
    cfg = Config()
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


def _read_crypto(cfg: Config, sec: Section, problems: Optional[list]) -> None:
    head = sec.head
    low = head.low
    toks = head.toks
    if low == ["crypto", "isakmp", "invalid-spi-recovery"]:
        cfg.knob = True
    elif low[1:3] == ["isakmp", "keepalive"] and len(low) > 3:
        cfg.isakmp_keepalive = head
    elif low[1:3] == ["ikev2", "dpd"] and len(low) > 3:
        cfg.ikev2_dpd = head
    elif low[1:5] == ["ipsec", "security-association", "lifetime", "seconds"]:
        if len(low) == 6 and _LIFETIME_RE.fullmatch(low[5]):
            cfg.ipsec_lifetime_sec = int(low[5])
        else:
            problem(problems, head.no, "IPsec SA lifetime that is not 1 to 7 ASCII digits", mask_secrets(head.strip))
    elif low[1] == "map" and len(low) >= 3:
        _read_map(cfg, sec, problems)
    elif low[1] == "dynamic-map":
        if len(low) < 4 or not _SEQ_RE.match(low[3]):
            problem(problems, head.no, "crypto dynamic-map without a name and sequence number", mask_secrets(head.strip))
            return
        entry = MapEntry(toks[2], toks[3], False, head)
        _read_map_body(entry, sec.body, problems)
        cfg.dynamic_maps.setdefault(toks[2], []).append(entry)
    elif low[1:3] == ["ipsec", "profile"] and len(low) >= 4:
        _read_ipsec_profile(cfg.ipsec_profiles.setdefault(toks[3], Profile(toks[3], head)), sec, problems)
    elif low[1:3] in (["isakmp", "profile"], ["ikev2", "profile"]) and len(low) >= 4:
        profiles = cfg.isakmp_profiles if low[1] == "isakmp" else cfg.ikev2_profiles
        _read_ike_profile(profiles.setdefault(toks[3], Profile(toks[3], head)), sec, low[1])
    elif low[1:4] == ["ipsec", "client", "ezvpn"] and len(low) >= 5:
        ez = cfg.ezvpn.get(toks[4])
        if ez is None:
            ez = cfg.ezvpn[toks[4]] = Ezvpn(toks[4], head)
            cfg.ezvpn_order.append(toks[4])
        for line in sec.body:
            if line.low[0] == "peer":
                if len(line.low) >= 2:
                    ez.peers.append(line)
                else:
                    problem(problems, line.no, "EzVPN client peer without an address", mask_secrets(line.strip))


def _read_ipsec_profile(prof: Profile, sec: Section, problems: Optional[list]) -> None:
    for line in sec.body:
        if line.low[:2] == ["set", "ikev2-profile"] and len(line.low) >= 3:
            prof.ikev2_profile = line
        elif line.low[:2] == ["set", "isakmp-profile"] and len(line.low) >= 3:
            prof.isakmp_profile = line
        elif line.low[:3] == _SA_LIFETIME:
            prof.lifetime_sec = _sa_lifetime(line, problems)


def _read_ike_profile(prof: Profile, sec: Section, version: str) -> None:
    """An ISAKMP (IKEv1) or IKEv2 profile: its DPD line, virtual templates and (IKEv1) identities."""
    dpd_word = "keepalive" if version == "isakmp" else "dpd"
    for line in sec.body:
        if line.low[0] == dpd_word and len(line.low) >= 2:
            prof.dpd = line
        elif line.low[0] == "virtual-template" and len(line.low) >= 2:
            prof.virtual_templates.append((line.toks[1], line))
        elif version == "isakmp" and line.low[:3] == ["match", "identity", "address"]:
            net = _identity_network(line.toks[3:])
            if net is not None:
                prof.identities.append(net)


def _identity_network(args: List[str]) -> Optional[Network]:
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


def _read_map(cfg: Config, sec: Section, problems: Optional[list]) -> None:
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
    if len(low) > base + 1 and low[base + 1].isdigit() and not _SEQ_RE.match(low[base + 1]):
        problem(problems, head.no, "crypto map entry whose sequence number is not 1 to 5 ASCII digits",
                mask_secrets(head.strip))
        return
    if len(low) <= base + 1 or not _SEQ_RE.match(low[base + 1]):
        # Other global `crypto map M ...` options (client, isakmp authorization, redundancy) do not matter here.
        return
    seq = toks[base + 1]
    key = (name, seq, ipv6)
    entry = cfg.maps.get(key)
    if entry is None:
        entry = cfg.maps[key] = MapEntry(name, seq, ipv6, head)
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


def _read_map_body(entry: MapEntry, body: List[Line], problems: Optional[list]) -> None:
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
        elif low[:3] == _SA_LIFETIME:
            entry.lifetime_sec = _sa_lifetime(line, problems)


def _read_interface(cfg: Config, sec: Section, problems: Optional[list]) -> None:
    head = sec.head
    if len(head.toks) < 2:
        problem(problems, head.no, "interface without a name", mask_secrets(head.strip))
        return
    name = head.toks[1]
    iface = cfg.ifaces.get(name)
    if iface is None:
        iface = cfg.ifaces[name] = Iface(name, head)
        cfg.iface_order.append(name)
    if head.low[2:4] == ["type", "tunnel"]:
        iface.vt_tunnel = True
    for line in sec.body:
        _read_interface_line(iface, line, problems)


def _read_interface_line(iface: Iface, line: Line, problems: Optional[list]) -> None:
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
