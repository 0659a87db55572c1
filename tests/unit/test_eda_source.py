"""The invalid_spi event source (extensions/eda): framing, flows, files, and the plugin over real sockets."""
from __future__ import annotations

import asyncio
import os
import runpy
import socket
import subprocess
import sys
import time
from typing import Any, Dict, List

import pytest

from ansible_collections.netops.ipsec_spi.extensions.eda.plugin_utils import invalid_spi_files as files
from ansible_collections.netops.ipsec_spi.extensions.eda.plugin_utils import invalid_spi_flows as flows
from ansible_collections.netops.ipsec_spi.extensions.eda.plugin_utils import invalid_spi_framing as framing

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGIN = os.path.join(ROOT, "extensions", "eda", "plugins", "event_source", "invalid_spi.py")

BODY = ("%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for destaddr={dst}, prot=50, "
        "spi=0x{spi:X}({spi}), srcaddr={src}, input interface=GigabitEthernet1")
HOSTS = {"hub": {"hostname": "hub", "addresses": ["198.51.100.1"], "peers": ["198.51.100.2", "198.51.100.3"]},
         "spoke": {"hostname": "spoke", "addresses": ["198.51.100.2"], "peers": ["198.51.100.1"]}}


def rfc3164(seq: int, minute: int, src: str = "198.51.100.2", dst: str = "198.51.100.1", spi: int = 0x1DB73BBB,
            host: str = "hub", second: str = "00.123") -> str:
    body = BODY.format(dst=dst, spi=spi, src=src)
    return "<188>%06d: %s: *Nov 29 18:%02d:%s UTC: %s" % (seq, host, minute, second, body)


def rfc5424(minute: int, src: str = "198.51.100.2", dst: str = "198.51.100.1", spi: int = 0x1DB73BBB,
            host: str = "hub", sd: str = '[meta sequenceId="7" note="a \\"quoted\\" ]"]') -> str:
    return "<188>1 2026-11-29T18:%02d:00.123Z %s - - - %s \ufeff%s" % (minute, host, sd,
                                                                       BODY.format(dst=dst, spi=spi, src=src))


def tracker(**kwargs: Any) -> flows.FlowTracker:
    return flows.FlowTracker(hostmap=flows.HostMap(HOSTS, None), **kwargs)


# ----- framing ------------------------------------------------------------------------------------------
def test_rfc5424_is_unwrapped_into_a_relay_header_the_core_reads():
    text, host = framing.to_core(rfc5424(1), "127.0.0.1")
    assert host == "hub"
    assert text.startswith("<188>2026-11-29T18:01:00.123Z hub %CRYPTO-4-RECVD_PKT_INV_SPI: decaps:")
    text, host = framing.to_core("<188>1 - - app - - - " + BODY.format(dst="198.51.100.1", spi=5, src="192.0.2.1"),
                                 "10.0.0.9")
    assert (text[:6], host) == ("<188>%", "10.0.0.9")


def test_rfc3164_and_plain_lines_go_to_the_core_unchanged():
    line = rfc3164(12, 1)
    assert framing.to_core(line, "10.0.0.9") == (line, "10.0.0.9")
    assert framing.to_core("000123: *Nov 29 18:00:00: x", None) == ("000123: *Nov 29 18:00:00: x", None)


@pytest.mark.parametrize("bad", [
    "<188>1 2026-11-29T18:01:00Z hub - - - [meta x=\"unterminated ",
    "<188>1 2026-11-29T18:01:00Z hub - - - garbage %CRYPTO-4-RECVD_PKT_INV_SPI: x",
    "<188>1 2026-11-29T18:01:00Z",
])
def test_malformed_rfc5424_headers_raise_frame_error(bad):
    with pytest.raises(framing.FrameError):
        framing.to_core(bad, None)


def test_stream_deframer_octet_counting_and_newline_framing_across_any_read_size():
    one = rfc5424(1).encode("utf-8")
    two = rfc3164(2, 2).encode()
    stream = b"%d " % len(one) + one + two + b"\r\n" + b"000123: *Nov 29 18:00:00: plain\n" + two + b"\x00"
    for size in (1, 7, 64, len(stream)):
        deframer = framing.StreamDeframer()
        got: List[str] = []
        for i in range(0, len(stream), size):
            got.extend(deframer.feed(stream[i:i + size]))
        assert got == [one.decode("utf-8").replace("\ufeff", ""), two.decode(), "000123: *Nov 29 18:00:00: plain",
                       two.decode()], size
        assert deframer.malformed == 0


def test_stream_deframer_skips_oversized_frames_and_gives_up_on_absurd_counts():
    deframer = framing.StreamDeframer(max_message=300)
    good = rfc3164(2, 2).encode()
    assert deframer.feed(b"500 " + b"x" * 500 + b"%d " % len(good) + good) == [good.decode()]
    assert deframer.malformed == 1
    assert deframer.feed(b"y" * 400) == [] and deframer.feed(b"tail\n" + good + b"\n") == [good.decode()]
    assert deframer.malformed == 2
    deframer.feed(b"12345678901 x")
    assert deframer.fatal


def test_datagram_message():
    assert framing.datagram_message(b"<13>one\n") == "<13>one"
    assert framing.datagram_message(b"<13>one\r\n\x00") == "<13>one"
    assert framing.datagram_message(b"\x00") == ""
    assert framing.datagram_message(b"\xff\xfe<13>x") == "\ufffd\ufffd<13>x"


def test_one_datagram_or_octet_counted_frame_is_one_message_never_two_lines():
    """RFC 5426 3.1 / RFC 6587 3.4.1: a line break inside is no second message (nor a wrapped one: IOS sends
    each message whole; only ``show logging`` wraps). Split, the second line would pass the per-sender rate
    limit once for both and bring its own header."""
    forged = (rfc3164(1, 1) + "\n" + rfc3164(2, 2)).encode()
    wrapped = rfc3164(1, 1).replace("invalid spi for ", "invalid spi for\n").encode()
    for payload in (forged, wrapped, forged.replace(b"\n", b"\r")):
        with pytest.raises(framing.FrameError, match="line break inside"):
            framing.datagram_message(payload)
        deframer = framing.StreamDeframer()
        good = rfc3164(3, 3).encode()
        assert deframer.feed(b"%d " % len(payload) + payload + b"%d " % len(good) + good) == [good.decode()]
        assert deframer.malformed == 1
    deframer = framing.StreamDeframer()
    assert deframer.feed(b"%d " % (len(good) + 2) + good + b"\r\n") == [good.decode()]  # a trailing line end
    assert deframer.malformed == 0


# ----- flows ----------------------------------------------------------------------------------------------
def test_one_event_when_a_flow_becomes_persistent_not_one_per_message():
    t = tracker()
    assert t.message(rfc3164(1, 1), "127.0.0.1", "udp", arrival=0.0) == []
    events = t.message(rfc3164(2, 2), "127.0.0.1", "udp", arrival=60.0)
    assert len(events) == 1
    ev = events[0]
    assert ev["meta"] == {"hosts": "hub,spoke"}
    data = ev["ipsec_spi"]
    assert (data["receiver"], data["sender"], data["targets"], data["count"], data["status"]) == (
        "hub", "spoke", "hub,spoke", 2, "persistent")
    assert (data["src"], data["dst"], data["spi"], data["spi_hex"]) == (
        "198.51.100.2", "198.51.100.1", 0x1DB73BBB, "0x1DB73BBB")
    assert data["span_seconds"] == 60.0 and data["first_seen"].endswith("18:01:00.123+00:00")
    assert data["clock_authoritative"] is False  # the '*' stamp
    for seq in range(3, 10):
        assert t.message(rfc3164(seq, seq), "127.0.0.1", "udp", arrival=60.0 * seq) == []
    assert t.snapshot()["events"] == 1 and t.snapshot()["flows"] == 1


def test_two_messages_too_close_together_stay_transient():
    t = tracker()
    t.message(rfc3164(1, 1, second="00.100"), None, "udp")
    assert t.message(rfc3164(2, 1, second="30.100"), None, "udp") == []  # 30 s < min_span


def test_a_copy_from_a_second_relay_counts_once():
    t = tracker(min_span=0)
    line = rfc3164(1, 1)
    assert t.message(line, None, "udp") == [] and t.message(line, None, "udp") == []
    assert t.snapshot()["duplicates"] == 1
    assert len(t.message(rfc3164(2, 2), None, "udp")) == 1


def test_the_copy_rule_is_dedupe_events_rule():
    """The tracker's own copy check (a tuple lookup, for speed) agrees with flows.dedupe_events."""
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.flows import dedupe_events

    base = {"host": "hub", "src": "198.51.100.2", "dst": "198.51.100.1", "spi": 7, "prot": 50}
    stamps = [("2026-11-29T18:01:00+00:00", 1795975260.0, 5), ("2026-11-29T18:01:00+00:00", 1795975260.0, None),
              (None, 3600.0, None), (None, 3600.5, None), (None, None, None), (None, None, 9), (None, 7200.0, 3)]
    for first in stamps:
        for second in stamps:
            one, two = [dict(base, time=t, epoch=e, sequence=q) for t, e, q in (first, second)]
            flow = flows._Flow(50, 0.0, False)
            flow.recent.append(flows.FlowTracker._stamp(one))
            copy = flows.FlowTracker._is_copy(flow, flows.FlowTracker._stamp(two))
            assert copy == (len(dedupe_events([one, two])) == 1), (first, second)


def test_foreign_and_transient_flows_raise_nothing():
    t = tracker()
    for minute in range(1, 6):
        assert t.message(rfc3164(minute, minute, src="192.0.2.66", spi=0x0BADF00D), None, "udp",
                         arrival=60.0 * minute) == []
    assert t.message(rfc3164(9, 9, spi=0x0C0FFEE), None, "udp", arrival=600.0) == []  # a single message: transient
    stats = t.snapshot()
    # a foreign flow keeps no state (it can never raise an event): its messages are counted
    assert (stats["foreign"], stats["events"], stats["flows"]) == (5, 0, 1)


def test_trusting_message_hosts_without_peers_nothing_is_foreign_and_the_message_host_names_the_receiver():
    t = flows.FlowTracker(hostmap=flows.HostMap(None, None, trust_message_hosts=True))
    t.message(rfc3164(1, 1, src="192.0.2.66"), None, "udp", arrival=0.0)
    ev = t.message(rfc3164(2, 2, src="192.0.2.66"), None, "udp", arrival=60.0)[0]["ipsec_spi"]
    assert (ev["receiver"], ev["sender"], ev["targets"]) == ("hub", None, "hub")


def test_receiver_found_by_fqdn_address_or_its_own_destaddr_and_unknown_ones_get_no_targets():
    hostmap = flows.HostMap(HOSTS, None)
    assert hostmap.receiver("hub.example.net", "203.0.113.9") == "hub"
    assert hostmap.receiver("198.51.100.1", "203.0.113.9") == "hub"
    assert hostmap.receiver(None, "198.51.100.1") == "hub"
    assert hostmap.receiver("10.9.9.9", "203.0.113.9") is None
    t = tracker()
    t.message(rfc3164(1, 1, host="edge7", dst="203.0.113.9"), None, "udp", arrival=0.0)
    assert t.message(rfc3164(2, 2, host="edge7", dst="203.0.113.9"), None, "udp", arrival=60.0) == []
    assert t.snapshot()["unresolved"] == 2 and t.snapshot()["flows"] == 0


def test_a_network_message_without_any_stamp_is_timed_by_its_arrival():
    t = tracker()
    plain = "<188>" + BODY.format(dst="198.51.100.1", spi=7, src="198.51.100.2")
    assert t.message(plain, "hub", "udp", arrival=1000.0) == []
    ev = t.message(plain, "hub", "udp", arrival=1061.0)
    assert len(ev) == 1 and ev[0]["ipsec_spi"]["span_seconds"] == 61.0
    # read from a file, the same lines have no time: never persistent (the safe side, as invalid_spi_flows)
    t = tracker()
    assert t.message(plain, "hub", "file", 1000.0, stamp_missing=False) == []
    assert t.message(plain, "hub", "file", 1061.0, stamp_missing=False) == []


def test_a_flow_still_seen_after_renotify_after_raises_again():
    t = tracker(renotify_after=600)
    t.message(rfc3164(1, 1), None, "udp", arrival=0.0)
    assert len(t.message(rfc3164(2, 2), None, "udp", arrival=60.0)) == 1
    assert t.message(rfc3164(3, 3), None, "udp", arrival=120.0) == []
    again = t.message(rfc3164(13, 13), None, "udp", arrival=700.0)
    assert len(again) == 1 and again[0]["ipsec_spi"]["renotified"] is True


def test_old_flows_expire_and_the_flow_count_is_bounded():
    clock = [0.0]
    t = tracker(flow_ttl=300, max_flows=50, clock=lambda: clock[0])
    for i in range(80):
        clock[0] = float(i)
        t.message(rfc3164(1, 1, spi=0x1000 + i), None, "udp")
    stats = t.snapshot()
    assert (stats["flows"], stats["evicted"], stats["flows_created"]) == (50, 30, 80)
    assert t.expire(now=79 + 300 - 10) == 40  # seen at 30..69
    assert t.expire(now=10_000) == 10 and t.snapshot()["flows"] == 0


@pytest.mark.parametrize("junk", [
    "garbage with PKT_INV_SPI in it",
    "<188>000001: *Nov 29 18:01:00.123 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: decaps: destaddr=nonsense, spi=zz",
    "<188>1 2026-11-29T18:01:00Z hub - - - [unterminated PKT_INV_SPI",
    "\x00\x01\x02 PKT_INV_SPI \ud800",
    "<188>" + "9" * 5000 + ": %CRYPTO-4-RECVD_PKT_INV_SPI: " + "x" * 100000,
])
def test_malformed_messages_are_counted_and_skipped(junk):
    t = tracker()
    assert t.message(junk, "127.0.0.1", "udp") == []
    assert t.snapshot()["malformed"] == 1
    assert t.message("<189>ordinary noise %SYS-5-CONFIG_I: Configured", None, "udp") == []
    assert t.snapshot()["malformed"] == 1 and t.snapshot()["messages"] == 2


def test_settings_are_checked():
    assert flows.check_settings("3", 50, 3600, 10, 0) == (3, 50.0, 3600.0, 10, 0.0)
    for bad in (("x", 50, 1, 1, 0), (0, 50, 1, 1, 0), (2, -1, 1, 1, 0), (2, 50, 1, 2.5, 0)):
        with pytest.raises(ValueError, match="invalid_spi: "):
            flows.check_settings(*bad)


# ----- files ------------------------------------------------------------------------------------------
def test_file_following_from_the_end_through_rename_and_copytruncate_rotation(tmp_path):
    path = tmp_path / "routers.log"
    path.write_text("old line before start\n")
    follower = files.FileFollower(str(path))
    assert follower.poll() == []
    with open(path, "a") as handle:
        handle.write("one\ntw")
    assert follower.poll() == ["one"]
    with open(path, "a") as handle:
        handle.write("o\nlast of the old file")
    os.rename(path, tmp_path / "routers.log.1")          # logrotate: rename, then a new file
    assert follower.poll() == ["two"]                      # the unfinished last line waits
    path.write_text("first of the new file\n")
    assert follower.poll() == ["first of the new file"]    # the old file did not grow: its fragment is cut
    assert follower.cut == 1 and follower.cut_bytes == len("last of the old file")
    path.write_text("after copytruncate\n")                # shorter than what was read: start again
    assert follower.poll() == ["after copytruncate"]
    assert follower.rotations == 2
    follower.close()


def test_a_line_cut_mid_write_at_rotation_never_becomes_an_event(tmp_path):
    """The old file ends in half a message (spi=0x1DB7 of 0x1DB73BBB): it is reported, never parsed."""
    path = tmp_path / "routers.log"
    path.write_text("")
    follower = files.FileFollower(str(path))
    follower.poll()
    whole = rfc3164(1, 1)
    with open(path, "a") as handle:
        handle.write(whole + "\n" + whole[:whole.index("spi=0x") + 10])
    assert follower.poll() == [whole]
    os.rename(path, tmp_path / "routers.log.1")
    path.write_text("")
    assert follower.poll() == []
    assert follower.poll() == [] and follower.cut == 1
    follower.close()


def test_a_line_finished_in_the_old_file_after_rename_is_read_whole(tmp_path):
    """rsyslog writes on into the renamed file until logrotate's HUP: the old file is read while it grows."""
    path = tmp_path / "routers.log"
    old = tmp_path / "routers.log.1"
    path.write_text("")
    follower = files.FileFollower(str(path))
    follower.poll()
    with open(path, "a") as handle:
        handle.write("one\ntw")
    assert follower.poll() == ["one"]
    os.rename(path, old)
    path.write_text("new 1\n")
    assert follower.poll() == ["new 1"]
    with open(old, "a") as handle:
        handle.write("o\nthree\n")
    with open(path, "a") as handle:
        handle.write("new 2\n")
    assert follower.poll() == ["two", "three", "new 2"]    # the old file's lines first
    assert follower.poll() == [] and follower.cut == 0
    follower.close()


def test_copytruncate_and_removal_report_the_unfinished_line(tmp_path):
    path = tmp_path / "routers.log"
    path.write_text("")
    follower = files.FileFollower(str(path))
    follower.poll()
    with open(path, "a") as handle:
        handle.write("a complete line\nhalf a li")
    assert follower.poll() == ["a complete line"]
    path.write_text("ne\n")                                # copytruncate: the rest went to the copy
    assert follower.poll() == ["ne"]
    assert follower.cut == 1 and follower.cut_bytes == len("half a li")
    with open(path, "a") as handle:
        handle.write("again half")
    assert follower.poll() == []
    os.remove(path)
    assert follower.poll() == [] and follower.cut == 1     # a writer may still finish it: one more poll
    assert follower.poll() == [] and follower.cut == 2
    follower.close()


def test_file_following_skips_over_long_lines(tmp_path):
    path = tmp_path / "f.log"
    path.write_text("")
    follower = files.FileFollower(str(path), max_line=50)
    follower.poll()
    with open(path, "a") as handle:
        handle.write("x" * 200)
    assert follower.poll() == []
    with open(path, "a") as handle:
        handle.write("x" * 10 + "\nshort\n")
    assert follower.poll() == ["short"] and follower.malformed == 1


def test_a_file_that_appears_later_is_read_from_its_start(tmp_path):
    path = tmp_path / "late.log"
    follower = files.FileFollower(str(path))
    assert follower.poll() == []
    path.write_text("hello\n")
    assert follower.poll() == ["hello"]


# ----- the plugin over real sockets ---------------------------------------------------------------
def _plugin() -> Dict[str, Any]:
    return runpy.run_path(PLUGIN)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        tcp.bind(("127.0.0.1", 0))
        port = tcp.getsockname()[1]
        udp.bind(("127.0.0.1", port))
        return port


class _Queue(asyncio.Queue):  # type: ignore[type-arg]
    """ansible-rulebook gives a source a queue of size 1."""

    def __init__(self) -> None:
        super().__init__(1)


def run_source(args: Dict[str, Any], send, expect: int, timeout: float = 10) -> Dict[str, Any]:
    """Start the plugin's main(), call send(port) in a thread, collect `expect` events (or time out)."""
    module = _plugin()
    port = _free_port()
    args = dict(args)
    args.setdefault("min_arrival_span", 0)  # messages a few ms apart: the arrival rule has its own tests

    async def go() -> Dict[str, Any]:
        queue = _Queue()
        source = module["Source"](queue, dict(args, port=port))
        task = asyncio.ensure_future(source.run())
        for _attempt in range(200):
            if len(source.servers) == len(args.get("protocols", ["udp", "tcp"])):
                break
            await asyncio.sleep(0.01)
        loop = asyncio.get_running_loop()
        sender = loop.run_in_executor(None, send, port)
        got: List[Dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(got) < expect and time.monotonic() < deadline:
            try:
                got.append(await asyncio.wait_for(queue.get(), 0.2))
            except asyncio.TimeoutError:
                if task.done():
                    break
        await sender
        await asyncio.sleep(0.2)
        while not queue.empty():
            got.append(queue.get_nowait())
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        return {"events": got, "stats": source.tracker.snapshot(), "error": None}

    return asyncio.run(go())


def _udp(port: int, messages: List[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for message in messages:
            sock.sendto(message.encode("utf-8"), ("127.0.0.1", port))
            time.sleep(0.005)


def _tcp(port: int, payload: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(payload)


def test_plugin_udp_rfc3164_and_rfc5424_raise_one_event_each():
    # two pairs: events for one pair waiting together are coalesced into one (test_eda_security.py)
    spoke = {"host": "spoke", "src": "198.51.100.1", "dst": "198.51.100.2"}
    messages = [rfc3164(1, 1, **spoke), "<13>not a syslog message at all", rfc3164(2, 2, **spoke),
                rfc3164(3, 3, **spoke), rfc5424(1, spi=0xAAAA, host="hub.example.net"),
                rfc5424(2, spi=0xAAAA, host="hub.example.net"), "\xff PKT_INV_SPI \x00 junk"]
    out = run_source({"protocols": ["udp"], "hosts": HOSTS}, lambda port: _udp(port, messages), expect=2)
    assert [e["ipsec_spi"]["spi"] for e in out["events"]] == [0x1DB73BBB, 0xAAAA]
    assert [e["meta"]["hosts"] for e in out["events"]] == ["spoke,hub", "hub,spoke"]
    assert out["events"][1]["ipsec_spi"]["host"] == "hub.example.net"
    assert out["stats"]["malformed"] == 1 and out["stats"]["messages"] == 7


def test_plugin_tcp_octet_counted_and_newline_framed():
    counted = rfc5424(1).encode("utf-8"), rfc5424(2).encode("utf-8")
    payload = b"".join(b"%d " % len(m) + m for m in counted)
    spoke = {"host": "spoke", "src": "198.51.100.1", "dst": "198.51.100.2", "spi": 0xBBBB}  # another pair
    payload += (rfc3164(5, 5, **spoke) + "\n" + rfc3164(6, 6, **spoke) + "\n").encode()
    out = run_source({"protocols": ["tcp"], "hosts": HOSTS}, lambda port: _tcp(port, payload), expect=2)
    assert [e["ipsec_spi"]["spi"] for e in out["events"]] == [0x1DB73BBB, 0xBBBB]
    assert out["events"][0]["ipsec_spi"]["via"].startswith("tcp 127.0.0.1:")


def test_plugin_one_frame_or_datagram_holding_two_lines_raises_nothing():
    """Both of a flow's messages in one frame would make it persistent from one frame (one rate-limit token)."""
    two = (rfc3164(1, 1) + "\n" + rfc3164(2, 2)).encode()

    def send(port: int) -> None:
        _tcp(port, b"%d " % len(two) + two)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(two, ("127.0.0.1", port))
        time.sleep(0.3)

    out = run_source({"hosts": HOSTS}, send, expect=1, timeout=2)
    assert out["events"] == []
    assert out["stats"]["malformed"] == 2 and out["stats"]["inv_spi"] == 0


def test_plugin_survives_a_hostile_tcp_peer_and_keeps_serving():
    def send(port: int) -> None:
        _tcp(port, b"99999999999999 " + b"z" * 1000)                   # absurd count: connection closed
        _tcp(port, b"\x00\xff" * 40000 + b"\n" + b"70000 " + b"q" * 70000)  # oversized frames skipped
        _tcp(port, (rfc3164(1, 1) + "\n" + rfc3164(2, 2) + "\n").encode())

    out = run_source({"protocols": ["tcp"], "hosts": HOSTS}, send, expect=1)
    assert len(out["events"]) == 1
    assert out["stats"]["malformed"] >= 2


def test_plugin_follows_a_file_and_emits_stats(tmp_path):
    path = tmp_path / "routers.log"
    path.write_text("")

    def send(_port: int) -> None:
        time.sleep(0.3)
        with open(path, "a") as handle:
            handle.write("Nov 29 18:01:00 hub.example.net %s\n" % rfc3164(1, 1)[5:])
            handle.write("Nov 29 18:02:00 hub.example.net %s\n" % rfc3164(2, 2)[5:])

    out = run_source({"protocols": [], "files": [str(path)], "hosts": HOSTS, "poll_interval": 0.05,
                      "stats_interval": 0.0}, send, expect=1, timeout=5)
    assert [e["ipsec_spi"]["targets"] for e in out["events"]] == ["hub,spoke"]
    assert out["events"][0]["ipsec_spi"]["via"] == "file %s" % path


def test_plugin_never_reads_the_cut_last_line_of_a_rotated_file(tmp_path):
    """A message from .23 cut at rotation after ``srcaddr=198.51.100.2`` would make .2's flow persistent."""
    path = tmp_path / "routers.log"
    path.write_text("")
    line = "Nov 29 18:%02d:00 hub.example.net %s"

    def send(_port: int) -> None:
        time.sleep(0.3)
        with open(path, "a") as handle:
            handle.write(line % (1, rfc3164(1, 1)[5:]) + "\n")
            second = line % (2, rfc3164(2, 2, src="198.51.100.23")[5:])
            handle.write(second[:second.index("198.51.100.23") + len("198.51.100.2")])
        time.sleep(0.2)
        os.rename(path, str(path) + ".1")
        path.write_text("")
        time.sleep(0.5)

    out = run_source({"protocols": [], "files": [str(path)], "hosts": HOSTS, "poll_interval": 0.05},
                     send, expect=1, timeout=2)
    assert out["events"] == []
    assert out["stats"]["cut_lines"] == 1 and out["stats"]["inv_spi"] == 1


def test_plugin_rejects_bad_arguments_with_a_clear_message(tmp_path):
    module = _plugin()
    with pytest.raises(ValueError, match="min_span"):
        module["Source"](_Queue(), {"min_span": "soon"})
    with pytest.raises(ValueError, match="peer_map .* cannot be read"):
        module["Source"](_Queue(), {"peer_map": str(tmp_path / "missing.json")})
    with pytest.raises(ValueError, match="protocols"):
        asyncio.run(module["Source"](_Queue(), {"protocols": ["sctp"], "hosts": HOSTS}).run())
    with pytest.raises(ValueError, match="nothing to read"):
        asyncio.run(module["Source"](_Queue(), {"protocols": [], "hosts": HOSTS}).run())
    for name, value in (("max_bytes", 10), ("source_rate", -1), ("tcp_idle_timeout", 0), ("max_connections", "many"),
                        ("trust_message_hosts", "yes"), ("trusted_senders", "10.0.0.1"),
                        ("trusted_senders", ["fe80::1%eth0"]), ("min_arrival_span", "soon")):
        with pytest.raises(ValueError, match="invalid_spi: .*%s" % name.split("_", maxsplit=1)[0]):
            module["Source"](_Queue(), {"hosts": HOSTS, name: value})


def test_peer_map_file_is_read_and_its_peers_drive_the_foreign_rule(tmp_path):
    import json

    path = tmp_path / "map.json"
    path.write_text(json.dumps({"hosts": HOSTS}))
    module = _plugin()
    source = module["Source"](_Queue(), {"peer_map": str(path)})
    hostmap = source.tracker.hostmap
    assert hostmap.sender("198.51.100.2") == "spoke"
    assert hostmap.peers_of("hub") == {"198.51.100.2", "198.51.100.3"}
    assert hostmap.peers_of("unknown") == {"198.51.100.1", "198.51.100.2", "198.51.100.3"}


def test_the_plugin_finds_its_collection_when_run_by_path_like_ansible_rulebook():
    """ansible-rulebook runs the file with runpy and no ansible_collections on sys.path."""
    collections = os.environ.get("ANSIBLE_COLLECTIONS_PATH", os.path.join(ROOT, ".tmp", "collections"))
    installed = os.path.join(collections.split(os.pathsep)[0], "ansible_collections", "netops", "ipsec_spi",
                             "extensions", "eda", "plugins", "event_source", "invalid_spi.py")
    if not os.path.exists(installed):
        pytest.skip("the collection is not linked under ANSIBLE_COLLECTIONS_PATH (scripts/env.sh does it)")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ANSIBLE_COLLECTIONS_PATH")}
    code = ("import runpy, sys; m = runpy.run_path(%r); "
            "print(m['_flows'].__name__, 'ansible_collections.netops' in sys.modules)" % installed)
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                          check=False, cwd="/")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["ansible_collections.netops.ipsec_spi.extensions.eda.plugin_utils.invalid_spi_flows",
                                   "True"]


def test_file_lines_are_read_together_so_a_wrapped_message_counts():
    t = tracker()
    first = rfc3164(1, 1)[5:]
    head, tail = first.split(" destaddr=")
    lines = ["Nov 29 18:01:00 hub " + head, "destaddr=" + tail, "Nov 29 18:02:00 hub " + rfc3164(2, 2)[5:],
             "Nov 29 18:02:01 hub %SYS-5-CONFIG_I: Configured from console"]
    assert t.lines(lines[:2], "file x", arrival=0.0) == []
    events = t.lines(lines[2:], "file x", arrival=60.0)
    assert [e["ipsec_spi"]["count"] for e in events] == [2]
    assert t.snapshot()["malformed"] == 0 and t.snapshot()["messages"] == 4
    # all in one read (a backlog read at start): the messages did not span a minute in arrival time
    t = tracker()
    assert t.lines(lines, "file x", arrival=0.0) == []
    # one message at a time the wrapped one cannot be read: counted, skipped
    t = tracker()
    assert t.message(lines[0], None, "udp") == [] and t.snapshot()["malformed"] == 1
