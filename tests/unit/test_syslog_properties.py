# -*- coding: utf-8 -*-
"""Property-based tests: the parsers give a result or a ParseError, never anything else,
never drop a relevant line silently, and read back what a generator wrote."""

import ipaddress
import random
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_profiles import examples

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError
from ansible_collections.netops.ipsec_spi.plugins.module_utils import flows
from ansible_collections.netops.ipsec_spi.plugins.module_utils.flows import build_flows
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog import new_scanner, parse_events
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog.fast import scan

FAST = dict(deadline=None, database=None, suppress_health_check=list(HealthCheck))

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SEEDS = [
    "000412: *Sep  2 13:27:57.707 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for "
    "destaddr=10.10.1.2, prot=50, spi=0xB761863E(3076621886), srcaddr=10.1.1.1, input interface=Gi1",
    "<189>Sep  2 13:31:00 hub-1.example.net 34: hub-1: 000413: 2024 Sep  2 13:31:00.123 AEST: "
    "%CRYPTO-4-RECV_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for",
    "destaddr=2001:db8::1, prot=50, spi=0x BB0ED02, srcaddr=2001:db8::2",
    "000413: 1d02h: %CRYPTO-4-RECV_D_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for destaddr=10.0.0.2, prot=51, spi=3A4AAE22, srcaddr=10.0.0.1",
    "000414: Sep  2 13:31:00.019 UTC: %OSPF-5-ADJCHG: Process 1, Nbr 10.255.0.2 on Tunnel100 from LOADING to FULL",
    "2024-09-02T13:32:05.481922+00:00 spoke-7 .Sep  2 2024 13:32:04 UTC+07:30: %CRYPTO-4-RECVD_PKT_INV_SPI: x",
]
ALPHABET = "0123456789:.*<>%-_ ,=()xXabcdefABCDEF\t\r\nSepMarUTCRECVDPKTINVSPIdestaddrsrcaddrprotspi"
TOKENS = [
    "%CRYPTO-4-", "RECVD_PKT_INV_SPI", "RECV_PKT_INV_SPI", "RECV_D_PKT_INV_SPI", "PKT_INV_SPI", ": ", "destaddr=",
    "srcaddr=", "prot=", "spi=", ", ", "input interface=", "Sep  2 ", "13:27:57", ".707", " UTC", "*", "000413: ",
    "hub-1: ", "<189>", "\n", "\r\n", "2y10w", "7:04", "00:01:23", "0x", "(", ")", "10.0.0.1", "2001:db8::1", "::",
    "2024 ", "Feb 29 ", "99", " extra", ", input interface=Tu0 x", "999999999999", "\u00e9", "\u0663", "\x00", "1:" * 300, "destaddr=" * 50,
]
# Each Hypothesis example checks a batch of inputs mutated by a seeded
# generator: 1,000 examples x 10 = 10,000 inputs per parser in a few seconds
# (a failure names the seed, and the batch index, to replay it).
BATCH = 10


def mutate(rng):
    """A fixture-like log with random splices, deletions and token insertions."""
    text = "\n".join(rng.choice(SEEDS) for _unused in range(rng.randint(0, 6)))
    for _unused in range(rng.randint(0, 6)):
        op = rng.randint(0, 2)
        at = rng.randint(0, len(text))
        if op == 0:
            text = text[:at] + rng.choice(TOKENS) + text[at:]
        elif op == 1:
            text = text[:at] + text[at + rng.randint(1, 12):]
        else:
            text = text[:at] + "".join(rng.choice(ALPHABET) for _unused in range(rng.randint(0, 20))) + text[at:]
    return text


def mentioning_lines(text):
    """1-based numbers of the lines that mention the mnemonic, as splitlines-on-\\n sees them."""
    return {n for n, line in enumerate(text.split("\n"), 1) if "PKT_INV_SPI" in line}


@settings(max_examples=examples(10000 // BATCH), **FAST)
@given(st.integers(0, 2 ** 32), st.sampled_from([None, 2024]), st.booleans())
def test_parse_events_result_or_parse_error_and_nothing_dropped(seed, year, as_list):
    rng = random.Random(seed)
    for index in range(BATCH):
        text = mutate(rng)
        problems = []
        data = text.split("\n") if as_list else text
        try:
            events = parse_events(data, year=year, problems=problems, now=1725300000.0)
        except ParseError:
            continue
        assert isinstance(events, list), (seed, index)
        for event in events:
            assert isinstance(event["spi"], int) and 0 <= event["spi"] <= 0xFFFFFFFF
            assert event["spi_hex"] == "0x%08X" % event["spi"]
            assert isinstance(event["prot"], int) and 0 <= event["prot"] <= 255
            assert event["epoch"] is None or isinstance(event["epoch"], float)
        # every line that mentions the mnemonic is an event or a problem, once; both only
        # when the header lost a layer and the problem says the event was kept
        event_lines = [e["line"] for e in events]
        problem_lines = [p["line"] for p in problems]
        assert len(set(event_lines)) == len(event_lines) and len(set(problem_lines)) == len(problem_lines)
        assert set(event_lines) | set(problem_lines) == mentioning_lines(text), (seed, index, text)
        for p in problems:
            assert (p["line"] in event_lines) == ("event kept" in p["reason"]), (seed, index, p)


JUNK = [None, 0, -1, 2 ** 40, 1.5, float("nan"), "", "x", "10.0.0.1", True, [1], {"a": 1}, b"10.0.0.1"]
GOOD = {
    "host": [None, "hub-1", "spoke-2"],
    "src": ["10.1.1.1", "10.1.1.2", "2001:db8::1", "2001:DB8:0::1"],
    "dst": ["10.10.1.2", "192.0.2.1"],
    "spi": [0, 1, 2, 0xFFFFFFFF, "0x1", "0x2(2)", "3"],
    "prot": [50, 51],
    "time": [None, "a", "b"],
    "epoch": [None, 0.0, 60.0, 3600.0, 7, 120.5],
    "sequence": [None, 0, 1, 2],
}


def event_list(rng):
    events = []
    for _unused in range(rng.randint(0, 6)):
        event = {}
        for key, good in GOOD.items():
            choice = rng.randint(0, 9)
            if choice == 0:
                continue  # key missing
            event[key] = rng.choice(JUNK) if choice == 1 else rng.choice(good)
        events.append(event if rng.randint(0, 20) else rng.choice(JUNK))
    return events if rng.randint(0, 20) else rng.choice(JUNK)


@settings(max_examples=examples(10000 // BATCH), **FAST)
@given(st.integers(0, 2 ** 32))
def test_build_flows_result_or_parse_error(seed):
    rng = random.Random(seed)
    for index in range(BATCH):
        events = event_list(rng)
        peers = rng.choice([None, [], ["10.1.1.1"], ["2001:db8::1", "10.1.1.2"], ["bad"], "10.1.1.1", 5])
        min_repeats = rng.choice([1, 2, 3, 0, -1, "2", 1.5, None])
        min_span = rng.choice([0, 50, 60.0, -1, "50", None, "x"])
        try:
            flows = build_flows(events, peers=peers, min_repeats=min_repeats, min_span=min_span)
        except ParseError:
            continue
        assert isinstance(flows, list), (seed, index)
        total = 0
        for flow in flows:
            assert flow["status"] in ("persistent", "transient", "foreign")
            assert flow["count"] >= 1
            total += flow["count"]
        assert total <= len(events or [])


# -- round trip -----------------------------------------------------------------

ZONES = {"UTC": 0, "AEST": 600, "METDST": 120, "EST": -300, "UTC+07:30": 450, "": 0, "ZZT": 0}


@st.composite
def messages(draw):
    """One message with random header layers and fields, and the event it must give."""
    year = draw(st.integers(2000, 2030))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 28))
    hh, mi, ss = draw(st.integers(0, 23)), draw(st.integers(0, 59)), draw(st.integers(0, 59))
    msec = draw(st.one_of(st.none(), st.integers(0, 999)))
    zone = draw(st.sampled_from(sorted(ZONES)))
    mark = draw(st.sampled_from(["", "", "*", "."]))
    year_pos = draw(st.integers(0, 2))
    date = "%s %2d" % (MONTHS[month - 1], day)
    date = {0: date, 1: "%d %s" % (year, date), 2: "%s %d" % (date, year)}[year_pos]
    clock = "%02d:%02d:%02d" % (hh, mi, ss) + ("" if msec is None else ".%03d" % msec)
    stamp = mark + date + " " + clock + (" " + zone if zone else "")
    offset = ZONES[zone]
    local = datetime(year, month, day, hh, mi, ss, (msec or 0) * 1000)
    epoch = local.replace(tzinfo=timezone(timedelta(minutes=offset))).timestamp()
    uptime = draw(st.integers(0, 4))
    if uptime == 1:
        h, m, s = draw(st.integers(0, 23)), draw(st.integers(0, 59)), draw(st.integers(0, 59))
        stamp, epoch = "%02d:%02d:%02d" % (h, m, s), float(h * 3600 + m * 60 + s)
    elif uptime == 2:
        d, h = draw(st.integers(1, 6)), draw(st.integers(0, 23))
        stamp, epoch = "%dd%02dh" % (d, h), float(d * 86400 + h * 3600)
    seqs = draw(st.lists(st.integers(0, 999999), max_size=2))
    origin = draw(st.sampled_from([None, "hub-1", "spoke_7.dc", "r1"]))
    relay = draw(st.sampled_from([None, "relay.example.net", "10.9.9.9", "2001:db8:ffff::9"]))
    pri = draw(st.booleans())
    src = draw(st.sampled_from(["10.1.1.1", "198.51.100.77", "2001:db8::5", "2001:DB8:0:0:1::5"]))
    dst = draw(st.sampled_from(["10.10.1.2", "fe80::1", "2001:db8:0:7::1"]))
    spi = draw(st.integers(0, 0xFFFFFFFF))
    spi_text = draw(st.sampled_from(["0x%X(%d)", "0x%x", "0x%X", "%X", "0x %X"]))
    spi_text = spi_text % ((spi, spi) if "(" in spi_text else (spi,))
    prot = draw(st.sampled_from([50, 51]))
    ifc = draw(st.sampled_from([None, "GigabitEthernet0/0/1", "Tunnel100"]))
    mnemonic = draw(st.sampled_from(["RECVD_PKT_INV_SPI", "RECV_PKT_INV_SPI", "RECV_D_PKT_INV_SPI"]))
    wrapped = draw(st.booleans())

    header = "<189>" if pri else ""
    if relay:
        header += "Sep  2 13:31:00 %s " % relay
    header += "".join("%06d: " % n for n in seqs)
    if origin:
        header += origin + ": "
    header += stamp + ": "
    # issue 15 class 5: an empty field, or a host name, after the stamp
    trailing = draw(st.sampled_from([None, None, "", "mydevice.com", "edge_9"]))
    if trailing == "":
        header += ": "
    elif trailing:
        header += trailing + draw(st.sampled_from([" ", ": "]))
    body = "%%CRYPTO-4-%s: decaps: rec'd IPSEC packet has invalid spi for%sdestaddr=%s, prot=%d, spi=%s, srcaddr=%s" % (
        mnemonic, "\n" if wrapped else " ", dst, prot, spi_text, src)
    if ifc:
        body += ", input interface=" + ifc
    expected = {
        "host": origin or trailing or relay or "arg",
        "time": None if uptime in (1, 2) else "%04d-%02d-%02dT%s%s%02d:%02d" % (
            year if year_pos else 2024, month, day, clock, "+" if offset >= 0 else "-", abs(offset) // 60,
            abs(offset) % 60),
        "clock_authoritative": uptime not in (1, 2) and not mark,
        "sequence": seqs[-1] if seqs else None,
        "mnemonic": mnemonic,
        "dst": str(ipaddress.ip_address(dst)),
        "src": str(ipaddress.ip_address(src)),
        "prot": prot,
        "spi": spi,
        "spi_hex": "0x%08X" % spi,
        "interface": ifc,
    }
    if uptime not in (1, 2) and not year_pos:
        epoch = local.replace(year=2024, tzinfo=timezone(timedelta(minutes=offset))).timestamp()
    return header + body, expected, epoch


@settings(max_examples=examples(400), **FAST)
@given(st.lists(messages(), min_size=1, max_size=4))
def test_round_trip(batch):
    text = "\n".join(m[0] for m in batch)
    problems = []
    events = parse_events(text, host="arg", year=2024, problems=problems)
    assert problems == []
    assert len(events) == len(batch)
    line = 1
    for event, (message, expected, epoch) in zip(events, batch):
        assert event["line"] == line
        line += message.count("\n") + 1
        assert abs(event["epoch"] - epoch) < 0.001
        got = {k: v for k, v in event.items() if k not in ("epoch", "line")}
        assert got == expected
        # parsed alone (fresh caches) it reads the same
        alone = parse_events(message, host="arg", year=2024)
        assert [{k: v for k, v in e.items() if k != "line"} for e in alone] == [
            {k: v for k, v in event.items() if k != "line"}]


def both_paths(text, year):
    """(events, problems) of the fast loop as parse_events runs it, and of every line forced down the thorough path."""
    out = []
    for thorough in (False, True):
        problems = []
        scanner = new_scanner("arg", year, problems, 1725300000.0)
        scanner.thorough = thorough
        scan(scanner, text, len(text), 1)
        out.append((scanner.events, problems))
    return out


@settings(max_examples=examples(10000 // BATCH), **FAST)
@given(st.integers(0, 2 ** 32), st.sampled_from([None, 2024]))
def test_fast_path_reads_as_the_thorough_path(seed, year):
    # The fast loop (shape plans, body cache) is only a shortcut: forcing every line through
    # Scanner.slow must give the same events and the same problems.
    rng = random.Random(seed)
    for index in range(BATCH):
        text = mutate(rng)
        fast, thorough = both_paths(text, year)
        assert fast == thorough, (seed, index, text)


@settings(max_examples=examples(400), **FAST)
@given(st.lists(messages(), min_size=1, max_size=4))
def test_fast_path_reads_wellformed_logs_as_the_thorough_path(batch):
    text = "\n".join(m[0] for m in batch)
    fast, thorough = both_paths(text, 2024)
    assert fast == thorough and fast[0]


@settings(max_examples=examples(10000 // BATCH), **FAST)
@given(st.integers(0, 2 ** 32))
def test_flows_fast_path_reads_events_as_the_checked_path(seed):
    # flows._valid_events takes events as parse_events makes them without the per-event checks; every event
    # through _event_key's checks must give the same keys, or the same error.
    rng = random.Random(seed)
    for index in range(BATCH):
        events = parse_events(mutate(rng), year=2024, now=1725300000.0)
        mixed = event_list(rng)
        if isinstance(mixed, list) and rng.randint(0, 1):
            events = events + mixed
            rng.shuffle(events)
        elif not events:
            events = mixed
        got = []
        for checked in (False, True):
            try:
                got.append(flows._valid_events(events, checked=checked))
            except ParseError as exc:
                got.append("ParseError: %s" % exc)
        assert got[0] == got[1], (seed, index, events)
