# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-rulebook event source: persistent invalid-SPI flows from syslog (see DOCUMENTATION)."""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import sys
import time
from typing import Any, Dict, List, Optional

DOCUMENTATION = r"""
---
short_description: Persistent IPsec invalid-SPI flows from router syslog
description:
  - Listens for syslog over UDP and TCP (RFC 3164 and RFC 5424 messages; RFC 6587 octet-counted or
    newline framing on TCP) and/or follows syslog-server files (rotation-safe), reads every message with the
    collection's own syslog parser, and keeps per-flow state (receiver, src, dst, spi) with the same
    transient / persistent / foreign rules as the C(netops.ipsec_spi.invalid_spi_flows) filter.
  - Puts one event on the queue when a flow becomes persistent (not one per message), with the pair to
    remediate in C(meta.hosts) (ansible-rulebook's limit) and C(ipsec_spi.targets). Foreign and transient
    flows, and flows whose receiver is not in the map, raise nothing.
  - Syslog is unauthenticated. Only inventory names from the peer map (required) and plain addresses reach
    an event; a flow whose receiver is not in the map, or whose sender is no known peer, keeps no state.
  - Floods are bounded (docs/eda.md, threat model): per-sender and new-flow rate limits, eviction by tier,
    a byte bound, a per-pair coalescing queue, a TCP connection cap and idle timeout. Malformed messages
    are counted and skipped, never fatal; warnings are rate-limited.
options:
  host:
    description: Address to listen on.
    type: str
    default: 127.0.0.1
  port:
    description: UDP and TCP port to listen on (unprivileged by default; 514 needs root or a capability).
    type: int
    default: 5514
  protocols:
    description: Which listeners to open; an empty list listens on nothing (files only).
    type: list
    elements: str
    choices: [udp, tcp]
    default: [udp, tcp]
  files:
    description: Syslog-server files to follow (rotation by rename or copytruncate is handled).
    type: list
    elements: str
    default: []
  from_beginning:
    description: Read the files from their start instead of only what is written after the source starts.
    type: bool
    default: false
  peer_map:
    description:
      - YAML or JSON file mapping each inventory host to its own addresses, host name and known peers, as
        written by C(extensions/eda/playbooks/peer_map.yml). Re-read when it changes (a map that cannot be
        read or checked keeps the previous one). Required, or O(hosts): the source fails at start without a
        map, because only names from it may reach an event (syslog is unauthenticated).
      - Every host name must be a plain inventory name (letters, digits, C(.), C(_), C(-); not C(all),
        C(ungrouped) or C(localhost)) and every address a plain IPv4/IPv6 address without a scope id.
    type: str
  hosts:
    description:
      - Inventory host -> list of its addresses, or C({addresses, hostname, peers}) as in O(peer_map); merged
        over O(peer_map). Counts as the map.
    type: dict
  trust_message_hosts:
    description:
      - Opt-in, only for a collector on a trusted network: without any map, take the host a message names as
        the inventory name (still only a plain name, never C(all), a pattern or a list). A forged message can
        then name any inventory host; docs/eda.md, threat model.
    type: bool
    default: false
  trusted_senders:
    description:
      - Sending addresses (a syslog relay) whose messages go first under a flood, as the mapped routers' own
        addresses do. Trust here is priority, not authentication (a UDP source address can be forged).
    type: list
    elements: str
    default: []
  peers:
    description:
      - Known peer addresses for the foreign rule, a list for the whole fleet or a dict per receiver.
        Default from O(peer_map). Without any, no flow is foreign.
    type: raw
  min_repeats:
    description: Messages a flow needs to be persistent (the check role's C(ipsec_spi_min_repeats)).
    type: int
    default: 2
  min_span:
    description: Seconds those messages must span (C(ipsec_spi_min_span); the message is rate-limited to one a minute).
    type: float
    default: 50
  min_arrival_span:
    description:
      - Seconds between the arrival of a flow's first message and the one that makes it persistent. A forged
        copy of the next minute's message sent right after the first cannot trigger early. Default O(min_span).
    type: float
  flow_ttl:
    description: Seconds after which a flow no message has been seen for is forgotten.
    type: float
    default: 3600
  max_flows:
    description:
      - Most flows kept; past it one goes, lowest tier first (untrusted one-message flows, untrusted flows
        seen twice, trusted one-message flows, trusted flows seen twice), least recently seen first.
    type: int
    default: 100000
  max_bytes:
    description:
      - Memory bound of the flow table in bytes, at the measured worst size of a flow (2,048 B); the table
        holds at most O(max_bytes) / 2,048 flows. The default holds 102,400, so O(max_flows) decides.
    type: int
    default: 209715200
  source_rate:
    description: INV_SPI messages per second accepted from one sending address (before parsing).
    type: float
    default: 100
  source_burst:
    description: Burst of O(source_rate).
    type: float
    default: 1000
  new_flow_rate:
    description:
      - New flows per second accepted from senders that are not trusted (all of them together). With the
        default 500/s and burst 5,000, a two-minute flood creates at most 65,000 flows, under O(max_flows):
        a real flow's first message is not evicted before its second.
    type: float
    default: 500
  new_flow_burst:
    description: Burst of O(new_flow_rate).
    type: float
    default: 5000
  max_pending:
    description: Pairs whose event waits for the rulebook (events for a waiting pair are coalesced into it).
    type: int
    default: 256
  max_connections:
    description:
      - Most TCP connections at once (at most half the open-file limit); a new one closes the longest idle.
    type: int
    default: 256
  tcp_idle_timeout:
    description: Seconds without data after which a TCP connection is closed (routers reconnect to send).
    type: float
    default: 600
  renotify_after:
    description: Seconds after an event before a flow still seen raises another one; 0 never.
    type: float
    default: 3600
  stats_interval:
    description: Seconds between C(ipsec_spi_stats) events (counters); 0 for none.
    type: float
    default: 0
"""

EXAMPLES = r"""
- netops.ipsec_spi.invalid_spi:
    host: 192.0.2.10          # the collector's address on the management network, not 0.0.0.0
    port: 5514
    peer_map: /var/lib/eda/ipsec_spi_peer_map.json
    files:
      - /var/log/network/routers.log
"""

logger = logging.getLogger("netops.ipsec_spi.invalid_spi")
# Seconds between two warnings of one kind; the ones in between are counted and told with the next.
WARN_EVERY = 10.0


class _Warnings(object):
    """Rate-limited warnings: a flood of bad input must not become a flood of log lines."""

    def __init__(self) -> None:
        self.last: Dict[str, float] = {}
        self.suppressed: Dict[str, int] = {}

    def __call__(self, kind: str, message: str, *args: Any) -> None:
        now = time.monotonic()
        if now - self.last.get(kind, -WARN_EVERY) < WARN_EVERY:
            self.suppressed[kind] = self.suppressed.get(kind, 0) + 1
            return
        self.last[kind] = now
        more = self.suppressed.pop(kind, 0)
        logger.warning("invalid_spi: " + message + (" (%d more like it not logged)" % more if more else ""), *args)


def _collection_modules() -> Any:
    """The support modules, importing the collection from where this file lies when it is not on sys.path.

    ansible-rulebook runs a source by file path (runpy), so ``ansible_collections`` is importable only if
    the collections directory happens to be on sys.path; the directory holding this collection is.
    """
    names = ("invalid_spi_flows", "invalid_spi_files", "invalid_spi_framing")
    prefix = "ansible_collections.netops.ipsec_spi.extensions.eda.plugin_utils."
    try:
        return [importlib.import_module(prefix + n) for n in names]
    except ImportError:
        here = os.path.dirname(os.path.abspath(__file__))
        root = os.path.abspath(os.path.join(here, *[os.pardir] * 7))
        if os.path.basename(os.path.abspath(os.path.join(here, *[os.pardir] * 6))) != "ansible_collections":
            raise
        sys.path.append(root)
        importlib.invalidate_caches()
        return [importlib.import_module(prefix + n) for n in names]


_flows, _files, _framing = _collection_modules()


class Source(object):
    """The running source: tracker, listeners, followers, and the queue it feeds."""

    def __init__(self, queue: Any, args: Dict[str, Any]) -> None:
        self.queue = queue
        self.args = args
        settings = _flows.check_settings(args.get("min_repeats", 2), args.get("min_span", 50),
                                         args.get("flow_ttl", 3600), args.get("max_flows", 100000),
                                         args.get("renotify_after", 3600))
        number = _flows.check_number
        arrival = args.get("min_arrival_span")
        self.peer_map = args.get("peer_map") or None
        self.trust_message_hosts = args.get("trust_message_hosts", False)
        if not isinstance(self.trust_message_hosts, bool):
            raise ValueError("invalid_spi: trust_message_hosts must be true or false, not %r" % (self.trust_message_hosts,))
        trusted = args.get("trusted_senders") or []
        if not isinstance(trusted, list):
            raise ValueError("invalid_spi: trusted_senders must be a list of addresses")
        self.map_mtime: Optional[float] = None
        self.tracker = _flows.FlowTracker(
            *settings[:2], hostmap=self.hostmap(), flow_ttl=settings[2], max_flows=settings[3],
            renotify_after=settings[4],
            min_arrival_span=None if arrival in (None, "") else number(arrival, "min_arrival_span", 0, False),
            max_bytes=number(args.get("max_bytes", _flows.DEFAULT_MAX_BYTES), "max_bytes", _flows.FLOW_BYTES, True),
            source_rate=number(args.get("source_rate", 100), "source_rate", 0, False),
            source_burst=number(args.get("source_burst", 1000), "source_burst", 1, False),
            new_flow_rate=number(args.get("new_flow_rate", 500), "new_flow_rate", 0, False),
            new_flow_burst=number(args.get("new_flow_burst", 5000), "new_flow_burst", 1, False),
            trusted_senders=trusted)
        self.max_connections = min(number(args.get("max_connections", 256), "max_connections", 1, True),
                                   _fd_budget())
        self.idle_timeout = number(args.get("tcp_idle_timeout", 600), "tcp_idle_timeout", 0.01, False)
        self.servers: List[Any] = []
        self.connections: "Dict[Any, float]" = {}  # writer -> monotonic time of its last data
        self.peak_connections = 0
        self.warn = _Warnings()
        # Listeners call handle() synchronously; events wait here for the rulebook (bounded, one per pair).
        self.pending = _flows.PendingEvents(number(args.get("max_pending", 256), "max_pending", 1, True))
        self.wakeup = asyncio.Event()

    # -- the host map ---------------------------------------------------------------------------------
    def hostmap(self) -> Any:
        """The HostMap from peer_map (file) with hosts / peers (arguments) over it; ValueError without one."""
        hosts: Dict[str, Any] = {}
        if self.peer_map:
            import yaml  # ansible-rulebook's own dependency

            try:
                self.map_mtime = os.stat(self.peer_map).st_mtime
                with open(self.peer_map, "r", encoding="utf-8") as handle:
                    data = yaml.safe_load(handle) or {}
                hosts.update(data.get("hosts") or {})
            except (OSError, ValueError, AttributeError, TypeError, yaml.YAMLError) as exc:
                raise ValueError("invalid_spi: peer_map %s cannot be read: %s" % (self.peer_map, exc)) from None
        given = self.args.get("hosts")
        if given is not None:
            if not isinstance(given, dict):
                raise ValueError("invalid_spi: hosts must be a mapping of inventory host -> addresses")
            hosts.update(given)
        peers = self.args.get("peers")
        if peers is not None and not isinstance(peers, (list, dict)):
            raise ValueError("invalid_spi: peers must be a list of addresses or a mapping host -> list")
        if not hosts:
            if self.trust_message_hosts and not self.peer_map and given is None:
                return _flows.HostMap(None, peers, trust_message_hosts=True)
            raise ValueError("invalid_spi: a peer map is required (peer_map: the file written by "
                             "extensions/eda/playbooks/peer_map.yml, or hosts:)%s; only inventory names from it "
                             "reach an event (docs/eda.md, threat model)"
                             % (": %s has no hosts" % self.peer_map if self.peer_map else ""))
        return _flows.HostMap(hosts, peers)

    async def watch_map(self) -> None:
        while self.peer_map:
            await asyncio.sleep(5)
            try:
                mtime = os.stat(self.peer_map).st_mtime
                if mtime != self.map_mtime:
                    self.tracker.hostmap = self.hostmap()
                    logger.info("invalid_spi: peer map %s reloaded", self.peer_map)
            except (OSError, ValueError) as exc:
                self.warn("map", "keeping the previous peer map: %s", exc)

    # -- messages -----------------------------------------------------------------------------------
    def handle(self, text: str, peer: Optional[str], via: str) -> None:
        """One network message (a message without any stamp is timed by its arrival)."""
        try:
            events = self.tracker.message(text, peer, via, time.time())
        except Exception as exc:  # one message must never stop the source; counted, told now and then
            self.tracker.stats["malformed"] += 1
            self.warn("message", "a message from %s was skipped: %s: %s", via, type(exc).__name__, str(exc)[:200])
            return
        self._raise(events)

    def _raise(self, events: List[Dict[str, Any]]) -> None:
        for event in events:
            data = event["ipsec_spi"]
            outcome = self.pending.put(event)
            if outcome == "dropped":
                self.warn("dropped", "%d pairs wait for the rulebook; an event for %s was dropped",
                          len(self.pending), data["targets"])
                continue
            logger.info("invalid_spi: persistent flow %s -> %s spi %s on %s (%s)", data["src"], data["dst"],
                        data["spi_hex"], data["targets"], outcome)
            self.wakeup.set()

    def handle_lines(self, lines: List[str], via: str) -> None:
        """A file's new lines, parsed together so that a message wrapped onto two lines is read whole."""
        try:
            events = self.tracker.lines(lines, via, time.time())
        except Exception as exc:  # as handle(): never stop the source
            self.tracker.stats["malformed"] += 1
            self.warn("lines", "lines from %s were skipped: %s: %s", via, type(exc).__name__, str(exc)[:200])
            return
        self._raise(events)

    async def pump(self) -> None:
        """Hands the events to ansible-rulebook's queue (size 1: it waits while a rule's action runs)."""
        while True:
            event = self.pending.get()
            if event is None:
                self.wakeup.clear()
                await self.wakeup.wait()
                continue
            await self.queue.put(event)

    # -- transports ---------------------------------------------------------------------------------
    async def udp(self, host: str, port: int) -> None:
        source = self

        class Protocol(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: Any) -> None:
                via = "udp %s:%d from %s" % (host, port, addr[0])
                try:
                    text = _framing.datagram_message(data)
                except _framing.FrameError as exc:
                    source.tracker.stats["messages"] += 1
                    source.tracker.stats["malformed"] += 1
                    source.warn("datagram", "a datagram from %s was skipped: %s", addr[0], exc)
                    return
                if text:
                    source.handle(text, addr[0], via)

            def error_received(self, exc: Exception) -> None:
                logger.debug("invalid_spi: udp error %s", exc)

        loop = asyncio.get_running_loop()
        transport, _proto = await loop.create_datagram_endpoint(Protocol, local_addr=(host, port))
        self.servers.append(transport)

    def _admit(self, writer: Any, via: str) -> None:
        """Count a new connection in; at the cap, the longest idle one is closed to make room."""
        while len(self.connections) >= self.max_connections:
            oldest = min(self.connections, key=self.connections.__getitem__)
            del self.connections[oldest]
            oldest.close()
            self.tracker.stats["tcp_evicted"] += 1
            self.warn("tcp_cap", "%d TCP connections open (max_connections); the longest idle one was closed for %s",
                      self.max_connections, via)
        self.connections[writer] = time.monotonic()
        self.peak_connections = max(self.peak_connections, len(self.connections))

    async def tcp(self, host: str, port: int) -> None:
        async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            peer = (writer.get_extra_info("peername") or ("?",))[0]
            via = "tcp %s:%d from %s" % (host, port, peer)
            self._admit(writer, via)
            deframer = _framing.StreamDeframer()
            try:
                while writer in self.connections:
                    try:
                        data = await asyncio.wait_for(reader.read(65536), self.idle_timeout)
                    except asyncio.TimeoutError:
                        self.tracker.stats["tcp_idle_closed"] += 1
                        break
                    if not data:
                        break
                    if writer in self.connections:
                        self.connections[writer] = time.monotonic()
                    for text in deframer.feed(data):
                        self.handle(text, peer, via)
                    self.tracker.stats["malformed"] += deframer.malformed
                    deframer.malformed = 0
                    if deframer.fatal:
                        self.warn("tcp_fatal", "closing %s: %s", via, deframer.fatal)
                        break
            except (ConnectionError, OSError) as exc:
                logger.debug("invalid_spi: %s: %s", via, exc)
            finally:
                self.connections.pop(writer, None)
                writer.close()

        server = await asyncio.start_server(client, host, port)
        self.servers.append(server)

    async def follow(self, path: str) -> None:
        follower = _files.FileFollower(path, bool(self.args.get("from_beginning", False)))
        via = "file %s" % path
        try:
            while True:
                lines = follower.poll()
                if lines:
                    self.handle_lines(lines, via)
                self.tracker.stats["malformed"] += follower.malformed
                follower.malformed = 0
                if follower.cut:
                    self.tracker.stats["cut_lines"] += follower.cut
                    self.warn("cut", "%s: the unfinished last line of a file left at rotation, truncation or "
                              "removal (%d bytes) was not read", via, follower.cut_bytes)
                    follower.cut = follower.cut_bytes = 0
                await asyncio.sleep(float(self.args.get("poll_interval", 0.5)))
        finally:
            follower.close()

    async def housekeeping(self) -> None:
        interval = float(self.args.get("stats_interval", 0) or 0)
        last_stats = time.monotonic()
        while True:
            await asyncio.sleep(min(10.0, max(1.0, self.tracker.flow_ttl / 10)))
            self.tracker.expire()
            if interval and time.monotonic() - last_stats >= interval:
                last_stats = time.monotonic()
                if self.queue.empty():  # statistics are the first thing to give up under pressure
                    self.queue.put_nowait({"ipsec_spi_stats": dict(self.tracker.snapshot(), pending=len(self.pending),
                                                                   **{"pending_" + k: v for k, v in self.pending.stats.items()})})

    def _quiet_accept_errors(self, loop: Any) -> None:
        """asyncio logs a traceback for every failed accept (out of file descriptors): one warning now and then."""
        previous = loop.get_exception_handler()

        def handler(the_loop: Any, context: Dict[str, Any]) -> None:
            if str(context.get("message", "")).startswith("socket.accept() out of system resource"):
                self.warn("accept", "cannot accept TCP connections: %s", context.get("exception"))
                return
            if previous is not None:
                previous(the_loop, context)
            else:
                the_loop.default_exception_handler(context)

        loop.set_exception_handler(handler)

    async def run(self) -> None:
        host = str(self.args.get("host", "127.0.0.1"))
        port = int(self.args.get("port", 5514))
        protocols = self.args.get("protocols", ["udp", "tcp"])
        if isinstance(protocols, str):
            protocols = [p.strip() for p in protocols.split(",") if p.strip()]
        bad = [p for p in protocols if p not in ("udp", "tcp")]
        if bad:
            raise ValueError("invalid_spi: protocols may be udp and tcp, not %s" % ", ".join(map(str, bad)))
        files = self.args.get("files") or []
        if isinstance(files, str):
            files = [files]
        if not protocols and not files:
            raise ValueError("invalid_spi: nothing to read: give protocols and/or files")
        self._quiet_accept_errors(asyncio.get_running_loop())
        if "udp" in protocols:
            await self.udp(host, port)
        if "tcp" in protocols:
            await self.tcp(host, port)
        logger.info("invalid_spi: listening on %s %s:%d, following %d file(s)", "+".join(protocols), host, port,
                    len(files))
        tasks = [asyncio.ensure_future(self.follow(str(p))) for p in files]
        tasks += [asyncio.ensure_future(self.housekeeping()), asyncio.ensure_future(self.watch_map()),
                  asyncio.ensure_future(self.pump())]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            for server in self.servers:
                server.close()
            for writer in list(self.connections):
                writer.close()


def _fd_budget() -> int:
    """Half the soft open-file limit: connections must never starve the rest of the process of descriptors."""
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):
        return 256
    return max(1, soft // 2) if soft > 0 else 256


async def main(queue: Any, args: Dict[str, Any]) -> None:
    """ansible-rulebook entry point."""
    await Source(queue, args or {}).run()


if __name__ == "__main__":

    class MockQueue(asyncio.Queue):  # type: ignore[type-arg]
        """Prints the events (python invalid_spi.py [port])."""

        async def put(self, item: Any) -> None:
            print(item)  # noqa: T201

    # python invalid_spi.py PORT PEER_MAP
    asyncio.run(main(MockQueue(), {"port": int(sys.argv[1]) if len(sys.argv) > 1 else 5514,
                                   "peer_map": sys.argv[2] if len(sys.argv) > 2 else ""}))
