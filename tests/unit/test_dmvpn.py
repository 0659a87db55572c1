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
