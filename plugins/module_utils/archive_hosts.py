# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which archive events belong to which router, and how they join the router's own evidence.

The rule (docs/user-guide.md, "Syslog-server archives"): an event's line host
is the host its line names, as ``invalid_spi_events`` reports it (the origin
host, else the host after the device stamp, else the relay's host field: a
name or an address). It belongs to a router when

1. ``host_map`` maps it (or, for an address, its canonical form) to the
   router: the map is checked first and overrides the rules below; or
2. it equals one of the router's names (inventory name, configured
   ``hostname``, the device's own name in ``show version``), ignoring case,
   where a name without a dot also matches the first label of a dotted
   one (``hub-1`` is ``hub-1.example.net``); or
3. it is an address and one of the router's own addresses (its interfaces
   in running-config, the local ends of its SAs).

A line that names no host, or a host no rule gives to a router, is counted
as not attributed and left out.

Attributed events take the router's inventory name as their host when the
name came from the relay's header (as ``spi_facts`` names the lines of the
router's own buffer), so a message seen both in the archive and in the
router's ``show logging`` is one message; a name the device put in the
message itself (``logging origin-id``) stays.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Dict, Iterable, Iterator, List, Optional

from ansible_collections.netops.ipsec_spi.plugins.module_utils.archive import load_rows, row_events, row_key
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, maybe_addr
from ansible_collections.netops.ipsec_spi.plugins.module_utils.flows import (
    build_flows,
    check_options,
    dedupe_events,
    flows_from_keys,
)

# How much of an archive summary goes into a router's facts.
_FACT_PROBLEMS = 20


def _fold(name: str) -> str:
    addr = maybe_addr(name)
    return addr if addr is not None else name.strip().lower().rstrip(".")


def check_host_map(host_map: Any) -> Dict[str, str]:
    """``host_map`` (line host -> inventory host) with its keys folded; ParseError when it is not one."""
    if host_map is None:
        return {}
    if not isinstance(host_map, Mapping):
        raise ParseError("host_map must map a host name or address in the log to an inventory host, not %s"
                         % type(host_map).__name__)
    out = {}
    for key, value in host_map.items():
        if not isinstance(key, str) or not isinstance(value, str) or not key.strip() or not value.strip():
            raise ParseError("host_map entries must be non-empty strings, not %r: %r" % (key, value))
        out[_fold(key)] = value.strip()
    return out


def _name_match(line_host: str, names: Iterable[str]) -> bool:
    first = line_host.split(".", 1)[0]
    for name in names:
        if line_host == name:
            return True
        if "." not in name and name == first:
            return True
        if "." not in line_host and name.split(".", 1)[0] == line_host:
            return True
    return False


def attributed_hosts(summary: Mapping[str, Any], router: str, names: Iterable[Optional[str]] = (),
                     addresses: Iterable[Optional[str]] = (), host_map: Any = None) -> List[str]:
    """The line hosts of an archive summary whose events belong to ``router`` (see the module rule)."""
    mapping = check_host_map(host_map)
    folded_names = {_fold(n) for n in list(names) + [router] if isinstance(n, str) and n.strip()}
    folded_names = {n for n in folded_names if maybe_addr(n) is None}
    own = {a for a in (maybe_addr(x) for x in addresses if isinstance(x, str)) if a}
    out = []
    for line_host in summary.get("hosts") or {}:
        if not line_host:
            continue
        key = _fold(line_host)
        if key in mapping:
            if mapping[key] == router:
                out.append(line_host)
            continue
        if key in own if maybe_addr(key) is not None else _name_match(key, folded_names):
            out.append(line_host)
    return out


def router_events(folder: str, summary: Mapping[str, Any], router: str, names: Iterable[Optional[str]] = (),
                  addresses: Iterable[Optional[str]] = (), host_map: Any = None) -> List[Dict[str, Any]]:
    """The archive's events attributed to ``router``, in archive order."""
    hosts = attributed_hosts(summary, router, names, addresses, host_map)
    return row_events(load_rows(folder, summary, hosts), summary, relay_host=router)  # type: ignore[arg-type]


def iter_host_flows(folder: str, summary: Mapping[str, Any], peers: Any = None, min_repeats: Any = 2,
                    min_span: Any = 50) -> Iterator[List[Dict[str, Any]]]:
    """The flows of the archive (invalid_spi_flows rules), one line host's list at a time.

    Only one host's events are in memory at a time; a caller that does not
    keep the lists (a count, a report written as it goes) stays in constant
    memory whatever the archive's size.
    """
    peer_set, min_repeats, min_span = check_options(peers, min_repeats, min_span)
    for host in summary.get("hosts") or {}:
        # rows hold parse_events' own values: the flow rules apply without rebuilding and re-checking events
        keys = list(map(row_key, load_rows(folder, summary, [host])))  # type: ignore[arg-type]
        yield flows_from_keys(keys, peer_set, min_repeats, min_span)


def archive_flows(folder: str, summary: Mapping[str, Any], peers: Any = None, min_repeats: Any = 2,
                  min_span: Any = 50) -> List[Dict[str, Any]]:
    """All the flows of the archive, ordered by line host (in order of its first event), then first appearance.

    The same flows ``build_flows`` gives for all events at once, since a
    flow never spans two hosts.
    """
    flows: List[Dict[str, Any]] = []
    for host_flows in iter_host_flows(folder, summary, peers, min_repeats, min_span):
        flows.extend(host_flows)
    return flows


def archive_brief(summary: Mapping[str, Any], path: Any, attributed: int) -> Dict[str, Any]:
    """What a router's facts say about the archive: files, counts, the first problems."""
    return {
        "path": path,
        "files": [{k: f[k] for k in ("path", "compression", "lines", "events", "duplicates", "problems", "error")}
                  for f in summary.get("files") or []],
        "lines": summary.get("lines", 0),
        "events": summary.get("events", 0),
        "duplicates": summary.get("duplicates", 0),
        "attributed_events": attributed,
        "problem_count": summary.get("problem_count", 0),
        "problems": list((summary.get("problems") or [])[:_FACT_PROBLEMS]),
    }


def merge_into_facts(facts: Mapping[str, Any], archived: List[Dict[str, Any]], brief: Dict[str, Any],
                     min_repeats: Any = 2, min_span: Any = 50, max_events: int = 1000) -> Dict[str, Any]:
    """A router's ``ipsec_spi`` facts with the archive's events for it added.

    Events: the archive's (oldest first), then the router's own buffer,
    exact duplicates once (flows.dedupe_events: the archive's copy is kept).
    Flows are rebuilt from them with the facts' ``known_peers``, and each
    flow's ``age_seconds`` is measured against the router's clock as
    spi_facts does.
    """
    if not isinstance(facts, Mapping):
        raise ParseError("facts must be the router's ipsec_spi facts (a mapping), not %s" % type(facts).__name__)
    live = facts.get("events") or []
    if not isinstance(live, list):
        raise ParseError("facts.events must be a list, not %s" % type(live).__name__)
    events = dedupe_events(archived + live) if archived else list(live)
    peers = facts.get("known_peers")
    flows = build_flows(events, peers=peers, min_repeats=min_repeats, min_span=min_span)
    device_epoch = facts.get("device_epoch")
    for flow in flows:
        last = flow.get("last_epoch")
        flow["age_seconds"] = (round(device_epoch - last, 1)
                               if isinstance(device_epoch, (int, float)) and last is not None else None)
    merged = dict(facts)
    live_total = facts.get("events_total")
    hidden = max(0, (live_total if isinstance(live_total, int) else len(live)) - len(live))
    if hidden:
        # spi_facts kept only its newest events; the check role asks it for all of them when it reads an archive
        brief = dict(brief, note="the router's facts held %d of its %d events; the flows count only those and the "
                                 "archive's" % (len(live), len(live) + hidden))
    merged["events_total"] = len(events) + hidden
    merged["events"] = events[-max_events:] if max_events else []
    merged["flows"] = flows
    merged["syslog_archive"] = brief
    return merged


def check_max_events(value: Any) -> int:
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ParseError("max_events must be a whole number >= 0, not %r" % (value,))
    return value


def archive_result(folder: str, summary: Mapping[str, Any], peers: Any = None, min_repeats: Any = 2,
                   min_span: Any = 50) -> Dict[str, Any]:
    """An archive as the invalid_spi_archive filter returns it (see its documentation)."""
    check_options(peers, min_repeats, min_span)  # checked even when the archive holds no event
    return {
        "files": summary.get("files") or [],
        "problems": summary.get("problems") or [],
        "problem_count": summary.get("problem_count", 0),
        "lines": summary.get("lines", 0),
        "events_total": summary.get("events", 0),
        "duplicates": summary.get("duplicates", 0),
        "hosts": {host: entry["events"] for host, entry in (summary.get("hosts") or {}).items()},
        "flows": archive_flows(folder, summary, peers=peers, min_repeats=min_repeats, min_span=min_span),
        "events": row_events(summary.get("recent") or [], summary),  # type: ignore[arg-type]
    }
