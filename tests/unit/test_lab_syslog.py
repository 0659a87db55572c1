"""The lab's `logging host`: routers send what they log to a loopback collector as RFC 3164 datagrams."""
from __future__ import annotations

import os
import socket
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB = os.path.join(ROOT, "lab")
if LAB not in sys.path:
    sys.path.insert(0, LAB)

from labsim.build import load_scenario  # noqa: E402  pylint: disable=wrong-import-position
from labsim.cli import Session  # noqa: E402  pylint: disable=wrong-import-position
from labsim.sim import Fleet  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog import parse_events  # noqa: E402


@pytest.fixture
def collector():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.5)
    yield sock
    sock.close()


def drain(sock):
    out = []
    while True:
        try:
            out.append(sock.recv(65536).decode("utf-8"))
        except socket.timeout:
            return out


def configure(fleet, router, lines):
    session = Session(fleet, fleet.routers[router])
    session.priv = 15
    outs = [session.handle(x) for x in ["configure terminal"] + lines + ["end"]]
    assert not any("% " in o for o in outs), outs


def fleet():
    return Fleet(load_scenario(os.path.join(LAB, "scenarios", "eda.yml")), speed=0)


def test_a_desync_goes_out_as_rfc3164_datagrams_the_collection_parses(collector):
    lab = fleet()
    port = collector.getsockname()[1]
    configure(lab, "spoke", ["logging host 127.0.0.1 transport udp port %d" % port, "logging origin-id hostname"])
    assert drain(collector)[0].startswith("<189>000001: spoke: Nov 29 2026 ")  # %SYS-5-CONFIG_I, severity 5
    lab.start_desync("hub", "spoke")
    lab.clock.advance(200)
    lab.sync()
    got = drain(collector)
    assert len(got) == 4 and all(g.startswith("<188>") for g in got)  # local7, warning
    events = parse_events("\n".join(got))
    assert {(e["host"], e["src"], e["dst"]) for e in events} == {("spoke", "198.51.100.1", "198.51.100.2")}
    assert [e["sequence"] for e in events] == [2, 3, 4, 5]


def test_trap_level_filters_and_only_loopback_udp_collectors_get_anything(collector):
    lab = fleet()
    port = collector.getsockname()[1]
    configure(lab, "hub", ["logging host 127.0.0.1 transport udp port %d" % port, "logging trap errors",
                           "logging host 198.51.100.200", "logging host 127.0.0.1 transport tcp port 601"])
    state = lab.remote_log.state(lab.routers["hub"])
    # one line per collector: the tcp line replaced the udp one for 127.0.0.1, and neither is sent over tcp
    assert state["destinations"] == []
    assert state["unsupported"] == ["logging host 127.0.0.1 transport tcp port 601", "logging host 198.51.100.200"]
    configure(lab, "hub", ["logging host 127.0.0.1 transport udp port %d" % port])
    assert lab.remote_log.state(lab.routers["hub"])["destinations"] == ["127.0.0.1:%d" % port]
    lab.log_inv_spi("hub", "br", 0x1234)  # severity 4 > errors (3): filtered
    assert drain(collector) == []
    configure(lab, "hub", ["no logging trap errors", "no logging host 127.0.0.1"])
    lab.log_inv_spi("hub", "br", 0x1234)
    assert drain(collector) == [] and lab.remote_log.active is False


def test_seeded_history_is_never_sent(collector):
    lab = Fleet(load_scenario(os.path.join(LAB, "scenarios", "default.yml")), speed=0)
    port = collector.getsockname()[1]
    configure(lab, "hub1", ["logging host 127.0.0.1 transport udp port %d" % port])
    got = drain(collector)
    assert len(got) == 1 and "CONFIG_I" in got[0]
