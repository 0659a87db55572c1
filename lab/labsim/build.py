"""Scenario YAML -> routers, their running-configs, and the peer pairs (links) whose SAs the lab simulates.

The scenario format (and its ground truth) is documented in docs/lab.md.  Errors in a scenario raise
ScenarioError naming the router and tunnel at fault.
"""
from __future__ import annotations

import ipaddress
from typing import Any, Dict, List, Optional, Tuple

import yaml

KINDS = ("static_crypto_map", "dynamic_crypto_map", "p2p_gre", "mgre_static_nhrp", "mgre_dynamic_nhrp",
         "svti", "dvti", "ezvpn_client")
# domain.md section 3: which kinds invalid-spi-recovery can help (IKEv1 only).
SUPPORTED_KINDS = ("static_crypto_map", "p2p_gre", "mgre_static_nhrp", "svti")

PLATFORMS: Dict[str, Dict[str, Any]] = {
    "c8000v": {"qfp": True, "version": "17.9.4a", "model": "C8000V", "family": "iosxe"},
    "asr1001x": {"qfp": True, "version": "17.6.5", "model": "ASR1001-X", "family": "iosxe"},
    "isr4451": {"qfp": True, "version": "17.3.8a", "model": "ISR4451-X/K9", "family": "iosxe"},
    "classic": {"qfp": False, "version": "15.7(3)M8", "model": "CISCO2951/K9", "family": "ios"},
}
LOG_STYLES = ("sequence", "ntp", "ntp_year")


class ScenarioError(ValueError):
    pass


def load_scenario(path: str) -> Dict[str, Any]:
    with open(path, "r", encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if not isinstance(data, dict) or not isinstance(data.get("routers"), dict) or not data["routers"]:
        raise ScenarioError("%s: a scenario needs a non-empty 'routers' mapping" % path)
    return data


def _mask(prefix: str) -> Tuple[str, str]:
    iface = ipaddress.ip_interface(prefix)
    return str(iface.ip), str(iface.network.netmask)


def _wildcard(net: str) -> Tuple[str, str]:
    network = ipaddress.ip_network(net, strict=False)
    return str(network.network_address), str(network.hostmask)


class Tunnel:
    """One crypto tunnel on one router, as the collection's crypto_inventory should see it."""

    def __init__(self, router: "RouterSpec", spec: Dict[str, Any], index: int) -> None:
        self.router = router
        self.spec = spec
        self.kind = spec.get("kind")
        where = "router %s tunnel #%d" % (router.name, index + 1)
        if self.kind not in KINDS:
            raise ScenarioError("%s: kind %r is not one of %s" % (where, self.kind, ", ".join(KINDS)))
        self.ike = spec.get("ike_version", "ikev1")
        if self.ike not in ("ikev1", "ikev2"):
            raise ScenarioError("%s: ike_version must be ikev1 or ikev2" % where)
        if self.kind in ("dvti", "ezvpn_client", "dynamic_crypto_map") and self.ike != "ikev1":
            raise ScenarioError("%s: the lab models %s with IKEv1 only" % (where, self.kind))
        self.peers: List[str] = [str(p) for p in spec.get("peers", [])]
        if not self.peers:
            raise ScenarioError("%s: 'peers' is empty" % where)
        if self.kind in ("static_crypto_map", "p2p_gre", "svti", "ezvpn_client") and len(self.peers) != 1:
            raise ScenarioError("%s: a %s has exactly one peer" % (where, self.kind))
        self.role = spec.get("role", "hub")
        self.interface = spec.get("interface")
        if self.kind in ("static_crypto_map", "dynamic_crypto_map"):
            self.map = spec.get("map", "CMAP" if self.kind == "static_crypto_map" else "DMAP")
            self.seq = int(spec.get("seq", 10 if self.kind == "static_crypto_map" else 100))
            self.interface = router.wan_if
            self.name = "%s %d" % (self.map, self.seq)
        elif self.kind == "ezvpn_client":
            self.name = spec.get("name", "EZVPN")
            self.interface = router.wan_if
        elif self.kind == "dvti":
            self.interface = self.interface or "Virtual-Template1"
            self.name = self.interface
        else:
            if not self.interface or not str(self.interface).startswith("Tunnel"):
                raise ScenarioError("%s: %s needs 'interface: TunnelN'" % (where, self.kind))
            self.name = self.interface
            if not spec.get("address"):
                raise ScenarioError("%s: %s needs 'address' (tunnel IP/prefix)" % (where, self.kind))
        self.address = spec.get("address")
        self.description = spec.get("description")
        self.recovery = spec.get("expect_recovery") or expected_recovery(self.kind, self.ike)
        self.spi_in = spec.get("spi_in")

    @property
    def sa_interface(self) -> str:
        return self.interface

    def ground_truth(self) -> Dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "ike_version": self.ike,
                "recovery": self.recovery, "interface": self.interface}


def expected_recovery(kind: str, ike: str) -> str:
    if kind == "ezvpn_client":
        return "not_applicable"
    if ike == "ikev2":
        return "not_applicable"
    return "supported" if kind in SUPPORTED_KINDS else "unsupported"


class RouterSpec:
    def __init__(self, name: str, spec: Dict[str, Any], index: int, defaults: Dict[str, Any]) -> None:
        self.name = name
        self.spec = spec
        self.index = index
        self.platform = spec.get("platform", "c8000v")
        if self.platform not in PLATFORMS:
            raise ScenarioError("router %s: platform %r is not one of %s" % (name, self.platform, ", ".join(PLATFORMS)))
        self.plat = dict(PLATFORMS[self.platform])
        if spec.get("version"):
            self.plat["version"] = str(spec["version"])
        wan = spec.get("wan") or {}
        if not wan.get("address"):
            raise ScenarioError("router %s: wan.address is required" % name)
        self.wan_if = wan.get("interface", "GigabitEthernet0/0" if self.plat["family"] == "ios" else "GigabitEthernet1")
        self.wan_prefix = wan["address"]
        self.addr = _mask(self.wan_prefix)[0]
        self.wan_description = wan.get("description")
        self.lan = spec.get("lan", "10.%d.%d.0/24" % (100 + index // 250, index % 250))
        self.lan_if = "GigabitEthernet0/1" if self.plat["family"] == "ios" else "GigabitEthernet2"
        self.lan_description = spec.get("lan_description")
        self.log_style = spec.get("log_style", "sequence")
        if self.log_style not in LOG_STYLES:
            raise ScenarioError("router %s: log_style must be one of %s" % (name, ", ".join(LOG_STYLES)))
        self.knob = bool(spec.get("knob", False))
        dpd = spec.get("dpd") or {}
        self.dpd = {"ikev1": bool(dpd.get("ikev1", True)), "ikev2": bool(dpd.get("ikev2", True))}
        self.username = spec.get("username", defaults["username"])
        self.password = spec.get("password", defaults["password"])
        self.enable = spec.get("enable", defaults["enable"])
        self.psk = spec.get("psk", defaults.get("psk", "Lab-PSK-%s" % name))
        self.tunnels = [Tunnel(self, t, i) for i, t in enumerate(spec.get("tunnels") or [])]
        self.extra_config = list(spec.get("extra_config") or [])
        self.expect = spec.get("expect") or {}

    @property
    def uses(self) -> Dict[str, bool]:
        return {"ikev1": any(t.ike == "ikev1" for t in self.tunnels), "ikev2": any(t.ike == "ikev2" for t in self.tunnels)}


def resolve_peer(routers: Dict[str, RouterSpec], peer: str) -> Tuple[Optional[RouterSpec], str]:
    if peer in routers:
        return routers[peer], routers[peer].addr
    try:
        return None, str(ipaddress.ip_address(peer))
    except ValueError:
        raise ScenarioError("peer %r is neither a router of the scenario nor an IP address" % peer)


def find_back_tunnel(peer: RouterSpec, name: str) -> Tunnel:
    for tun in peer.tunnels:
        if name in tun.peers:
            return tun
    raise ScenarioError("router %s has no tunnel listing %s as a peer (every pair must be configured on both ends)"
                        % (peer.name, name))


def build_config(r: RouterSpec, routers: Dict[str, RouterSpec]) -> List[str]:
    """The router's startup running-config, in real IOS syntax (domain.md section 3)."""
    ios = r.plat["family"] == "ios"
    major = r.plat["version"].split("(")[0] if ios else ".".join(r.plat["version"].split(".")[:2])
    cfg: List[str] = ["version %s" % major, "service timestamps debug datetime msec", "service timestamps log datetime msec"]
    if r.log_style == "sequence":
        cfg.append("service sequence-numbers")
    if not ios:
        cfg += ["platform qfp utilization monitor load 80", "platform punt-keepalive disable-kernel-core"]
    cfg += ["hostname %s" % r.name, "boot-start-marker", "boot-end-marker",
            "logging buffered 102400", "enable secret 9 $9$lab$%s" % ("x" * 20),
            "no aaa new-model"]
    if r.log_style != "sequence":
        cfg.append("clock timezone UTC 0 0")
    cfg += ["ip domain name lab.example", "login on-success log",
            "username %s privilege 15 secret 9 $9$lab$%s" % (r.username, "y" * 20)]
    ikev1_peers: List[str] = []
    ikev2_peers: List[Tuple[str, str]] = []
    dynamic_psk = False
    for t in r.tunnels:
        for p in t.peers:
            prouter, paddr = resolve_peer(routers, p)
            if t.kind in ("dynamic_crypto_map", "dvti") or (t.kind == "mgre_dynamic_nhrp" and t.role == "hub"):
                dynamic_psk = True
                continue
            if t.kind == "ezvpn_client":
                continue
            if t.ike == "ikev1":
                if paddr not in ikev1_peers:
                    ikev1_peers.append(paddr)
            elif (p, paddr) not in ikev2_peers:
                ikev2_peers.append((prouter.name if prouter else "PEER-" + paddr.replace(".", "-"), paddr))
    if r.uses["ikev1"]:
        cfg += ["crypto isakmp policy 10", " encryption aes 256", " hash sha256", " authentication pre-share", " group 14"]
        for paddr in ikev1_peers:
            cfg.append("crypto isakmp key %s address %s" % (r.psk, paddr))
        if dynamic_psk:
            cfg.append("crypto isakmp key %s address 0.0.0.0" % r.psk)
        if r.dpd["ikev1"]:
            cfg.append("crypto isakmp keepalive 10 3 periodic")
    if r.knob:
        cfg.append("crypto isakmp invalid-spi-recovery")
    if any(t.kind == "dvti" for t in r.tunnels):
        cfg += ["crypto isakmp client configuration group EZGROUP", " key %s" % r.psk, " pool EZPOOL"]
        for t in r.tunnels:
            if t.kind == "dvti":
                num = t.interface.replace("Virtual-Template", "")
                cfg += ["crypto isakmp profile DVTI-%s" % num, " match identity address 0.0.0.0",
                        " match identity group EZGROUP", " isakmp authorization list default",
                        " virtual-template %s" % num]
    if r.uses["ikev2"]:
        cfg += ["crypto ikev2 proposal IKEV2-PROP", " encryption aes-cbc-256", " integrity sha256", " group 14",
                "crypto ikev2 policy IKEV2-POL", " proposal IKEV2-PROP", "crypto ikev2 keyring IKEV2-KR"]
        for pname, paddr in ikev2_peers:
            cfg += [" peer %s" % pname, "  address %s" % paddr, "  pre-shared-key %s" % r.psk]
        cfg += ["crypto ikev2 profile IKEV2-PROF"]
        for _pname, paddr in ikev2_peers:
            cfg.append(" match identity remote address %s 255.255.255.255" % paddr)
        cfg += [" authentication remote pre-share", " authentication local pre-share", " keyring local IKEV2-KR"]
        if r.dpd["ikev2"]:
            cfg.append(" dpd 10 3 periodic")
    cfg += ["crypto ipsec transform-set TS-TUNNEL esp-aes 256 esp-sha256-hmac", " mode tunnel",
            "crypto ipsec transform-set TS-TRANSPORT esp-aes 256 esp-sha256-hmac", " mode transport"]
    for t in r.tunnels:
        if t.kind in ("p2p_gre", "svti", "mgre_static_nhrp", "mgre_dynamic_nhrp", "dvti"):
            prof = "PROF-" + t.interface.replace("Virtual-Template", "VT").replace("Tunnel", "TU")
            cfg += ["crypto ipsec profile %s" % prof,
                    " set transform-set %s" % ("TS-TRANSPORT" if "gre" in t.kind else "TS-TUNNEL")]
            if t.ike == "ikev2":
                cfg.append(" set ikev2-profile IKEV2-PROF")
            if t.kind == "dvti":
                cfg.append(" set isakmp-profile DVTI-%s" % t.interface.replace("Virtual-Template", ""))
            t.spec["_profile"] = prof
    for t in r.tunnels:
        if t.kind == "dynamic_crypto_map":
            cfg += ["crypto dynamic-map DYN-%s %d" % (t.map, 10), " set transform-set TS-TUNNEL"]
    maps: Dict[str, None] = {}
    for t in r.tunnels:
        if t.kind == "static_crypto_map":
            paddr = resolve_peer(routers, t.peers[0])[1]
            prouter = routers.get(t.peers[0])
            cfg += ["crypto map %s %d ipsec-isakmp" % (t.map, t.seq)]
            if t.description:
                cfg.append(" description %s" % t.description)
            cfg += [" set peer %s" % paddr, " set transform-set TS-TUNNEL"]
            if t.ike == "ikev2":
                cfg.append(" set ikev2-profile IKEV2-PROF")
            cfg.append(" match address VPN-%s-%d" % (t.map, t.seq))
            t.spec["_remote_lan"] = prouter.lan if prouter else t.spec.get("remote_lan", "172.31.%d.0/24" % (t.seq % 250))
            maps[t.map] = None
        elif t.kind == "dynamic_crypto_map":
            cfg.append("crypto map %s %d ipsec-isakmp dynamic DYN-%s" % (t.map, t.seq, t.map))
            maps[t.map] = None
        elif t.kind == "ezvpn_client":
            paddr = resolve_peer(routers, t.peers[0])[1]
            cfg += ["crypto ipsec client ezvpn %s" % t.name, " connect auto", " group EZGROUP key %s" % r.psk,
                    " mode client", " peer %s" % paddr, " username ezuser password Lab-Xauth-1",
                    " xauth userid mode local"]
    # Interfaces
    cfg.append("interface Loopback0")
    cfg.append(" ip address 10.255.%d.%d 255.255.255.255" % (r.index // 250, r.index % 250 + 1))
    for t in r.tunnels:
        if t.kind not in ("p2p_gre", "svti", "mgre_static_nhrp", "mgre_dynamic_nhrp", "dvti"):
            continue
        if t.kind == "dvti":
            cfg += ["interface %s type tunnel" % t.interface, " ip unnumbered Loopback0", " tunnel source %s" % r.wan_if,
                    " tunnel mode ipsec ipv4", " tunnel protection ipsec profile %s" % t.spec["_profile"]]
            continue
        ip, mask = _mask(t.address)
        cfg.append("interface %s" % t.interface)
        if t.description:
            cfg.append(" description %s" % t.description)
        cfg.append(" ip address %s %s" % (ip, mask))
        if t.kind.startswith("mgre"):
            cfg.append(" no ip redirects")
            cfg.append(" ip mtu 1400")
            netid = "".join(ch for ch in t.interface if ch.isdigit()) or "1"
            if t.kind == "mgre_static_nhrp":
                for p in t.peers:
                    prouter, paddr = resolve_peer(routers, p)
                    if prouter is None:
                        raise ScenarioError("router %s %s: static NHRP peers must be lab routers" % (r.name, t.name))
                    back = find_back_tunnel(prouter, r.name)
                    cfg.append(" ip nhrp map %s %s" % (_mask(back.address)[0], paddr))
                    cfg.append(" ip nhrp map multicast %s" % paddr)
            elif t.role == "hub":
                cfg.append(" ip nhrp map multicast dynamic")
            cfg.append(" ip nhrp network-id %s" % netid)
            if t.kind == "mgre_dynamic_nhrp":
                if t.role == "hub":
                    cfg.append(" ip nhrp redirect")
                else:
                    prouter, paddr = resolve_peer(routers, t.peers[0])
                    if prouter is None:
                        raise ScenarioError("router %s %s: the NHS must be a lab router" % (r.name, t.name))
                    back = find_back_tunnel(prouter, r.name)
                    cfg.append(" ip nhrp nhs %s nbma %s multicast" % (_mask(back.address)[0], paddr))
                    cfg.append(" ip nhrp shortcut")
            cfg.append(" tunnel source %s" % r.wan_if)
            cfg.append(" tunnel mode gre multipoint")
        else:
            paddr = resolve_peer(routers, t.peers[0])[1]
            cfg.append(" tunnel source %s" % r.wan_if)
            if t.kind == "svti":
                cfg.append(" tunnel mode ipsec ipv4")
            cfg.append(" tunnel destination %s" % paddr)
        cfg.append(" tunnel protection ipsec profile %s" % t.spec["_profile"])
    ip, mask = _mask(r.wan_prefix)
    cfg.append("interface %s" % r.wan_if)
    if r.wan_description:
        cfg.append(" description %s" % r.wan_description)
    cfg.append(" ip address %s %s" % (ip, mask))
    for m in maps:
        cfg.append(" crypto map %s" % m)
    for t in r.tunnels:
        if t.kind == "ezvpn_client":
            cfg.append(" crypto ipsec client ezvpn %s" % t.name)
    cfg.append(" negotiation auto")
    lip = ipaddress.ip_network(r.lan)
    cfg.append("interface %s" % r.lan_if)
    if r.lan_description:
        cfg.append(" description %s" % r.lan_description)
    cfg.append(" ip address %s %s" % (lip.network_address + 1, lip.netmask))
    for t in r.tunnels:
        if t.kind == "ezvpn_client":
            cfg.append(" crypto ipsec client ezvpn %s inside" % t.name)
    cfg.append(" negotiation auto")
    if any(t.kind == "dvti" for t in r.tunnels):
        cfg.append("ip local pool EZPOOL 172.30.%d.10 172.30.%d.250" % (r.index % 250, r.index % 250))
    cfg.append("ip route 0.0.0.0 0.0.0.0 %s" % str(ipaddress.ip_interface(r.wan_prefix).network.network_address + 254))
    for t in r.tunnels:
        if t.kind == "static_crypto_map":
            src, swc = _wildcard(r.lan)
            dst, dwc = _wildcard(t.spec["_remote_lan"])
            cfg += ["ip access-list extended VPN-%s-%d" % (t.map, t.seq), " permit ip %s %s %s %s" % (src, swc, dst, dwc)]
    cfg += ["control-plane", "line con 0", " stopbits 1", "line vty 0 4", " login local", " transport input ssh"]
    cfg += r.extra_config
    return cfg


class LinkSpec:
    """A peer pair: side a and side b (b may be an address outside the lab)."""

    def __init__(self, a: Tunnel, a_peer: str, b: Optional[Tunnel], b_addr: str) -> None:
        self.a = a
        self.b = b
        self.a_addr = a.router.addr
        self.b_addr = b_addr
        self.b_name = b.router.name if b is not None else None
        self.ike = a.ike
        self.key = (a.router.name, self.b_name or b_addr)


def build_links(routers: Dict[str, RouterSpec]) -> List[LinkSpec]:
    links: List[LinkSpec] = []
    seen = set()
    for r in routers.values():
        for t in r.tunnels:
            for p in t.peers:
                prouter, paddr = resolve_peer(routers, p)
                key = frozenset((r.name, prouter.name if prouter else paddr))
                if key in seen:
                    continue
                seen.add(key)
                back = find_back_tunnel(prouter, r.name) if prouter is not None else None
                if back is not None and back.ike != t.ike:
                    raise ScenarioError("pair %s-%s: IKE versions differ (%s vs %s)" % (r.name, prouter.name, t.ike, back.ike))
                links.append(LinkSpec(t, p, back, paddr))
    return links
