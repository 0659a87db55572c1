"""The invalid_spi event source under attack: forged host names, scope ids, floods, idle TCP connections.

Syslog is unauthenticated (docs/eda.md, threat model): every test here feeds what a spoofer can send and
checks that nothing of it reaches a template or a --limit, and that a real desync still gets its event.
Floods are fed to the pure parts with chosen arrival times (deterministic, no clock); the two socket tests
run at a modest rate and assert on counts and states, never on elapsed time.
"""
from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import re
import runpy
import socket
import time
import tracemalloc
from typing import Any, Dict, List

import pytest

from ansible_collections.netops.ipsec_spi.extensions.eda.plugin_utils import invalid_spi_flows as flows

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGIN = os.path.join(ROOT, "extensions", "eda", "plugins", "event_source", "invalid_spi.py")

BODY = ("%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for destaddr={dst}, prot=50, "
        "spi=0x{spi:X}({spi}), srcaddr={src}, input interface={ifc}")
HOSTS = {"hub": {"hostname": "hub", "addresses": ["198.51.100.1"], "peers": ["198.51.100.2", "198.51.100.3"]},
         "spoke": {"hostname": "spoke", "addresses": ["198.51.100.2"], "peers": ["198.51.100.1"]}}
HUB, SPOKE, ATTACKER = "198.51.100.1", "198.51.100.2", "203.0.113.66"
REAL_SPI = 0x1DB73BBB
PWN = "all,{{lookup('pipe','touch${IFS}/tmp/pwned')}}"
HOSTILE_NAMES = [PWN, "all", "ALL", "hub,spoke", "{{ x }}", "{%raw%}", "web*", "!hub", "&hub", "~.*", "hub[0:1]",
                 "localhost", "ungrouped", "-hub", "hub\n", "hub:spoke", "a" * 64, "hüb", "hub spoke", "hub;id"]
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")


def msg(minute: int, host: str = "hub", src: str = SPOKE, dst: str = HUB, spi: int = REAL_SPI, seq: int = 0,
        ifc: str = "GigabitEthernet1") -> str:
    body = BODY.format(dst=dst, spi=spi, src=src, ifc=ifc)
    return "<188>%06d: %s: Nov 29 2026 18:%02d:00.123 UTC: %s" % (seq or minute, host, minute, body)


def relay(minute: int, relay_host: str, **kwargs: Any) -> str:
    """As a relay writes it: its own RFC 3164 header with the host it names, no origin host of the router."""
    body = BODY.format(dst=kwargs.get("dst", HUB), spi=kwargs.get("spi", REAL_SPI), src=kwargs.get("src", SPOKE),
                       ifc="GigabitEthernet1")
    return "<188>Nov 29 18:%02d:00 %s %s" % (minute, relay_host, body)


def tracker(**kwargs: Any) -> flows.FlowTracker:
    return flows.FlowTracker(hostmap=kwargs.pop("hostmap", flows.HostMap(HOSTS, None)), **kwargs)


def check_event(event: Dict[str, Any]) -> None:
    """Every value a rulebook may pass on is a validated name or a formatted integer."""
    data = event["ipsec_spi"]
    names = data["targets"].split(",")
    assert 1 <= len(names) <= 2 and all(NAME_RE.fullmatch(n) for n in names), data["targets"]
    assert not {n.lower() for n in names} & {"all", "ungrouped", "localhost"}
    assert data["receiver"] == names[0] and event["meta"] == {"hosts": data["targets"]}
    assert re.fullmatch(r"0x[0-9A-F]{8}", data["spi_hex"])
    for field in ("src", "dst"):
        assert flows.plain_address(data[field]) == data[field]


# ----- 1. forged host names never become a target, a limit or a path ---------------------------------
@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_are_not_inventory_names(name):
    assert flows.inventory_name(name) is None


def test_plain_inventory_names_are():
    for name in ("hub", "spoke-1", "r1.example.net", "EDGE_7", "10.0.0.1", "a" * 63):
        assert flows.inventory_name(name) == name


@pytest.mark.parametrize("text", ["fe80::1%eth0", "fe80::1%x\nclear crypto sa", "::%\rclear crypto session",
                                  "198.51.100.1\n", " 198.51.100.1", "198.51.100.01", "1.2.3", "", "::ffff:1.2.3.4%1"])
def test_addresses_are_plain_ipv4_or_ipv6_without_scope(text):
    assert flows.plain_address(text) is None


def test_plain_addresses_are_canonical():
    assert flows.plain_address("198.51.100.1") == "198.51.100.1"
    assert flows.plain_address("2001:DB8:0::1") == "2001:db8::1"


def _forged_events(t: flows.FlowTracker, name: str) -> List[Dict[str, Any]]:
    events: List[Dict[str, Any]] = []
    for minute, arrival in ((1, 0.0), (2, 60.0), (3, 120.0)):
        events += t.message(relay(minute, name, dst="203.0.113.9"), ATTACKER, "udp", arrival=arrival)
        events += t.message(msg(minute, host=name, dst="203.0.113.9", spi=9), ATTACKER, "udp", arrival=arrival)
    for event in events:  # a name that contains a plain one ("hub spoke") may be read as that plain name
        check_event(event)
    return events


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_forged_relay_host_raises_no_event_with_a_peer_map(name):
    events = _forged_events(tracker(), name)
    assert all(set(e["ipsec_spi"]["targets"].split(",")) <= {"hub", "spoke"} for e in events)
    if not re.search(r"hub|spoke", name):
        assert events == []


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_trusting_message_hosts_still_refuses_hostile_names(name):
    events = _forged_events(tracker(hostmap=flows.HostMap(None, None, trust_message_hosts=True)), name)
    assert not any(name in e["ipsec_spi"]["targets"].split(",") for e in events)
    if name in (PWN, "all", "ALL", "{{ x }}", "{%raw%}", "localhost", "ungrouped", "a" * 64, "web*", "~.*"):
        assert events == []


def test_trusting_message_hosts_names_a_plain_host():
    t = tracker(hostmap=flows.HostMap(None, None, trust_message_hosts=True))
    t.message(relay(1, "edge7", dst="203.0.113.9"), ATTACKER, "udp", arrival=0.0)
    (event,) = t.message(relay(2, "edge7", dst="203.0.113.9"), ATTACKER, "udp", arrival=60.0)
    check_event(event)
    assert event["ipsec_spi"]["targets"] == "edge7"


def test_without_a_map_nothing_is_resolved_unless_trusted_explicitly():
    t = flows.FlowTracker()
    t.message(relay(1, "edge7"), ATTACKER, "udp", arrival=0.0)
    assert t.message(relay(2, "edge7"), ATTACKER, "udp", arrival=60.0) == []
    assert t.snapshot()["unresolved"] == 2


def test_a_scope_id_in_a_message_raises_no_event():
    t = tracker(hostmap=flows.HostMap(None, None, trust_message_hosts=True))
    for minute, arrival in ((1, 0.0), (2, 60.0), (3, 120.0)):
        assert t.message(msg(minute, src="fe80::1%x"), HUB, "udp", arrival=arrival) == []
        assert t.message(msg(minute, dst="fe80::2%eth0", spi=5), HUB, "udp", arrival=arrival) == []
    assert t.snapshot()["events"] == 0 and t.snapshot()["flows"] == 0


def test_an_event_carries_only_validated_values():
    t = tracker()
    hostile_ifc = "Gi1{{7*7}}"
    t.message(msg(1, ifc=hostile_ifc), HUB, "udp", arrival=0.0)
    (event,) = t.message(msg(2, ifc=hostile_ifc), HUB, "udp", arrival=60.0)
    check_event(event)
    assert event["ipsec_spi"]["interface"] is None
    assert event["ipsec_spi"]["targets"] == "hub,spoke"


@pytest.mark.parametrize("hosts", [{"all": ["198.51.100.9"]}, {PWN: ["198.51.100.9"]}, {"a,b": ["198.51.100.9"]},
                                   {"hub": ["fe80::1%eth0"]}, {"hub": {"addresses": ["198.51.100.9\n"]}},
                                   {"hub": {"addresses": [], "peers": ["10.0.0.1%x"]}},
                                   {"hub": {"addresses": [], "hostname": "{{x}}"}}])
def test_a_peer_map_with_a_pattern_or_a_scoped_address_is_refused(hosts):
    with pytest.raises(ValueError, match="invalid_spi: peer map"):
        flows.HostMap(hosts, None)


class _Queue(asyncio.Queue):  # type: ignore[type-arg]
    def __init__(self) -> None:
        super().__init__(1)


@pytest.mark.parametrize("args", [{}, {"peer_map": ""}, {"peer_map": "", "hosts": None}, {"hosts": {}}])
def test_the_source_refuses_to_start_without_a_peer_map(args):
    module = runpy.run_path(PLUGIN)
    with pytest.raises(ValueError, match="invalid_spi: a peer map is required"):
        module["Source"](_Queue(), args)


def test_the_source_refuses_a_peer_map_file_without_hosts(tmp_path):
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"generated": "x", "hosts": {}}))
    module = runpy.run_path(PLUGIN)
    with pytest.raises(ValueError, match="invalid_spi: a peer map is required"):
        module["Source"](_Queue(), {"peer_map": str(path)})


def test_the_source_opt_in_without_a_map_is_explicit():
    module = runpy.run_path(PLUGIN)
    source = module["Source"](_Queue(), {"trust_message_hosts": True})
    assert source.tracker.hostmap.trust_message_hosts is True


# ----- 2. floods ------------------------------------------------------------------------------------------
def _parsed(spi: int, minute: int = 1, src: str = SPOKE) -> Dict[str, Any]:
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog import parse_events

    (ev,) = parse_events(msg(minute, src=src, spi=spi))
    return ev


def _flood(t: flows.FlowTracker, count: int, start: float, rate: float, repeat: int = 1) -> None:
    """`count` distinct forged flows on the real pair (random-looking SPIs), from an untrusted sender."""
    base = _parsed(1)
    for n in range(count):
        for r in range(repeat):
            ev = dict(base, spi=0x40000000 + n, epoch=base["epoch"] + 60 * r, sequence=n * 4 + r)
            t.event(ev, "udp", start + n / rate, trusted=False)


def test_113000_forged_flows_do_not_evict_a_real_first_message_from_a_trusted_sender():
    t = tracker(new_flow_rate=1e9, new_flow_burst=1e9)  # the eviction order alone
    assert t.message(msg(1), HUB, "udp", arrival=0.0) == []
    _flood(t, 113000, 0.1, 2000.0)
    assert t.snapshot()["evicted"] >= 13000
    (event,) = t.message(msg(2), HUB, "udp", arrival=60.0)
    check_event(event)
    assert event["ipsec_spi"]["spi"] == REAL_SPI


def test_forged_flows_seen_twice_still_go_before_a_trusted_first_message():
    t = tracker(new_flow_rate=1e9, new_flow_burst=1e9, max_flows=1000)
    t.message(msg(1), HUB, "udp", arrival=0.0)
    _flood(t, 3000, 0.1, 2000.0, repeat=2)
    assert len(t.message(msg(2), HUB, "udp", arrival=60.0)) == 1


def test_flows_seen_twice_are_kept_over_one_message_flows():
    t = tracker(new_flow_rate=1e9, new_flow_burst=1e9, max_flows=100)
    base = _parsed(1)
    t.event(dict(base, spi=7, sequence=1), "udp", 0.0, trusted=False)
    t.event(dict(base, spi=7, sequence=2, epoch=base["epoch"] + 10), "udp", 1.0, trusted=False)
    _flood(t, 5000, 2.0, 2000.0)
    assert t.flow("hub", SPOKE, HUB, 7).count == 2


def test_forged_flows_from_untrusted_senders_are_rate_limited_before_they_evict():
    """The 113,000-flow flood scaled down 100 times (flows, rates, bound): the same arithmetic, 100 times less CPU."""
    t = tracker(max_flows=1000, new_flow_rate=5, new_flow_burst=50)
    assert t.message(msg(1), "192.0.2.200", "udp", arrival=0.0) == []  # the real router is not trusted here
    _flood(t, 1130, 0.1, 20.0)
    stats = t.snapshot()
    assert stats["evicted"] == 0 and stats["rate_limited"] >= 1130 - 50 - 5 * 57
    assert len(t.message(msg(2), "192.0.2.200", "udp", arrival=60.0)) == 1


def test_the_default_new_flow_limit_keeps_two_minutes_of_flood_under_max_flows():
    t = tracker()
    assert t.new_flow_burst + 120 * t.new_flow_rate < t.max_flows


def test_one_sender_is_rate_limited_per_source():
    t = tracker()
    for n in range(20000):
        t.message(msg(1, spi=0x50000000 + n), ATTACKER, "udp", arrival=n / 2000.0)
    stats = t.snapshot()
    assert stats["rate_limited"] >= 20000 - t.source_burst - 10 * t.source_rate
    assert t.message(msg(1), HUB, "udp", arrival=10.0) == []  # another sender is not held back
    assert len(t.message(msg(2), HUB, "udp", arrival=70.0)) == 1


def test_a_forged_second_message_right_after_the_first_does_not_trigger_early():
    t = tracker()
    assert t.message(msg(1, seq=1), HUB, "udp", arrival=0.0) == []
    assert t.message(msg(2, seq=2), ATTACKER, "udp", arrival=0.5) == []   # the forged copy: stamp +60 s
    assert t.message(msg(3, seq=3), ATTACKER, "udp", arrival=1.0) == []
    # the real second message is an exact copy of the forged one; it arrives a minute after the first
    (event,) = t.message(msg(2, seq=2), HUB, "udp", arrival=60.0)
    assert event["ipsec_spi"]["spi"] == REAL_SPI and event["ipsec_spi"]["renotified"] is False


def test_pending_events_coalesce_per_pair_and_a_trusted_event_goes_first():
    pending = flows.PendingEvents(max_pending=16)

    def ev(targets: str, spi: int, trusted: bool) -> Dict[str, Any]:
        return {"ipsec_spi": {"targets": targets, "spi": spi, "trusted": trusted}, "meta": {"hosts": targets}}

    outcomes = [pending.put(ev("hub,spoke", n, False)) for n in range(1000)]
    outcomes += [pending.put(ev("hub,r%d" % n, n, False)) for n in range(100)]
    assert outcomes.count("coalesced") == 999 and len(pending) == 16
    assert pending.put(ev("br,hub", 7, True)) == "queued"
    assert len(pending) == 16
    first = pending.get()
    assert first["ipsec_spi"]["targets"] == "br,hub"
    second = pending.get()
    assert second["ipsec_spi"]["targets"] == "hub,spoke" and second["ipsec_spi"]["coalesced"] == 999
    assert pending.stats["dropped"] >= 85


# ----- memory in bytes --------------------------------------------------------------------------------
def worst_size_flows(count: int) -> int:
    """Bytes (tracemalloc) taken by `count` flows of the worst size: distinct IPv6 senders and receivers, a
    63-character receiver name, the longest interface kept, every recent slot full, long sequence numbers."""
    t = flows.FlowTracker(hostmap=flows.HostMap(None, None, trust_message_hosts=True),
                          new_flow_rate=1e9, new_flow_burst=1e9, renotify_after=0)
    base = _parsed(1)
    ifc = "GigabitEthernet" + "0/" * 24 + "1"
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(count):
            tail = (n >> 16 | 0x1000, n & 0xffff | 0x1000, 0xabcd, 0xef01, 0x2345)
            src = "2001:db8:ffff:%x:%x:%x:%x:%x" % tail
            dst = "2001:db8:fffe:%x:%x:%x:%x:%x" % tail
            host = "r%062d" % n
            for r in range(flows.RECENT):
                t.event(dict(base, host=host, src=src, dst=dst, spi=0xFFFFFFFF - n, interface=ifc, epoch=base["epoch"] + r,
                             sequence=10 ** 15 + r, time="2026-11-29T18:01:0%d.123456+10:30" % r), "udp", float(r))
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(t.flows) == count and t.snapshot()["evicted"] == 0
    assert all(len(f.recent) == flows.RECENT and f.interface == ifc for f in t.flows.values())
    assert t.bytes_estimate() >= used, (used / count, flows.FLOW_BYTES)
    return used


def test_worst_size_flows_stay_under_the_per_flow_bound():
    """The 100,000-flow run is `make bench` (benchmarks/bench_eda_flood.py): tracemalloc makes it take minutes."""
    used = worst_size_flows(1000)
    assert used <= 1000 * flows.FLOW_BYTES
    assert 100000 * flows.FLOW_BYTES <= flows.DEFAULT_MAX_BYTES


def test_max_bytes_bounds_the_flow_count():
    t = tracker(max_bytes=10 * flows.FLOW_BYTES, new_flow_rate=1e9, new_flow_burst=1e9)
    _flood(t, 50, 0.0, 2000.0)
    assert len(t.flows) == 10 and t.snapshot()["evicted"] == 40


# ----- the plugin: logs, TCP, a flood over real sockets --------------------------------------------------
def test_a_failing_message_logs_a_rate_limited_warning_not_a_traceback_each(caplog):
    module = runpy.run_path(PLUGIN)
    source = module["Source"](_Queue(), {"hosts": HOSTS})

    def boom(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("boom")

    source.tracker.message = boom
    with caplog.at_level(logging.DEBUG, logger="netops.ipsec_spi.invalid_spi"):
        for dummy in range(10000):
            source.handle("x PKT_INV_SPI", "127.0.0.1", "udp")
    assert source.tracker.stats["malformed"] == 10000
    assert 1 <= len(caplog.records) <= 3
    assert not any(r.exc_info for r in caplog.records)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        tcp.bind(("127.0.0.1", 0))
        port = tcp.getsockname()[1]
        udp.bind(("127.0.0.1", port))
        return port


async def _started(source: Any, listeners: int) -> Any:
    task = asyncio.ensure_future(source.run())
    for _attempt in range(500):
        if len(source.servers) == listeners or task.done():
            break
        await asyncio.sleep(0.01)
    return task


async def _stop(task: Any) -> None:
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass


def test_idle_tcp_connections_beyond_the_cap_are_closed_and_an_honest_sender_gets_through():
    module = runpy.run_path(PLUGIN)
    port = _free_port()

    def attack_then_send() -> Dict[str, Any]:
        idle: List[socket.socket] = []
        for dummy in range(40):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.settimeout(20)
            idle.append(sock)
        closed = 0
        for sock in idle:  # each is closed by the source (cap or idle timeout): EOF or a reset
            try:
                closed += sock.recv(1) == b""
            except socket.timeout:
                pass
            except ConnectionError:
                closed += 1
            sock.close()
        payload = (msg(1, seq=1) + "\n").encode()
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(payload)
            time.sleep(0.6)
            sock.sendall((msg(2, seq=2) + "\n").encode())
            time.sleep(0.2)
        return {"closed": closed}

    async def go() -> Dict[str, Any]:
        queue = _Queue()
        source = module["Source"](queue, {"protocols": ["tcp"], "port": port, "hosts": HOSTS, "max_connections": 4,
                                          "tcp_idle_timeout": 2.0, "min_arrival_span": 0.5})
        task = await _started(source, 1)
        sent = asyncio.get_running_loop().run_in_executor(None, attack_then_send)
        event = await asyncio.wait_for(queue.get(), 60)
        result = await sent
        await _stop(task)
        return {"event": event, "peak": source.peak_connections, "evicted": source.tracker.stats["tcp_evicted"],
                "idle_closed": source.tracker.stats["tcp_idle_closed"], **result}

    out = asyncio.run(go())
    assert out["closed"] == 40
    assert out["peak"] <= 4
    assert out["evicted"] + out["idle_closed"] >= 40
    assert out["event"]["ipsec_spi"]["spi"] == REAL_SPI


def test_udp_flood_on_loopback_keeps_memory_bounded_and_the_real_desync_is_raised():
    """Forged messages from 127.0.0.1 at up to 2,000/s for a bounded count; the real router (trusted, sending
    from 127.0.0.2) logs its desync three times in the middle of it. Stops by itself."""
    module = runpy.run_path(PLUGIN)
    port = _free_port()
    hosts = dict(HOSTS, hub=dict(HOSTS["hub"], addresses=[HUB, "127.0.0.2"]))
    forged = 6000

    def send() -> int:
        sent = 0
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as attacker, \
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as router:
            router.bind(("127.0.0.2", 0))
            for n in range(forged):
                spi = 0x40000000 + n
                # distinct one-message flows on the real pair, and forged flows seen again minutes later
                # (persistent: forged events for the same pair as the real one)
                text = msg(1 + n % 50, spi=spi) if n % 3 else msg(1 + n // 600, spi=0x60000000 + (n // 3) % 200)
                attacker.sendto(text.encode(), ("127.0.0.1", port))
                sent += 1
                if n in (1000, 3000, 5000):  # once a "minute", as IOS does; any two raise the event
                    time.sleep(0.6)
                    router.sendto(msg(n // 2000 + 1, seq=n).encode(), ("127.0.0.1", port))
                if n % 20 == 0:
                    time.sleep(0.01)
        return sent

    async def go() -> Dict[str, Any]:
        queue = _Queue()
        source = module["Source"](queue, {"protocols": ["udp"], "port": port, "hosts": hosts, "min_arrival_span": 0.5,
                                          "max_flows": 2000})
        task = await _started(source, 1)
        sender = asyncio.get_running_loop().run_in_executor(None, send)
        events: List[Dict[str, Any]] = []
        while not sender.done() or not queue.empty():
            try:
                events.append(await asyncio.wait_for(queue.get(), 0.2))
            except asyncio.TimeoutError:
                pass
        await sender
        await asyncio.sleep(0.3)
        while not queue.empty():
            events.append(queue.get_nowait())
        await _stop(task)
        return {"events": events, "stats": source.tracker.snapshot(), "bytes": source.tracker.bytes_estimate(),
                "max_bytes": source.tracker.max_bytes}

    out = asyncio.run(go())
    real = [e for e in out["events"] if e["ipsec_spi"]["spi"] == REAL_SPI]
    assert real, out["stats"]
    check_event(real[0])
    assert out["stats"]["flows"] <= 2000 and out["bytes"] <= out["max_bytes"]
    assert out["stats"]["messages"] >= 1000  # the flood did reach the source
