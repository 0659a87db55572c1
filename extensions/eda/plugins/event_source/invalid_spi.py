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
    flows raise nothing.
  - Memory is bounded (flows expire, and past O(max_flows) the least recently seen goes); malformed
    messages are counted and skipped, never fatal.
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
        written by C(extensions/eda/playbooks/peer_map.yml). Re-read when it changes. Without it (and
        without O(hosts)), a message's host name is taken as the inventory name and no sender is known.
    type: str
  hosts:
    description:
      - Inventory host -> list of its addresses, or C({addresses, hostname, peers}) as in O(peer_map); merged
        over O(peer_map).
    type: dict
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
  flow_ttl:
    description: Seconds after which a flow no message has been seen for is forgotten.
    type: float
    default: 3600
  max_flows:
    description: Most flows kept; past it the least recently seen is forgotten.
    type: int
    default: 100000
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
    host: 0.0.0.0
    port: 5514
    peer_map: /var/lib/eda/ipsec_spi_peer_map.json
    files:
      - /var/log/network/routers.log
"""

logger = logging.getLogger("netops.ipsec_spi.invalid_spi")
# Events raised but not yet taken by the rulebook; far above any real burst of new black holes.
PENDING = 10000


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
        self.peer_map = args.get("peer_map") or None
        self.map_mtime: Optional[float] = None
        self.tracker = _flows.FlowTracker(*settings[:2], hostmap=self.hostmap(),
                                          flow_ttl=settings[2], max_flows=settings[3], renotify_after=settings[4])
        self.servers: List[Any] = []
        # Listeners call handle() synchronously; events wait here for the rulebook (bounded).
        self.pending: "asyncio.Queue[Dict[str, Any]]" = asyncio.Queue(PENDING)

    # -- the host map ---------------------------------------------------------------------------------
    def hostmap(self) -> Any:
        """The HostMap from peer_map (file) with hosts / peers (arguments) over it."""
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
        return _flows.HostMap(hosts if (self.peer_map or given is not None) else None, peers)

    async def watch_map(self) -> None:
        while self.peer_map:
            await asyncio.sleep(5)
            try:
                mtime = os.stat(self.peer_map).st_mtime
                if mtime != self.map_mtime:
                    self.tracker.hostmap = self.hostmap()
                    logger.info("invalid_spi: peer map %s reloaded", self.peer_map)
            except (OSError, ValueError) as exc:
                logger.warning("invalid_spi: keeping the previous peer map: %s", exc)

    # -- messages -----------------------------------------------------------------------------------
    def handle(self, text: str, peer: Optional[str], via: str) -> None:
        """One network message (a message without any stamp is timed by its arrival)."""
        try:
            events = self.tracker.message(text, peer, via, time.time())
        except Exception:  # one message must never stop the source; it is counted and logged
            self.tracker.stats["malformed"] += 1
            logger.exception("invalid_spi: message from %s skipped", via)
            return
        self._raise(events)

    def _raise(self, events: List[Dict[str, Any]]) -> None:
        for event in events:
            data = event["ipsec_spi"]
            logger.info("invalid_spi: persistent flow %s -> %s spi %s on %s", data["src"], data["dst"],
                        data["spi_hex"], data.get("targets") or data["host"])
            try:
                self.pending.put_nowait(event)
            except asyncio.QueueFull:
                self.tracker.stats["dropped_events"] = self.tracker.stats.get("dropped_events", 0) + 1
                logger.error("invalid_spi: %d events waiting for the rulebook; this one is dropped", PENDING)

    def handle_lines(self, lines: List[str], via: str) -> None:
        """A file's new lines, parsed together so that a message wrapped onto two lines is read whole."""
        try:
            events = self.tracker.lines(lines, via, time.time())
        except Exception:  # as handle(): never stop the source
            self.tracker.stats["malformed"] += 1
            logger.exception("invalid_spi: lines from %s skipped", via)
            return
        self._raise(events)

    async def pump(self) -> None:
        """Hands the events to ansible-rulebook's queue (size 1: it waits while a rule's action runs)."""
        while True:
            await self.queue.put(await self.pending.get())

    # -- transports ---------------------------------------------------------------------------------
    async def udp(self, host: str, port: int) -> None:
        source = self

        class Protocol(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: Any) -> None:
                via = "udp %s:%d from %s" % (host, port, addr[0])
                for text in _framing.datagram_messages(data):
                    source.handle(text, addr[0], via)

            def error_received(self, exc: Exception) -> None:
                logger.debug("invalid_spi: udp error %s", exc)

        loop = asyncio.get_running_loop()
        transport, _proto = await loop.create_datagram_endpoint(Protocol, local_addr=(host, port))
        self.servers.append(transport)

    async def tcp(self, host: str, port: int) -> None:
        async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            peer = (writer.get_extra_info("peername") or ("?",))[0]
            via = "tcp %s:%d from %s" % (host, port, peer)
            deframer = _framing.StreamDeframer()
            try:
                while True:
                    data = await reader.read(65536)
                    if not data:
                        break
                    for text in deframer.feed(data):
                        self.handle(text, peer, via)
                    self.tracker.stats["malformed"] += deframer.malformed
                    deframer.malformed = 0
                    if deframer.fatal:
                        logger.warning("invalid_spi: closing %s: %s", via, deframer.fatal)
                        break
            except (ConnectionError, OSError) as exc:
                logger.debug("invalid_spi: %s: %s", via, exc)
            finally:
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
                try:
                    self.pending.put_nowait({"ipsec_spi_stats": self.tracker.snapshot()})
                except asyncio.QueueFull:
                    pass  # statistics are the first thing to give up under pressure

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


async def main(queue: Any, args: Dict[str, Any]) -> None:
    """ansible-rulebook entry point."""
    await Source(queue, args or {}).run()


if __name__ == "__main__":

    class MockQueue(asyncio.Queue):  # type: ignore[type-arg]
        """Prints the events (python invalid_spi.py [port])."""

        async def put(self, item: Any) -> None:
            print(item)  # noqa: T201

    asyncio.run(main(MockQueue(), {"port": int(sys.argv[1]) if len(sys.argv) > 1 else 5514}))
