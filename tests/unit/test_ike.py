import os

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, UnsupportedCommand
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ike import parse_ike_sas

FIX = os.path.join(os.path.dirname(__file__), "fixtures", "ike")


def fixture(name):
    with open(os.path.join(FIX, name)) as handle:
        return handle.read()


def test_isakmp_summary_ipv4_and_ipv6_sections():
    problems = []
    rows = parse_ike_sas(fixture("isakmp_sa.txt"), problems)
    assert problems == []
    assert [(r["af"], r["dst"], r["src"], r["state"], r["conn_id"], r["deleted"]) for r in rows] == [
        ("IPv4", "10.10.1.2", "10.1.1.1", "QM_IDLE", 1004, False),
        ("IPv4", "10.2.2.9", "10.10.1.2", "QM_IDLE", 1007, False),
        ("IPv4", "10.10.1.2", "10.3.3.3", "MM_NO_STATE", 1002, True),
        ("IPv4", "10.10.1.2", "10.4.4.4", "MM_KEY_EXCH", 1009, False),
        ("IPv6", "2001:db8:a::1", "2001:db8:b::2", "QM_IDLE", 1011, False),
    ]
    assert all(r["version"] == "ikev1" and r["status"] == "ACTIVE" for r in rows)
    # Which end is local cannot be told from dst/src alone: never guessed.
    assert all(r["local"] is None and r["remote"] is None and r["dpd"] is None for r in rows)


def test_isakmp_summary_with_local_addresses():
    rows = parse_ike_sas(fixture("isakmp_sa.txt"), local_addresses=["10.10.1.2", "2001:DB8:A::1"])
    assert [(r["local"], r["remote"]) for r in rows] == [
        ("10.10.1.2", "10.1.1.1"), ("10.10.1.2", "10.2.2.9"), ("10.10.1.2", "10.3.3.3"),
        ("10.10.1.2", "10.4.4.4"), ("2001:db8:a::1", "2001:db8:b::2")]


def test_isakmp_detail_with_and_without_ivrf():
    problems = []
    rows = parse_ike_sas(fixture("isakmp_sa_detail.txt"), problems)
    assert problems == []
    assert [(r["conn_id"], r["local"], r["remote"], r["ivrf"], r["dpd"], r["lifetime"]) for r in rows] == [
        (1004, "10.10.1.2", "10.1.1.1", None, True, "23:41:07"),
        (1007, "10.10.1.2", "10.2.2.9", "CUST-A", False, "07:12:55"),
        (1011, "2001:db8:a::1", "2001:db8:b::2", None, True, "22:03:19"),
    ]
    assert rows[0]["engine_conn_id"] == "SW:4" and rows[2]["engine_conn_id"] is None
    assert rows[0]["state"] is None and rows[0]["status"] == "ACTIVE" and rows[0]["dh_group"] == 19


def test_ikev2_summary():
    rows = parse_ike_sas(fixture("ikev2_sa.txt"))
    assert [(r["tunnel_id"], r["local"], r["local_port"], r["remote"], r["remote_port"], r["fvrf"], r["state"])
            for r in rows] == [
        (1, "203.0.113.40", 4500, "198.51.100.7", 4500, None, "READY"),
        (2, "203.0.113.40", 500, "198.51.100.8", 500, "INET", "IN-NEG"),
    ]
    assert rows[0]["active_time"] == 5521 and rows[0]["dpd"] is None


def test_ikev2_detail_ipv4_and_split_ipv6_rows():
    problems = []
    rows = parse_ike_sas(fixture("ikev2_sa_detail.txt"), problems)
    assert problems == []
    v4, v6 = rows
    assert (v4["af"], v4["local"], v4["remote"], v4["status"], v4["state"]) == (
        "IPv4", "192.0.2.1", "198.51.100.20", "READY", "READY")
    assert v4["dpd"] is True and v4["dpd_interval"] == 10 and v4["dpd_retry"] == 2
    assert v4["remote_id"] == "spoke-20.example.net" and v4["initiator"] is False and v4["nat_t"] is False
    # 64-bit IKE SPIs stay hex strings: they must never meet ESP SPIs (ints).
    assert v4["ike_spi_local"] == "8A1C44F09B3E2D71" and v4["ike_spi_remote"] == "00F3A2B4C5D6E7F8"
    assert not any(isinstance(v, int) and v > 0xFFFFFFFF for v in v4.values())
    assert (v6["af"], v6["tunnel_id"], v6["local"], v6["remote"], v6["remote_port"]) == (
        "IPv6", 7, "2001:db8:a::1", "2001:db8:c::30", 500)
    assert v6["dpd"] is False and v6["nat_t"] is True and v6["initiator"] is True


def test_concatenated_outputs_and_stripped_text():
    text = fixture("isakmp_sa.txt") + "\n" + fixture("ikev2_sa_detail.txt")
    rows = parse_ike_sas(text)
    assert [r["version"] for r in rows] == ["ikev1"] * 5 + ["ikev2"] * 2
    stripped = "\n".join(line.strip() for line in fixture("ikev2_sa_detail.txt").splitlines())
    assert parse_ike_sas(stripped) == parse_ike_sas(fixture("ikev2_sa_detail.txt"))


def test_unreadable_rows_go_to_problems():
    problems = []
    rows = parse_ike_sas("dst src state conn-id status\n10.0.0.1 10.0.0.999 QM_IDLE 1 ACTIVE\n"
                         "10.0.0.1 10.0.0.2 QM_IDLE 2 ACTIVE\n17 garbage\n", problems)
    assert [r["conn_id"] for r in rows] == [2]
    assert [p["line"] for p in problems] == [2, 4]


def test_empty_unsupported_foreign():
    assert parse_ike_sas("") == [] and parse_ike_sas(None) == []
    assert parse_ike_sas(" IPv4 Crypto IKEv2  SA\n\n IPv6 Crypto IKEv2  SA\n") == []
    with pytest.raises(UnsupportedCommand):
        parse_ike_sas("r1#show crypto ikev2 sa\n% Invalid input detected at '^' marker.")
    with pytest.raises(ParseError, match="not 'show crypto isakmp sa'"):
        parse_ike_sas("Building configuration...\nhostname r1")


# --- issue 15: more real layouts ------------------------------------------------------------------------------------


def test_isakmp_ipv6_section_printed_one_field_per_line():
    # Classic IOS prints each IPv6 ISAKMP SA as "dst:", "src:" and "state: ... conn-id: ... status:" lines;
    # they were silently skipped.
    problems = []
    rows = parse_ike_sas(fixture("isakmp_sa_ipv6_multiline.txt"), problems, local_addresses=["2001:db8:10:1::100"])
    assert problems == []
    assert [(r["version"], r["af"], r["dst"], r["src"], r["state"], r["conn_id"], r["status"], r["deleted"],
             r["local"], r["remote"], r["line"]) for r in rows] == [
        ("ikev1", "IPv6", "2001:db8:10:1::100", "2001:db8:20:1::100", "QM_IDLE", 1001, "ACTIVE", False,
         "2001:db8:10:1::100", "2001:db8:20:1::100", 7),
        ("ikev1", "IPv6", "2001:db8:10:1::100", "2001:db8:30:1::7", "MM_NO_STATE", 1004, "ACTIVE", True,
         "2001:db8:10:1::100", "2001:db8:30:1::7", 11),
    ]
    stripped = "\n".join(line.strip() for line in fixture("isakmp_sa_ipv6_multiline.txt").splitlines())
    assert parse_ike_sas(stripped, local_addresses=["2001:db8:10:1::100"]) == rows


@pytest.mark.parametrize("text,line", [
    ("IPv6 Crypto ISAKMP SA\n dst: 2001:db8::1\n state: QM_IDLE conn-id: 1 status: ACTIVE\n", 2),
    ("IPv6 Crypto ISAKMP SA\n state: QM_IDLE conn-id: 1 status: ACTIVE\n", 2),
    ("IPv6 Crypto ISAKMP SA\n dst: 2001:db8::zz\n src: 2001:db8::2\n state: QM_IDLE conn-id: 1 status: ACTIVE\n", 2),
    ("IPv6 Crypto ISAKMP SA\n dst: 2001:db8::1\n src: 2001:db8::2\n state: QM_IDLE conn-id: \u0661 status: ACTIVE\n", 4),
    ("IPv6 Crypto ISAKMP SA\n dst: 2001:db8::1\n src: 2001:db8::2\n", 2),
])
def test_isakmp_multiline_pieces_missing_are_reported(text, line):
    problems = []
    assert parse_ike_sas(text, problems) == []
    assert [p["line"] for p in problems] == [line]


def test_ikev2_detail_remote_subnets_pushed_address_and_ipv6_pqc():
    # Issue 15, class 6: the value lines under "Remote subnets:" were reported as unreadable SA rows.
    problems = []
    rows = parse_ike_sas(fixture("ikev2_sa_detail_flexvpn.txt"), problems)
    assert problems == []
    v4, v6 = rows
    assert (v4["tunnel_id"], v4["local"], v4["remote"], v4["ivrf"], v4["dpd"], v4["nat_t"]) == (
        811, "192.0.2.121", "198.51.100.2", "121", True, True)
    assert v4["remote_subnets"] == ["10.0.0.0/8", "172.20.0.0/16", "192.168.40.0/24"]
    assert v4["ike_spi_local"] == "000A1B2C3D4E5F60" and v4["session_id"] == 16002
    assert (v6["af"], v6["local"], v6["remote"], v6["dpd"], v6["dh_group"]) == (
        "IPv6", "2001:db8:1101::131", "2001:db8:1201::122", False, 21)
    assert v6["remote_subnets"] == ["2001:db8:aa00::/40"]


def test_unreadable_remote_subnet_is_reported():
    text = ("Tunnel-id Local Remote fvrf/ivrf Status\n1 10.0.0.1/500 10.0.0.2/500 none/none READY\n"
            "Remote subnets:\n10.1.0.0 255.0.255.0\n10.2.0.0 255.255.0.0\n")
    problems = []
    (row,) = parse_ike_sas(text, problems)
    assert row["remote_subnets"] == ["10.2.0.0/16"]
    assert [(p["line"], p["reason"]) for p in problems] == [(4, "unreadable remote subnet")]


@pytest.mark.parametrize("row", [
    "10.0.0.1 10.0.0.2 QM_IDLE \u0661\u0660\u0660\u0661 ACTIVE",
    "\u0661 10.0.0.1/500 10.0.0.2/500 none/none READY",
    "1 10.0.0.1/\u0665\u0660\u0660 10.0.0.2/500 none/none READY",
    "1001 10.0.0.1 10.0.0.2 ACTIVE aes sha psk \u0661\u0664 00:01:47 D",
])
def test_non_ascii_digits_are_not_numbers(row):
    # Issue 17, item 7.
    problems = []
    assert parse_ike_sas("dst src state conn-id status\n" + row + "\n", problems) == []
    assert [p["line"] for p in problems] == [2]


def test_isakmp_summary_with_the_slot_column_of_older_releases():
    # IOS 12.4 prints "dst src state conn-id slot status": every row was reported as not understood.
    problems = []
    rows = parse_ike_sas(fixture("isakmp_sa_slot_column.txt"), problems, local_addresses=["192.0.2.11"])
    assert problems == []
    assert [(r["dst"], r["src"], r["state"], r["conn_id"], r["status"], r["deleted"], r["remote"]) for r in rows] == [
        ("192.0.2.11", "198.51.100.2", "QM_IDLE", 1051, "ACTIVE", False, "198.51.100.2"),
        ("192.0.2.11", "203.0.113.77", "MM_NO_STATE", 1052, "ACTIVE", True, "203.0.113.77"),
    ]
    assert parse_ike_sas("dst src state conn-id slot status\n") == []


def test_isakmp_summary_row_with_a_word_after_the_status():
    # Issue 22 item 4 (public router output): the row was refused whole and the peer's IKE SA disappeared.
    problems = []
    text = ("IPv4 Crypto ISAKMP SA\n"
            "dst             src             state          conn-id status\n"
            "61.128.1.1      100.64.1.2      QM_IDLE           1004 ACTIVE VPN\n"
            "61.128.1.1      100.64.1.9      MM_NO_STATE       1005 ACTIVE (deleted) VPN\n"
            "61.128.1.1      100.64.1.3      QM_IDLE           1006 ACTIVE\n")
    rows = parse_ike_sas(text, problems, local_addresses=["61.128.1.1"])
    assert problems == []
    assert [(r["dst"], r["src"], r["state"], r["conn_id"], r["status"], r["deleted"], r["remote"]) for r in rows] == [
        ("61.128.1.1", "100.64.1.2", "QM_IDLE", 1004, "ACTIVE", False, "100.64.1.2"),
        ("61.128.1.1", "100.64.1.9", "MM_NO_STATE", 1005, "ACTIVE", True, "100.64.1.9"),
        ("61.128.1.1", "100.64.1.3", "QM_IDLE", 1006, "ACTIVE", False, "100.64.1.3"),
    ]
    # the word has no documented meaning: not guessed into a key
    assert all("VPN" not in r.values() for r in rows)


@pytest.mark.parametrize("row", [
    "61.128.1.1 100.64.1.2 QM_IDLE 1004 ACTIVE VPN extra",
    "61.128.1.1 100.64.1.2 QM_IDLE 1004 ACTIVE V\u00d6N",
    "61.128.1.1 100.64.1.2 QM_IDLE 1004 ACTIVE VPN (deleted)",
    "61.128.1.1 100.64.1.2 QM_IDLE 1004 0 ACTIVE VPN x",
])
def test_isakmp_summary_row_still_malformed_is_a_problem(row):
    problems = []
    assert parse_ike_sas("dst src state conn-id status\n" + row + "\n", problems) == []
    assert [p["line"] for p in problems] == [2]


def test_tokens_of_many_slashes_are_linear():
    # "(\S+)/(\S+)" let two repetitions meet at every slash of a long token: 1 MB of such lines took 3 s of CPU.
    from complexity import FACTOR, assert_linear

    def parse(text):
        problems = []
        assert parse_ike_sas(text, problems) == []
        assert len(problems) == text.count("\n")

    line = "1 " + "1.1.1.1/" * 500 + "\n"
    assert_linear(parse, line * 32, line * 32 * FACTOR)
