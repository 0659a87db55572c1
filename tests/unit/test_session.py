import os

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, UnsupportedCommand
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.session import parse_crypto_sessions

FIX = os.path.join(os.path.dirname(__file__), "fixtures", "session")


def fixture(name):
    with open(os.path.join(FIX, name)) as handle:
        return handle.read()


def test_session_detail():
    problems = []
    sessions = parse_crypto_sessions(fixture("session_detail.txt"), problems)
    assert problems == []
    assert [(s["interface"], s["status"], s["peer"], s["peer_port"], s["active_sas"]) for s in sessions] == [
        ("GigabitEthernet1", "UP-ACTIVE", "10.1.1.1", 500, 2),
        ("Tunnel10", "UP-ACTIVE", "10.2.2.9", 4500, 2),
        ("Tunnel6", "UP-IDLE", "2001:db8:b::2", 500, 0),
        ("Tunnel11", "DOWN", "10.5.5.5", 500, 0),
    ]
    gi1, tu10, tu6, tu11 = sessions
    assert gi1["description"] == "branch-1 primary" and gi1["profile"] is None and gi1["uptime"] == "1d04h"
    assert gi1["ike_sas"] == [{"version": "ikev1", "local": "10.10.1.2", "local_port": 500, "remote": "10.1.1.1",
                               "remote_port": 500, "status": "Active", "capabilities": "D", "conn_id": 1004,
                               "lifetime": "23:41:07"}]
    assert [(f["active_sas"], f["pkts_decrypted"], f["pkts_encrypted"], f["drops_out"]) for f in gi1["flows"]] == [
        (2, 15790, 15882, 3), (0, 0, 0, 12)]
    assert tu10["profile"] == "SPOKES-V1" and tu10["fvrf"] == "INET" and tu10["ivrf"] is None
    assert tu10["phase1_id"] == "spoke-9.example.net"
    assert tu6["ike_sas"][0]["version"] == "ikev2" and tu6["ike_sas"][0]["remote"] == "2001:db8:b::2"
    assert tu11["ike_sas"] == [] and tu11["phase1_id"] is None


def test_session_brief_and_stripped():
    sessions = parse_crypto_sessions(fixture("session_brief.txt"))
    assert [(s["status"], s["peer"], s["active_sas"], len(s["ike_sas"])) for s in sessions] == [
        ("UP-ACTIVE", "198.51.100.7", 4, 1), ("UP-NO-IKE", "198.51.100.8", 2, 0)]
    text = fixture("session_detail.txt")
    stripped = "\n".join(line.strip() for line in text.splitlines())
    assert parse_crypto_sessions(stripped) == parse_crypto_sessions(text)


def test_problems_and_refusals():
    problems = []
    sessions = parse_crypto_sessions("Interface: Tunnel1\nSession status: UP-ACTIVE\nPeer: 10.0.0.300 port 500\n"
                                     "IKEv1 SA: local 10.0.0.1/500 remote x/500 Active\n"
                                     "Active SAs: two, origin: crypto map\n", problems)
    assert sessions[0]["peer"] is None
    assert [p["line"] for p in problems] == [3, 4, 5]
    assert parse_crypto_sessions("") == []
    assert parse_crypto_sessions("Crypto session current status\n") == []
    with pytest.raises(UnsupportedCommand):
        parse_crypto_sessions("% Invalid input detected at '^' marker.")
    with pytest.raises(ParseError, match="show crypto session"):
        parse_crypto_sessions("interface GigabitEthernet1\n ip address 10.0.0.1 255.255.255.0")
