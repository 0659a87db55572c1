# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The evidence judge: every captured INV_SPI with both ends' captured SA tables, merged into assessments.

One rule, one index, one lookup, shared with the live check: ``desync.judge`` decides,
``desync.sa_spis`` reads an SA table, ``desync.address_book`` finds the sender. Depends on
codes, desync, common and the capture parser only, never on the assessment module
(assess.py): assessments come in as plain data and go out as copies.
"""

from __future__ import annotations

import datetime
import math
import re
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils import desync
from ansible_collections.netops.ipsec_spi.plugins.module_utils.capture.parse import check_capture_set, read_captures
from ansible_collections.netops.ipsec_spi.plugins.module_utils.codes import (
    BUG_FF,
    compile_waivers,
    finding,
    settle,
    spi_top_byte_ff,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, maybe_addr, spi_hex

BUG_NEW_SPI = "CSCvn31824"
BUG_IKEV2_SYNTAX = "CSCvd40554"

# The capture verdicts are public (spi_captures, docs/capture.md). A capture is one moment, so
# what the live rule calls resolved reads "transient" here: at that moment the receiver had the
# SPI (a rekey race) or the sender had already moved on. The one place these words are chosen.
CONFIRMED, UNVERIFIED, TRANSIENT = "confirmed", "unverified", "transient"
VERDICT_OF = {desync.CONFIRMED: CONFIRMED, desync.UNVERIFIED: UNVERIFIED, desync.RESOLVED: TRANSIENT}
STRONGEST_FIRST = (CONFIRMED, UNVERIFIED, TRANSIENT)


def _texts(value: Any) -> List[Tuple[Optional[str], Any]]:
    if value is None:
        return []
    if isinstance(value, (str, bytes)):
        return [(None, value)]
    if isinstance(value, Mapping):
        if "content" in value:
            return [(value.get("name"), value.get("content"))]
        return [(str(k), v) for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        out: List[Tuple[Optional[str], Any]] = []
        for item in value:
            out.extend(_texts(item))
        return out
    raise ParseError("captures of a host must be text, a list of texts or a mapping file name -> text, not %s"
                     % type(value).__name__)


def _facing(snap: Mapping[str, Any], peer: Optional[str]) -> bool:
    """Whether the snapshot holds an SA block with ``peer``."""
    return peer is not None and any(maybe_addr(str(sa.get("peer") or "")) == peer for sa in snap.get("ipsec_sas") or [])


def _hexes(spis: List[int]) -> str:
    return ", ".join(spi_hex(s) for s in spis) if spis else "none"


def _address_book(snapshots: Mapping[str, List[Mapping[str, Any]]], addresses: Optional[Mapping[str, Any]],
                  assessments: Mapping[str, Mapping[str, Any]]) -> Dict[str, str]:
    """desync.address_book: the routers' own addresses first; what captures and flows tell fills the gaps."""
    own = [(addr, str(host)) for host, addrs in (addresses or {}).items() for addr in addrs or []]
    seen: List[Tuple[Any, str]] = []
    for host, snaps in snapshots.items():
        for snap in snaps:
            seen.extend((sa.get("local_addr"), host) for sa in snap.get("ipsec_sas") or [])
            if snap.get("trigger"):
                seen.append((snap["trigger"].get("dst"), host))
    for host, assessment in assessments.items():
        for flow in assessment.get("flows") or []:
            seen.append((flow.get("dst"), str(host)))
            if flow.get("sender"):
                seen.append((flow.get("src"), str(flow["sender"])))
    return desync.address_book(own, seen)


def _nearest(snap: Mapping[str, Any], candidates: Iterable[Mapping[str, Any]], towards: str,
             tolerance: float) -> Optional[Mapping[str, Any]]:
    """The sender's snapshot with SAs towards the receiver nearest in time to ``snap``, within tolerance."""
    best: Optional[Tuple[float, Mapping[str, Any]]] = None
    for other in candidates:
        if other.get("epoch") is None or not _facing(other, towards):
            continue
        gap = abs(other["epoch"] - snap["epoch"])
        if gap <= tolerance and (best is None or gap < best[0]):
            best = (gap, other)
    return best[1] if best else None


def _judge(receiver: str, snap: Mapping[str, Any], snapshots: Mapping[str, List[Mapping[str, Any]]],
           book: Mapping[str, str], tolerance: float) -> Dict[str, Any]:
    src = snap.get("sender")
    spi: int = snap["spi"]  # merge_captures judges only snapshots with an int SPI
    trigger = snap.get("trigger") or {}
    dst = maybe_addr(str(trigger.get("dst") or "")) or next(
        (maybe_addr(str(sa.get("local_addr"))) for sa in snap.get("ipsec_sas") or [] if sa.get("local_addr")), None)
    when = snap.get("time") or "an unknown time"
    r_in = desync.sa_spis(snap.get("ipsec_sas") or [], src, "inbound")
    evidence = ["captured at %s on %s: inbound SPIs from %s: %s (%s %s)"
                % (when, receiver, src, _hexes(r_in), spi_hex(spi), "present" if spi in r_in else "absent")]
    sender = book.get(src) if src else None
    if sender == receiver:
        sender = None
    other = None
    if sender and dst and snap.get("epoch") is not None:
        other = _nearest(snap, snapshots.get(sender) or [], dst, tolerance)
    s_out = desync.sa_spis(other.get("ipsec_sas") or [], dst, "outbound") if other is not None else None
    verdict = VERDICT_OF[desync.judge(spi, r_in, s_out)]
    if spi in r_in:
        evidence.append("the receiver had the SPI when it logged the message: a rekey race")
    if other is not None and s_out is not None:
        evidence.append("captured at %s on %s (%+.0f s): outbound SPIs towards %s: %s (%s %s)"
                        % (other.get("time"), sender, other["epoch"] - snap["epoch"], dst, _hexes(s_out),
                           spi_hex(spi), "present" if spi in s_out else "absent"))
    elif sender:
        evidence.append("no capture of %s within %.0f s of this one" % (sender, tolerance))
    else:
        evidence.append("the sender %s is not among the captured routers" % src)
    evidence.append("captured at %s: %s" % (when, verdict))
    return {"receiver": receiver, "sender": sender, "sender_addr": src, "receiver_addr": dst, "spi": spi,
            "spi_hex": spi_hex(spi) if isinstance(spi, int) else None, "epoch": snap.get("epoch"), "time": when,
            "verdict": verdict, "receiver_inbound": r_in, "receiver_has_sa": _facing(snap, src),
            "sender_outbound": s_out or [], "sender_snapshot_time": other.get("time") if other is not None else None,
            "evidence": evidence,
            "ike_versions": sorted({row.get("version") for row in (snap.get("ike_sas") or [])
                                    if row.get("version") and src in (row.get("remote"), row.get("src"), row.get("dst"))}),
            "log_lines": snap.get("log_lines") or []}


def _finding(code: str, severity: str, message: str, subject: Optional[str], **extra: Any) -> Dict[str, Any]:
    return finding(code, message, subject, severity=severity, source="capture", **extra)


def _group_findings(receiver: str, group: List[Dict[str, Any]], existing: List[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    first = group[0]
    src, spi = first["sender_addr"], first["spi"]
    label = spi_hex(spi) if isinstance(spi, int) else "unknown"
    verdicts = [v["verdict"] for v in group]
    times = [v["time"] for v in group]
    findings: List[Dict[str, Any]] = []
    common = {"spi": spi, "spi_hex": label, "sender": first["sender"], "captures": len(group),
              "captured_at": times}
    if CONFIRMED in verdicts:
        hit = group[verdicts.index(CONFIRMED)]
        findings.append(_finding(
            "CAPTURED_DESYNC", "error",
            "INV_SPI %s from %s captured at %s (%d capture(s)): %s lacked the SPI while %s still sent with it: "
            "confirmed" % (label, src, hit["time"], len(group), receiver, hit["sender"]), src, **common))
    elif UNVERIFIED in verdicts:
        hit = group[verdicts.index(UNVERIFIED)]
        findings.append(_finding(
            "CAPTURED_DESYNC", "warning",
            "INV_SPI %s from %s captured at %s (%d capture(s)): %s lacked the SPI; the sender's side was not "
            "captured, so the desync is not confirmed" % (label, src, hit["time"], len(group), receiver), src, **common))
    if spi_top_byte_ff(spi) and not any(
            f.get("code") == "SPI_TOP_BYTE_FF" and label in str(f.get("message")) for f in existing):
        findings.append(_finding(
            "SPI_TOP_BYTE_FF", "warning",
            "captured SPI %s from %s starts with 0xFF: matches the symptom of %s (ESP packets whose SPI starts with "
            "0xFF dropped as invalid SPI); compare the release with the bug's fixed releases, this is not a diagnosis"
            % (label, src, BUG_FF), src, bug=BUG_FF, spi=spi, spi_hex=label))
    confirmed = [v for v in group if v["verdict"] == CONFIRMED]
    replaced = [v for v in confirmed if v["receiver_inbound"] and "ikev2" not in v["ike_versions"]]
    if replaced:
        hit = replaced[0]
        findings.append(_finding(
            "KNOWN_BUG_SYMPTOM", "warning",
            "captured at %s: %s held other inbound SPIs from %s (%s) but not %s, which the sender used: matches the "
            "symptom of %s (IOS XE ISAKMP deletes a new SPI when a packet with it arrives before its installation "
            "is done); not a diagnosis"
            % (hit["time"], receiver, src, _hexes(hit["receiver_inbound"]), label, BUG_NEW_SPI),
            src, bug=BUG_NEW_SPI, spi=spi, spi_hex=label))
    syntax = [v for v in group if any("INVALID_SYNTAX" in line for line in v["log_lines"])]
    if syntax:
        findings.append(_finding(
            "KNOWN_BUG_SYMPTOM", "warning",
            "captured at %s: the log of %s shows INVALID_SYNTAX around INV_SPI from %s: matches the symptom of %s "
            "(IKEv2: IOS cannot parse an INVALID_SPI notification with SPI size 0 and answers INVALID_SYNTAX); "
            "not a diagnosis" % (syntax[0]["time"], receiver, src, BUG_IKEV2_SYNTAX), src, bug=BUG_IKEV2_SYNTAX,
            spi=spi, spi_hex=label))
    return findings


def _year(value: Any) -> Optional[int]:
    if value is None or value == "":
        return None
    text = str(value).strip() if not isinstance(value, bool) else ""
    if not re.match(r"^[0-9]{4}$", text) or not 1970 <= int(text) <= 9999:
        raise ParseError("year must be a year from 1970 to 9999, not %r" % (value,))
    return int(text)


def merge_captures(captures: Any, assessments: Optional[Mapping[str, Any]] = None,
                   addresses: Optional[Mapping[str, Any]] = None, tolerance: float = 90.0,
                   waivers: Optional[List[Mapping[str, Any]]] = None, year: Optional[int] = None,
                   problems: Optional[list] = None,
                   capture_sets: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """Judge each captured INV_SPI of many routers with both ends' captured SA tables.

    ``captures``: host -> capture text, list of texts, or mapping file name -> text (parsed
    here). ``capture_sets``: host -> capture set already parsed where the files arrived
    (``read_captures``, the capture_fetch module's ``captures``); a host in both is read from
    its set. ``assessments``: host -> ``ipsec_spi_assessment`` (optional). ``addresses``:
    host -> its own addresses (optional; captured SA tables also tell them). A receiver
    capture at T is matched with the sender's capture nearest to T within ``tolerance`` s.

    Returns ``snapshots`` (host -> snapshots), ``verdicts`` (one per receiver capture:
    ``receiver``, ``sender``, ``sender_addr``, ``receiver_addr``, ``spi``, ``spi_hex``,
    ``epoch``, ``time``, ``verdict`` = confirmed | unverified | transient, ``evidence``),
    ``findings`` (host -> the findings added) and ``assessments`` (host -> a copy of the
    assessment with the findings appended, flows annotated with ``captured``, a
    ``captures`` summary and ``compliant`` recomputed).
    """
    if not isinstance(captures, Mapping):
        raise ParseError("captures must be a mapping host -> capture text(s), not %s" % type(captures).__name__)
    if capture_sets is not None and not isinstance(capture_sets, Mapping):
        raise ParseError("capture_sets must be a mapping host -> capture set, not %s" % type(capture_sets).__name__)
    if assessments is not None and not isinstance(assessments, Mapping):
        raise ParseError("assessments must be a mapping host -> assessment, not %s" % type(assessments).__name__)
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not 0 <= tolerance < math.inf:
        raise ParseError("tolerance must be a number of seconds >= 0, not %r" % (tolerance,))
    year = _year(year)
    assessments = {str(k): v for k, v in (assessments or {}).items() if isinstance(v, Mapping)}
    compiled = compile_waivers(waivers)
    sets: Dict[str, Dict[str, Any]] = {}
    for host, value in (capture_sets or {}).items():
        sets[str(host)] = check_capture_set(value, str(host))
    for host, value in captures.items():
        if str(host) not in sets:
            sets[str(host)] = read_captures(_texts(value), host=str(host), year=year)
    snapshots = {host: item["snapshots"] for host, item in sets.items()}
    if problems is not None:
        for item in sets.values():
            problems.extend(item["problems"])
    book = _address_book(snapshots, addresses, assessments)
    verdicts: List[Dict[str, Any]] = []
    for host, snaps in snapshots.items():
        for snap in snaps:
            if snap.get("kind") == "receiver" and snap.get("sender") and isinstance(snap.get("spi"), int):
                verdicts.append(_judge(host, snap, snapshots, book, float(tolerance)))
    groups: Dict[Tuple[str, str, int], List[Dict[str, Any]]] = {}
    for verdict in verdicts:
        groups.setdefault((verdict["receiver"], verdict["sender_addr"], verdict["spi"]), []).append(verdict)
    findings: Dict[str, List[Dict[str, Any]]] = {host: [] for host in snapshots}
    merged: Dict[str, Any] = {}
    today = datetime.date.today()
    for host in sorted(set(snapshots) | set(assessments)):
        base = assessments.get(host)
        existing = [f for f in (base or {}).get("findings") or [] if f.get("source") != "capture"]
        host_findings: List[Dict[str, Any]] = []
        for key in sorted(k for k in groups if k[0] == host):
            host_findings.extend(_group_findings(host, groups[key], existing))
        findings[host] = host_findings
        if base is None:
            continue
        merged[host] = _merged(host, base, existing, host_findings, groups, sets.get(host), verdicts)
        settle(merged[host], compiled, today)
    return {
        "snapshots": snapshots,
        "verdicts": [{k: v for k, v in item.items() if k != "log_lines"} for item in verdicts],
        "findings": findings,
        "assessments": merged,
    }


def _merged(host: str, base: Mapping[str, Any], existing: List[Mapping[str, Any]], host_findings: List[Dict[str, Any]],
            groups: Mapping[Tuple[Any, ...], List[Dict[str, Any]]], captured: Optional[Mapping[str, Any]],
            verdicts: List[Dict[str, Any]]) -> Dict[str, Any]:
    """A copy of one router's assessment with its captured evidence (compliance is settled by the caller)."""
    assessment = dict(base)
    assessment["findings"] = [dict(f) for f in existing] + host_findings
    flows = []
    for flow in base.get("flows") or []:
        item = dict(flow)
        item.pop("captured", None)
        group = groups.get((host, maybe_addr(str(flow.get("src") or "")), flow.get("spi")))
        if group:
            best = min(group, key=lambda v: STRONGEST_FIRST.index(v["verdict"]))
            item["captured"] = {"verdict": best["verdict"], "count": len(group), "first": group[0]["time"],
                                "last": group[-1]["time"], "evidence": best["evidence"]}
        flows.append(item)
    assessment["flows"] = flows
    snaps = (captured or {}).get("snapshots") or []
    assessment["captures"] = {
        "files": list((captured or {}).get("files") or []),
        "snapshots": len(snaps),
        "incomplete": sum(1 for s in snaps if not s.get("complete")),
        "verdicts": [{k: v for k, v in item.items() if k != "log_lines"} for item in verdicts if item["receiver"] == host],
    }
    return assessment
