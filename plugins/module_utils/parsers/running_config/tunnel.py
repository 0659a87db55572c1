# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tunnel being classified, its evidence, and the rules every tunnel kind shares.

The IKE profile lookups, dead peer detection, local addresses, and the final
shape of a tunnel in the result (with the IKEv2 rule: invalid-spi-recovery is
an IKEv1 command) live here, once.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Dict, Iterable, List, Optional, Set

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import maybe_addr, problem
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config.model import Config, Profile
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config.reader import Line
from ansible_collections.netops.ipsec_spi.plugins.module_utils.secrets import mask_secrets, scrub

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


class Evidence(object):
    """Ordered, de-duplicated, masked, bounded evidence lines."""

    def __init__(self) -> None:
        self.lines: Dict[int, Line] = {}

    def add(self, *lines: Optional[Line]) -> None:
        for line in lines:
            if line is not None:
                self.lines[line.no] = line

    def render(self, secrets: Set[str]) -> List[str]:
        out = []
        for no in sorted(self.lines)[:_MAX_EVIDENCE_LINES]:
            line = self.lines[no]
            if line.shown is None:
                # Lines are shared by tunnels (profiles, global keepalive): mask each once.
                masked = scrub(line.masked, secrets)
                if len(masked) > _MAX_LINE_CHARS:
                    masked = masked[:_MAX_LINE_CHARS] + "..."
                line.shown = masked
            out.append(line.shown)
        if len(self.lines) > _MAX_EVIDENCE_LINES:
            out.append("! (%d more lines)" % (len(self.lines) - _MAX_EVIDENCE_LINES))
        return out


class Tunnel(object):
    def __init__(self, kind: str, name: str, order: int) -> None:
        self.kind = kind
        self.name = name
        self.order = order
        self.interfaces: List[str] = []
        self.peers: List[str] = []
        self.ike_version: Optional[str] = None
        self.recovery: Optional[str] = None
        self.notes: List[str] = []
        self.evidence = Evidence()
        self.dpd = False
        self.description: Optional[str] = None
        self.ipsec_profile: Optional[str] = None
        self.ike_profile: Optional[str] = None
        self.local_addresses: List[str] = []
        self.active = True
        self.nhrp: Optional[dict] = None
        self.unresolved: List[str] = []
        self.base_reason = ""
        # The crypto map entry's or IPsec profile's own SA lifetime (None: the global one applies).
        self.lifetime_sec: Optional[int] = None

    def add_peer(self, text: str) -> bool:
        addr = maybe_addr(text)
        if addr is None:
            return False
        if addr not in self.peers:
            self.peers.append(addr)
        return True


def add_unique(target: List[str], values: Iterable[str]) -> None:
    for value in values:
        if value not in target:
            target.append(value)


def iface_addresses(cfg: Config, name: str, v6: bool) -> List[str]:
    iface = cfg.ifaces.get(name)
    if iface is None:
        return []
    addrs = iface.v6 if v6 else iface.v4
    if not addrs and iface.unnumbered and iface.unnumbered in cfg.ifaces:
        other = cfg.ifaces[iface.unnumbered]
        addrs = other.v6 if v6 else other.v4
    return list(addrs)


def ike_dpd(cfg: Config, tun: Tunnel, version: Optional[str], profile: Optional[Profile]) -> None:
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


def _identity_covers(prof: Profile, peers: List[str]) -> bool:
    for peer in peers:
        addr = ipaddress.ip_address(peer)
        for net in prof.identities:
            if addr.version == net.version and addr in net:  # type: ignore[operator]
                return True
    return False


def profile_ref(cfg: Config, tun: Tunnel, line: Optional[Line], v2: bool, problems: Optional[list]) -> Optional[Profile]:
    """Resolve a `set ikev2-profile` / `set isakmp-profile` line to its profile."""
    if line is None:
        return None
    return lookup_profile(cfg, tun, line, line.toks[2] if line.low[0] == "set" else line.toks[-1], v2, problems)


def lookup_profile(cfg: Config, tun: Tunnel, line: Line, name: str, v2: bool, problems: Optional[list]) -> Optional[Profile]:
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


_SO = ", so invalid-spi-recovery"


def finish(tun: Tunnel, secrets: Set[str]) -> dict:
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
    out: Dict[str, Any] = {
        "kind": tun.kind,
        "name": tun.name,
        "interfaces": list(tun.interfaces),
        "peers": list(tun.peers),
        "ike_version": tun.ike_version,
        "recovery": recovery,
        "reason": scrub(reason[0].upper() + reason[1:] + "." if reason else reason, secrets),
        "evidence": tun.evidence.render(secrets),
        "dpd": bool(tun.dpd),
        "description": scrub(mask_secrets(tun.description), secrets) if tun.description is not None else None,
        "ipsec_profile": tun.ipsec_profile,
        "ike_profile": tun.ike_profile,
        "local_addresses": list(tun.local_addresses),
        "active": bool(tun.active),
        "lifetime_sec": tun.lifetime_sec,
    }
    if tun.nhrp is not None:
        out["nhrp"] = tun.nhrp
    return out
