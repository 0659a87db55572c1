# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Live flow state for the invalid_spi event source: messages in, one event per persistent flow out.

No I/O and no asyncio here (the plugin does that), so everything below is tested message by message.

* Every message goes through the collection's syslog core (``parsers.syslog.parse_events``); a message
  that mentions the mnemonic but cannot be read is counted as malformed and skipped.
* Syslog is unauthenticated (docs/eda.md, threat model). Nothing a message says reaches an event unchecked:
  the receiver and sender are inventory names from the peer map (``inventory_name``'s grammar, never
  ``all`` or a pattern), addresses are plain IPv4/IPv6 without a scope id (``plain_address``), and a
  message that names no mapped receiver, or a sender that is no known peer (foreign), keeps no state.
* Flows are (receiver, src, dst, spi); exact duplicates (two relays) count once, by
  ``flows.dedupe_events``' rule (tested against it); the status is ``flows.flow_status`` with the same ``min_repeats`` /
  ``min_span`` / peers as the check role, so the source and the audit cannot disagree. The span must also
  hold in arrival time (``min_arrival_span``): a forged "next minute" message sent right after the first
  cannot trigger early.
* A flow's span is measured on the messages' own stamps (calendar stamps when it has any, else uptimes),
  as ``build_flows`` does. A message received over the network with no stamp at all is stamped with its
  arrival time: the collector is then the relay, like the receive time of a relay header.
* One event when a flow becomes ``persistent``; again only if it is still seen ``renotify_after``
  seconds later. Foreign and transient flows never raise an event.
* Floods: a token bucket per sending address (before parsing) and one for the new flows of senders that
  are not trusted (trusted: an address of a mapped router, a ``trusted_senders`` relay, a followed file).
  Eviction goes by tier: untrusted one-message flows first, then untrusted flows seen twice, then trusted
  one-message flows, then trusted flows seen twice; least recently seen first within a tier.
* Bounded memory in bytes: ``FLOW_BYTES`` is the measured worst size of a flow (every field at its
  longest, see tests/unit/test_eda_security.py); the table holds at most ``max_bytes // FLOW_BYTES``.
"""

from __future__ import annotations

import ipaddress
import math
import re
import time
from collections import OrderedDict
from functools import lru_cache
from sys import intern
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Set, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.flows import (
    check_options,
    flow_record,
    flow_status,
    flow_times,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog import parse_events
from ansible_collections.netops.ipsec_spi.extensions.eda.plugin_utils.invalid_spi_framing import (
    FrameError,
    to_core,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError

# The syslog core's needle: a message without it holds no INV_SPI event, whatever else it says.
NEEDLE = "PKT_INV_SPI"
# Distinct messages kept per flow to recognise a copy from a second relay (copies arrive together).
RECENT = 4

# An inventory host name as the event may carry it: no Ansible pattern character (, : ! & * ~ [ ] space),
# no template character ({ } %), no leading '-' (an option); the names that select more than one host
# (or the controller) are refused as well.
HOST_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
RESERVED_NAMES = frozenset(("all", "ungrouped", "localhost"))
# Only the characters of a plain IPv4/IPv6 address: no scope id (%), no white space.
_ADDRESS_RE = re.compile(r"[0-9A-Fa-f:.]{2,45}")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_CANONICAL_V4_RE = re.compile(r"%s(?:\.%s){3}" % (_OCTET, _OCTET))
_INTERFACE_RE = re.compile(r"[A-Za-z][A-Za-z0-9/._:-]{0,63}")
_TIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:[+-][0-9]{2}:[0-9]{2}|Z)?")

STAT_KEYS = ("messages", "inv_spi", "duplicates", "malformed", "refused", "flows_created", "expired", "evicted",
             "events", "renotified", "foreign", "unresolved", "rate_limited", "tcp_evicted", "tcp_idle_closed",
             "cut_lines")

# Worst size of one flow in bytes: tracemalloc measured 1,773 B per flow over flows whose every field is at
# its longest (distinct IPv6 src and dst, a 63-character receiver, the longest interface kept, RECENT
# messages with long sequence numbers and zone-offset stamps; benchmarks/bench_eda_flood.py), rounded
# up. The table's byte bound is counted with it: 200 MiB holds 102,400 such flows.
FLOW_BYTES = 2048
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
# Sending addresses whose token buckets are kept (least recently seen forgotten first): a forgotten
# bucket starts full again, which the global bucket for new untrusted flows still bounds.
MAX_SOURCES = 4096


def inventory_name(value: Any) -> Optional[str]:
    """``value`` when it is a plain inventory host name (``HOST_NAME_RE``, not all/ungrouped/localhost)."""
    if isinstance(value, str) and HOST_NAME_RE.fullmatch(value) and value.lower() not in RESERVED_NAMES:
        return value
    return None


def plain_address(value: Any) -> Optional[str]:
    """The canonical form of a plain IPv4 or IPv6 address; None for anything else (a scope id included)."""
    if not isinstance(value, str):
        return None
    if _CANONICAL_V4_RE.fullmatch(value):
        return value
    return _plain_address(value) if _ADDRESS_RE.fullmatch(value) else None


@lru_cache(maxsize=4096)
def _plain_address(value: str) -> Optional[str]:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _map_address(value: Any, where: str) -> str:
    addr = plain_address(str(value)) if isinstance(value, (str, int)) else None
    if addr is None:
        raise ValueError("invalid_spi: peer map %s: %r is not a plain IPv4/IPv6 address (no scope id)"
                         % (where, str(value)[:80]))
    return addr


class HostMap(object):
    """Inventory names for what syslog shows: a message's host (name or address) and a sender address.

    ``hosts``: inventory name -> list of addresses, or -> ``{addresses: [...], hostname: str, peers: [...]}``
    (the peer map's shape). ``peers``: a list of known peer addresses (fleet-wide), or inventory name ->
    list (per receiver); by default the hosts' own ``peers``. Every name and address is checked
    (ValueError naming the bad one). ``trust_message_hosts``: without a map, take a message's host as the
    inventory name when it is a plain one (the documented opt-in; a forged message can then name any host).
    """

    def __init__(self, hosts: Optional[Mapping[str, Any]] = None, peers: Any = None,
                 trust_message_hosts: bool = False) -> None:
        self.names: Dict[str, str] = {}      # lower-case name or host name -> inventory name
        self.addresses: Dict[str, str] = {}  # normalised address -> inventory name
        self.known = hosts is not None
        self.trust_message_hosts = bool(trust_message_hosts) and hosts is None
        if hosts is not None and not isinstance(hosts, Mapping):
            raise ValueError("invalid_spi: peer map hosts must be a mapping of inventory host -> addresses")
        for raw, value in (hosts or {}).items():
            name = inventory_name(raw)
            if name is None:
                raise ValueError("invalid_spi: peer map host %r is not a plain inventory host name (letters, digits,"
                                 " '.', '_', '-'; not all, ungrouped or localhost)" % str(raw)[:80])
            if value is not None and not isinstance(value, (list, Mapping)):
                raise ValueError("invalid_spi: peer map host %s must map to a list of addresses or a mapping" % name)
            addrs: Iterable[Any] = value if isinstance(value, list) else (value or {}).get("addresses") or []
            self.names[name.lower()] = name
            hostname = value.get("hostname") if isinstance(value, Mapping) else None
            if hostname:
                if inventory_name(hostname) is None:
                    raise ValueError("invalid_spi: peer map host %s: hostname %r is not a plain host name"
                                     % (name, str(hostname)[:80]))
                self.names.setdefault(str(hostname).lower(), name)
            for addr in addrs:
                self.addresses.setdefault(_map_address(addr, "host %s" % name), name)
        self.global_peers: Optional[Set[str]] = None
        self.peers: Dict[str, Set[str]] = {}
        if peers is None and any(isinstance(v, Mapping) and "peers" in v for v in (hosts or {}).values()):
            peers = {name: v.get("peers") or [] for name, v in (hosts or {}).items() if isinstance(v, Mapping)}
        if isinstance(peers, Mapping):
            for name, addrs in peers.items():
                self.peers[str(name)] = {_map_address(x, "peers of %s" % str(name)[:80]) for x in addrs or []}
            self.global_peers = set().union(*self.peers.values()) if self.peers else set()
        elif peers is not None:
            self.global_peers = {_map_address(x, "peers") for x in peers}

    def receiver(self, host: Optional[str], dst: str) -> Optional[str]:
        """The logging router: by the name or address the message carries, else by its own destaddr.

        Only ever a name from the map (or, with ``trust_message_hosts``, a plain name from the message).
        """
        if host:
            name = self.names.get(host.lower())
            if name is None and "." in host and plain_address(host) is None:
                name = self.names.get(host.split(".", 1)[0].lower())
            if name is None:
                norm = plain_address(host)
                name = self.addresses.get(norm) if norm else None
            if name is not None:
                return name
        name = self.addresses.get(dst)
        if name is None and self.trust_message_hosts and host and plain_address(host) is None:
            return inventory_name(host)
        return name

    def sender(self, src: str) -> Optional[str]:
        return self.addresses.get(src)

    def peers_of(self, receiver: Optional[str]) -> Optional[Set[str]]:
        """Known peers for the foreign rule: the receiver's own, else the fleet's, else None (rule off)."""
        if receiver is not None and receiver in self.peers:
            return self.peers[receiver]
        return self.global_peers


class _Flow(object):
    __slots__ = ("prot", "count", "cal", "up", "recent", "seen", "arrived", "emitted", "interface", "mnemonic",
                 "authoritative", "trusted", "tier")

    def __init__(self, prot: int, arrived: float, trusted: bool) -> None:
        self.prot = prot
        self.count = 0
        self.cal: Optional[List[Any]] = None  # [first_epoch, first_time, last_epoch, last_time]
        self.up: Optional[List[float]] = None  # [min, max] of uptime epochs
        self.recent: List[tuple] = []         # (prot, time, epoch, sequence) of the last distinct messages
        self.seen = arrived                   # arrival time of the last message
        self.arrived = arrived                # arrival time of the first message (the span in arrival time)
        self.emitted: Optional[float] = None  # arrival time of the last event raised
        self.interface: Optional[str] = None
        self.mnemonic = ""
        self.authoritative = True
        self.trusted = trusted
        self.tier = 0

    def span(self) -> Optional[float]:
        return flow_times(tuple(self.cal) if self.cal else None, tuple(self.up) if self.up else None)[4]

    def rank(self) -> int:
        """Eviction tier, lowest evicted first: untrusted before trusted, one message before two."""
        return (2 if self.trusted else 0) + (1 if self.count >= 2 else 0)


class _Bucket(object):
    """A token bucket: ``rate`` per second, at most ``burst``; time is the caller's (arrival times)."""
    __slots__ = ("rate", "burst", "tokens", "last")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate, self.burst, self.tokens, self.last = rate, burst, burst, now

    def take(self, now: float) -> bool:
        if now > self.last:
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
            self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat(timespec="milliseconds")


class FlowTracker(object):
    """Per-flow state and the persistent-flow events (see the module doc)."""

    def __init__(self, min_repeats: int = 2, min_span: float = 50, hostmap: Optional[HostMap] = None,
                 flow_ttl: float = 3600, max_flows: int = 100000, renotify_after: float = 3600,
                 clock: Callable[[], float] = time.time, min_arrival_span: Optional[float] = None,
                 max_bytes: int = DEFAULT_MAX_BYTES, source_rate: float = 100, source_burst: float = 1000,
                 new_flow_rate: float = 500, new_flow_burst: float = 5000,
                 trusted_senders: Iterable[str] = ()) -> None:
        self.min_repeats = min_repeats
        self.min_span = min_span
        self.min_arrival_span = min_span if min_arrival_span is None else min_arrival_span
        self.hostmap = hostmap or HostMap()
        self.flow_ttl = flow_ttl
        self.max_bytes = max_bytes
        self.max_flows = max(1, min(max_flows, max_bytes // FLOW_BYTES))
        self.renotify_after = renotify_after
        self.clock = clock
        self.source_rate, self.source_burst = source_rate, source_burst
        self.new_flow_rate, self.new_flow_burst = new_flow_rate, new_flow_burst
        self.trusted_senders = {_map_address(a, "trusted_senders") for a in trusted_senders}
        # One table per eviction tier (_Flow.rank), each least recently seen first.
        self.tiers: List["OrderedDict[tuple, _Flow]"] = [OrderedDict() for _tier in range(4)]
        self.sources: "OrderedDict[str, _Bucket]" = OrderedDict()
        self.new_flows: Optional[_Bucket] = None
        self.stats: Dict[str, int] = dict.fromkeys(STAT_KEYS, 0)

    @property
    def flows(self) -> Dict[tuple, _Flow]:
        """All flows (a new dict: for tests and statistics, not the hot path)."""
        out: Dict[tuple, _Flow] = {}
        for tier in self.tiers:
            out.update(tier)
        return out

    def flow(self, receiver: str, src: str, dst: str, spi: int) -> Optional[_Flow]:
        key = (receiver, src, dst, spi)
        for tier in self.tiers:
            if key in tier:
                return tier[key]
        return None

    def trusted(self, peer: Optional[str]) -> bool:
        """A message from a mapped router's own address or a configured relay (never proof: a spoofer can
        forge a UDP source address; it only decides who goes first under a flood)."""
        addr = plain_address(peer) if peer else None
        return addr is not None and (addr in self.trusted_senders or addr in self.hostmap.addresses)

    def _admit_source(self, peer: Optional[str], now: float) -> bool:
        key = peer or ""
        bucket = self.sources.get(key)
        if bucket is None:
            bucket = self.sources[key] = _Bucket(self.source_rate, self.source_burst, now)
            if len(self.sources) > MAX_SOURCES:
                self.sources.popitem(last=False)
        else:
            self.sources.move_to_end(key)
        return bucket.take(now)

    # -- messages ------------------------------------------------------------------------------------
    def message(self, text: str, peer: Optional[str] = None, via: str = "", arrival: Optional[float] = None,
                stamp_missing: bool = True) -> List[Dict[str, Any]]:
        """Feed one network syslog message; returns the events it raises (usually none). Never raises.

        ``peer``: the sending address (default host for a message that names none; the rate limit and
        trust are per sending address); ``arrival``: when it came (default now); ``stamp_missing``: stamp
        a message that carries no time with ``arrival``.
        """
        self.stats["messages"] += 1
        if NEEDLE not in text:
            return []
        now = self.clock() if arrival is None else arrival
        if not self._admit_source(peer, now):
            self.stats["rate_limited"] += 1
            return []
        problems: List[Dict[str, Any]] = []
        try:
            core, host = to_core(text, peer)
            events = parse_events(core, host=host, problems=problems)
        except (FrameError, ParseError, ValueError, TypeError, OverflowError):
            self.stats["malformed"] += 1
            return []
        if problems or not events:
            self.stats["malformed"] += 1
        trusted = self.trusted(peer)
        out: List[Dict[str, Any]] = []
        for event in events:
            raised = self.event(event, via, now, stamp_missing, trusted)
            if raised is not None:
                out.append(raised)
        return out

    def lines(self, lines: List[str], via: str = "", arrival: Optional[float] = None) -> List[Dict[str, Any]]:
        """Feed the lines of a syslog-server file read in one go (a message wrapped onto two lines is
        read whole, as parse_events reads it); returns the events raised. Never raises. A followed file
        is as trusted as the syslog server writing it (no rate limit; trusted tier)."""
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
            raised = self.event(event, via, now, stamp_missing=False, trusted=True)
            if raised is not None:
                out.append(raised)
        return out

    def event(self, ev: Dict[str, Any], via: str, now: float, stamp_missing: bool = True,
              trusted: bool = False) -> Optional[Dict[str, Any]]:
        """Feed one parsed event (from parse_events); returns the event to raise, if any."""
        self.stats["inv_spi"] += 1
        src, dst = plain_address(ev.get("src")), plain_address(ev.get("dst"))
        spi, prot = ev.get("spi"), ev.get("prot")
        if src is None or dst is None or not isinstance(spi, int) or not 0 <= spi <= 0xFFFFFFFF \
                or not isinstance(prot, int) or not 0 <= prot <= 255:
            self.stats["refused"] += 1
            return None
        host = ev.get("host")
        receiver = self.hostmap.receiver(host if isinstance(host, str) else None, dst)
        if receiver is None:
            self.stats["unresolved"] += 1
            return None
        peers = self.hostmap.peers_of(receiver)
        if peers is not None and src not in peers:
            self.stats["foreign"] += 1  # a scan or stray traffic: never an event, so no state either
            return None
        if ev.get("epoch") is None and stamp_missing:
            ev = dict(ev, epoch=float(now), time=_iso(now))
        key = (intern(receiver), intern(src), intern(dst), spi)
        flow = self.flow(*key)
        if flow is None:
            if not trusted and not self._admit_new_flow(now):
                self.stats["rate_limited"] += 1
                return None
            flow = _Flow(prot, now, trusted)
            self._place(key, flow)
            self.stats["flows_created"] += 1
        else:
            self.tiers[flow.tier].move_to_end(key)
            if trusted and not flow.trusted:
                flow.trusted = True
                self._place(key, flow)
        stamp = self._stamp(ev)
        if flow.recent and self._is_copy(flow, stamp):
            # Counted once, but its arrival still counts: a forged copy sent early cannot hide the real one.
            self.stats["duplicates"] += 1
            flow.seen = now
        else:
            self._add(flow, ev, stamp, now)
            if flow.rank() != flow.tier:
                self._place(key, flow)
        status = flow_status(src, flow.count, flow.span(), peers, self.min_repeats, self.min_span)
        if status != "persistent" or now - flow.arrived < self.min_arrival_span:
            return None
        if flow.emitted is not None and not (self.renotify_after and now - flow.emitted >= self.renotify_after):
            return None
        renotified = flow.emitted is not None
        flow.emitted = now
        self.stats["renotified" if renotified else "events"] += 1
        return self._event(key, flow, host, via, renotified)

    def _admit_new_flow(self, now: float) -> bool:
        if self.new_flows is None:
            self.new_flows = _Bucket(self.new_flow_rate, self.new_flow_burst, now)
        return self.new_flows.take(now)

    def _place(self, key: tuple, flow: _Flow) -> None:
        """Put the flow in its tier's table (moving it there), then evict past the bound, lowest tier first."""
        self.tiers[flow.tier].pop(key, None)
        flow.tier = flow.rank()
        self.tiers[flow.tier][key] = flow
        if sum(map(len, self.tiers)) > self.max_flows:
            for tier in self.tiers:
                if tier:
                    tier.popitem(last=False)
                    self.stats["evicted"] += 1
                    break

    @staticmethod
    def _stamp(ev: Mapping[str, Any]) -> tuple:
        """(prot, time, epoch, sequence) with bounded sizes: what a flow keeps of one message."""
        stamp = ev.get("time")
        if stamp is not None and not (isinstance(stamp, str) and _TIME_RE.fullmatch(stamp)):
            stamp = None
        sequence = ev.get("sequence")
        if not (isinstance(sequence, int) and 0 <= sequence < 1 << 63):
            sequence = None
        epoch = ev.get("epoch")
        if not isinstance(epoch, (int, float)) or (isinstance(epoch, float) and math.isnan(epoch)):
            epoch = None
        return (ev["prot"], stamp, epoch, sequence)

    @staticmethod
    def _is_copy(flow: _Flow, stamp: tuple) -> bool:
        """``flows.dedupe_events``' rule for one flow: the same (prot, time, epoch, sequence) as a recent
        message, when that can tell a copy from a repeat at all (a sequence number, or a stamp finer than
        the one-a-minute rate limit: not none, not an uptime of whole hours)."""
        _prot, stamp_time, epoch, sequence = stamp
        if sequence is None and (epoch is None or (stamp_time is None and epoch % 3600 == 0)):
            return False
        return stamp in flow.recent

    @staticmethod
    def _add(flow: _Flow, ev: Mapping[str, Any], stamp: tuple, now: float) -> None:
        flow.count += 1
        flow.seen = now
        flow.recent.append(stamp)
        if len(flow.recent) > RECENT:
            del flow.recent[0]
        interface = ev.get("interface")
        if interface:
            flow.interface = intern(interface) if isinstance(interface, str) and _INTERFACE_RE.fullmatch(interface) \
                else None
        mnemonic = ev.get("mnemonic")
        if isinstance(mnemonic, str) and mnemonic.endswith(NEEDLE) and len(mnemonic) <= 24:
            flow.mnemonic = intern(mnemonic)
        flow.authoritative = flow.authoritative and bool(ev.get("clock_authoritative", True))
        _prot, time_text, epoch, _seq = stamp
        if epoch is None:
            return
        if time_text is not None:
            cal = flow.cal
            if cal is None:
                flow.cal = [epoch, time_text, epoch, time_text]
            elif epoch < cal[0]:
                cal[0], cal[1] = epoch, time_text
            elif epoch > cal[2]:
                cal[2], cal[3] = epoch, time_text
        elif ev.get("time") is not None:
            return  # a stamp that is not one the parser writes: no span from it
        elif flow.up is None:
            flow.up = [epoch, epoch]
        else:
            flow.up[0] = min(flow.up[0], epoch)
            flow.up[1] = max(flow.up[1], epoch)

    def _event(self, key: tuple, flow: _Flow, host: Any, via: str, renotified: bool) -> Dict[str, Any]:
        receiver, src, dst, spi = key
        sender = self.hostmap.sender(src)
        times = flow_times(tuple(flow.cal) if flow.cal else None, tuple(flow.up) if flow.up else None)
        # The pair, as ansible-rulebook's limit (meta.hosts) and as the playbooks' ipsec_spi_targets:
        # inventory names only (HostMap), so a rulebook may pass them on as extra vars.
        targets = ",".join([receiver] + ([sender] if sender and sender != receiver else []))
        data: Dict[str, Any] = {"kind": "persistent_flow"}
        data.update(flow_record(host if inventory_name(host) or plain_address(host) else None, src, dst, flow.prot,
                                spi, flow.count, times, "persistent"))
        data.update({
            "receiver": receiver,
            "sender": sender,
            "span_seconds": None if times[4] is None else round(times[4], 3),
            "arrival_span_seconds": round(flow.seen - flow.arrived, 3),
            "clock_authoritative": flow.authoritative,
            "interface": flow.interface,
            "mnemonic": flow.mnemonic,
            "renotified": renotified,
            "trusted": flow.trusted,
            "via": via,
            "targets": targets,
        })
        return {"ipsec_spi": data, "meta": {"hosts": targets}}

    # -- housekeeping -------------------------------------------------------------------------------
    def expire(self, now: Optional[float] = None) -> int:
        """Forget flows not seen for flow_ttl seconds; returns how many."""
        now = self.clock() if now is None else now
        limit = now - self.flow_ttl
        gone = 0
        for flows in self.tiers:
            while flows:
                key, flow = next(iter(flows.items()))
                if flow.seen > limit:
                    break
                del flows[key]
                gone += 1
        self.stats["expired"] += gone
        return gone

    def bytes_estimate(self) -> int:
        """The table's size at the measured worst size per flow (an upper bound, not a measurement)."""
        return sum(map(len, self.tiers)) * FLOW_BYTES

    def snapshot(self) -> Dict[str, Any]:
        return dict(self.stats, flows=sum(map(len, self.tiers)), bytes_estimate=self.bytes_estimate())


class PendingEvents(object):
    """Events raised but not yet taken by the rulebook: one per pair, bounded, trusted ones first.

    A run acts on the pair (``targets``), not on the SPI, so a second event for a queued pair only adds
    to its ``coalesced`` count (a trusted event takes the place of an untrusted one). When ``max_pending``
    pairs wait, a trusted event pushes out the newest untrusted one; anything else is dropped (counted).
    """

    def __init__(self, max_pending: int = 256) -> None:
        self.max_pending = max_pending
        self.queues: Tuple["OrderedDict[str, Dict[str, Any]]", ...] = (OrderedDict(), OrderedDict())  # trusted, not
        self.stats = {"queued": 0, "coalesced": 0, "dropped": 0}

    def __len__(self) -> int:
        return len(self.queues[0]) + len(self.queues[1])

    def put(self, event: Dict[str, Any]) -> str:
        data = event["ipsec_spi"]
        pair = data["targets"]
        trusted = bool(data.get("trusted"))
        for index, queue in enumerate(self.queues):
            old = queue.get(pair)
            if old is None:
                continue
            count = old["ipsec_spi"].get("coalesced", 0) + 1
            if trusted and index == 1:
                del queue[pair]
                self.queues[0][pair] = event
                old = event
            old["ipsec_spi"]["coalesced"] = count
            self.stats["coalesced"] += 1
            return "coalesced"
        if len(self) >= self.max_pending:
            if not (trusted and self.queues[1]):
                self.stats["dropped"] += 1
                return "dropped"
            self.queues[1].popitem(last=True)  # the newest untrusted one: the others keep their turn
            self.stats["dropped"] += 1
        self.queues[0 if trusted else 1][pair] = event
        self.stats["queued"] += 1
        return "queued"

    def get(self) -> Optional[Dict[str, Any]]:
        for queue in self.queues:
            if queue:
                return queue.popitem(last=False)[1]
        return None


def check_settings(min_repeats: Any, min_span: Any, flow_ttl: Any, max_flows: Any, renotify_after: Any) -> Tuple:
    """Validated (min_repeats, min_span, flow_ttl, max_flows, renotify_after); ValueError names the bad one.

    min_repeats and min_span are checked by the flows module (flows.check_options), as for build_flows.
    """
    try:
        _peers, min_repeats, min_span = check_options(None, min_repeats, min_span)
    except ParseError as exc:
        raise ValueError("invalid_spi: %s" % exc) from None
    return (min_repeats, float(min_span), check_number(flow_ttl, "flow_ttl", 1, False), check_number(max_flows, "max_flows", 1, True),
            check_number(renotify_after, "renotify_after", 0, False))


def check_number(value: Any, name: str, minimum: float, integer: bool) -> Any:
    """``value`` as an int or float of at least ``minimum``; ValueError naming the setting otherwise."""
    try:
        out = int(value) if integer else float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError("invalid_spi: %s must be a number, not %r" % (name, value)) from None
    if isinstance(value, bool) or not out >= minimum or (integer and isinstance(value, float) and value != out):
        raise ValueError("invalid_spi: %s must be %s at least %s, not %r"
                         % (name, "an integer" if integer else "a number", minimum, value))
    return out
