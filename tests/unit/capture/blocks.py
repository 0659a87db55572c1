"""Capture blocks as the applets write them, for the capture tests (one home for the test data)."""
from __future__ import annotations

from ansible_collections.netops.ipsec_spi.plugins.module_utils import capture, commands

HUB, BR = "198.51.100.101", "198.51.100.102"
T0 = 1795975267


def sa_table(local, peer, inbound, outbound, host):
    def sa(spi):
        return ["      spi: 0x%X(%d)" % (spi, spi), "        transform: esp-256-aes esp-sha256-hmac ,",
                "        in use settings ={Tunnel, }", "        Status: ACTIVE(ACTIVE)", ""]
    lines = ["interface: GigabitEthernet1", "    Crypto map tag: CMAP, local addr %s" % local, "",
             "   protected vrf: (none)", "   local  ident (addr/mask/prot/port): (10.1.0.0/255.255.255.0/0/0)",
             "   remote ident (addr/mask/prot/port): (10.2.0.0/255.255.255.0/0/0)",
             "   current_peer %s port 500" % peer, "     PERMIT, flags={origin_is_acl,}",
             "    #pkts encaps: 1200, #pkts encrypt: 1200, #pkts digest: 1200",
             "    #pkts decaps: 0, #pkts decrypt: 0, #pkts verify: 0", "",
             "     local crypto endpt.: %s, remote crypto endpt.: %s" % (local, peer),
             "     current outbound spi: 0x%X(%d)" % (outbound[0], outbound[0]) if outbound else
             "     current outbound spi: 0x0(0)", "", "     inbound esp sas:"]
    for spi in inbound:
        lines += sa(spi)
    lines += ["     inbound ah sas:", "", "     outbound esp sas:"]
    for spi in outbound:
        lines += sa(spi)
    lines += ["     outbound ah sas:", "", host + "#"]
    return lines


def receiver_block(epoch, spi, inbound, sender=BR, end=True, mnemonic="RECVD_PKT_INV_SPI"):
    msg = ("000101: *Nov 29 18:01:07.123 UTC: %%CRYPTO-4-%s: decaps: rec'd IPSEC packet has invalid spi for "
           "destaddr=%s, prot=50, spi=0x%X(%d), srcaddr=%s, input interface=GigabitEthernet1"
           % (mnemonic, HUB, spi, spi, sender))
    lines = [capture.BEGIN, "format: 1", "applet: IPSEC_SPI_CAPTURE", "kind: receiver", "epoch: %d" % epoch,
             "sender: %s" % sender, "spi: 0x%X" % spi, "message: " + msg,
             "--- command: show clock ---", "*18:01:07.873 UTC Sun Nov 29 2026", "hubc#",
             "--- command: show crypto ipsec sa peer %s ---" % sender]
    lines += sa_table(HUB, sender, inbound, [0x0D04D7E0B] if inbound else [], "hubc")
    lines += ["--- command: show crypto isakmp sa ---", "IPv4 Crypto ISAKMP SA",
              "dst             src             state          conn-id status", "", "IPv6 Crypto ISAKMP SA", "", "hubc#",
              "--- command: %s ---" % commands.QFP_IPSEC_DROPS,
              "------------------------------------------------------------------------",
              "Drop Type  Name                                     Packets",
              "------------------------------------------------------------------------",
              "        4  IN_US_V4_PKT_SA_NOT_FOUND_SPI                           15822", "hubc#",
              "--- command: show logging | include CRYPTO ---", msg, "hubc#"]
    if end:
        lines.append(capture.END)
    return "\n".join(lines) + "\n"


def twin_block(epoch, outbound, receiver=HUB):
    lines = [capture.BEGIN, "format: 1", "applet: IPSEC_SPI_TWIN", "kind: twin", "epoch: %d" % epoch,
             "peers: %s" % receiver, "--- command: show crypto ipsec sa peer %s ---" % receiver]
    lines += sa_table(BR, receiver, [0x11111111], outbound, "brc")
    lines += [capture.END]
    return "\n".join(lines) + "\n"


T0 = 1795975267


def assessment(host, flows=(), findings=()):
    return {"host": host, "assessed": True, "compliant": True, "flows": list(flows), "findings": list(findings)}


FLOW = {"host": "hubc", "src": BR, "dst": HUB, "spi": 0xFF123456, "spi_hex": "0xFF123456", "status": "transient",
        "sender": "brc"}
