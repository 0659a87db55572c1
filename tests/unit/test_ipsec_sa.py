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


# --- issue 15: real layouts the parser refused -------------------------------------------------------------------


def test_ipv6_endpoints_printed_on_two_lines():
    # IPv6 releases print "local crypto endpt.: X," and "remote crypto endpt.: Y" on two lines (issue 15, class 1).
    problems = []
    sas = parse_ipsec_sas(fixture("ipv6_svti_endpoints_wrapped.txt"), problems)
    assert problems == []
    assert [(s["interface"], s["local_endpoint"], s["remote_endpoint"], s["peer"], s["peer_port"]) for s in sas] == [
        ("Tunnel0", "2001:db8:10:1::100", "2001:db8:20:1::100", "2001:db8:20:1::100", 500),
        ("Tunnel1", "2001:db8:10:1::100", "2001:db8:30:1::7", "2001:db8:30:1::7", 4500),
    ]
    tu0, tu1 = sas
    assert tu0["local_addr"] == "2001:db8:10:1::100"
    assert tu0["inbound_spis"] == [0x3D4E5F60] and tu0["outbound_spis"] == [0x6C0FFE21]
    assert tu0["current_outbound_spi"] == 0x6C0FFE21 and [s["status"] for s in tu0["sas"]] == ["ACTIVE", "ACTIVE"]
    assert tu1["local_ident"] == {"addr": "2001:db8:aaaa::", "mask": "48", "prot": 0, "port": 0}
    assert tu1["current_outbound_spi"] is None and tu1["sas"] == []
    stripped = parse_ipsec_sas(strip(fixture("ipv6_svti_endpoints_wrapped.txt")))
    assert stripped == sas


def test_remote_endpoint_line_alone_is_reported_not_guessed():
    problems = []
    text = "interface: Tunnel0\nprotected vrf: (none)\nremote crypto endpt.: 2001:db8::2\n"
    sas = parse_ipsec_sas(text, problems)
    assert sas[0]["remote_endpoint"] is None
    assert [(p["line"], p["reason"]) for p in problems] == [(3, "remote crypto endpoint without its local line")]
    problems = []
    text = "interface: Tunnel0\nprotected vrf: (none)\nlocal crypto endpt.: 2001:db8::1,\ncurrent outbound spi: 0x0(0)\n"
    sas = parse_ipsec_sas(text, problems)
    assert sas[0]["local_endpoint"] is None and sas[0]["remote_endpoint"] is None
    assert [(p["line"], p["reason"]) for p in problems] == [(3, "local crypto endpoint without its remote line")]


def test_ospfv3_manual_sas_with_no_crypto_map_and_unspecified_peer():
    problems = []
    sas = parse_ipsec_sas(fixture("ospfv3_manual_sas.txt"), problems)
    assert problems == []
    (sa,) = sas
    assert sa["crypto_map_tag"] is None and sa["local_addr"] == "fe80::a8bb:ccff:fe00:110"
    assert sa["peer"] == "::" and sa["remote_endpoint"] == "::"
    assert sa["local_ident"] == {"addr": "fe80::", "mask": "10", "prot": 89, "port": 0}
    assert sa["inbound_spis"] == [300] and sa["outbound_spis"] == [300] and sa["current_outbound_spi"] == 300
    assert [(s["mode"], s["status"], s["remaining_sec"]) for s in sa["sas"]] == [("Transport", "ACTIVE", None)] * 2


def test_transport_mode_with_kilobyte_rekey_disabled():
    problems = []
    sas = parse_ipsec_sas(fixture("transport_kb_rekey_disabled.txt"), problems)
    assert problems == []
    assert [(s["peer"], s["pkts_encaps"], s["pkts_decaps"], s["current_outbound_spi"]) for s in sas] == [
        ("198.51.100.123", 512, 431, 0x5A17C0DE), ("203.0.113.122", 40211, 77012, 0x2C0FFEE)]
    assert all(s["interface"] == "Tunnel7" and s["crypto_map_tag"] == "Tunnel7-head-0" for s in sas)
    assert sas[0]["pfs"] is True and sas[0]["dh_group"] is None
    assert [(s["remaining_kb"], s["remaining_sec"], s["mode"]) for s in sas[1]["sas"]] == [
        (None, 131, "Transport"), (None, 131, "Transport")]
    assert sas[1]["inbound_spis"] == [0xC7A9D001] and sas[1]["pkts_invalid_sa_rcv"] == 0


def test_spi_not_available_is_neither_an_sa_nor_a_problem():
    # Issue 15, class 6: "spi: [Not Available]" is the device saying it has no SPI to show.
    problems = []
    (sa,) = parse_ipsec_sas(fixture("spi_not_available.txt"), problems)
    assert problems == []
    assert sa["inbound_spis"] == [0x0D15EA5E] and sa["outbound_spis"] == [0x91A2B3C4]
    assert [(s["spi"], s["remaining_kb"], s["status"]) for s in sa["sas"]] == [
        (0x0D15EA5E, 4607990, "ACTIVE"), (0x91A2B3C4, 4607902, "ACTIVE")]


# --- issue 17: hardening --------------------------------------------------------------------------------------------


def test_many_spis_in_one_block_is_linear():
    # Issue 17, item 4: a filtered capture can put every SA of a large hub in one block; "spi not in list"
    # made that quadratic (20,000 SPIs took 41 s).
    from complexity import FACTOR, assert_linear

    def block(count):
        lines = ["interface: Tunnel1", "protected vrf: (none)", "current_peer 10.0.0.2 port 500", "inbound esp sas:"]
        lines += ["spi: 0x%X(%d)" % (n, n) for n in range(1, count + 1)]
        lines += ["outbound esp sas:", "spi: 0x1(1)", "spi: 0x1(1)"]
        return "\n".join(lines)

    count = 8_000 * FACTOR
    (sa,) = parse_ipsec_sas(block(count))
    assert len(sa["inbound_spis"]) == count and sa["inbound_spis"][:2] == [1, 2] and sa["inbound_spis"][-1] == count
    assert sa["outbound_spis"] == [1] and len(sa["sas"]) == count + 2
    assert_linear(parse_ipsec_sas, block(count // FACTOR), block(count))


@pytest.mark.parametrize("original,variant", [
    ("current outbound spi:", "current  outbound spi:"),
    ("current outbound spi:", "current\toutbound spi:"),
    ("current outbound spi:", "current outbound  spi :"),
    ("local crypto endpt.:", "local  crypto endpt.:"),
    ("local crypto endpt.:", "local crypto\tendpt.:"),
    ("remote crypto endpt.:", "remote  crypto endpt.:"),
    ("#pkts encaps:", "#pkts  encaps:"),
    ("#pkts encaps:", "#pkts\tencaps:"),
    ("#pkts decaps:", "#pkts decaps :"),
    ("Crypto map tag:", "Crypto  map tag:"),
    ("Crypto map tag:", "Crypto map\ttag:"),
    ("current_peer", "current_peer\t"),
    ("inbound esp sas:", "inbound  esp  sas:"),
    ("sa timing:", "sa  timing:"),
    ("#pkts no sa", "#pkts  no sa"),
])
def test_keywords_with_odd_inner_whitespace_are_read(original, variant):
    # Issue 17, item 6: a field must never turn None silently because a keyword had a tab or two spaces inside.
    text = fixture("detail_crypto_map.txt")
    assert original in text
    problems = []
    expected = parse_ipsec_sas(text)
    got = parse_ipsec_sas(text.replace(original, variant), problems)
    assert problems == []
    assert got == expected


@pytest.mark.parametrize("line,field", [
    ("#pkts encaps: \u0665\u0660, #pkts encrypt: 50", "pkts_encaps"),
    ("#pkts decaps: \uff15\uff10, #pkts decrypt: 50", "pkts_decaps"),
    ("current outbound spi: 0x\u0661(1)", "current_outbound_spi"),
    ("current outbound spi: 0x1(\u0661)", "current_outbound_spi"),
    ("current_peer 10.0.0.2 port \u0665\u0660\u0660", "peer"),
    ("local ident (addr/mask/prot/port): (10.0.0.0/255.0.0.0/\u0665\u0660/0)", "local_ident"),
    ("#pkts no sa (send) \u0661, #pkts invalid sa (rcv) 2", "pkts_no_sa_send"),
])
def test_non_ascii_digits_are_not_numbers(line, field):
    # Issue 17, item 7: "\d" and str.isdecimal() accept Arabic-Indic and fullwidth digits; int() then reads them.
    text = "interface: Tunnel1\nprotected vrf: (none)\n" + line + "\n"
    problems = []
    (sa,) = parse_ipsec_sas(text, problems)
    assert sa[field] is None
    assert [p["line"] for p in problems] == [3]


def test_non_ascii_digits_in_sa_attributes_are_not_numbers():
    text = ("interface: Tunnel1\nprotected vrf: (none)\ninbound esp sas:\nspi: 0x10(16)\n"
            "sa timing: remaining key lifetime (k/sec): (\u0664\u0665/\u0663\u0666)\n"
            "spi: 0x11(17)\nsa timing: remaining key lifetime (sec): \uff13\uff16\n")
    (sa,) = parse_ipsec_sas(text)
    assert [(s["remaining_kb"], s["remaining_sec"]) for s in sa["sas"]] == [(None, None), (None, None)]
