"""Text generators for the crypto show commands (IPsec SAs, IKE SAs, crypto sessions, DMVPN), in the real layouts.

Split from render.py (the other show commands) to keep each file to one concern.
"""
from __future__ import annotations

import ipaddress
from typing import List, Optional

from .build import _mask
from .model import FleetView, Link, Router, Side
from .render import FLOW_PREFIX, hms


# ----- IPsec SAs ------------------------------------------------------------------------------------------

def _side_iface(fleet: FleetView, side: Side) -> (str, str):
    t = side.tunnel
    spec = fleet.specs[side.router]
    if t is None or t.kind in ("static_crypto_map", "dynamic_crypto_map"):
        return spec.wan_if, t.map if t is not None else "CMAP"
    if t.kind == "ezvpn_client":
        return spec.wan_if, spec.wan_if + "-head-0"
    if t.kind == "dvti":
        name = "Virtual-Access%d" % max(1, side.va_index)
        return name, name + "-head-0"
    return t.interface, t.interface + "-head-0"


def _net(prefix: str) -> str:
    n = ipaddress.ip_network(prefix, strict=False)
    return "%s/%s" % (n.network_address, n.netmask)


def _idents(fleet: FleetView, link: Link, side: Side) -> (str, str):
    t = side.tunnel
    other = link.other(side)
    ot = other.tunnel
    if t.kind in ("p2p_gre", "mgre_static_nhrp", "mgre_dynamic_nhrp"):
        return "%s/255.255.255.255/47/0" % side.addr, "%s/255.255.255.255/47/0" % other.addr
    if t.kind in ("static_crypto_map", "dynamic_crypto_map"):
        local = _net(fleet.specs[side.router].lan)
        if t.kind == "static_crypto_map":
            remote = _net(t.spec.get("_remote_lan", "0.0.0.0/0"))
        elif other.router:
            remote = _net(fleet.specs[other.router].lan)
        else:
            remote = "0.0.0.0/0.0.0.0"
        return local + "/0/0", remote + "/0/0"
    if t.kind == "ezvpn_client":
        server = fleet.specs[other.router].index % 250 if other.router else 0
        client = 10 + fleet.specs[side.router].index % 240
        return "172.30.%d.%d/255.255.255.255/0/0" % (server, client), "0.0.0.0/0.0.0.0/0/0"
    if t.kind == "dvti" and ot is not None and ot.kind == "ezvpn_client":
        return "0.0.0.0/0.0.0.0/0/0", "172.30.%d.%d/255.255.255.255/0/0" % (
            fleet.specs[side.router].index % 250, 10 + fleet.specs[other.router].index % 240)
    return "0.0.0.0/0.0.0.0/0/0", "0.0.0.0/0.0.0.0/0/0"


def _remaining(now: float, since: float, life: int = 3600) -> int:
    return max(1, life - int(now - since) % life)


def _sa_block(fleet: FleetView, r: Router, link: Link, side: Side, now: float, detail: bool) -> List[str]:
    iface, tag = _side_iface(fleet, side)
    lid, rid = _idents(fleet, link, side)
    t = side.tunnel
    gre = t.kind in ("p2p_gre", "mgre_static_nhrp", "mgre_dynamic_nhrp")
    enc, dec = int(side.encaps), int(side.decaps)
    out = ["", "   protected vrf: (none)",
           "   local  ident (addr/mask/prot/port): (%s)" % lid,
           "   remote ident (addr/mask/prot/port): (%s)" % rid,
           "   current_peer %s port 500" % side.peer_addr,
           "     PERMIT, flags={origin_is_acl,}",
           "    #pkts encaps: %d, #pkts encrypt: %d, #pkts digest: %d" % (enc, enc, enc),
           "    #pkts decaps: %d, #pkts decrypt: %d, #pkts verify: %d" % (dec, dec, dec),
           "    #pkts compressed: 0, #pkts decompressed: 0",
           "    #pkts not compressed: 0, #pkts compr. failed: 0",
           "    #pkts not decompressed: 0, #pkts decompress failed: 0"]
    if detail:
        out += ["    #pkts no sa (send) 0, #pkts invalid sa (rcv) 0",
                "    #pkts encaps failed (send) 0, #pkts decaps failed (rcv) 0",
                "    #pkts invalid prot (recv) 0, #pkts verify failed: 0",
                "    #pkts invalid identity (recv) 0, #pkts invalid len (rcv) 0",
                "    #pkts replay rollover (send): 0, #pkts replay rollover (rcv) 0",
                "    ##pkts replay failed (rcv): 0",
                "    #pkts tagged (send): 0, #pkts untagged (rcv): 0",
                "    #pkts not tagged (send): 0, #pkts not untagged (rcv): 0",
                "    #pkts internal err (send): 0, #pkts internal err (recv) 0"]
    else:
        out.append("    #send errors 0, #recv errors 0")
    has = side.has_sa()
    mtu = 1438 if has else 1500
    wan = fleet.specs[side.router].wan_if
    cur = side.spi_out if has else 0
    out += ["",
            "     local crypto endpt.: %s, remote crypto endpt.: %s" % (side.addr, side.peer_addr),
            "     plaintext mtu %d, path mtu 1500, ip mtu 1500, ip mtu idb %s" % (mtu, wan),
            "     current outbound spi: 0x%X(%d)" % (cur, cur),
            "     PFS (Y/N): N, DH group: none", ""]
    mode = "Transport" if gre else "Tunnel"
    flow = FLOW_PREFIX.get(r.spec.platform, "SW")
    remain = _remaining(now, side.sa_since)
    kb = 4608000 - min(4607000, int((side.encaps + side.decaps) * AVG_KB))

    def sa(spi: int, conn: int) -> List[str]:
        return ["      spi: 0x%X(%d)" % (spi, spi),
                "        transform: esp-256-aes esp-sha256-hmac ,",
                "        in use settings ={%s, }" % mode,
                "        conn id: %d, flow_id: %s:%d, sibling_flags FFFFFFFF80000048, crypto map: %s" % (conn, flow, conn % 1000, tag),
                "        sa timing: remaining key lifetime (k/sec): (%d/%d)" % (kb, remain),
                "        IV size: 16 bytes",
                "        replay detection support: Y",
                "        Status: ACTIVE(ACTIVE)", ""]

    out.append("     inbound esp sas:")
    if has:
        out += sa(side.spi_in, side.conn_id * 2 + 1)
    out += ["", "     inbound ah sas:", "", "     inbound pcp sas:", "", "     outbound esp sas:"]
    if has:
        out += sa(side.spi_out, side.conn_id * 2 + 2)
    out += ["", "     outbound ah sas:", "", "     outbound pcp sas:"]
    return out


AVG_KB = 0.000145


def show_ipsec_sa(fleet: FleetView, r: Router, now: float, peer: Optional[str] = None, detail: bool = False) -> str:
    groups = {}
    order = []
    for link, side in fleet.links_of(r.name):
        if peer is not None and side.peer_addr != peer:
            continue
        iface, tag = _side_iface(fleet, side)
        if iface not in groups:
            groups[iface] = (tag, [])
            order.append(iface)
        groups[iface][1].append((link, side))
    if not order:
        return "" if peer is None else ""
    out: List[str] = []
    for iface in order:
        tag, members = groups[iface]
        out += ["", "interface: %s" % iface, "    Crypto map tag: %s, local addr %s" % (tag, r.spec.addr)]
        for link, side in members:
            out += _sa_block(fleet, r, link, side, now, detail)
    out.append("")
    return "\n".join(out)


# ----- IKE ------------------------------------------------------------------------------------------------

def show_isakmp_sa(fleet: FleetView, r: Router, now: float, detail: bool) -> str:
    rows = [(link, side) for link, side in fleet.links_of(r.name) if link.ike == "ikev1" and side.ike]
    if not detail:
        out = ["IPv4 Crypto ISAKMP SA", "dst             src             state          conn-id status"]
        for link, side in rows:
            dst, src = (side.peer_addr, side.addr) if side.ike_initiator else (side.addr, side.peer_addr)
            out.append("%-15s %-15s %-14s %7d %s" % (dst, src, side.ike, side.conn_id, "ACTIVE"))
        out += ["", "IPv6 Crypto ISAKMP SA", ""]
        return "\n".join(out)
    out = ["Codes: C - IKE configuration mode, D - Dead Peer Detection",
           "       K - Keepalives, N - NAT-traversal",
           "       T - cTCP encapsulation, X - IKE Extended Authentication",
           "       psk - Preshared key, rsig - RSA signature",
           "       renc - RSA encryption",
           "IPv4 Crypto ISAKMP SA", "",
           "C-id  Local           Remote          I-VRF  Status Encr Hash   Auth DH Lifetime Cap.", ""]
    dpd = r.config.has_line("crypto isakmp keepalive 10 3 periodic") or any(
        n.text.startswith("crypto isakmp keepalive") for n in r.config.root.children)
    for link, side in rows:
        left = max(60, 86400 - int(now - side.ike_since) % 86400)
        out += ["%-5d %-15s %-15s        %-6s aes  sha256 psk  14 %s %s" % (
            side.conn_id, side.addr, side.peer_addr, "ACTIVE", hms(left) if left < 86400 else "23:59:59",
            "D" if dpd else ""),
            "       Engine-id:Conn-id =  SW:%d" % (side.conn_id - 1000), ""]
    out += ["IPv6 Crypto ISAKMP SA", ""]
    return "\n".join(out)


def show_ikev2_sa(fleet: FleetView, r: Router, now: float, detail: bool) -> str:
    rows = [(link, side) for link, side in fleet.links_of(r.name) if link.ike == "ikev2" and side.ike]
    out = [" IPv4 Crypto IKEv2  SA ", "",
           "Tunnel-id Local                 Remote                fvrf/ivrf            Status "]
    dpd_on = any(" dpd " in " %s " % c.text for s in r.config.sections("crypto ikev2 profile") for c in s.children)
    for i, (link, side) in enumerate(rows, start=1):
        out.append("%-9d %-21s %-21s %-20s %s " % (i, side.addr + "/500", side.peer_addr + "/500", "none/none", side.ike))
        out.append("      Encr: AES-CBC, keysize: 256, PRF: SHA256, Hash: SHA256, DH Grp:14, Auth sign: PSK, Auth verify: PSK")
        out.append("      Life/Active Time: 86400/%d sec" % int(now - side.ike_since))
        if detail:
            lspi = (side.conn_id * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
            rspi = (side.conn_id * 0xC2B2AE3D27D4EB4F + 7) & 0xFFFFFFFFFFFFFFFF
            out += ["      CE id: %d, Session-id: %d" % (side.conn_id, i),
                    "      Status Description: Negotiation done",
                    "      Local spi: %016X       Remote spi: %016X" % (lspi, rspi),
                    "      Local id: %s" % side.addr,
                    "      Remote id: %s" % side.peer_addr,
                    "      Local req msg id:  2              Remote req msg id:  0",
                    "      Local next msg id: 2              Remote next msg id: 0",
                    "      Local req queued:  2              Remote req queued:  0",
                    "      Local window:      5              Remote window:      5",
                    "      DPD configured for 10 seconds, retry 3" if dpd_on else "      DPD disabled",
                    "      Fragmentation not  configured.",
                    "      Dynamic Route Update: disabled",
                    "      Extended Authentication not configured.",
                    "      NAT-T is not detected",
                    "      Cisco Trust Security SGT is disabled",
                    "      Initiator of SA : %s" % ("Yes" if side.ike_initiator else "No")]
        out.append("")
    out += ["", " IPv6 Crypto IKEv2  SA ", ""]
    return "\n".join(out)


def show_crypto_session(fleet: FleetView, r: Router, now: float, detail: bool, remote: Optional[str] = None) -> str:
    out = ["Crypto session current status", ""]
    if detail:
        out += ["Code: C - IKE Configuration mode, D - Dead Peer Detection",
                "K - Keepalives, N - NAT-traversal, T - cTCP encapsulation",
                "X - IKE Extended Authentication, F - IKE Fragmentation",
                "R - IKE Auto Reconnect, U - IKE Dynamic Route Update",
                "S - SIP VPN", ""]
    for n, (link, side) in enumerate(fleet.links_of(r.name)):
        if remote is not None and side.peer_addr != remote:
            continue
        iface = _side_iface(fleet, side)[0]
        has = side.has_sa()
        status = "UP-ACTIVE" if has and side.ike else ("UP-NO-IKE" if has else "DOWN")
        ver = "IKEv1" if link.ike == "ikev1" else "IKEv2"
        t = side.tunnel
        lid, rid = _idents(fleet, link, side)
        if t.kind in ("p2p_gre", "mgre_static_nhrp", "mgre_dynamic_nhrp"):
            flow = "permit 47 host %s host %s" % (side.addr, side.peer_addr)
        else:
            lnet, lmask = lid.split("/")[:2]
            rnet, rmask = rid.split("/")[:2]
            flow = "permit ip %s/%s %s/%s" % (lnet, lmask, rnet, rmask)
        out.append("Interface: %s" % iface)
        if t.kind in ("dvti",):
            out.append("Profile: DVTI-%s" % t.interface.replace("Virtual-Template", ""))
        elif link.ike == "ikev2":
            out.append("Profile: IKEV2-PROF")
        if detail:
            out.append("Uptime: %s" % hms(now - side.sa_since))
        out.append("Session status: %s" % status)
        out.append("Peer: %s port 500%s" % (side.peer_addr, " fvrf: (none) ivrf: (none)" if detail else ""))
        if detail:
            out += ["      Phase1_id: %s" % side.peer_addr, "      Desc: (none)", "  Session ID: %d" % n]
        if side.ike:
            out.append("  %s SA: local %s/500 remote %s/500 Active" % (ver, side.addr, side.peer_addr))
            if detail:
                left = 86400 - int(now - side.ike_since) % 86400
                out.append("          Capabilities:%s connid:%d lifetime:%s" % ("D" if link.ike == "ikev1" else "U", side.conn_id, hms(left)))
        out.append("  IPSEC FLOW: %s" % flow)
        out.append("        Active SAs: %d, origin: crypto map" % (2 if has else 0))
        if detail:
            remain = _remaining(now, side.sa_since)
            kb = 4608000 - min(4607000, int((side.encaps + side.decaps) * AVG_KB))
            if has:
                out.append("        Inbound:  #pkts dec'ed %d drop 0 life (KB/Sec) %d/%d" % (int(side.decaps), kb, remain))
                out.append("        Outbound: #pkts enc'ed %d drop 0 life (KB/Sec) %d/%d" % (int(side.encaps), kb, remain))
            else:
                out.append("        Inbound:  #pkts dec'ed 0 drop 0 life (KB/Sec) 0/0")
                out.append("        Outbound: #pkts enc'ed 0 drop 0 life (KB/Sec) 0/0")
        out.append("")
    return "\n".join(out)


def show_dmvpn(fleet: FleetView, r: Router, now: float, detail: bool) -> str:
    tuns = [t for t in r.spec.tunnels if t.kind.startswith("mgre")]
    if not tuns:
        return ""
    out = ["Legend: Attrb --> S - Static, D - Dynamic, I - Incomplete",
           "        N - NATed, L - Local, X - No Socket",
           "        T1 - Route Installed, T2 - Nexthop-override",
           "        C - CTS Capable, I2 - Temporary",
           "        # Ent --> Number of NHRP entries with same NBMA peer",
           "        NHS Status: E --> Expecting Replies, R --> Responding, W --> Waiting",
           "        UpDn Time --> Up or Down Time for a Tunnel",
           "=" * 74, ""]
    for t in tuns:
        peers = [(link, side) for link, side in fleet.links_of(r.name) if side.tunnel is t]
        typ = "Hub" if t.kind == "mgre_dynamic_nhrp" and t.role == "hub" else "Spoke"
        out += ["Interface: %s, IPv4 NHRP Details " % t.interface, "Type:%s, NHRP Peers:%d," % (typ, len(peers)), ""]
        if detail:
            out += [" # Ent  Peer NBMA Addr Peer Tunnel Add State  UpDn Tm Attrb    Target Network",
                    " ----- --------------- --------------- ----- -------- ----- -----------------"]
        else:
            out += [" # Ent  Peer NBMA Addr Peer Tunnel Add State  UpDn Tm Attrb",
                    " ----- --------------- --------------- ----- -------- -----"]
        for link, side in peers:
            other = link.other(side)
            tun_addr = _mask(other.tunnel.address)[0] if other.tunnel is not None and other.tunnel.address else "0.0.0.0"
            attr = "D" if (t.kind == "mgre_dynamic_nhrp" and t.role == "hub") else "S"
            state = "UP" if side.ike else "IKE"
            row = "%6d %-15s %15s %5s %8s %5s" % (1, side.peer_addr, tun_addr, state, hms(now - side.sa_since), attr)
            if detail:
                row += "    %s/32" % tun_addr
            out.append(row)
            if detail:
                out += ["", "", "  Crypto Session Details: ",
                        "  " + "-" * 78, "",
                        "  Interface: %s" % t.interface,
                        "  Session: [0x%08X]" % (side.conn_id * 4096),
                        "    IKE SA: local %s/500 remote %s/500 %s" % (side.addr, side.peer_addr, "Active" if side.ike else "Inactive"),
                        "    Crypto Session Status: %s" % ("UP-ACTIVE" if side.has_sa() and side.ike else ("UP-NO-IKE" if side.has_sa() else "DOWN")),
                        "    fvrf: (none),  Phase1_id: %s" % side.peer_addr,
                        "    IPSEC FLOW: permit 47 host %s host %s " % (side.addr, side.peer_addr),
                        "          Active SAs: %d, origin: crypto map" % (2 if side.has_sa() else 0)]
                if side.has_sa():
                    out += ["     Outbound SPI : 0x%8X, transform : esp-256-aes esp-sha256-hmac " % side.spi_out,
                            "    Socket State: Open"]
                out.append("")
        out.append("")
    return "\n".join(out)
