"""Text generators for the IOS / IOS XE show commands the lab answers, in the real layouts."""
from __future__ import annotations

import datetime
import ipaddress
from typing import List, Optional

from .build import _mask
from .model import FleetView, Link, Router, Side

CODENAMES = {"17.3": "Amsterdam", "17.6": "Bengaluru", "17.9": "Cupertino", "17.12": "Dublin"}
IMAGES = {"c8000v": "Virtual XE Software", "asr1001x": "ASR1000 Software", "isr4451": "ISR Software"}
FLOW_PREFIX = {"c8000v": "CSR", "asr1001x": "ESG", "isr4451": "ESG", "classic": "Onboard VPN"}


def _dt(epoch: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)


def uptime_words(seconds: float) -> str:
    s = int(seconds)
    weeks, s = divmod(s, 7 * 86400)
    days, s = divmod(s, 86400)
    hours, s = divmod(s, 3600)
    minutes = s // 60
    parts = []
    for n, unit in ((weeks, "week"), (days, "day"), (hours, "hour"), (minutes, "minute")):
        if n or unit == "minute":
            parts.append("%d %s%s" % (n, unit, "" if n == 1 else "s"))
    return ", ".join(parts)


def hms(seconds: float) -> str:
    s = max(0, int(seconds))
    if s >= 86400:
        d, s = divmod(s, 86400)
        return "%dd%02dh" % (d, s // 3600)
    return "%02d:%02d:%02d" % (s // 3600, (s % 3600) // 60, s % 60)


def show_version(r: Router, now: float) -> str:
    spec = r.spec
    ver = spec.plat["version"]
    up = uptime_words(now - r.boot)
    serial = "9%s%04d" % (spec.name.upper()[:3].replace("-", "X"), spec.index)
    if spec.plat["family"] == "ios":
        return "\n".join([
            "Cisco IOS Software, C2900 Software (C2900-UNIVERSALK9-M), Version %s, RELEASE SOFTWARE (fc2)" % ver,
            "Technical Support: http://www.cisco.com/techsupport",
            "Copyright (c) 1986-2021 by Cisco Systems, Inc.",
            "Compiled Thu 04-Feb-21 10:11 by prod_rel_team",
            "",
            "ROM: System Bootstrap, Version 15.0(1r)M16, RELEASE SOFTWARE (fc1)",
            "",
            "%s uptime is %s" % (spec.name, up),
            "System returned to ROM by power-on",
            "System restarted at 13:55:12 UTC Wed Nov 12 2026",
            'System image file is "flash0:c2900-universalk9-mz.SPA.157-3.M8.bin"',
            "Last reload type: Normal Reload",
            "Last reload reason: power-on",
            "",
            "Cisco %s (revision 1.0) with 983040K/65536K bytes of memory." % spec.plat["model"],
            "Processor board ID FGL%s" % serial[1:],
            "3 Gigabit Ethernet interfaces",
            "1 terminal line",
            "1 Virtual Private Network (VPN) Module",
            "DRAM configuration is 64 bits wide with parity enabled.",
            "255K bytes of non-volatile configuration memory.",
            "249856K bytes of ATA System CompactFlash 0 (Read/Write)",
            "",
            "Configuration register is 0x2102",
        ])
    parts = ver.split(".")
    digits = "".join(c for c in parts[2] if c.isdigit())
    padded = "%s.%02d.%02d%s" % (parts[0], int(parts[1]), int(digits or 0), parts[2][len(digits):])
    train = CODENAMES.get(".".join(parts[:2]), "Cupertino")
    model = spec.plat["model"]
    virtual = spec.platform == "c8000v"
    lines = [
        "Cisco IOS XE Software, Version %s" % padded,
        "Cisco IOS Software [%s], %s (X86_64_LINUX_IOSD-UNIVERSALK9-M), Version %s, RELEASE SOFTWARE (fc3)"
        % (train, IMAGES[spec.platform], ver),
        "Technical Support: http://www.cisco.com/techsupport",
        "Copyright (c) 1986-2023 by Cisco Systems, Inc.",
        "Compiled Fri 20-Oct-23 10:44 by mcpre",
        "",
        "",
        "Cisco IOS-XE software, Copyright (c) 2005-2023 by cisco Systems, Inc.",
        "All rights reserved.  Certain components of Cisco IOS-XE software are",
        "licensed under the GNU General Public License (\"GPL\") Version 2.0.  The",
        "software code licensed under GPL Version 2.0 is free software that comes",
        "with ABSOLUTELY NO WARRANTY.  You can redistribute and/or modify such",
        "GPL code under the terms of GPL Version 2.0.  For more details, see the",
        "documentation or \"License Notice\" file accompanying the IOS-XE software,",
        "or the applicable URL provided on the flyer accompanying the IOS-XE",
        "software.",
        "",
        "",
        "ROM: IOS-XE ROMMON",
        "",
        "%s uptime is %s" % (spec.name, up),
        "Uptime for this control processor is %s" % up,
        "System returned to ROM by reload",
        "System image file is \"bootflash:packages.conf\"",
        "Last reload reason: reload",
        "",
        "",
        "",
        "This product contains cryptographic features and is subject to United",
        "States and local country laws governing import, export, transfer and",
        "use. Delivery of Cisco cryptographic products does not imply",
        "third-party authority to import, export, distribute or use encryption.",
        "",
        "",
        "License Level: network-advantage",
        "License Type: Perpetual",
        "Next reload license Level: network-advantage",
        "",
        "",
        "Smart Licensing Status: Registration Not Applicable/Not Applicable",
        "",
        ("cisco %s (VXE) processor (revision VXE) with 2028465K/3075K bytes of memory." % model) if virtual else
        ("cisco %s (1NG) processor (revision 1NG) with 3763053K/6147K bytes of memory." % model),
        "Processor board ID %s" % serial,
        "Router operating mode: Autonomous",
        "3 Gigabit Ethernet interfaces",
        "32768K bytes of non-volatile configuration memory.",
        "3965240K bytes of physical memory.",
        "11526144K bytes of virtual hard disk at bootflash:." if virtual else "6598655K bytes of eUSB flash at bootflash:.",
        "",
        "Configuration register is 0x2102",
    ]
    return "\n".join(lines)


def running_config(fleet: FleetView, r: Router, now: float, tree=None) -> str:
    body = (tree or r.config).lines()
    text_len = sum(len(x) + 1 for x in body)
    head = ["Building configuration...", "", "Current configuration : %d bytes" % text_len, "!"]
    if r.last_change is not None:
        when, who = r.last_change
        head += ["! Last configuration change at %s by %s" % (_dt(when).strftime("%H:%M:%S UTC %a %b %d %Y"), who), "!"]
    return "\n".join(head + body[1:] + ["end"])


def show_clock(now: float, r: Router) -> str:
    star = "*" if r.spec.log_style == "sequence" else ""
    d = _dt(now)
    return "%s%s.%03d UTC %s" % (star, d.strftime("%H:%M:%S"), d.microsecond // 1000, d.strftime("%a %b %d %Y"))


def show_logging(r: Router) -> str:
    n = r.logged_total
    head = [
        "Syslog logging: enabled (0 messages dropped, %d messages rate-limited, 0 flushes, 0 overruns, xml disabled, "
        "filtering disabled)" % (n // 2),
        "",
        "No Active Message Discriminator.",
        "",
        "",
        "",
        "No Inactive Message Discriminator.",
        "",
        "",
        "    Console logging: disabled",
        "    Monitor logging: level debugging, 0 messages logged, xml disabled,",
        "                     filtering disabled",
        "    Buffer logging:  level debugging, %d messages logged, xml disabled," % n,
        "                    filtering disabled",
        "    Exception Logging: size (4096 bytes)",
        "    Count and timestamp logging messages: disabled",
        "    Persistent logging: disabled",
        "",
        "No active filter modules.",
        "",
        "    Trap logging: level informational, %d message lines logged" % (n + 3),
        "        Logging Source-Interface:       VRF Name:",
        "",
        "Log Buffer (102400 bytes):",
        "",
    ]
    return "\n".join(head + [line for _epoch, line in r.log])


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


# ----- QFP ------------------------------------------------------------------------------------------------

def show_qfp_drops(r: Router) -> str:
    rows = [(k, v) for k, v in sorted(r.qfp.items()) if int(v[0]) > 0]
    out = ["Last clearing of QFP drops statistics : %s" % getattr(r, "qfp_cleared", "never"), "",
           "-" * 73,
           "Global Drop Stats                         Packets                  Octets  ",
           "-" * 73]
    if not rows:
        return "\n".join(["The Global drop stats were all zero"])
    for k, v in rows:
        out.append("%-33s%16d%24d  " % (k, int(v[0]), int(v[1])))
    return "\n".join(out)


IPSEC_DROP_TABLE = [
    "IN_V4_PKT_HIT_INVALID_SA", "IN_CLEAR_US_V4_PSTATE_SB_FAILED", "IN_US_V4_PKT_FOUND_IPSEC_NOT_ENABLED",
    "IN_US_V4_PKT_SA_NOT_FOUND_SPI", "IN_TUNNEL_US_V4_PKT_IPSEC_NO_KEEP", "IN_TRANS_CL_V4_PKT_FAILED_POLICY",
    "IN_TRANS_V4_IPSEC_PKT_NOT_FOUND_SPI", "IN_US_CL_V4_PKT_FAILED_POLICY", "IN_V6_PKT_HIT_INVALID_SA",
    "IN_CLEAR_US_V6_PSTATE_SB_FAILED", "IN_US_V6_PKT_FOUND_IPSEC_NOT_ENABLED", "IN_US_V6_PKT_SA_NOT_FOUND_SPI",
    "IN_TUNNEL_US_V6_PKT_IPSEC_NOT_KEEP", "IN_TRANS_V6_PKT_FAILED_POLICY", "IN_US_CL_V6_PKT_FAILED_POLICY",
    "IN_CD_SW_IPSEC_HARD_EXPIRY", "IN_CD_SW_IPSEC_ANTI_REPLAY_FAIL", "IN_TBASED_ANTI_REPLAY_FAIL",
    "OUT_V4_PKT_HIT_INVALID_SA", "OUT_V4_PKT_HIT_IKE_START_SP", "OUT_V6_PKT_HIT_INVALID_SA",
    "OUT_CD_SW_IPSEC_HARD_EXPIRY", "CRYPTO_DEVICE_IPSEC_STOP", "IN_PKT_CERM_DROP", "OUT_PKT_CERM_DROP",
]


def show_qfp_ipsec_drops(r: Router, all_rows: bool) -> str:
    # Drop-type numbers differ between releases (domain.md): keep them release-specific on purpose.
    offset = 0 if r.spec.plat["version"].startswith("17.9") else (2 if r.spec.plat["version"].startswith("17.6") else 1)
    out = ["-" * 72, "Drop Type  Name                                     Packets", "-" * 72]
    for i, name in enumerate(IPSEC_DROP_TABLE, start=1):
        value = int(r.ipsec_drops.get(name, 0))
        if not all_rows and value == 0:
            continue
        num = i if i <= 3 else i + offset
        out.append("%9d  %-45s%16d" % (num, name, value))
    return "\n".join(out)


def show_ip_int_brief(r: Router) -> str:
    out = ["Interface              IP-Address      OK? Method Status                Protocol"]
    for node in r.config.sections("interface"):
        name = node.text.split()[1]
        ip = "unassigned"
        for c in node.children:
            if c.text.startswith("ip address "):
                ip = c.text.split()[2]
        down = any(c.text == "shutdown" for c in node.children)
        status = ("administratively down", "down") if down else ("up", "up")
        out.append("%-22s %-15s YES NVRAM  %-21s %s" % (name, ip, status[0], status[1]))
    return "\n".join(out)
