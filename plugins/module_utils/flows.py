# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Group invalid-SPI events into flows and classify them.

A flow is one (host, src, dst, spi). IOS rate-limits the message to one a
minute, so a single message is most likely a rekey race (``transient``); the
same flow again at least ``min_span`` seconds later means the SAs are out of
sync (``persistent``). A sender that is not a known peer is ``foreign`` (scan
or stray traffic), whatever its count: it is reported, never remediated.

Exact duplicates (the same message received through two relays) count once:
same host, device stamp (time and epoch), sequence, src, dst, spi and prot.
A message with neither a stamp nor a sequence number cannot be told from a
later repeat, so such messages are never treated as duplicates.
"""

from __future__ import annotations

import math
from operator import itemgetter
from typing import Any, Dict, Iterable, List, Mapping, Optional

from ansible_collections.netops.ipsec_spi.plugins.module_utils.bulk import paused_gc
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import (
    ParseError,
    normalize_addr,
    parse_spi,
    spi_hex,
)

_NEEDED = ("host", "src", "dst", "spi", "prot")


def _check_events(events: Any) -> List[Mapping]:
    if events is None:
        return []
    if isinstance(events, (str, bytes)) or isinstance(events, Mapping) or not isinstance(events, Iterable):
        raise ParseError("events must be a list of event dicts (from invalid_spi_events), not %s" % type(events).__name__)
    return events if isinstance(events, list) else list(events)


class _Normaliser(object):
    """Validates one event at a time, caching addresses and SPIs (they repeat)."""

    def __init__(self) -> None:
        self.addrs: Dict[str, str] = {}
        self.spis: Dict[Any, int] = {}

    def addr(self, value: Any, index: int, key: str) -> str:
        if not isinstance(value, str):
            raise ParseError("event %d: %s must be an address string, not %s" % (index, key, type(value).__name__))
        out = self.addrs.get(value)
        if out is None:
            try:
                out = normalize_addr(value)
            except ParseError as exc:
                raise ParseError("event %d: %s: %s" % (index, key, exc)) from None
            self.addrs[value] = out
        return out

    def spi(self, value: Any, index: int) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            if not 0 <= value <= 0xFFFFFFFF:
                raise ParseError("event %d: spi %d is outside 0..0xFFFFFFFF" % (index, value))
            return value
        if isinstance(value, str):
            out = self.spis.get(value)
            if out is None:
                try:
                    out = parse_spi(value)
                except ParseError as exc:
                    raise ParseError("event %d: %s" % (index, exc)) from None
                self.spis[value] = out
            return out
        raise ParseError("event %d: spi must be an int, not %s" % (index, type(value).__name__))


def _event_key(ev: Mapping, index: int, norm: _Normaliser) -> tuple:
    """(host, src, dst, spi, prot, time, epoch, sequence) of a validated event."""
    try:
        host = ev["host"]
        src = ev["src"]
        dst = ev["dst"]
        spi = ev["spi"]
        prot = ev["prot"]
    except KeyError as exc:
        raise ParseError("event %d has no %s key (needs %s)" % (index, exc.args[0], ", ".join(_NEEDED))) from None
    except TypeError:
        raise ParseError("event %d is %s, not a dict" % (index, type(ev).__name__)) from None
    if host is not None and not isinstance(host, str):
        raise ParseError("event %d: host must be a string or null, not %s" % (index, type(host).__name__))
    if isinstance(prot, bool) or not isinstance(prot, int) or not 0 <= prot <= 255:
        raise ParseError("event %d: prot must be an IP protocol number, not %r" % (index, prot))
    when = ev.get("time")
    epoch = ev.get("epoch")
    sequence = ev.get("sequence")
    if when is not None and not isinstance(when, str):
        raise ParseError("event %d: time must be a string or null, not %s" % (index, type(when).__name__))
    if epoch is not None and (isinstance(epoch, bool) or not isinstance(epoch, (int, float)) or math.isnan(epoch)):
        raise ParseError("event %d: epoch must be a number or null, not %r" % (index, epoch))
    if sequence is not None and (isinstance(sequence, bool) or not isinstance(sequence, int)):
        raise ParseError("event %d: sequence must be an int or null, not %r" % (index, sequence))
    return (
        host,
        norm.addr(src, index, "src"),
        norm.addr(dst, index, "dst"),
        norm.spi(spi, index),
        prot,
        when,
        epoch,
        sequence,
    )


_FIELDS = itemgetter("host", "src", "dst", "spi", "prot", "time", "epoch", "sequence")
_FLOW_KEY = itemgetter(0, 1, 2, 3)
_EPOCH = itemgetter(6)
_NONE = type(None)
# The value types parse_events produces, field by field; an event whose types
# are one of these combinations only needs its ranges and addresses checked.
_FAST_TYPES = frozenset(
    (host, str, str, int, int, when, epoch, sequence)
    for host in (_NONE, str) for when in (_NONE, str) for epoch in (_NONE, float) for sequence in (_NONE, int)
)
# The same, per field, for a whole list at once (_column_keys).
_COLUMN_TYPES = (
    frozenset((_NONE, str)), frozenset((str,)), frozenset((str,)), frozenset((int,)), frozenset((int,)),
    frozenset((_NONE, str)), frozenset((_NONE, float)), frozenset((_NONE, int)),
)


def _column_keys(items: List[Any]) -> Optional[List[tuple]]:
    """The keys of a list of events as parse_events makes them, checked a field at a time; None otherwise.

    Every check runs over a whole column in C (map, zip, set, min, max), so
    a large list costs little more than reading its fields. Anything out of
    the ordinary returns None and the events are checked one by one, which
    gives the same keys or names the bad event.
    """
    if not items:
        return []
    if set(map(type, items)) != {dict}:
        return None
    try:
        keys = list(map(_FIELDS, items))
    except KeyError:
        return None
    columns = list(zip(*keys))
    for column, allowed in zip(columns, _COLUMN_TYPES):
        if not set(map(type, column)) <= allowed:
            return None
    spis, prots, epochs = columns[3], columns[4], columns[6]
    if min(spis) < 0 or max(spis) > 0xFFFFFFFF or min(prots) < 0 or max(prots) > 255:
        return None
    total = sum(filter(None, epochs))
    if math.isnan(total):  # a NaN epoch (or inf - inf): the one-by-one checks decide
        return None
    addrs = set(columns[1])
    addrs.update(columns[2])
    mapping = {}
    for addr in addrs:
        try:
            canonical = normalize_addr(addr)
        except ParseError:
            return None
        if canonical != addr:
            mapping[addr] = canonical
    if mapping:
        get = mapping.get
        keys = [(k[0], get(k[1], k[1]), get(k[2], k[2])) + k[3:] for k in keys]
    return keys


def _valid_events(events: Any, checked: bool = False) -> List[tuple]:
    """(host, src, dst, spi, prot, time, epoch, sequence) per event, validated and normalised.

    A list of events as parse_events makes them is checked a column at a time (_column_keys); else an
    event of parse_events' value types, in range, with addresses already seen is taken as it is; any
    other goes through _event_key's checks, which give the same key or name what is wrong.
    ``checked``: every event through _event_key (tests check that all three read alike).
    """
    items = _check_events(events)
    keys = None if checked else _column_keys(items)
    if keys is not None:
        return keys
    norm = _Normaliser()
    addrs_get = norm.addrs.get
    fast_types = _FAST_TYPES
    fields = _FIELDS
    out: List[tuple] = []
    append = out.append
    for index, ev in enumerate(items, 1):
        if ev.__class__ is dict and not checked:
            try:
                key = fields(ev)
            except KeyError:
                key = None  # optional keys missing, or a needed one: the full checks tell
            if key is not None and tuple(map(type, key)) in fast_types and 0 <= key[3] <= 0xFFFFFFFF \
                    and 0 <= key[4] <= 255 and key[6] == key[6]:  # last: NaN epoch (None == None holds)
                src = addrs_get(key[1])
                dst = addrs_get(key[2])
                if src is not None and dst is not None:
                    if src != key[1] or dst != key[2]:
                        key = (key[0], src, dst) + key[3:]
                    append(key)
                    continue
        elif ev.__class__ is not dict and not isinstance(ev, Mapping):
            raise ParseError("event %d is %s, not a dict" % (index, type(ev).__name__))
        append(_event_key(ev, index, norm))
    return out


def _comparable(key: tuple) -> bool:
    """Whether an event can be recognised as a copy of another one.

    Without a sequence number, only a stamp finer than the one-a-minute rate
    limit tells a duplicate from a repeat: no stamp, or an uptime of whole
    hours (1d02h, 2w3d, 2y10w), does not.
    """
    return key[7] is not None or not (key[6] is None or (key[5] is None and key[6] % 3600 == 0))


def _dedupe_keys(keys: List[tuple]) -> List[int]:
    """Indexes of the keys that are not exact repeats of an earlier one (in order)."""
    count = len(keys)
    unique = keys
    if None in map(_SEQUENCE, keys):
        # A key that cannot be told from a repeat gets its index appended, so it equals no other.
        loose = [i for i, key in enumerate(keys) if not _comparable(key)]
        if loose:
            unique = list(keys)
            for index in loose:
                unique[index] = keys[index] + (index,)
    # Filled backwards, each key keeps the index of its first copy.
    first = dict(zip(reversed(unique), range(count - 1, -1, -1)))
    if len(first) == count:
        return list(range(count))
    return sorted(first.values())


_SEQUENCE = itemgetter(7)


def dedupe_events(events: Any) -> List[Mapping]:
    """The events without exact duplicates (first copy kept, input order).

    Duplicates: same host, time, epoch, sequence, src, dst, spi and prot, as
    when one message reaches the log through two relays. Raises ParseError for
    input that is not a list of events.
    """
    items = _check_events(events)
    keys = _valid_events(items)
    return [items[i] for i in _dedupe_keys(keys)]


def _check_peers(peers: Any) -> Optional[set]:
    if peers is None:
        return None
    if isinstance(peers, str):
        peers = [p for p in peers.replace(",", " ").split() if p]
    if isinstance(peers, Mapping) or not isinstance(peers, Iterable):
        raise ParseError("peers must be a list of addresses, not %s" % type(peers).__name__)
    out = set()
    for index, peer in enumerate(peers, 1):
        if not isinstance(peer, str):
            raise ParseError("peers item %d must be an address string, not %s" % (index, type(peer).__name__))
        try:
            out.add(normalize_addr(peer))
        except ParseError as exc:
            raise ParseError("peers item %d: %s" % (index, exc)) from None
    return out


def _check_number(value: Any, name: str, minimum: float, integer: bool) -> Any:
    if isinstance(value, str):
        try:
            value = int(value) if integer else float(value)
        except ValueError:
            raise ParseError("%s must be a number, not %r" % (name, value[:40])) from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
        raise ParseError("%s must be %s, not %r" % (name, "an integer" if integer else "a number", value))
    if not value >= minimum:
        raise ParseError("%s must be at least %s, not %r" % (name, minimum, value))
    return value


def flow_status(src: str, count: int, span: Optional[float], peers: Optional[set], min_repeats: int,
                min_span: float) -> str:
    """The one rule for a flow's status (also used by the EDA event source, message by message).

    ``foreign`` when ``peers`` is given and ``src`` is not in it; ``persistent`` when the rate-limited
    message came back (``count >= min_repeats``) over at least ``min_span`` seconds; else ``transient``.
    A flow without time stamps (``span`` None) is persistent only when ``min_span`` is 0: persistent
    leads to clearing SAs, so an unprovable span stays on the safe side.
    """
    if peers is not None and src not in peers:
        return "foreign"
    if count >= min_repeats and ((span is not None and span >= min_span) or min_span == 0):
        return "persistent"
    return "transient"


def build_flows(
    events: Any,
    peers: Any = None,
    min_repeats: Any = 2,
    min_span: Any = 50,
) -> List[Dict[str, Any]]:
    """Group events into flows, one per (host, src, dst, spi), in order of first appearance.

    Each flow: host, src, dst, prot, spi, spi_hex, count (distinct messages),
    first_seen / last_seen (``time`` of the earliest / latest message, or
    null), first_epoch / last_epoch, span_seconds (0 for a single message,
    null when no message carries a time), status (``foreign`` when ``peers`` is given and
    src is not in it; else ``persistent`` when count >= min_repeats and
    span_seconds >= min_span; else ``transient``).

    A flow without any time cannot show it lasted ``min_span``: unless
    ``min_span`` is 0 it is ``transient`` whatever its count (the safe side, since ``persistent``
    leads to clearing SAs).

    A flow whose messages mix calendar stamps and uptimes (the clock was set
    after boot) measures its span on the calendar stamps only: the two scales
    cannot be compared.
    """
    peer_set, min_repeats, min_span = check_options(peers, min_repeats, min_span)
    with paused_gc():
        return flows_from_keys(_valid_events(events), peer_set, min_repeats, min_span)


def check_options(peers: Any = None, min_repeats: Any = 2, min_span: Any = 50) -> tuple:
    """(peer set or None, min_repeats, min_span) as build_flows takes them; ParseError naming a bad one."""
    min_repeats = _check_number(min_repeats, "min_repeats", 1, True)
    min_span = _check_number(min_span, "min_span", 0, False)
    return _check_peers(peers), min_repeats, min_span


def flows_from_keys(keys: List[tuple], peer_set: Optional[set], min_repeats: int, min_span: float) -> List[Dict[str, Any]]:
    """build_flows on events already checked: (host, src, dst, spi, prot, time, epoch, sequence) tuples.

    For callers that hold parse_events' own values in another form (the
    archive's rows); the options must be checked already (build_flows does).
    """
    if len(keys) > 1:
        keys = [keys[i] for i in _dedupe_keys(keys)]

    groups: Dict[tuple, List[tuple]] = {}
    groups_get = groups.get
    for flow_key, key in zip(map(_FLOW_KEY, keys), keys):
        group = groups_get(flow_key)
        if group is None:
            groups[flow_key] = [key]
        else:
            group.append(key)

    flows: List[Dict[str, Any]] = []
    append = flows.append
    # bound once: this loop runs once per flow, and most flows are a single message
    times_of, status_of, record = flow_times, flow_status, flow_record
    for (host, src, dst, spi), members in groups.items():
        count = len(members)
        if count == 1:
            # most flows: one message (a rekey race)
            first_key = members[0]
            epoch, when = first_key[6], first_key[5]
            cal = None if epoch is None or when is None else (epoch, when, epoch, when)
            up = (epoch, epoch) if cal is None and epoch is not None else None
        else:
            calendar = [k for k in members if k[6] is not None and k[5] is not None]
            uptimes = None if calendar else [k[6] for k in members if k[6] is not None]
            cal = up = None
            if calendar:
                first, last = min(calendar, key=_EPOCH), max(calendar, key=_EPOCH)
                cal = (first[6], first[5], last[6], last[5])
            elif uptimes:
                up = (min(uptimes), max(uptimes))
        times = times_of(cal, up)
        append(record(host, src, dst, members[0][4], spi, count, times,
                      status_of(src, count, times[4], peer_set, min_repeats, min_span)))
    return flows


def flow_times(cal: Optional[tuple], up: Optional[tuple]) -> tuple:
    """The span rule: (first_seen, last_seen, first_epoch, last_epoch, span_seconds) of a flow.

    ``cal``: (first epoch, its time, last epoch, its time) of the messages with a calendar stamp, or None;
    ``up``: (lowest, highest) epoch of those with an uptime only, or None. A flow whose messages mix the
    two (the clock was set after boot) measures its span on the calendar stamps only: the two scales
    cannot be compared. No stamp at all: everything None.
    """
    if cal is not None:
        return cal[1], cal[3], cal[0], cal[2], float(cal[2] - cal[0])
    if up is not None:
        return None, None, up[0], up[1], float(up[1] - up[0])
    return None, None, None, None, None


def flow_record(host: Any, src: str, dst: str, prot: int, spi: int, count: int, times: tuple,
                status: str) -> Dict[str, Any]:
    """A flow as build_flows returns it (and the EDA event source raises it); ``times`` from flow_times."""
    first_seen, last_seen, first_epoch, last_epoch, span = times
    return {
        "host": host, "src": src, "dst": dst, "prot": prot, "spi": spi, "spi_hex": spi_hex(spi), "count": count,
        "first_seen": first_seen, "last_seen": last_seen, "first_epoch": first_epoch, "last_epoch": last_epoch,
        "span_seconds": span, "status": status,
    }
