# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tunnels defined by tunnel interfaces: GRE, multipoint GRE with NHRP, static and dynamic VTIs."""

from __future__ import annotations

from typing import List, Optional, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import maybe_addr, problem
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config.model import Config, Iface, Profile
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config.reader import Line
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config.tunnel import Tunnel, add_unique, iface_addresses, ike_dpd, lookup_profile
from ansible_collections.netops.ipsec_spi.plugins.module_utils.secrets import mask_secrets


def _protection_profile(cfg: Config, tun: Tunnel, iface: Iface, problems: Optional[list]) -> Tuple[Optional[str], Optional[Profile]]:
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
        tun.lifetime_sec = prof.lifetime_sec
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


def _named_profile(cfg: Config, tun: Tunnel, line: Line, keyword: str, v2: bool, problems: Optional[list]) -> Optional[Profile]:
    at = line.low.index(keyword)
    if at + 1 >= len(line.toks):
        return None
    return lookup_profile(cfg, tun, line, line.toks[at + 1], v2, problems)


_NHRP_MARKERS = {
    ("map", "multicast", "dynamic"): "ip nhrp map multicast dynamic",
    ("shortcut",): "ip nhrp shortcut",
    ("redirect",): "ip nhrp redirect",
}


def tunnel_interfaces(cfg: Config, problems: Optional[list]) -> List[Tunnel]:
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


def _base_tunnel(kind: str, iface: Iface) -> Tunnel:
    tun = Tunnel(kind, iface.name, iface.head.no)
    tun.interfaces = [iface.name]
    tun.description = iface.description
    tun.active = not iface.shutdown
    tun.evidence.add(iface.head, iface.mode)
    return tun


def _tunnel(cfg: Config, iface: Iface, mode: List[str], problems: Optional[list]) -> Tunnel:
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
    ike_dpd(cfg, tun, tun.ike_version, prof)
    _local(cfg, tun, iface, v6_transport)
    return tun


_MODE_WORDS = frozenset(
    ("ipsec", "ipv4", "ipv6", "gre", "ip", "multipoint", "v6-overlay", "dual-overlay", "ipip", "ipv6ip", "decapsulate-any")
)


def _destination(tun: Tunnel, iface: Iface, kind: str, mode: List[str], problems: Optional[list]) -> None:
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


def _nhrp(tun: Tunnel, iface: Iface, problems: Optional[list]) -> None:
    static_maps: List[dict] = []
    multicast: List[str] = []
    nhs: List[dict] = []
    markers: List[str] = []
    static_lines: List[Line] = []
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
            else:
                _nhrp_map(line, args, toks, static_maps, multicast, static_lines, problems)
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
    for line in static_lines:
        tun.evidence.add(line)
    if dynamic:
        _dynamic_nhrp(tun, nhs, markers)
    else:
        _static_nhrp(tun, static_maps, multicast)


def _nhrp_map(line: Line, args: List[str], toks: List[str], static_maps: List[dict], multicast: List[str],
              static_lines: List[Line], problems: Optional[list]) -> None:
    """``ip nhrp map multicast <addr>`` or ``ip nhrp map <tunnel address> <NBMA address>``."""
    if args[1:2] == ["multicast"] and len(toks) >= 3:
        addr = maybe_addr(toks[2])
        if addr is None:
            problem(problems, line.no, "NHRP multicast mapping to something that is not an address",
                    mask_secrets(line.strip))
        elif addr not in multicast:
            multicast.append(addr)
        static_lines.append(line)
    elif args[1:2] == ["group"]:
        return
    elif len(toks) >= 3:
        tun_ip = maybe_addr(toks[1].split("/", 1)[0])
        nbma = maybe_addr(toks[2])
        if tun_ip is None or nbma is None:
            problem(problems, line.no, "NHRP mapping that is not <tunnel address> <NBMA address>",
                    mask_secrets(line.strip))
            return
        static_maps.append({"tunnel_ip": tun_ip, "nbma": nbma})
        static_lines.append(line)
    else:
        problem(problems, line.no, "NHRP mapping without an NBMA address", mask_secrets(line.strip))


def _dynamic_nhrp(tun: Tunnel, nhs: List[dict], markers: List[str]) -> None:
    """Peers learned at run time: only the NHSs with a known NBMA address are peers here."""
    tun.kind = "mgre_dynamic_nhrp"
    for entry in nhs:
        if entry["nbma"] is not None:
            tun.add_peer(entry["nbma"])
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


def _static_nhrp(tun: Tunnel, static_maps: List[dict], multicast: List[str]) -> None:
    tun.kind = "mgre_static_nhrp"
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
    add_unique(out, items)
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


def _local(cfg: Config, tun: Tunnel, iface: Iface, v6: bool) -> None:
    if iface.source is None:
        return
    tun.evidence.add(iface.source)
    target = iface.source.toks[2]
    addr = maybe_addr(target)
    if addr is not None:
        tun.local_addresses = [addr]
    else:
        tun.local_addresses = iface_addresses(cfg, target, v6)


def _dvti(cfg: Config, iface: Iface, problems: Optional[list]) -> Tunnel:
    tun = _base_tunnel("dvti", iface)
    number = iface.name[len("virtual-template"):].strip()
    refs_v1 = [(p, line) for p in cfg.isakmp_profiles.values() for n, line in p.virtual_templates if n == number]
    refs_v2 = [(p, line) for p in cfg.ikev2_profiles.values() for n, line in p.virtual_templates if n == number]
    for ref, line in refs_v1 + refs_v2:
        tun.evidence.add(ref.head, line)
    prof: Optional[Profile]
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
    ike_dpd(cfg, tun, version, prof)
    tun.base_reason = (
        "dynamic VTI cloned from %s (%s): assumption: its peers are not static (they connect to this "
        "router), so invalid-spi-recovery has no address to start IKE towards" % (iface.name, via)
    )
    _local(cfg, tun, iface, iface.mode is not None and "ipv6" in iface.mode.low)
    return tun
