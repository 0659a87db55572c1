# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Live flow state for the invalid_spi event source: messages in, one event per persistent flow out.

No I/O and no asyncio here (the plugin does that), so everything below is tested message by message.

* Every message goes through the collection's syslog core (``parsers.syslog.parse_events``); a message
  that mentions the mnemonic but cannot be read is counted as malformed and skipped.
* Flows are (host, src, dst, spi), as ``invalid_spi_flows`` groups them; exact duplicates (two relays)
  count once, by ``flows.dedupe_events``; the status is ``flows.flow_status`` with the same
  ``min_repeats`` / ``min_span`` / peers as the check role, so the source and the audit cannot disagree.
* A flow's span is measured on the messages' own stamps (calendar stamps when it has any, else uptimes),
  as ``build_flows`` does. A message received over the network with no stamp at all is stamped with its
  arrival time: the collector is then the relay, like the receive time of a relay header.
* One event when a flow becomes ``persistent``; again only if it is still seen ``renotify_after``
  seconds later (a clear skipped for the cool-down gets another chance after it). Foreign and transient
  flows never raise an event.
* Bounded memory: a flow not seen for ``flow_ttl`` seconds is forgotten, and past ``max_flows`` the
  least recently seen one goes first.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from sys import intern
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Set, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, maybe_addr
from ansible_collections.netops.ipsec_spi.plugins.module_utils.flows import dedupe_events, flow_status
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog import parse_events
from ansible_collections.netops.ipsec_spi.extensions.eda.plugin_utils.invalid_spi_framing import (
    FrameError,
    to_core,
)

# The syslog core's needle: a message without it holds no INV_SPI event, whatever else it says.
NEEDLE = "PKT_INV_SPI"
# Distinct messages kept per flow to recognise a copy from a second relay (copies arrive together).
RECENT = 4

STAT_KEYS = ("messages", "inv_spi", "duplicates", "malformed", "flows_created", "expired", "evicted",
             "events", "renotified", "foreign_flows", "unresolved")


class HostMap(object):
    """Inventory names for what syslog shows: a message's host (name or address) and a sender address.

    ``hosts``: inventory name -> list of addresses, or -> ``{addresses: [...], hostname: str, peers: [...]}``
    (the peer map's shape). ``peers``: a list of known peer addresses (fleet-wide), or inventory name ->
    list (per receiver); by default the hosts' own ``peers``.
    """

    def __init__(self, hosts: Optional[Mapping[str, Any]] = None, peers: Any = None) -> None:
        self.names: Dict[str, str] = {}      # lower-case name or host name -> inventory name
        self.addresses: Dict[str, str] = {}  # normalised address -> inventory name
        self.known = hosts is not None
        for name, value in (hosts or {}).items():
            name = str(name)
            addrs: Iterable[Any] = value if isinstance(value, list) else (value or {}).get("addresses") or []
            self.names[name.lower()] = name
            hostname = value.get("hostname") if isinstance(value, Mapping) else None
            if hostname:
                self.names.setdefault(str(hostname).lower(), name)
            for addr in addrs:
                norm = maybe_addr(str(addr))
                if norm:
                    self.addresses.setdefault(norm, name)
        self.global_peers: Optional[Set[str]] = None
        self.peers: Dict[str, Set[str]] = {}
        if peers is None and any(isinstance(v, Mapping) and "peers" in v for v in (hosts or {}).values()):
            peers = {name: v.get("peers") or [] for name, v in (hosts or {}).items() if isinstance(v, Mapping)}
        if isinstance(peers, Mapping):
            for name, addrs in peers.items():
                self.peers[str(name)] = {a for a in (maybe_addr(str(x)) for x in addrs or []) if a}
            self.global_peers = set().union(*self.peers.values()) if self.peers else set()
        elif peers is not None:
            self.global_peers = {a for a in (maybe_addr(str(x)) for x in peers) if a}

    def receiver(self, host: Optional[str], dst: str) -> Optional[str]:
        """The logging router: by the name or address the message carries, else by its own destaddr."""
        if host:
            name = self.names.get(host.lower())
            if name is None and "." in host and maybe_addr(host) is None:
                name = self.names.get(host.split(".", 1)[0].lower())
            if name is None:
                norm = maybe_addr(host)
                name = self.addresses.get(norm) if norm else None
            if name is not None:
                return name
        name = self.addresses.get(dst)
        if name is None and not self.known and host and maybe_addr(host) is None:
            return host  # no map at all: trust that the router's name is its inventory name
        return name

    def sender(self, src: str) -> Optional[str]:
        return self.addresses.get(src)

    def peers_of(self, receiver: Optional[str]) -> Optional[Set[str]]:
        """Known peers for the foreign rule: the receiver's own, else the fleet's, else None (rule off)."""
        if receiver is not None and receiver in self.peers:
            return self.peers[receiver]
        return self.global_peers


class _Flow(object):
    __slots__ = ("prot", "count", "cal", "up", "recent", "seen", "emitted", "interface", "mnemonic",
                 "authoritative")

    def __init__(self, prot: int) -> None:
        self.prot = prot
        self.count = 0
        self.cal: Optional[List[Any]] = None  # [first_epoch, first_time, last_epoch, last_time]
        self.up: Optional[List[float]] = None  # [min, max] of uptime epochs
        self.recent: List[tuple] = []         # (prot, time, epoch, sequence) of the last distinct messages
        self.seen = 0.0                       # arrival time of the last message
        self.emitted: Optional[float] = None  # arrival time of the last event raised
        self.interface: Optional[str] = None
        self.mnemonic = ""
        self.authoritative = True

    def span(self) -> Optional[float]:
        if self.cal is not None:
            return float(self.cal[2] - self.cal[0])
        if self.up is not None:
            return float(self.up[1] - self.up[0])
        return None


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat(timespec="milliseconds")


class FlowTracker(object):
    """Per-flow state and the persistent-flow events (see the module doc)."""

    def __init__(self, min_repeats: int = 2, min_span: float = 50, hostmap: Optional[HostMap] = None,
                 flow_ttl: float = 3600, max_flows: int = 100000, renotify_after: float = 3600,
                 clock: Callable[[], float] = time.time) -> None:
        self.min_repeats = min_repeats
        self.min_span = min_span
        self.hostmap = hostmap or HostMap()
        self.flow_ttl = flow_ttl
        self.max_flows = max_flows
        self.renotify_after = renotify_after
        self.clock = clock
        self.flows: "OrderedDict[tuple, _Flow]" = OrderedDict()
        self.stats: Dict[str, int] = dict.fromkeys(STAT_KEYS, 0)

    # -- messages ------------------------------------------------------------------------------------
    def message(self, text: str, peer: Optional[str] = None, via: str = "", arrival: Optional[float] = None,
                stamp_missing: bool = True) -> List[Dict[str, Any]]:
        """Feed one syslog message; returns the events it raises (usually none). Never raises.

        ``peer``: the sending address (default host for a message that names none); ``arrival``: when
        it came (default now); ``stamp_missing``: stamp a message that carries no time with ``arrival``
        (network messages; not for a file read from its start).
        """
        self.stats["messages"] += 1
        if NEEDLE not in text:
            return []
        now = self.clock() if arrival is None else arrival
        problems: List[Dict[str, Any]] = []
        try:
            core, host = to_core(text, peer)
            events = parse_events(core, host=host, problems=problems)
        except (FrameError, ParseError, ValueError, TypeError, OverflowError):
            self.stats["malformed"] += 1
            return []
        if problems or not events:
            self.stats["malformed"] += 1
        out: List[Dict[str, Any]] = []
        for event in events:
            raised = self.event(event, via, now, stamp_missing)
            if raised is not None:
                out.append(raised)
        return out

    def lines(self, lines: List[str], via: str = "", arrival: Optional[float] = None) -> List[Dict[str, Any]]:
        """Feed the lines of a syslog-server file read in one go (a message wrapped onto two lines is
        read whole, as parse_events reads it); returns the events raised. Never raises."""
        self.stats["messages"] += len(lines)
        if not any(NEEDLE in line for line in lines):
            return []
        now = self.clock() if arrival is None else arrival
        problems: List[Dict[str, Any]] = []
        converted = []
        for line in lines:
            try:
                converted.append(to_core(line, None)[0] if NEEDLE in line else line)
            except FrameError:
                self.stats["malformed"] += 1
                converted.append("")
        try:
            events = parse_events(converted, problems=problems)
        except (ParseError, ValueError, TypeError, OverflowError):
            self.stats["malformed"] += 1
            return []
        self.stats["malformed"] += len(problems)
        out: List[Dict[str, Any]] = []
        for event in events:
            raised = self.event(event, via, now, stamp_missing=False)
            if raised is not None:
                out.append(raised)
        return out

    def event(self, ev: Dict[str, Any], via: str, now: float, stamp_missing: bool = True) -> Optional[Dict[str, Any]]:
        """Feed one parsed event (from parse_events); returns the event to raise, if any."""
        self.stats["inv_spi"] += 1
        if ev.get("epoch") is None and stamp_missing:
            ev = dict(ev, epoch=float(now), time=_iso(now))
        # Names and addresses repeat across flows (one receiver, many senders): keep one copy of each.
        host = ev.get("host")
        key = (None if host is None else intern(host), intern(ev["src"]), intern(ev["dst"]), ev["spi"])
        flow = self.flows.get(key)
        if flow is None:
            flow = self.flows[key] = _Flow(ev["prot"])
            self.stats["flows_created"] += 1
            if len(self.flows) > self.max_flows:
                self.flows.popitem(last=False)
                self.stats["evicted"] += 1
        else:
            self.flows.move_to_end(key)
            if flow.recent and self._is_copy(key, flow, ev):
                self.stats["duplicates"] += 1
                flow.seen = now
                return None
        self._add(flow, ev, now)
        receiver = self.hostmap.receiver(key[0], key[2])
        status = flow_status(key[1], flow.count, flow.span(), self.hostmap.peers_of(receiver),
                             self.min_repeats, self.min_span)
        if status == "foreign":
            if flow.count == 1:
                self.stats["foreign_flows"] += 1
            return None
        if status != "persistent":
            return None
        if flow.emitted is not None and not (self.renotify_after and now - flow.emitted >= self.renotify_after):
            return None
        renotified = flow.emitted is not None
        flow.emitted = now
        self.stats["renotified" if renotified else "events"] += 1
        return self._event(key, flow, receiver, via, renotified)

    @staticmethod
    def _is_copy(key: tuple, flow: _Flow, ev: Mapping[str, Any]) -> bool:
        host, src, dst, spi = key
        kept = [{"host": host, "src": src, "dst": dst, "spi": spi, "prot": p, "time": t, "epoch": e, "sequence": q}
                for p, t, e, q in flow.recent]
        new = {"host": host, "src": src, "dst": dst, "spi": spi, "prot": ev["prot"], "time": ev.get("time"),
               "epoch": ev.get("epoch"), "sequence": ev.get("sequence")}
        return len(dedupe_events(kept + [new])) == len(kept)

    @staticmethod
    def _add(flow: _Flow, ev: Mapping[str, Any], now: float) -> None:
        flow.count += 1
        flow.seen = now
        flow.recent.append((ev["prot"], ev.get("time"), ev.get("epoch"), ev.get("sequence")))
        if len(flow.recent) > RECENT:
            del flow.recent[0]
        if ev.get("interface"):
            flow.interface = intern(ev["interface"])
        if ev.get("mnemonic"):
            flow.mnemonic = intern(ev["mnemonic"])
        flow.authoritative = flow.authoritative and bool(ev.get("clock_authoritative", True))
        epoch = ev.get("epoch")
        if epoch is None:
            return
        if ev.get("time") is not None:
            cal = flow.cal
            if cal is None:
                flow.cal = [epoch, ev["time"], epoch, ev["time"]]
            elif epoch < cal[0]:
                cal[0], cal[1] = epoch, ev["time"]
            elif epoch > cal[2]:
                cal[2], cal[3] = epoch, ev["time"]
        elif flow.up is None:
            flow.up = [epoch, epoch]
        else:
            flow.up[0] = min(flow.up[0], epoch)
            flow.up[1] = max(flow.up[1], epoch)

    def _event(self, key: tuple, flow: _Flow, receiver: Optional[str], via: str, renotified: bool) -> Dict[str, Any]:
        host, src, dst, spi = key
        sender = self.hostmap.sender(src)
        cal = flow.cal
        first_epoch = cal[0] if cal else (flow.up[0] if flow.up else None)
        last_epoch = cal[2] if cal else (flow.up[1] if flow.up else None)
        data: Dict[str, Any] = {
            "kind": "persistent_flow",
            "host": host,
            "receiver": receiver,
            "sender": sender,
            "src": src,
            "dst": dst,
            "prot": flow.prot,
            "spi": spi,
            "spi_hex": "0x%08X" % spi,
            "count": flow.count,
            "first_seen": cal[1] if cal else None,
            "last_seen": cal[3] if cal else None,
            "first_epoch": first_epoch,
            "last_epoch": last_epoch,
            "span_seconds": None if flow.span() is None else round(flow.span(), 3),
            "status": "persistent",
            "clock_authoritative": flow.authoritative,
            "interface": flow.interface,
            "mnemonic": flow.mnemonic,
            "renotified": renotified,
            "via": via,
        }
        event: Dict[str, Any] = {"ipsec_spi": data}
        if receiver is not None:
            # The pair, as ansible-rulebook's limit (meta.hosts) and as the playbooks' ipsec_spi_targets.
            data["targets"] = ",".join([receiver] + ([sender] if sender and sender != receiver else []))
            event["meta"] = {"hosts": data["targets"]}
        else:
            self.stats["unresolved"] += 1
        return event

    # -- housekeeping -------------------------------------------------------------------------------
    def expire(self, now: Optional[float] = None) -> int:
        """Forget flows not seen for flow_ttl seconds; returns how many."""
        now = self.clock() if now is None else now
        limit = now - self.flow_ttl
        gone = 0
        flows = self.flows
        while flows:
            key, flow = next(iter(flows.items()))
            if flow.seen > limit:
                break
            del flows[key]
            gone += 1
        self.stats["expired"] += gone
        return gone

    def snapshot(self) -> Dict[str, Any]:
        return dict(self.stats, flows=len(self.flows))


def check_settings(min_repeats: Any, min_span: Any, flow_ttl: Any, max_flows: Any, renotify_after: Any) -> Tuple:
    """Validated (min_repeats, min_span, flow_ttl, max_flows, renotify_after); ValueError names the bad one."""
    def number(value: Any, name: str, minimum: float, integer: bool) -> Any:
        try:
            out = int(value) if integer else float(value)
        except (TypeError, ValueError):
            raise ValueError("invalid_spi: %s must be a number, not %r" % (name, value)) from None
        if out < minimum or (integer and isinstance(value, float) and value != out):
            raise ValueError("invalid_spi: %s must be %s at least %s, not %r"
                             % (name, "an integer" if integer else "a number", minimum, value))
        return out

    return (number(min_repeats, "min_repeats", 1, True), number(min_span, "min_span", 0, False),
            number(flow_ttl, "flow_ttl", 1, False), number(max_flows, "max_flows", 1, True),
            number(renotify_after, "renotify_after", 0, False))
