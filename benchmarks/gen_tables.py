# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generate the benchmark inputs for bench_tables.py, reproducibly (fixed seed).

* a QFP global drop table as an ASR 1000 hub prints it,
* the QFP IPsec datapath drops table (``drops all``),
* ``show crypto ipsec sa detail`` of a hub with PEERS spokes, one static VTI
  tunnel interface each (the ntc-templates template reads one ident block
  per interface only), every tenth peer in a rekey overlap (two inbound / two outbound SAs)
  and every twenty-fifth with an ident that has no SA (``0x0(0)``).

and, for the robustness benchmark, ``adversarial()``: inputs of about 1 MB per
table parser built to make a careless parser slow (runs of blank lines, one
huge line of blanks, keyword prefixes repeated without end, 70,000 SPIs in one
block, wrapped lines that never complete, non-ASCII digits...).

Usage: gen_tables.py [OUTDIR] [--peers N]  (default benchmarks/data, 200 peers)
"""

from __future__ import annotations

import argparse
import os
import random

SEED = 20260902

QFP_DROP_NAMES = [
    "AdjNullAdj", "BadIpChecksum", "BFDoffload", "Disabled", "EssIpsecFailed", "FirewallBackpressure",
    "FirewallInvalidZone", "FirewallL4Insp", "FirewallNonsession", "FirewallPolicy", "IpFormatErr",
    "IpsecDenyDrop", "IpsecIkeIndicate", "IpsecInput", "IpsecInvalidSa", "IpsecOutput", "IpsecTailDrop",
    "IpTtlExceeded", "Ipv4Acl", "Ipv4AclLookupMiss", "Ipv4Martian", "Ipv4NoAdj", "Ipv4NoRoute", "Ipv4Null0",
    "Ipv4Unclassified", "Ipv6Acl", "Ipv6NoAdj", "Ipv6NoRoute", "Ipv6Null0", "MplsNoRoute", "NatIn2out",
    "NatOut2in", "NhrpUnsupportedRedirect", "PuntGlobalPolicerDrops", "PuntPerCausePolicerDrops",
    "QosPolicing", "ReassNoFragInfo", "ReassTimeout", "SdwanImplicitAclDrop", "TailDrop", "UidbNotCfgd",
    "UnconfiguredIpv4Fia", "UnconfiguredIpv6Fia", "UnknownDropCause", "WccpRedirectDrop",
]

IPSEC_DROP_NAMES = [
    "IN_V4_PKT_HIT_INVALID_SA", "IN_CLEAR_US_V4_PSTATE_SB_FAILED", "IN_US_V4_PKT_FOUND_IPSEC_NOT_ENABLED",
    "IN_US_V4_PKT_SA_NOT_FOUND_SPI", "IN_TUNNEL_US_V4_PKT_IPSEC_NO_KEEP", "IN_TRANS_CL_V4_PKT_FAILED_POLICY",
    "IN_TRANS_V4_IPSEC_PKT_NOT_FOUND_SPI", "IN_US_CL_V4_PKT_FAILED_POLICY", "IN_V6_PKT_HIT_INVALID_SA",
    "IN_CLEAR_US_V6_PSTATE_SB_FAILED", "IN_US_V6_PKT_FOUND_IPSEC_NOT_ENABLED", "IN_US_V6_PKT_SA_NOT_FOUND_SPI",
    "IN_TUNNEL_US_V6_PKT_IPSEC_NOT_KEEP", "IN_TRANS_V6_PKT_FAILED_POLICY", "IN_US_CL_V6_PKT_FAILED_POLICY",
    "IN_CPP_FAIL_NOTIF_SA_SOFT_EXPIRY", "IN_CD_SW_IPSEC_HARD_EXPIRY", "IN_CD_SW_IPSEC_ANTI_REPLAY_FAIL",
    "IN_UNEXP_CD_SW_IPSEC_EXCEPTION", "IN_TBASED_ANTI_REPLAY_FAIL", "IN_PKT_HEADPAD_LEN_ERR",
    "IN_PKT_PSTATE_TOO_BIG", "IN_INFRA_V4_PKT_LEN_TOO_BIG", "IN_INFRA_V6_PKT_LEN_TOO_BIG",
    "IN_PSTATE_CHUNK_MEM_NOT_INIT", "IN_PSTATE_CHUNK_ALLOC_FAIL", "IN_SETTING_WRONG_L2_HDR",
    "IN_V4_POST_INPUT_POLICY_FAIL", "IN_V6_POST_INPUT_POLICY_FAIL", "OUT_V4_PKT_HIT_INVALID_SA",
    "OUT_V4_PKT_HIT_IKE_START_SP", "OUT_V4_PKT_HIT_TED_START_SP", "OUT_V4_PKT_HIT_DENY_DROP_SP",
    "OUT_V4_PKT_HIT_UNKNOWN_TCAM", "OUT_V6_PKT_HIT_INVALID_SA", "OUT_V6_PKT_HIT_IKE_START_SP",
    "OUT_V6_PKT_HIT_TED_START_SP", "OUT_V6_PKT_HIT_DENY_DROP_SP", "OUT_V6_PKT_HIT_UNKNOWN_TCAM",
    "OUT_CPP_FAIL_NOTIF_SA_SOFT_EXPIRY", "OUT_CD_SW_IPSEC_HARD_EXPIRY", "OUT_UNEXP_CD_SW_IPSEC_EXCEPTION",
    "OUT_CD_SW_IPSEC_DETECT_SEQ_OVEFLOW", "OUT_CANNOT_FRAG_DF_SET_PKT", "OUT_PKT_HEADPAD_LEN_ERR",
    "OUT_PKT_PSTATE_TOO_BIG", "OUT_INFRA_V4_PKT_LEN_TOO_BIG", "OUT_INFRA_V6_PKT_LEN_TOO_BIG",
    "OUT_PSTATE_CHUNK_MEM_NOT_INIT", "OUT_PSTATE_CHUNK_ALLOC_FAIL", "OUT_SETTING_WRONG_L2_HDR",
    "OUT_V4_POST_OUTPUT_POLICY_FAIL", "OUT_V6_POST_OUTPUT_POLICY_FAIL", "MPASS_RESTORE_FAIL",
    "CRYPTO_DEVICE_IPSEC_STOP", "OUT_V4_TX_PKT_ADJ_FAIL", "IN_CD_SW_IPSEC_MAC_EXCEPTION", "IN_NAT_DEMUX_FAIL",
    "OUT_NAT_DEMUX_FAIL", "IN_CD_SW_IPSEC_NH_MISMATCH", "CD_SW_IPSEC_PKT_HIT_INVALID_SA", "IN_PKT_MDATA_ERR",
    "IN_V4_PKT_FRAG_ERR", "IN_PKT_IPVER_INVALID", "IN_PKT_CERM_DROP", "OUT_PKT_CERM_DROP",
    "PKT_BUFFER_UNAVAILABLE", "OUT_IPV4_SA_NOT_FOUND", "OUT_IPV6_SA_NOT_FOUND", "IN_IPD3P_ANTI_REPLAY_FAIL",
    "IN_CRYPTO_THRPUT_POLICY_DROP", "OUT_CRYPTO_THRPUT_POLICY_DROP", "CD_IN_PKT_OUT_OF_WINDOW",
]


def qfp_drop_table(rng: random.Random) -> str:
    out = [
        "hub-1#show platform hardware qfp active statistics drop",
        "Load for five secs: 6%/1%; one minute: 7%; five minutes: 7%",
        "Time source is NTP, 13:31:02.118 UTC Wed Sep 2 2026",
        "-" * 73,
        "Global Drop Stats                         Packets                  Octets  ",
        "-" * 73,
    ]
    for name in QFP_DROP_NAMES:
        packets = rng.randint(1, 5_000_000)
        out.append("%-40s%9d%24d  " % (name, packets, packets * rng.randint(60, 1400)))
    return "\n".join(out) + "\n"


def qfp_ipsec_drop_table(rng: random.Random) -> str:
    out = [
        "hub-1#show platform hardware qfp active feature ipsec datapath drops all",
        "-" * 72,
        "Drop Type  Name                                     Packets",
        "-" * 72,
    ]
    for number, name in enumerate(IPSEC_DROP_NAMES, 1):
        packets = rng.randint(0, 90_000) if rng.random() < 0.3 else 0
        out.append("%9d  %-52s%10d" % (number, name, packets))
    return "\n".join(out) + "\n"


def _sa_lines(spi: int, conn: int, tunnel: str, rng: random.Random) -> list:
    return [
        "      spi: 0x%X(%d)" % (spi, spi),
        "        transform: esp-256-aes esp-sha256-hmac ,",
        "        in use settings ={Transport, }",
        "        conn id: %d, flow_id: HW:%d, sibling_flags FFFFFFFF80000008, crypto map: %s-head-0"
        % (conn, conn - 2000, tunnel),
        "        sa timing: remaining key lifetime (k/sec): (%d/%d)" % (rng.randint(1, 4608000), rng.randint(1, 3600)),
        "        IV size: 16 bytes",
        "        replay detection support: Y  replay window size: 1024",
        "        Status: ACTIVE(ACTIVE)",
        "",
    ]


def ipsec_sa_detail(rng: random.Random, peers: int) -> str:
    local = "192.0.2.1"
    out = ["hub-1#show crypto ipsec sa detail", ""]
    conn = 2001
    for index in range(peers):
        tunnel = "Tunnel%d" % (1000 + index)
        out += ["interface: %s" % tunnel, "    Crypto map tag: %s-head-0, local addr %s" % (tunnel, local), ""]
        peer = "198.51.%d.%d" % (100 + index // 250, 1 + index % 250)
        no_sa = index % 25 == 24
        rekey = index % 10 == 9
        inbound = [] if no_sa else [rng.getrandbits(32) | 0x1000 for _sa in range(2 if rekey else 1)]
        outbound = [] if no_sa else [rng.getrandbits(32) | 0x1000 for _sa in range(2 if rekey else 1)]
        encaps = 0 if no_sa else rng.randint(0, 10_000_000)
        decaps = 0 if no_sa else rng.randint(0, 10_000_000)
        current = outbound[-1] if outbound else 0
        out += [
            "   protected vrf: (none)",
            "   local  ident (addr/mask/prot/port): (%s/255.255.255.255/47/0)" % local,
            "   remote ident (addr/mask/prot/port): (%s/255.255.255.255/47/0)" % peer,
            "   current_peer %s port 500" % peer,
            "     PERMIT, flags={origin_is_acl,}",
            "    #pkts encaps: %d, #pkts encrypt: %d, #pkts digest: %d" % (encaps, encaps, encaps),
            "    #pkts decaps: %d, #pkts decrypt: %d, #pkts verify: %d" % (decaps, decaps, decaps),
            "    #pkts compressed: 0, #pkts decompressed: 0",
            "    #pkts not compressed: 0, #pkts compr. failed: 0",
            "    #pkts not decompressed: 0, #pkts decompress failed: 0",
            "    #pkts no sa (send) 0, #pkts invalid sa (rcv) %d" % (rng.randint(0, 3) if rekey else 0),
            "    #pkts encaps failed (send) 0, #pkts decaps failed (rcv) 0",
            "    #pkts invalid prot (recv) 0, #pkts verify failed: 0",
            "    #pkts invalid identity (recv) 0, #pkts invalid len (rcv) 0",
            "    #pkts replay rollover (send): 0, #pkts replay rollover (rcv) 0",
            "    ##pkts replay failed (rcv): 0",
            "    #pkts tagged (send): 0, #pkts untagged (rcv): 0",
            "    #pkts not tagged (send): 0, #pkts not untagged (rcv): 0",
            "    #pkts internal err (send): 0, #pkts internal err (recv) 0",
            "",
            "     local crypto endpt.: %s, remote crypto endpt.: %s" % (local, peer),
            "     plaintext mtu 1458, path mtu 1500, ip mtu 1500, ip mtu idb GigabitEthernet0/0/0",
            "     current outbound spi: 0x%X(%d)" % (current, current),
            "     PFS (Y/N): N, DH group: none",
            "",
            "     inbound esp sas:",
        ]
        for spi in inbound:
            out += _sa_lines(spi, conn, tunnel, rng)
            conn += 1
        out += ["     inbound ah sas:", "", "     inbound pcp sas:", "", "     outbound esp sas:"]
        for spi in outbound:
            out += _sa_lines(spi, conn, tunnel, rng)
            conn += 1
        out += ["     outbound ah sas:", "", "     outbound pcp sas:", ""]
    return "\n".join(out) + "\n"


MEGABYTE = 1_000_000


def _fill(unit: str, size: int = MEGABYTE) -> str:
    return unit * max(1, size // len(unit))


def adversarial() -> dict:
    """``{parser name: [(case, text), ...]}``, each text about 1 MB."""
    blank_runs = [("blank lines", "\n" * MEGABYTE), ("blank lines with CRLF", "\r\n" * (MEGABYTE // 2)),
                  ("one line of blanks", " " * MEGABYTE + "x"), ("one line of tabs", "\t" * MEGABYTE + "%"),
                  ("no newline", "a" * MEGABYTE), ("unsupported after blanks", "\n" * MEGABYTE + "% Invalid input")]
    spis = "".join("spi: 0x%X(%d)\n" % (n, n) for n in range(1, 70_001))
    ipsec = blank_runs + [
        ("70,000 SPIs in one block", "interface: Tunnel1\nprotected vrf: (none)\ninbound esp sas:\n" + spis),
        ("keyword prefixes", "interface: Tunnel1\n" + _fill("current outbound sp\nlocal crypto endpt\n")),
        ("local endpoint lines never completed", "interface: Tunnel1\nprotected vrf: (none)\n"
         + _fill("local crypto endpt.: 2001:db8::1,\n")),
        ("blanks inside keywords", "interface: Tunnel1\n" + _fill("local" + " \t" * 2000 + "x\n")),
        ("non-ASCII digits", "interface: Tunnel1\nprotected vrf: (none)\n"
         + _fill("#pkts encaps: \u0665\u0660\u0665\u0660\u0665\u0660\u0665\u0660\n")),
    ]
    ike = blank_runs + [
        ("dst lines without src", "IPv6 Crypto ISAKMP SA\n" + _fill(" dst: 2001:db8::1\n")),
        ("remote subnets without end", "Tunnel-id Local Remote fvrf/ivrf Status\n"
         "1 10.0.0.1/500 10.0.0.2/500 none/none READY\nRemote subnets:\n" + _fill("10.0.0.0 255.0.255.0\n")),
        ("row-like digits", _fill("1 " * 2000 + "\n")),
        ("addresses and slashes", _fill("1 " + "1.1.1.1/" * 500 + "\n")),
    ]
    session = blank_runs + [
        ("wrapped IKE SAs never completed", "Interface: Tunnel1\n" + _fill("IKEv2 SA: local 2001:db8::1/500\n")),
        ("flows with odd lifetimes", "Interface: Tunnel1\n" + _fill(
            "IPSEC FLOW: permit ip any any\nInbound: #pkts dec'ed 1 drop 0 life (KB/Sec) KB Vol Rekey Disabled/1\n")),
        ("remote lines alone", "Interface: Tunnel1\n" + _fill("remote 2001:db8::2/500 Active\n")),
    ]
    dmvpn = blank_runs + [
        ("UNKNOWN rows", "Interface: Tunnel1, IPv4 NHRP Details\n" + _fill(" 1 UNKNOWN 10.0.0.1 NHRP never IX\n")),
        ("NBMA lines never completed", "Interface: Tunnel1, IPv4 NHRP Details\n" + _fill(" 1 2001:db8::1\n")),
        ("long attribute codes", "Interface: Tunnel1, IPv4 NHRP Details\n"
         + _fill(" 1 10.0.0.2 10.0.0.1 UP never " + "T" * 3000 + "\n")),
    ]
    qfp = blank_runs + [
        ("row-like names", _fill("IpsecInput " + "1 " * 1000 + "\n")),
        ("prompt-like lines", _fill("r" * 4000 + "\n")),
        ("separators", _fill("-" * 3000 + " x\n")),
    ]
    return {"ipsec_sas": ipsec, "ike_sas": ike, "crypto_sessions": session, "dmvpn": dmvpn,
            "qfp_drops": qfp, "qfp_ipsec_drops": qfp}


def generate(outdir: str, peers: int = 200) -> dict:
    rng = random.Random(SEED)
    os.makedirs(outdir, exist_ok=True)
    files = {
        "qfp_drops.txt": qfp_drop_table(rng),
        "qfp_ipsec_drops.txt": qfp_ipsec_drop_table(rng),
        "ipsec_sa_detail.txt": ipsec_sa_detail(rng, peers),
    }
    paths = {}
    for name, text in files.items():
        path = os.path.join(outdir, name)
        with open(path, "w") as handle:
            handle.write(text)
        paths[name] = path
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", nargs="?", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "data"))
    parser.add_argument("--peers", type=int, default=200)
    args = parser.parse_args()
    for name, path in generate(args.outdir, args.peers).items():
        print("%s %d bytes" % (path, os.path.getsize(path)))


if __name__ == "__main__":
    main()
