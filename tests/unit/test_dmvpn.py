import os

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, UnsupportedCommand
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.dmvpn import parse_dmvpn

FIX = os.path.join(os.path.dirname(__file__), "fixtures", "dmvpn")


def fixture(name):
    with open(os.path.join(FIX, name)) as handle:
        return handle.read()


def test_hub_with_continuations_wrapped_ipv6_nbma_and_ipv6_section():
    problems = []
    peers = parse_dmvpn(fixture("dmvpn_hub.txt"), problems)
    assert problems == []
    assert [(p["interface"], p["nbma"], p["tunnel_addr"], p["state"], p["uptime"], p["attributes"]) for p in peers] == [
        ("Tunnel100", "198.51.100.1", "172.31.0.11", "UP", "2d03h", ["D"]),
        ("Tunnel100", "198.51.100.2", "172.31.0.12", "IKE", "00:00:41", ["D"]),
        ("Tunnel100", "198.51.100.3", "172.31.0.13", "UP", "1w2d", ["D", "N"]),
        ("Tunnel100", "198.51.100.3", "172.31.0.113", "UP", "00:12:09", ["D", "T2"]),
        ("Tunnel100", "2001:db8:c::30", "172.31.0.30", "NHRP", "never", ["D", "X"]),
        ("Tunnel200", "192.0.2.1", "2001:db8:ffff::1", "UP", "00:05:44", ["S"]),
    ]
    assert peers[0]["type"] == "Hub" and peers[-1]["type"] == "Spoke" and peers[-1]["af"] == "IPv6"
    assert peers[2]["entries"] == 2 and peers[-1]["static"] is True and peers[0]["dynamic"] is True


def test_stripped_spoke():
    peers = parse_dmvpn(fixture("dmvpn_spoke_stripped.txt"))
    assert [(p["nbma"], p["state"], p["attrb"]) for p in peers] == [("192.0.2.1", "UP", "S"),
                                                                    ("192.0.2.2", "DOWN", "SC")]


def test_problems_and_refusals():
    problems = []
    peers = parse_dmvpn("Interface: Tunnel1, IPv4 NHRP Details\nType:Hub, NHRP Peers:3,\n"
                        "1 10.0.0.1 172.16.0.1 UP 00:01:00 Q\n"
                        "1 10.0.0.2 172.16.0.2 UP 00:01:00 D\n"
                        "1 10.0.0.3\n"
                        "garbage line here\n"
                        "7 10.0.0.4 172.16.0.4\n", problems)
    assert [p["nbma"] for p in peers] == ["10.0.0.2"]
    assert [p["line"] for p in problems] == [3, 6, 7]
    assert parse_dmvpn("") == []
    with pytest.raises(UnsupportedCommand):
        parse_dmvpn("r1#show dmvpn\n% Invalid input detected at '^' marker.")
    with pytest.raises(ParseError, match="show dmvpn"):
        parse_dmvpn("Cisco IOS Software, C880 Software")


def test_incomplete_entries_with_unknown_nbma_give_rows():
    # Issue 15, class 4: "1 UNKNOWN 172.28.172.30 NHRP never IX" (an NHRP entry still being resolved) was dropped.
    problems = []
    peers = parse_dmvpn(fixture("dmvpn_incomplete_unknown.txt"), problems)
    assert problems == []
    assert [(p["interface"], p["type"], p["entries"], p["nbma"], p["tunnel_addr"], p["state"], p["attributes"])
            for p in peers] == [
        ("Tunnel10", "Hub", 1, None, "10.77.0.1", "NHRP", ["I", "X"]),
        ("Tunnel10", "Hub", 1, "198.51.100.35", "10.77.0.2", "UP", ["D"]),
        ("Tunnel10", "Hub", 1, "203.0.113.2", "10.77.0.3", "UP", ["D"]),
        ("Tunnel114", "Spoke", 2, "192.0.2.40", "10.112.4.194", "NHRP", ["S"]),
        ("Tunnel114", "Spoke", 0, None, "10.112.4.208", "NHRP", ["I", "X"]),
        ("Tunnel2238", "Unknown", 1, None, "172.28.172.30", "NHRP", ["I", "X"]),
    ]
    assert all(p["static"] is False and p["dynamic"] is False for p in peers if p["nbma"] is None)
    assert peers[0]["uptime"] == "never"


def test_continuation_rows_under_an_unknown_nbma_keep_it_unknown():
    text = ("Interface: Tunnel1, IPv4 NHRP Details\nType:Hub, NHRP Peers:2,\n"
            " 2 UNKNOWN 10.0.0.5 NHRP never IX\n"
            "           10.0.0.6 NHRP never IX\n")
    problems = []
    peers = parse_dmvpn(text, problems)
    assert problems == []
    assert [(p["nbma"], p["tunnel_addr"], p["entries"]) for p in peers] == [(None, "10.0.0.5", 2), (None, "10.0.0.6", 2)]


def test_indented_spoke_output_with_tunnel_address_repeated():
    problems = []
    peers = parse_dmvpn(fixture("dmvpn_spokes_indented.txt"), problems)
    assert problems == []
    assert [(p["interface"], p["nbma"], p["tunnel_addr"], p["state"], p["uptime"], p["attrb"]) for p in peers] == [
        ("Tunnel8", "192.0.2.84", "172.31.84.1", "NHRP", "never", "SC"),
        ("Tunnel9", "192.0.2.1", "172.31.90.1", "IKE", "2w1d", "S"),
        ("Tunnel9", "192.0.2.2", "172.31.90.2", "UP", "4d07h", "S"),
        ("Tunnel9", "192.0.2.2", "172.31.90.25", "UP", "4d07h", "S"),
        ("Tunnel9", "198.51.100.134", "172.31.72.72", "UP", "00:17:05", "DT2"),
        ("Tunnel9", "198.51.100.134", "172.31.72.72", "UP", "00:17:05", "DT1"),
    ]
    assert [p["attributes"] for p in peers[-2:]] == [["D", "T2"], ["D", "T1"]]


@pytest.mark.parametrize("row", [
    "\u0661 192.0.2.1 10.0.0.1 UP 00:01:02 D",
    "1 192.0.2.1 10.0.0.1 UP \u0660\u0660:01:02 D",
    "1 192.0.2.1 10.0.0.1 UP \uff11w2d D",
    "1 NOT-AN-ADDRESS 10.0.0.1 UP 00:01:02 D",
])
def test_damaged_rows_are_problems(row):
    # Issue 17, item 7: no Unicode digit is read as a number; "UNKNOWN" is the only non-address NBMA accepted.
    problems = []
    peers = parse_dmvpn("Interface: Tunnel1, IPv4 NHRP Details\nType:Hub, NHRP Peers:1,\n" + row + "\n", problems)
    assert peers == []
    assert [p["line"] for p in problems] == [3]


@pytest.mark.parametrize("after", ["", " 1 2001:db8::9\n 10.0.0.9 UP never D\n",
                                   " 1 192.0.2.9 10.0.0.9 UP never D\n", "Interface: Tunnel2, IPv4 NHRP Details\n"])
def test_nbma_line_without_its_tunnel_line_is_reported(after):
    # A wrapped IPv6 NBMA line whose tunnel line never came was overwritten by the next one, silently.
    text = "Interface: Tunnel1, IPv4 NHRP Details\nType:Hub, NHRP Peers:1,\n 1 2001:db8::1\n" + after
    problems = []
    peers = parse_dmvpn(text, problems)
    assert [(p["line"], p["reason"]) for p in problems] == [(3, "DMVPN NBMA address without its tunnel address line")]
    assert all(p["nbma"] != "2001:db8::1" for p in peers)
