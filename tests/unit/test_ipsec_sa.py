import os

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, UnsupportedCommand
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ipsec_sa import parse_ipsec_sas

FIX = os.path.join(os.path.dirname(__file__), "fixtures", "ipsec_sa")


def fixture(name):
    with open(os.path.join(FIX, name)) as handle:
        return handle.read()


def strip(text):
    return "\n".join(line.strip() for line in text.splitlines())


def test_detail_crypto_map_and_tunnel():
    problems = []
    sas = parse_ipsec_sas(fixture("detail_crypto_map.txt"), problems)
    assert problems == []
    assert [(s["interface"], s["peer"], s["peer_port"]) for s in sas] == [
        ("GigabitEthernet1", "10.1.1.1", 500), ("GigabitEthernet1", "10.1.1.1", 500), ("Tunnel10", "10.2.2.9", 4500)]
    first, second, tunnel = sas
    assert first["crypto_map_tag"] == "CMAP-WAN" and first["local_addr"] == "10.10.1.2"
    assert first["local_ident"] == {"addr": "172.16.10.0", "mask": "255.255.255.0", "prot": 0, "port": 0}
    assert first["remote_ident"]["addr"] == "172.16.20.0"
    assert (first["pkts_encaps"], first["pkts_decaps"], first["pkts_invalid_sa_rcv"]) == (15882, 15790, 0)
    assert first["current_outbound_spi"] == 0xB761863E
    assert first["inbound_spis"] == [0x1DB73BBB] and first["outbound_spis"] == [0xB761863E]
    assert first["pfs"] is True and first["dh_group"] == "group19"
    assert [sa["status"] for sa in first["sas"]] == ["ACTIVE", "ACTIVE"]
    assert first["sas"][0]["remaining_kb"] == 4607211 and first["sas"][0]["transform"] == "esp-256-aes esp-sha256-hmac"
    # An ident with no SA: 0x0(0) is "none", not SPI 0.
    assert second["protected_vrf"] == "CUST-A"
    assert second["local_ident"] == {"addr": "172.16.11.0", "mask": "255.255.255.0", "prot": 6, "port": 443}
    assert second["current_outbound_spi"] is None
    assert second["inbound_spis"] == [] and second["outbound_spis"] == [] and second["sas"] == []
    assert second["pkts_no_sa_send"] == 12
    assert tunnel["crypto_map_tag"] == "Tunnel10-head-0"
    assert tunnel["inbound_spis"] == [0xFF0A1B2C] and tunnel["current_outbound_spi"] == 0x44A4038
    assert tunnel["sas"][0]["mode"] == "Transport UDP-Encaps" and tunnel["sas"][0]["remaining_sec"] == 1204
    assert tunnel["sas"][0]["remaining_kb"] is None


def test_whitespace_stripped_gives_the_same_result():
    text = fixture("detail_crypto_map.txt")
    indented = parse_ipsec_sas(text)
    stripped = parse_ipsec_sas(strip(text))
    assert stripped == indented
    assert parse_ipsec_sas(text.splitlines()) == indented


def test_stripped_without_detail_blank_lines_between():
    sas = parse_ipsec_sas(fixture("stripped_no_detail.txt"))
    assert len(sas) == 1
    sa = sas[0]
    assert (sa["interface"], sa["peer"], sa["local_addr"]) == ("Tunnel0", "198.51.100.7", "203.0.113.40")
    assert sa["pkts_encaps"] == 2201 and sa["pkts_decaps"] == 0
    assert sa["pkts_invalid_sa_rcv"] is None  # not printed without detail on this release
    assert sa["inbound_spis"] == [0x9C01D7E5] and sa["outbound_spis"] == [0x3A4AAE22]


def test_rekey_overlap_ipv6_and_ah():
    problems = []
    sas = parse_ipsec_sas(fixture("rekey_ipv6_ah.txt"), problems)
    assert problems == []
    sa = sas[0]
    assert sa["local_addr"] == "2001:db8:a::1" and sa["peer"] == "2001:db8:b::2"
    assert sa["local_ident"] == {"addr": "::", "mask": "0", "prot": 0, "port": 0}
    assert sa["inbound_spis"] == [0x8D2E6F01, 0xC0FFEE11, 0x1234ABCD]
    assert sa["outbound_spis"] == [0x2B7C90D4, 0x5E2D17A0, 0x0BADF00D]
    assert sa["current_outbound_spi"] == 0x5E2D17A0
    assert [(s["direction"], s["protocol"], s["status"]) for s in sa["sas"]] == [
        ("inbound", "esp", "ACTIVE"), ("inbound", "esp", "ACTIVE"), ("inbound", "ah", "ACTIVE"),
        ("outbound", "esp", "STANDBY"), ("outbound", "esp", "ACTIVE"), ("outbound", "ah", "ACTIVE")]
    assert sa["pkts_invalid_sa_rcv"] == 2


def test_bad_spi_goes_to_problems_and_does_not_borrow_attributes():
    text = fixture("rekey_ipv6_ah.txt").replace("0x2B7C90D4(729583828)", "0x2B7C90D4(729583829)")
    problems = []
    sa = parse_ipsec_sas(text, problems)[0]
    assert [p["line"] for p in problems] == [54]
    assert "disagree" in problems[0]["reason"]
    assert sa["outbound_spis"] == [0x5E2D17A0, 0x0BADF00D]
    # The STANDBY status belonged to the unreadable SA: it must not be pinned on another one.
    assert [s["status"] for s in sa["sas"]] == ["ACTIVE"] * 5


def test_unreadable_lines_are_reported():
    text = "\n".join([
        "interface: Tunnel1",
        "Crypto map tag: Tunnel1-head-0, local addr 10.0.0.1",
        "protected vrf: (none)",
        "local ident (addr/mask/prot/port): (10.0.0.1/255.255.255.255/47/0)",
        "remote ident (addr/mask/prot/port): (10.0.0.x/255.255.255.255/47/0)",
        "current_peer 10.0.0.999 port 500",
        "#pkts encaps: lots",
        "current outbound spi: 0xZZ",
        "inbound esp sas:",
        "spi: 0x1234(4660)",
    ])
    problems = []
    sas = parse_ipsec_sas(text, problems)
    assert [p["line"] for p in problems] == [5, 6, 7, 8]
    assert sas[0]["peer"] is None and sas[0]["remote_ident"] is None and sas[0]["inbound_spis"] == [0x1234]


def test_old_release_without_protected_vrf_starts_blocks_at_local_ident():
    block = ("local ident (addr/mask/prot/port): (10.{n}.0.0/255.255.0.0/0/0)\n"
             "remote ident (addr/mask/prot/port): (10.9{n}.0.0/255.255.0.0/0/0)\n"
             "current_peer 192.0.2.{n} port 500\n"
             "current outbound spi: 0x{n}000(%d)\n")
    text = "interface: Serial0/0\nCrypto map tag: M, local addr 192.0.2.100\n" + "".join(
        block.format(n=n) % (n * 0x1000) for n in (1, 2))
    sas = parse_ipsec_sas(text)
    assert [(s["peer"], s["current_outbound_spi"], s["crypto_map_tag"]) for s in sas] == [
        ("192.0.2.1", 0x1000, "M"), ("192.0.2.2", 0x2000, "M")]


def test_empty_unsupported_and_foreign_input():
    assert parse_ipsec_sas("") == [] and parse_ipsec_sas(None) == []
    assert parse_ipsec_sas("r1#show crypto ipsec sa\nr1#") == []
    with pytest.raises(UnsupportedCommand):
        parse_ipsec_sas("r1#show crypto ipsec sa\n               ^\n% Invalid input detected at '^' marker.\n")
    with pytest.raises(ParseError, match="not 'show crypto ipsec sa' output"):
        parse_ipsec_sas("Cisco IOS XE Software, Version 17.09.04a")
    with pytest.raises(ParseError):
        parse_ipsec_sas({"not": "text"})


def test_agrees_with_ntc_templates_textfsm():
    """The ntc-templates TextFSM template reads one SA per row; peers and SPIs must agree with ours."""
    textfsm = pytest.importorskip("textfsm")
    ntc_templates = pytest.importorskip("ntc_templates")
    import io
    import random
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                    "benchmarks"))
    import gen_tables

    text = gen_tables.ipsec_sa_detail(random.Random(gen_tables.SEED), 40).split("\n", 1)[1]
    path = os.path.join(os.path.dirname(ntc_templates.__file__), "templates",
                        "cisco_ios_show_crypto_ipsec_sa_detail.textfsm")
    with open(path) as handle:
        fsm = textfsm.TextFSM(io.StringIO(handle.read()))
    rows = [dict(zip(fsm.header, row)) for row in fsm.ParseText(text)]
    theirs = {}
    for row in rows:
        entry = theirs.setdefault(row["INTERFACE"], {"peer": row["CURRENT_PEER"], "in": [], "out": [],
                                                     "encaps": int(row["PKTS_ENCAPS"])})
        entry["in" if row["SA_ORIENTATION"] == "inbound" else "out"].append(int(row["SA_SPI_DEC"]))
    ours = {sa["interface"]: {"peer": sa["peer"], "in": sa["inbound_spis"], "out": sa["outbound_spis"],
                              "encaps": sa["pkts_encaps"]}
            for sa in parse_ipsec_sas(text) if sa["inbound_spis"] or sa["outbound_spis"]}
    assert ours == theirs
    assert len(ours) > 30
