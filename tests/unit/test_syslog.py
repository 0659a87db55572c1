# -*- coding: utf-8 -*-
"""syslog.parse_events and the invalid_spi_events filter, on our own IOS-format fixtures."""

import io
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog import parse_events, tz_offset_minutes

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "logging")
KEYS = {"host", "time", "epoch", "clock_authoritative", "sequence", "mnemonic", "dst", "src", "prot", "spi",
        "spi_hex", "interface", "line"}
BODY = "decaps: rec'd IPSEC packet has invalid spi for destaddr=10.10.1.2, prot=50, spi=0x1DB73BBB(498547643), srcaddr=10.1.1.1"


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def utc(*args, hours=0, minutes=0):
    """Epoch of a wall-clock time in a zone, computed independently of the parser."""
    micro = args[6] if len(args) > 6 else 0
    return datetime(*args[:6], micro, tzinfo=timezone(timedelta(hours=hours, minutes=minutes))).timestamp()


def one(line, **kwargs):
    problems = []
    events = parse_events(line, problems=problems, **kwargs)
    assert problems == []
    assert len(events) == 1
    return events[0]


# -- show logging ------------------------------------------------------------

def test_show_logging_events_and_shape():
    problems = []
    events = parse_events(fixture("show_logging_hub1.txt"), host="hub-1", year=2024, problems=problems)
    assert all(set(e) == KEYS for e in events)
    assert [e["line"] for e in events] == [35, 38, 39, 41, 42]
    first = events[0]
    assert first == {
        "host": "hub-1",
        "time": "2024-09-02T13:27:57.707+00:00",
        "epoch": pytest.approx(utc(2024, 9, 2, 13, 27, 57, 707000)),
        "clock_authoritative": True,
        "sequence": 412,
        "mnemonic": "RECV_D_PKT_INV_SPI",
        "dst": "10.10.1.2",
        "src": "10.1.1.1",
        "prot": 50,
        "spi": 0xB761863E,
        "spi_hex": "0xB761863E",
        "interface": None,
        "line": 35,
    }
    assert [e["mnemonic"] for e in events] == [
        "RECV_D_PKT_INV_SPI", "RECV_PKT_INV_SPI", "RECV_PKT_INV_SPI", "RECVD_PKT_INV_SPI", "RECVD_PKT_INV_SPI"]
    assert [e["spi"] for e in events[1:4]] == [498547643] * 3
    assert events[1]["interface"] == "GigabitEthernet1"
    assert events[4]["prot"] == 51 and events[4]["spi_hex"] == "0x044A4038" and events[4]["src"] == "203.0.113.66"
    # hex and decimal disagree on line 43: reported, not guessed
    assert [(p["line"], "disagree" in p["reason"]) for p in problems] == [(43, True)]
    assert problems[0]["text"].startswith("000419:")


def test_list_of_lines_gives_the_same_events():
    text = fixture("show_logging_hub1.txt")
    assert parse_events(text.splitlines(), host="hub-1", year=2024) == parse_events(text, host="hub-1", year=2024)
    assert parse_events(text.encode(), host="hub-1", year=2024) == parse_events(text, host="hub-1", year=2024)


def test_file_object_input_streams_and_matches_string(monkeypatch):
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers import syslog
    text = fixture("syslog_server.log") + fixture("show_logging_hub1.txt") * 3
    expected = parse_events(text, year=2024)
    # tiny chunks so that lines and wrapped messages straddle chunk edges
    monkeypatch.setattr(syslog, "CHUNK", 7)
    assert parse_events(io.StringIO(text), year=2024) == expected
    assert parse_events(io.BytesIO(text.encode()), year=2024) == expected


def test_wrapped_message_is_joined_and_keeps_first_line():
    text = ("x\n000412: Sep  2 13:27:57.707 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid "
            "spi for\r\n  destaddr=10.10.1.2, prot=50, spi=0x1, srcaddr=10.1.1.1, input interface=Tunnel1\r\nnext\n")
    event = one(text, year=2024)
    assert (event["line"], event["spi"], event["interface"], event["sequence"]) == (2, 1, "Tunnel1", 412)


def test_wrapped_message_without_continuation_is_a_problem():
    problems = []
    text = "Sep  2 13:27:57.707: %CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for\nSep  2 13:28:00: %SYS-5-CONFIG_I: x\n"
    assert parse_events(text, year=2024, problems=problems) == []
    assert problems[0]["line"] == 1 and "missing" in problems[0]["reason"]


# -- header layers -------------------------------------------------------------

def test_syslog_server_header_forms():
    problems = []
    events = parse_events(fixture("syslog_server.log"), host="fallback", year=2024, problems=problems)
    assert problems == []
    got = [(e["line"], e["host"], e["sequence"], e["clock_authoritative"], e["time"]) for e in events]
    assert got == [
        # relay RFC 3164 header + message counter + origin host + sequence number: origin host wins,
        # sequence is the number nearest the timestamp
        (2, "hub-1", 513, True, "2024-09-02T13:30:59.204+00:00"),
        # the same message through a second relay with <PRI>
        (3, "hub-1", 513, True, "2024-09-02T13:30:59.204+00:00"),
        # relay host as an IP, two numbers, clock never set
        (4, "192.0.2.21", 301, False, "2024-03-01T00:14:35.343+00:00"),
        # RFC 3339 relay stamp, '.' = NTP lost, year after the day
        (5, "spoke-7", 2231, False, "2024-09-02T13:32:04+00:00"),
        # relay host IPv6, origin host then sequence, year before the month
        (6, "spoke-8", 44, True, "2024-09-02T13:32:40.909+00:00"),
        # uptime stamp
        (7, "10.20.0.9", 512, False, None),
        # no device stamp: the relay's receive time
        (9, "hub-1.example.net", None, True, "2024-09-02T13:34:00+00:00"),
    ]
    assert events[3]["dst"] == "2001:db8:0:7::1" and events[3]["src"] == "2001:db8::99"
    assert events[5]["epoch"] == 9 * 86400


@pytest.mark.parametrize("line,host,sequence", [
    ("<189>" + "Sep  2 13:31:00.123 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY, "arg", None),
    ("<189>34: hub-1: 000413: Sep  2 13:31:00.123 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY, "hub-1", 413),
    ("34: 000413: Sep  2 13:31:00.123 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY, "arg", 413),
    ("000413: Sep  2 13:31:00.123 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY, "arg", 413),
    ("hub-1: Sep  2 13:31:00.123 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY, "hub-1", None),
    ("  Sep  2 13:31:00.123 UTC: CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY, "arg", None),
    ("Sep  2 13:31:05 10.9.9.9 Sep  2 13:31:00.123 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY, "10.9.9.9", None),
    ("Sep  2 13:31:05 2001:db8::5 <189>77: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY, "2001:db8::5", 77),
])
def test_header_layers(line, host, sequence):
    event = one(line, host="arg", year=2024)
    assert (event["host"], event["sequence"]) == (host, sequence)
    if "13:31:00.123" in line:
        assert event["time"] == "2024-09-02T13:31:00.123+00:00"


def test_no_stamp_at_all():
    event = one("%CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY, host="r1")
    assert (event["host"], event["time"], event["epoch"], event["clock_authoritative"]) == ("r1", None, None, False)


def test_host_argument_is_checked():
    with pytest.raises(ParseError, match="host"):
        parse_events("", host=5)


def test_relay_rewritten_headers_class_5():
    """Issue 15 class 5: a host name after the device stamp, an empty field after it, unknown layers."""
    problems = []
    events = parse_events(fixture("relay_rewritten.log"), host="arg", year=2024, problems=problems)
    got = [(e["line"], e["host"], e["time"], e["sequence"], e["clock_authoritative"], e["src"], e["spi"])
           for e in events]
    assert got == [
        # the host after the stamp, with or without a colon; '*': clock not set
        (1, "edge-3.example.org", "2024-10-07T03:10:04+00:00", 91, False, "198.51.100.40", 0x6E1A2B3C),
        (2, "edge-3.example.org", "2024-10-07T03:11:05+00:00", 92, False, "198.51.100.40", 0x6E1A2B3C),
        # an empty field after the stamp, alone and behind a relay header
        (3, "arg", "2024-01-08T15:00:23.723-04:00", None, True, "10.44.9.9", 0xC0FFEE),
        (4, "collector-2", "2024-01-08T15:00:23.723-04:00", None, True, "10.44.9.9", 0xC0FFEE),
        # an unknown layer (RFC 5424 structured data) costs the sequence number, not the event
        (5, "collector-2", "2024-01-08T15:01:29.500-04:00", None, True, "10.44.9.9", 0xC0FFEE),
        # an unknown device stamp: the relay's receive time stands in, and the problem says so
        (6, "collector-2", "2024-01-08T15:02:40+00:00", 78, True, "10.44.9.9", 0xC0FFEE),
    ]
    assert [p["line"] for p in problems] == [5, 6]
    assert "origin software" in problems[0]["reason"] and "event kept without a sequence number" in problems[0]["reason"]
    assert "garbled-stamp 15h02m:" in problems[1]["reason"] and "time, host and sequence of the other layers" in problems[1]["reason"]


@pytest.mark.parametrize("line,lost", [
    ("weird.layer %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY, "without its time, a host name, a sequence number"),
    ("000413: [x=y] Sep  2 13:31:00 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY, "without a host name"),
    ("hub-1: 000413: ?? %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY, "without its time"),
])
def test_an_unknown_layer_costs_time_or_host_never_the_event(line, lost):
    problems = []
    [event] = parse_events(line, host="arg", year=2024, problems=problems)
    assert (event["src"], event["spi"]) == ("10.1.1.1", 498547643)
    [item] = problems
    assert item["line"] == 1 and "not understood; event kept " + lost in item["reason"]


# -- the line's own message only (issue 21 item 4) -----------------------------------

FORGED = BODY.replace("10.1.1.1", "203.0.113.66")
# Text other messages carry (an EEM "action syslog msg", a user name typed at a login prompt, a logged
# command) can spell the mnemonic, a stamp before it and a whole body: none of these lines is an event.
HOSTILE = [
    "000500: Sep  2 13:31:00.001 UTC: %HA_EM-6-LOG: forge: %CRYPTO-4-RECVD_PKT_INV_SPI: " + FORGED,
    "000501: Sep  2 13:31:00.001 UTC: %HA_EM-6-LOG: forge: *Sep  2 13:40:00.000 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: "
    + FORGED,
    "000502: Sep  2 13:31:00.001 UTC: %SEC_LOGIN-4-LOGIN_FAILED: Login failed [user: %CRYPTO-4-RECVD_PKT_INV_SPI: "
    + FORGED + ",] [Source: 198.51.100.9] [localport: 22] [Reason: Login Authentication Failed]",
    "000503: Sep  2 13:31:00.001 UTC: %SYS-5-CONFIG_I: Configured from console by %CRYPTO-4-RECVD_PKT_INV_SPI: "
    + FORGED,
    "<189>Sep  2 13:31:00 hub-1 %SYS-5-CONFIG_I: x Sep  2 13:31:00 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: " + FORGED,
    "<189>Sep  2 13:31:00 hub-1 34: hub-1: 000504: *Sep  2 13:31:00.001: %PARSER-5-CFGLOG_LOGGEDCMD: "
    "User:admin  logged command:send log %CRYPTO-4-RECVD_PKT_INV_SPI: " + FORGED,
    # a relay that writes no host name: the device's own mnemonic must not pass for one
    "Sep  2 13:31:00 %SYS-5-X:y %CRYPTO-4-RECVD_PKT_INV_SPI: " + FORGED,
    "hub-1: %SYS-5-X: %CRYPTO-4-RECVD_PKT_INV_SPI: " + FORGED,
    # a relay that took the '%' off the line's own mnemonic: the rest no longer reads as a header either
    "Sep  2 13:31:00 hub-1 HA_EM-6-LOG: forge: %CRYPTO-4-RECVD_PKT_INV_SPI: " + FORGED,
    "%SSH-5-SSH2_USERAUTH: User '%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for\n"
    "destaddr=10.10.1.2, prot=50, spi=0x1DB73BBB(498547643), srcaddr=203.0.113.66",
    # a sub-facility (Catalyst supervisor) and a device whose first mnemonic has no body text yet
    "*Mar  1 00:01:23: %SYS-SP-5-RESTART: %CRYPTO-4-RECVD_PKT_INV_SPI: " + FORGED,
]


@pytest.mark.parametrize("line", HOSTILE)
def test_a_mnemonic_inside_another_message_is_text_not_an_event(line):
    problems = []
    assert parse_events(line, host="arg", year=2024, problems=problems) == []
    # reported, never silently dropped: the operator sees someone wrote the mnemonic into a message
    [item] = problems
    assert item["line"] == 1 and "first message mnemonic is" in item["reason"] and "not an event" in item["reason"]


def test_hostile_lines_do_not_disturb_their_neighbours():
    good = "000410: Sep  2 13:27:57.707 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY
    wrapped = ("000411: Sep  2 13:28:57.707 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has "
               "invalid spi for\n destaddr=10.10.1.2, prot=50, spi=0x1DB73BBB(498547643), srcaddr=10.1.1.1")
    text = "\n".join([good] + HOSTILE + [wrapped, good])
    problems = []
    events = parse_events(text, host="arg", year=2024, problems=problems)
    assert [e["src"] for e in events] == ["10.1.1.1"] * 3
    assert [e["sequence"] for e in events] == [410, 411, 410]
    assert len(problems) == len(HOSTILE)


def _thorough(text, **kwargs):
    """Every relevant line through the thorough path (Scanner.slow) only, as the fast loop would hand them over."""
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog import new_scanner
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog.header import NEEDLE

    scanner = new_scanner(problems=[], **kwargs)
    pos = 0
    while True:
        hit = text.find(NEEDLE, pos)
        if hit < 0:
            return scanner.events, scanner.problems
        start = text.rfind("\n", 0, hit) + 1
        end = text.find("\n", hit)
        end = len(text) if end < 0 else end
        line_end = end - 1 if end > start and text[end - 1] == "\r" else end
        pos = scanner.slow(text, start, line_end, end, hit, text.count("\n", 0, start) + 1)


@pytest.mark.parametrize("extra", [[], ["000412: Sep  2 13:27:57.707 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY]])
def test_fast_and_thorough_paths_agree_on_hostile_lines(extra):
    kwargs = dict(host="arg", year=2024, now=1725300000.0)
    # the fast loop caches a plan per header shape: the hostile lines come twice, after their good twins
    text = "\n".join(extra + HOSTILE + extra + HOSTILE)
    problems = []
    events = parse_events(text, problems=problems, **kwargs)
    assert (events, problems) == _thorough(text, **kwargs)
    assert len(events) == 2 * len(extra)


@pytest.mark.parametrize("line,reason", [
    # fullwidth fractional seconds: no non-ISO time; the stamp is lost, and reported
    ("000412: Sep  2 13:27:57.\uff17\uff10\uff17 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY, "without its time"),
    ("000412: Sep  2 13:27:\uff15\uff17 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY, "without its time"),
    ("\uff10\uff10\uff10412: Sep  2 13:27:57 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY, "without a host name, a sequence"),
])
def test_other_scripts_digits_are_not_numbers_in_headers(line, reason):
    problems = []
    events = parse_events(line, year=2024, problems=problems)
    assert len(events) == 1 and reason in problems[0]["reason"]
    event = events[0]
    assert event["time"] is None or event["time"].isascii()
    assert event["sequence"] in (None, 412)


@pytest.mark.parametrize("body,reason", [
    (BODY.replace("prot=50", "prot=\u0665\u0660"), "prot="),
    (BODY.replace("(498547643)", "(\uff14\uff19\uff18547643)"), "digits must be ASCII"),
    (BODY.replace("10.1.1.1", "\uff11\uff10.1.1.1"), "srcaddr"),
])
def test_other_scripts_digits_are_not_numbers_in_bodies(body, reason):
    problems = []
    assert parse_events("Sep  2 13:27:57 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: " + body, year=2024, problems=problems) == []
    assert len(problems) == 1 and reason in problems[0]["reason"]


# -- time ------------------------------------------------------------------------

def test_time_zones():
    events = parse_events(fixture("timezones.log"), year=2024)
    want = utc(2024, 9, 2, 13, 27, 57, 707000)
    assert [e["host"] for e in events] == ["hub-au", "hub-de", "hub-in", "hub-us", "hub-xx", "hub-nz", "hub-la", "hub-nt"]
    for event in events:
        # hub-nz prints no milliseconds
        assert event["epoch"] == pytest.approx(want if event["host"] != "hub-nz" else int(want), abs=0.001), event["host"]
    assert [e["time"][-6:] for e in events] == ["+10:00", "+02:00", "+07:30", "-04:00", "+00:00", "+12:00", "-07:00", "+00:00"]
    assert events[5]["time"] == "2024-09-03T01:27:57+12:00"


@pytest.mark.parametrize("token,minutes", [
    (None, 0), ("UTC", 0), ("AEST", 600), ("METDST", 120), ("UTC+07:30", 450), ("GMT-5", -300),
    ("+0200", 120), ("est", -300), ("XYZT", 0), ("IST", 330), ("CST", -360),
])
def test_tz_offsets(token, minutes):
    assert tz_offset_minutes(token) == minutes


def test_uptime_stamps():
    problems = []
    events = parse_events(fixture("uptime.log"), host="r9", problems=problems)
    assert problems == []
    assert [e["epoch"] for e in events] == [
        83.0, 7 * 60 + 4.0, 86400 + 2 * 3600.0, (3 * 7 + 2) * 86400.0, (2 * 365 + 10 * 7) * 86400.0, 150.0]
    assert all(e["time"] is None and e["clock_authoritative"] is False for e in events)
    assert [e["sequence"] for e in events] == [2, 3, 4, 5, 6, None]


def test_non_authoritative_marks():
    star = one("*Mar  1 00:01:23.123: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY, year=2024)
    dot = one(".Mar  1 00:01:23.123: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY, year=2024)
    plain = one("Mar  1 00:01:23.123: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY, year=2024)
    assert (star["clock_authoritative"], dot["clock_authoritative"], plain["clock_authoritative"]) == (False, False, True)
    assert star["epoch"] == dot["epoch"] == plain["epoch"] == pytest.approx(utc(2024, 3, 1, 0, 1, 23, 123000))


def test_year_rule_rolls_back_a_december_log_read_in_january():
    now = utc(2025, 1, 1, 0, 30, 0)
    text = "\n".join([
        "Dec 31 23:59:10.000 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY,
        "Jan  1 00:00:11.000 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY,
        # tomorrow is within the one-day tolerance, three days ahead is not
        "Jan  2 00:10:00.000 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY,
        "Jan  4 00:10:00.000 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY,
    ])
    events = parse_events(text, now=now)
    assert [e["time"][:10] for e in events] == ["2024-12-31", "2025-01-01", "2025-01-02", "2024-01-04"]
    assert events[1]["epoch"] - events[0]["epoch"] == pytest.approx(61.0)


def test_year_rule_on_a_day_straddling_the_limit():
    now = utc(2025, 3, 10, 12, 0, 0)  # limit: 2025-03-11 12:00 UTC
    text = "\n".join([
        "Mar 11 11:59:00 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY,
        "Mar 11 12:01:00 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY,
    ])
    assert [e["time"][:4] for e in parse_events(text, now=now)] == ["2025", "2024"]


def test_year_argument_and_stamp_year():
    line = "Feb 29 10:00:00 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY
    assert one(line, year=2024)["time"] == "2024-02-29T10:00:00+00:00"
    problems = []
    assert parse_events(line, year=2023, problems=problems) == []
    assert "no such date" in problems[0]["reason"]
    assert one("2023 Jun  1 10:00:00 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY, year=2024)["time"].startswith("2023-06-01")
    assert one("Jun  1 2022 10:00:00 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY)["time"].startswith("2022-06-01")
    assert one(line, year="2024")["time"].startswith("2024")
    for bad in (0, "last", 2.5, True, 10000):
        with pytest.raises(ParseError, match="year"):
            parse_events(line, year=bad)


def test_current_year_default():
    event = one("Jan  1 00:00:00 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY)
    assert event["time"].startswith(str(time.gmtime().tm_year))


# -- body ------------------------------------------------------------------------

@pytest.mark.parametrize("spi_text,value", [
    ("0xB761863E(3076621886)", 0xB761863E), ("0x44A4038", 0x44A4038), ("0xb761863e", 0xB761863E),
    ("0x BB0ED02", 0xBB0ED02), ("3A4AAE22", 0x3A4AAE22),
])
def test_every_spi_spelling(spi_text, value):
    event = one("Sep  2 13:00:00: %CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for "
                "destaddr=10.0.0.2, prot=50, spi=" + spi_text + ", srcaddr=10.0.0.1", year=2024)
    assert event["spi"] == value and event["spi_hex"] == "0x%08X" % value


def test_fields_in_another_order_and_other_wording():
    event = one("Sep  2 13:00:00: %CRYPTO-4-RECVD_PKT_INV_SPI: rec'd packet with invalid SPI: srcaddr=10.0.0.1, "
                "spi=0x10, prot=51, destaddr=FE80:0:0:0:0:0:0:1, input interface=Tunnel5 (vrf X)", year=2024)
    assert (event["src"], event["dst"], event["prot"], event["spi"], event["interface"]) == (
        "10.0.0.1", "fe80::1", 51, 16, "Tunnel5")


def test_unreadable_lines_are_problems_never_dropped():
    problems = []
    events = parse_events(fixture("problems.log"), year=2024, problems=problems)
    assert [e["line"] for e in events] == [10]
    reasons = {p["line"]: p["reason"] for p in problems}
    assert sorted(reasons) == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert "disagree" in reasons[1]
    assert "srcaddr" in reasons[2]
    assert "no such date" in reasons[3]
    assert "RCVD_PKT_INV_SPI" in reasons[4]
    assert "destaddr" in reasons[5]
    assert "prot" in reasons[6]
    assert "time of day" in reasons[7]
    assert "anchor" in reasons[8]
    assert "SPI" in reasons[9]


@pytest.mark.parametrize("data", [None, "", [], "no crypto here\n", ["a", "b"]])
def test_empty_inputs(data):
    assert parse_events(data) == []


@pytest.mark.parametrize("data", [5, {"a": 1}, ["ok", 3], object()])
def test_bad_input_types(data):
    with pytest.raises(ParseError):
        parse_events(data)


ADVERSARIAL_HEAD = "Sep  2 13:00:00: %CRYPTO-4-RECVD_PKT_INV_SPI: "


# Each line at its full size n (about a megabyte); the guard is linearity, the CPU budget is benchmarks/bench_guards.py.
@pytest.mark.parametrize("make", [
    lambda n: ADVERSARIAL_HEAD + "destaddr=" * (n // 8),
    lambda n: ADVERSARIAL_HEAD + "1:" * (n // 2),
    lambda n: "1:" * (n // 2) + " %CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY,
    lambda n: "Sep  2 " + "0" * n + "%CRYPTO-4-RECVD_PKT_INV_SPI: " + BODY,
    lambda n: ADVERSARIAL_HEAD + "destaddr=" + "1" * n,
    lambda n: "%CRYPTO-4-RECVD_PKT_INV_SPI" * (n // 25),
], ids=["destaddr", "colons", "colons_first", "zeros", "digits", "tags"])
def test_adversarial_single_lines_are_linear(make):
    from complexity import FACTOR, assert_linear

    def parse(text):
        problems = []
        parse_events(text, problems=problems, year=2024)
        assert len(problems) <= 1

    assert_linear(parse, make(1_000_000 // FACTOR), make(1_000_000))


def test_ten_megabyte_line_returns():
    text = "Sep  2 13:00:00: %CRYPTO-4-RECVD_PKT_INV_SPI: " + "spi=0x1, destaddr=10.0.0.2, " * 360000
    problems = []
    assert parse_events(text, problems=problems, year=2024) == []
    assert len(problems) == 1 and len(problems[0]["text"]) <= 200


# -- the filter ------------------------------------------------------------------

def test_filter_on_unparsed_modes(monkeypatch):
    from ansible.errors import AnsibleFilterError
    from ansible_collections.netops.ipsec_spi.plugins.filter import invalid_spi_events as plugin
    from ansible_collections.netops.ipsec_spi.plugins.plugin_utils import wrap

    warnings = []
    monkeypatch.setattr(wrap.display, "warning", warnings.append)
    text = fixture("problems.log")
    events = plugin.invalid_spi_events(text, year=2024)
    assert len(events) == 1 and len(warnings) == 1 and "9 line(s)" in warnings[0]
    assert plugin.invalid_spi_events(text, year=2024, on_unparsed="ignore") == events
    assert len(warnings) == 1
    with pytest.raises(AnsibleFilterError, match=r"9 invalid-SPI line\(s\).*line 1: spi"):
        plugin.invalid_spi_events(text, year=2024, on_unparsed="fail")
    with pytest.raises(AnsibleFilterError, match="on_unparsed"):
        plugin.invalid_spi_events(text, on_unparsed="loud")
    with pytest.raises(AnsibleFilterError, match="invalid_spi_events"):
        plugin.invalid_spi_events(42)
    assert plugin.FilterModule().filters()["invalid_spi_events"] is plugin.invalid_spi_events


@pytest.mark.parametrize("name", ["invalid_spi_events", "invalid_spi_flows"])
def test_ansible_doc(name):
    result = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "-t", "filter", "netops.ipsec_spi." + name],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert name in result.stdout and "RETURN VALUES" in result.stdout.upper()
    assert "[WARNING]" not in result.stderr


def test_interface_after_other_text_is_read_on_both_paths():
    # Found by test_fast_path_reads_as_the_thorough_path: the fast loop stopped at the ',' after srcaddr and
    # gave no interface, where the thorough path reads the "input interface=" field behind the stray text.
    line = ("000412: *Sep  2 13:27:57.707 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid "
            "spi for destaddr=10.10.1.2, prot=50, spi=0xB761863E(3076621886), srcaddr=10.1.1.1,7:04 input interface=Gi1")
    events = parse_events(line + "\n" + line, year=2024)
    assert [e["interface"] for e in events] == ["Gi1", "Gi1"]
