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


# --- issue 15 -------------------------------------------------------------------------------------------------------


def test_ipv6_ikev2_sa_wrapped_onto_two_lines_detail():
    # Class 2: "IKEv2 SA: local X/500" with "remote Y/500 Active" on the next line. Class 3: "KB Vol Rekey
    # Disabled" lifetimes. Class 6: "Remote subnets:" value lines. None of them is a problem.
    problems = []
    sessions = parse_crypto_sessions(fixture("ipv6_ikev2_wrapped_detail.txt"), problems)
    assert problems == []
    tu21, va3, tu22 = sessions
    assert tu21["ike_sas"] == [{
        "version": "ikev2", "local": "2001:db8:21:1::1", "local_port": 500, "remote": "2001:db8:21:1::2",
        "remote_port": 500, "status": "Active", "capabilities": "NU", "conn_id": 3, "lifetime": "23:18:53"}]
    assert [(f["pkts_decrypted"], f["pkts_encrypted"], f["active_sas"]) for f in tu21["flows"]] == [(58, 19, 2)]
    assert va3["ivrf"] == "CORP" and va3["ike_sas"][0]["remote_subnets"] == ["10.42.0.0/16", "10.142.0.0/24"]
    assert [(f["pkts_decrypted"], f["drops_in"], f["pkts_encrypted"], f["drops_out"]) for f in va3["flows"]] == [
        (451207, 0, 773118, 4)]
    assert [(s["status"], s["capabilities"], s["conn_id"], s["lifetime"]) for s in tu22["ike_sas"]] == [
        ("Inactive", None, 0, "0")]
    assert tu22["status"] == "DOWN-NEGOTIATING"
    stripped = "\n".join(line.strip() for line in fixture("ipv6_ikev2_wrapped_detail.txt").splitlines())
    assert parse_crypto_sessions(stripped) == sessions


def test_ipv6_ikev2_sa_wrapped_brief_and_ezvpn_session():
    problems = []
    tu31, va2 = parse_crypto_sessions(fixture("ipv6_ikev2_wrapped_brief.txt"), problems)
    assert problems == []
    assert (tu31["peer"], tu31["peer_port"], tu31["profile"], tu31["active_sas"]) == ("2001:db8:31:1::2", 500,
                                                                                      "V6-SDWAN-PROF", 2)
    assert [(s["version"], s["local"], s["remote"], s["status"]) for s in tu31["ike_sas"]] == [
        ("ikev2", "2001:db8:31:1::1", "2001:db8:31:1::2", "Active")]
    assert [(s["version"], s["status"]) for s in va2["ike_sas"]] == [(None, "Active"), (None, "Inactive")]
    assert va2["peer"] == "192.0.2.77" and va2["active_sas"] == 2


@pytest.mark.parametrize("life", ["KB Vol Rekey Disabled/3060", "KB Vol Rekey Disabled/0", "0/0", "4607999/3544",
                                  "Disabled/Disabled", "n/a"])
def test_any_lifetime_keeps_the_packet_counters(life):
    text = ("Interface: Tunnel1\nSession status: UP-ACTIVE\nPeer: 10.0.0.2 port 500\n"
            "IPSEC FLOW: permit ip any any\nActive SAs: 2, origin: crypto map\n"
            "Inbound: #pkts dec'ed 11 drop 1 life (KB/Sec) %s\n"
            "Outbound: #pkts enc'ed 22 drop 2 life (KB/Sec) %s\n" % (life, life))
    problems = []
    (session,) = parse_crypto_sessions(text, problems)
    assert problems == []
    assert [(f["pkts_decrypted"], f["drops_in"], f["pkts_encrypted"], f["drops_out"]) for f in session["flows"]] == [
        (11, 1, 22, 2)]


def test_wrapped_ike_sa_without_its_remote_line_is_reported():
    text = ("Interface: Tunnel1\nSession status: UP-ACTIVE\nPeer: 2001:db8::2 port 500\n"
            "IKEv2 SA: local 2001:db8::1/500\nIPSEC FLOW: permit ipv6 ::/0 ::/0\nActive SAs: 2, origin: crypto map\n")
    problems = []
    (session,) = parse_crypto_sessions(text, problems)
    assert session["ike_sas"] == [] and session["flows"][0]["active_sas"] == 2
    assert [(p["line"], p["reason"]) for p in problems] == [(4, "IKE SA without its remote line")]
    problems = []
    (session,) = parse_crypto_sessions(text.replace("IPSEC FLOW", "remote 2001:db8::2/500 Active\nIPSEC FLOW"),
                                       problems)
    assert problems == [] and session["ike_sas"][0]["remote"] == "2001:db8::2"
    problems = []
    parse_crypto_sessions("Interface: Tunnel1\nremote 2001:db8::2/500 Active\n", problems)
    assert [(p["line"], p["reason"]) for p in problems] == [(2, "IKE SA remote line without its local line")]


def test_remote_subnet_that_is_not_a_subnet_is_reported():
    text = ("Interface: Tunnel1\nPeer: 10.0.0.2 port 500\nIKEv2 SA: local 10.0.0.1/500 remote 10.0.0.2/500 Active\n"
            "Remote subnets:\n10.9.0.0 255.0.255.0\n10.8.0.0 255.255.0.0\n")
    problems = []
    (session,) = parse_crypto_sessions(text, problems)
    assert session["ike_sas"][0]["remote_subnets"] == ["10.8.0.0/16"]
    assert [(p["line"], p["reason"]) for p in problems] == [(5, "unreadable remote subnet")]


@pytest.mark.parametrize("line", [
    "Peer: 10.0.0.2 port \u0665\u0660\u0660",
    "IKEv1 SA: local 10.0.0.1/\u0665\u0660\u0660 remote 10.0.0.2/500 Active",
    "Active SAs: \uff12, origin: crypto map",
])
def test_non_ascii_digits_are_not_numbers(line):
    text = "Interface: Tunnel1\nSession status: UP-ACTIVE\nIPSEC FLOW: permit ip any any\n" + line + "\n"
    problems = []
    (session,) = parse_crypto_sessions(text, problems)
    assert [p["line"] for p in problems] == [4]
    assert session["peer_port"] is None and session["ike_sas"] == [] and session["flows"][0]["active_sas"] is None


def test_wrapped_ike_sa_at_the_end_of_the_output_is_reported():
    problems = []
    (session,) = parse_crypto_sessions("Interface: Tunnel1\nIKEv2 SA: local 2001:db8::1/500\n", problems)
    assert session["ike_sas"] == [] and [(p["line"], p["reason"]) for p in problems] == [
        (2, "IKE SA without its remote line")]


def test_tokens_of_many_slashes_are_linear():
    from complexity import FACTOR, assert_linear

    def text(lines):
        return "Interface: Tunnel1\n" + ("IKEv2 SA: local " + "1.1.1.1/" * 500 + "1 remote 1/1 x\n") * lines

    def parse(data):
        problems = []
        parse_crypto_sessions(data, problems)
        assert len(problems) == data.count("\n") - 1

    assert_linear(parse, text(32), text(32 * FACTOR))
