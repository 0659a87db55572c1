# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tunnels defined by crypto maps (static, dynamic, manual) and by EzVPN clients."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import problem
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config.model import Config, Iface, MapEntry
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config.reader import Line
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config.tunnel import Tunnel, add_unique, iface_addresses, ike_dpd, profile_ref
from ansible_collections.netops.ipsec_spi.plugins.module_utils.secrets import mask_secrets


def map_tunnels(cfg: Config, problems: Optional[list]) -> List[Tunnel]:
    applied: Dict[Tuple[str, bool], List[Tuple[Iface, Line]]] = {}
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
        tun = Tunnel(kind, name, entry.head.no)
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
            tun.local_addresses = iface_addresses(cfg, local_if, entry.ipv6)
        else:
            for iface, dummy_line in uses:
                add_unique(tun.local_addresses, iface_addresses(cfg, iface.name, entry.ipv6))
        tun.description = entry.description
        tun.lifetime_sec = entry.lifetime_sec
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


def _static_peers(tun: Tunnel, lines: List[Line], at: int = 2) -> List[str]:
    """Add the peers of `set peer X` (or EzVPN `peer X`) lines; return those that are host names."""
    names = []
    for line in lines:
        tun.evidence.add(line)
        if not tun.add_peer(line.toks[at]):
            names.append(line.toks[at])
    return names


def _static_entry(cfg: Config, tun: Tunnel, entry: MapEntry, problems: Optional[list]) -> None:
    names = _static_peers(tun, entry.peers)
    if entry.ikev2_profile is not None:
        tun.ike_version = "ikev2"
        prof = profile_ref(cfg, tun, entry.ikev2_profile, True, problems)
    else:
        tun.ike_version = "ikev1"
        prof = profile_ref(cfg, tun, entry.isakmp_profile, False, problems)
    ike_dpd(cfg, tun, tun.ike_version, prof)
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


def _dynamic_entry(cfg: Config, tun: Tunnel, entry: MapEntry, problems: Optional[list]) -> None:
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
                prof_v2 = profile_ref(cfg, tun, dentry.ikev2_profile, True, problems) or prof_v2
            else:
                versions.add("ikev1")
                prof_v1 = profile_ref(cfg, tun, dentry.isakmp_profile, False, problems) or prof_v1
    # Entries that differ: IKEv1 ones are what invalid-spi-recovery could be asked about.
    tun.ike_version = "ikev1" if "ikev1" in versions or not versions else "ikev2"
    ike_dpd(cfg, tun, tun.ike_version, prof_v1 if tun.ike_version == "ikev1" else prof_v2)
    tun.base_reason = (
        "dynamic crypto map (crypto dynamic-map %s): peers are learned only when they connect, so "
        "invalid-spi-recovery has no address to start IKE towards" % (dyn_name or "(unnamed)")
    )
    if len(versions) > 1:
        tun.notes.append("its dynamic-map entries mix IKEv1 and IKEv2")


def ezvpn_tunnels(cfg: Config, problems: Optional[list]) -> List[Tunnel]:
    applied: Dict[str, List[Tuple[Iface, str, Line]]] = {}
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
        tun = Tunnel("ezvpn_client", ez_name, ez.head.no)
        tun.evidence.add(ez.head)
        names = _static_peers(tun, ez.peers, 1)
        uses = applied.get(ez_name, [])
        outside = [iface for iface, role, dummy_line in uses if role == "outside"]
        for iface, dummy_role, line in uses:
            if iface.name not in tun.interfaces:
                tun.interfaces.append(iface.name)
            tun.evidence.add(iface.head, line)
        for iface in outside:
            add_unique(tun.local_addresses, iface_addresses(cfg, iface.name, False))
        tun.active = any(not iface.shutdown for iface in outside)
        tun.description = outside[0].description if outside else None
        tun.ike_version = "ikev1"
        ike_dpd(cfg, tun, "ikev1", None)
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
