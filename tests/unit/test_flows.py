# -*- coding: utf-8 -*-
"""flows.build_flows / dedupe_events and the invalid_spi_flows filter."""

import os

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError
from ansible_collections.netops.ipsec_spi.plugins.module_utils.flows import build_flows, dedupe_events
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog import parse_events

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "logging")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def ev(epoch, src="10.1.1.1", spi=0x1DB73BBB, host="hub-1", seq=None, time="t", dst="10.10.1.2", prot=50):
    return {"host": host, "time": None if time is None else "%s%s" % (time, epoch), "epoch": epoch,
            "sequence": seq, "src": src, "dst": dst, "spi": spi, "prot": prot}


def test_show_logging_flows_persistent_transient_foreign():
    events = parse_events(fixture("show_logging_hub1.txt"), host="hub-1", year=2024)
    flows = build_flows(events, peers=["10.1.1.1", "10.1.1.5"])
    assert [(f["spi_hex"], f["src"], f["count"], f["status"]) for f in flows] == [
        ("0xB761863E", "10.1.1.1", 1, "transient"),
        ("0x1DB73BBB", "10.1.1.1", 3, "persistent"),
        ("0x044A4038", "203.0.113.66", 1, "foreign"),
    ]
    persistent = flows[1]
    assert persistent["first_seen"] == "2024-09-02T13:36:47.287+00:00"
    assert persistent["last_seen"] == "2024-09-02T13:38:49.101+00:00"
    assert persistent["span_seconds"] == pytest.approx(121.814)
    assert set(persistent) == {"host", "src", "dst", "prot", "spi", "spi_hex", "count", "first_seen", "last_seen",
                               "first_epoch", "last_epoch", "span_seconds", "status"}
    # without peers nothing is foreign
    assert [f["status"] for f in build_flows(events)] == ["transient", "persistent", "transient"]


def test_relay_duplicates_count_once():
    events = parse_events(fixture("syslog_server.log"), year=2024)
    assert len(events) == 7
    flows = build_flows(events)
    hub = [f for f in flows if f["host"] == "hub-1"]
    assert len(hub) == 1 and hub[0]["count"] == 1
    assert len(dedupe_events(events)) == 6
    # same SPI from the same sender on two receivers: two flows
    assert [(f["host"], f["spi_hex"]) for f in flows if f["spi"] == 0x3A4AAE22] == [
        ("192.0.2.21", "0x3A4AAE22"), ("spoke-8", "0x3A4AAE22")]


@pytest.mark.parametrize("count,span,min_repeats,min_span,status", [
    (2, 60, 2, 50, "persistent"),
    (2, 49, 2, 50, "transient"),
    (1, 0, 2, 50, "transient"),
    (3, 120, 4, 50, "transient"),
    (4, 180, 4, 50, "persistent"),
    (1, 0, 1, 0, "persistent"),
    (2, 50, 2, 50, "persistent"),
])
def test_thresholds(count, span, min_repeats, min_span, status):
    step = span / max(count - 1, 1)
    events = [ev(1000.0 + i * step, seq=i) for i in range(count)]
    [flow] = build_flows(events, min_repeats=min_repeats, min_span=min_span)
    assert (flow["count"], flow["span_seconds"], flow["status"]) == (count, pytest.approx(float(span)), status)


def test_foreign_takes_precedence_and_peers_are_normalised():
    events = [ev(0.0, src="2001:DB8::9", seq=1), ev(120.0, src="2001:db8:0::9", seq=2), ev(5.0, src="10.1.1.1", seq=3)]
    flows = build_flows(events, peers=["10.1.1.1"])
    assert [(f["src"], f["count"], f["status"]) for f in flows] == [("2001:db8::9", 2, "foreign"), ("10.1.1.1", 1, "transient")]
    flows = build_flows(events, peers="10.1.1.1, 2001:db8::9")
    assert [f["status"] for f in flows] == ["persistent", "transient"]
    assert [f["status"] for f in build_flows(events, peers=[])] == ["foreign", "foreign"]


def test_order_of_first_appearance_and_time_extremes():
    events = [ev(500.0, spi=2, seq=1), ev(100.0, spi=1, seq=2), ev(50.0, spi=2, seq=3), ev(900.0, spi=2, seq=4)]
    flows = build_flows(events)
    assert [f["spi"] for f in flows] == [2, 1]
    assert (flows[0]["first_epoch"], flows[0]["last_epoch"], flows[0]["span_seconds"]) == (50.0, 900.0, 850.0)
    assert (flows[0]["first_seen"], flows[0]["last_seen"]) == ("t50.0", "t900.0")


def test_duplicates_and_repeats():
    same = ev(100.0, seq=7)
    events = [same, dict(same), ev(100.0, seq=8), ev(160.0, seq=7)]
    [flow] = build_flows(events)
    assert flow["count"] == 3
    # prot differs: not a duplicate
    assert build_flows([same, dict(same, prot=51)])[0]["count"] == 2
    # no stamp, no sequence: cannot be told apart, both count
    bare = ev(None, seq=None, time=None)
    assert build_flows([bare, dict(bare)])[0]["count"] == 2
    # coarse uptime (whole hours) without a sequence: both count
    coarse = ev(93600.0, seq=None, time=None)
    assert build_flows([coarse, dict(coarse)])[0]["count"] == 2
    # second-resolution uptime without a sequence: a duplicate
    fine = ev(83.0, seq=None, time=None)
    assert build_flows([fine, dict(fine)])[0]["count"] == 1
    assert dedupe_events([same, dict(same), coarse, dict(coarse)]) == [same, coarse, coarse]


def test_flow_without_any_time_is_transient_unless_min_span_zero():
    events = [ev(None, seq=1, time=None), ev(None, seq=2, time=None)]
    [flow] = build_flows(events)
    assert (flow["span_seconds"], flow["first_seen"], flow["status"]) == (None, None, "transient")
    assert build_flows(events, min_span=0)[0]["status"] == "persistent"


def test_mixed_uptime_and_calendar_uses_calendar_only():
    events = [ev(300.0, seq=1, time=None), ev(1725283677.0, seq=2), ev(1725283777.0, seq=3)]
    [flow] = build_flows(events)
    assert flow["span_seconds"] == 100.0 and flow["count"] == 3 and flow["status"] == "persistent"


def test_string_spis_and_address_spellings_are_accepted():
    events = [ev(0.0, seq=1, spi="0x1DB73BBB(498547643)", src="10.1.1.1"),
              dict(ev(60.0, seq=2, src=" 10.1.1.1"), spi=498547643)]
    [flow] = build_flows(events)
    assert (flow["spi"], flow["count"], flow["status"]) == (498547643, 2, "persistent")


def test_generator_of_events_is_accepted():
    assert len(build_flows(ev(float(i), seq=i) for i in range(3))) == 1


@pytest.mark.parametrize("events,message", [
    ("text", "list of event dicts"),
    ({"host": "x"}, "list of event dicts"),
    (5, "list of event dicts"),
    ([5], "event 1 is int"),
    ([{"src": "10.0.0.1"}], "event 1 has no host"),
    ([ev(0.0), {"host": "h", "src": "10.0.0.1", "dst": "10.0.0.2", "spi": 1}], "event 2 has no prot"),
    ([ev(0.0, src="not-an-ip")], "event 1: src"),
    ([ev(0.0, spi=-1)], "spi"),
    ([ev(0.0, spi=2 ** 32)], "spi"),
    ([ev(0.0, spi=None)], "spi must be an int"),
    ([ev(0.0, prot=300)], "prot"),
    ([ev(0.0, prot="50")], "prot"),
    ([dict(ev(0.0), epoch="soon")], "epoch"),
    ([dict(ev(0.0), sequence="7")], "sequence"),
    ([dict(ev(0.0), host=5)], "host"),
    ([dict(ev(0.0), time=5)], "time"),
])
def test_bad_events(events, message):
    with pytest.raises(ParseError, match=message):
        build_flows(events)


@pytest.mark.parametrize("kwargs,message", [
    ({"peers": "10.0.0.300"}, "peers item 1"),
    ({"peers": [5]}, "peers item 1"),
    ({"peers": 5}, "peers must be a list"),
    ({"min_repeats": 0}, "min_repeats"),
    ({"min_repeats": 1.5}, "min_repeats"),
    ({"min_repeats": "two"}, "min_repeats"),
    ({"min_span": -1}, "min_span"),
    ({"min_span": None}, "min_span"),
])
def test_bad_options(kwargs, message):
    with pytest.raises(ParseError, match=message):
        build_flows([ev(0.0)], **kwargs)


def test_none_and_empty():
    assert build_flows(None) == [] and build_flows([]) == []


def test_filter_wraps_errors():
    from ansible.errors import AnsibleFilterError
    from ansible_collections.netops.ipsec_spi.plugins.filter import invalid_spi_flows as plugin

    assert plugin.invalid_spi_flows([ev(0.0, seq=1), ev(70.0, seq=2)], min_repeats="2")[0]["status"] == "persistent"
    with pytest.raises(AnsibleFilterError, match="invalid_spi_flows: event 1 has no prot"):
        plugin.invalid_spi_flows([{"host": "h", "src": "10.0.0.1", "dst": "10.0.0.2", "spi": 1}])
    assert plugin.FilterModule().filters()["invalid_spi_flows"] is plugin.invalid_spi_flows
