# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The evidence judge: every captured INV_SPI with both ends' captured SA tables, merged into assessments.

Depends on codes, desync, common and the capture parser only: never on the assessment
(assess.py), whose output it takes as plain data.
"""

from __future__ import annotations

import datetime
import math
import re
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.capture.parse import parse_capture
from ansible_collections.netops.ipsec_spi.plugins.module_utils.codes import compile_waivers, finding, settle
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, maybe_addr, spi_hex

BUG_FF = "CSCvp16730"
BUG_NEW_SPI = "CSCvn31824"
BUG_IKEV2_SYNTAX = "CSCvd40554"


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


def _sas_with(snap: Mapping[str, Any], peer: str) -> List[Mapping[str, Any]]:
    return [sa for sa in snap.get("ipsec_sas") or [] if maybe_addr(str(sa.get("peer") or "")) == peer]


def _outbound(sas: Iterable[Mapping[str, Any]]) -> List[int]:
    out: List[int] = []
    for sa in sas:
        for spi in list(sa.get("outbound_spis") or []) + [sa.get("current_outbound_spi")]:
            if isinstance(spi, int) and spi not in out:
                out.append(spi)
    return out


def _inbound(sas: Iterable[Mapping[str, Any]]) -> List[int]:
    out: List[int] = []
    for sa in sas:
        for spi in sa.get("inbound_spis") or []:
            if spi not in out:
                out.append(spi)
    return out


def _hexes(spis: List[int]) -> str:
    return ", ".join(spi_hex(s) for s in spis) if spis else "none"


def _address_book(snapshots: Mapping[str, List[Mapping[str, Any]]], addresses: Optional[Mapping[str, Any]],
                  assessments: Mapping[str, Mapping[str, Any]]) -> Dict[str, str]:
    book: Dict[str, str] = {}
    ambiguous = set()

    def put(addr: Any, host: str) -> None:
        addr = maybe_addr(str(addr)) if addr is not None else None
        if addr is None:
            return
        if book.get(addr, host) != host:
            ambiguous.add(addr)
        book.setdefault(addr, host)

    for host, addrs in (addresses or {}).items():
        for addr in addrs or []:
            put(addr, str(host))
    for host, snaps in snapshots.items():
        for snap in snaps:
            for sa in snap.get("ipsec_sas") or []:
                put(sa.get("local_addr"), host)
            if snap.get("trigger"):
                put(snap["trigger"].get("dst"), host)
    for host, assessment in assessments.items():
        for flow in assessment.get("flows") or []:
            put(flow.get("dst"), str(host))
            if flow.get("sender"):
                put(flow.get("src"), str(flow["sender"]))
    for addr in ambiguous:
        book.pop(addr, None)
    return book


def _judge(receiver: str, snap: Mapping[str, Any], snapshots: Mapping[str, List[Mapping[str, Any]]],
           book: Mapping[str, str], tolerance: float) -> Dict[str, Any]:
    src = snap.get("sender")
    spi = snap.get("spi")
    trigger = snap.get("trigger") or {}
    dst = maybe_addr(str(trigger.get("dst") or "")) or next(
        (maybe_addr(str(sa.get("local_addr"))) for sa in snap.get("ipsec_sas") or [] if sa.get("local_addr")), None)
    when = snap.get("time") or "an unknown time"
    rsas = _sas_with(snap, src) if src else []
    r_in = _inbound(rsas)
    evidence = ["captured at %s on %s: inbound SPIs from %s: %s (%s %s)"
                % (when, receiver, src, _hexes(r_in), spi_hex(spi), "present" if spi in r_in else "absent")]
    sender = book.get(src) if src else None
    if sender == receiver:
        sender = None
    best = None
    if sender and dst and snap.get("epoch") is not None:
        for other in snapshots.get(sender) or []:
            if other.get("epoch") is None or not _sas_with(other, dst):
                continue
            gap = abs(other["epoch"] - snap["epoch"])
            if gap <= tolerance and (best is None or gap < best[0]):
                best = (gap, other)
    verdict = "unverified"
    s_out: List[int] = []
    if spi in r_in:
        verdict = "transient"
        evidence.append("the receiver had the SPI when it logged the message: a rekey race")
    if best is not None:
        gap, other = best
        s_out = _outbound(_sas_with(other, dst))
        evidence.append("captured at %s on %s (%+.0f s): outbound SPIs towards %s: %s (%s %s)"
                        % (other.get("time"), sender, other["epoch"] - snap["epoch"], dst, _hexes(s_out),
                           spi_hex(spi), "present" if spi in s_out else "absent"))
        if verdict != "transient":
            verdict = "confirmed" if spi in s_out else "transient"
    elif sender:
        evidence.append("no capture of %s within %.0f s of this one" % (sender, tolerance))
    else:
        evidence.append("the sender %s is not among the captured routers" % src)
    evidence.append("captured at %s: %s" % (when, verdict))
    return {"receiver": receiver, "sender": sender, "sender_addr": src, "receiver_addr": dst, "spi": spi,
            "spi_hex": spi_hex(spi) if isinstance(spi, int) else None, "epoch": snap.get("epoch"), "time": when,
            "verdict": verdict, "receiver_inbound": r_in, "receiver_has_sa": bool(rsas), "sender_outbound": s_out,
            "sender_snapshot_time": best[1].get("time") if best else None, "evidence": evidence,
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
    if "confirmed" in verdicts:
        hit = group[verdicts.index("confirmed")]
        findings.append(_finding(
            "CAPTURED_DESYNC", "error",
            "INV_SPI %s from %s captured at %s (%d capture(s)): %s lacked the SPI while %s still sent with it: "
            "confirmed" % (label, src, hit["time"], len(group), receiver, hit["sender"]), src, **common))
    elif "unverified" in verdicts:
        hit = group[verdicts.index("unverified")]
        findings.append(_finding(
            "CAPTURED_DESYNC", "warning",
            "INV_SPI %s from %s captured at %s (%d capture(s)): %s lacked the SPI; the sender's side was not "
            "captured, so the desync is not confirmed" % (label, src, hit["time"], len(group), receiver), src, **common))
    if isinstance(spi, int) and spi >> 24 == 0xFF and not any(
            f.get("code") == "SPI_TOP_BYTE_FF" and label in str(f.get("message")) for f in existing):
        findings.append(_finding(
            "SPI_TOP_BYTE_FF", "warning",
            "captured SPI %s from %s starts with 0xFF: matches the symptom of %s (ESP packets whose SPI starts with "
            "0xFF dropped as invalid SPI); compare the release with the bug's fixed releases, this is not a diagnosis"
            % (label, src, BUG_FF), src, bug=BUG_FF, spi=spi, spi_hex=label))
    confirmed = [v for v in group if v["verdict"] == "confirmed"]
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
                   problems: Optional[list] = None) -> Dict[str, Any]:
    """Parse every host's capture files and judge each captured INV_SPI with both ends' captured SA tables.

    ``captures``: host -> capture text, list of texts, or mapping file name -> text.
    ``assessments``: host -> ``ipsec_spi_assessment`` (optional). ``addresses``: host ->
    its own addresses (optional; captured SA tables also tell them). A receiver capture
    at T is matched with the sender's capture nearest to T within ``tolerance`` seconds.

    Returns ``snapshots`` (host -> snapshots), ``verdicts`` (one per receiver capture:
    ``receiver``, ``sender``, ``sender_addr``, ``receiver_addr``, ``spi``, ``spi_hex``,
    ``epoch``, ``time``, ``verdict`` = confirmed | unverified | transient, ``evidence``),
    ``findings`` (host -> the findings added) and ``assessments`` (host -> a copy of the
    assessment with the findings appended, flows annotated with ``captured``, a
    ``captures`` summary and ``compliant`` recomputed).
    """
    if not isinstance(captures, Mapping):
        raise ParseError("captures must be a mapping host -> capture text(s), not %s" % type(captures).__name__)
    if assessments is not None and not isinstance(assessments, Mapping):
        raise ParseError("assessments must be a mapping host -> assessment, not %s" % type(assessments).__name__)
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not 0 <= tolerance < math.inf:
        raise ParseError("tolerance must be a number of seconds >= 0, not %r" % (tolerance,))
    year = _year(year)
    assessments = {str(k): v for k, v in (assessments or {}).items() if isinstance(v, Mapping)}
    compiled = compile_waivers(waivers)
    snapshots: Dict[str, List[Dict[str, Any]]] = {}
    files: Dict[str, List[str]] = {}
    for host, value in captures.items():
        host = str(host)
        snapshots[host] = []
        files[host] = []
        for name, text in _texts(value):
            if text is None:
                continue
            files[host].append(name or "capture")
            snapshots[host].extend(parse_capture(text, host=host, file=name, problems=problems, year=year))
        snapshots[host].sort(key=lambda s: (s.get("epoch") is None, s.get("epoch") or 0))
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
        assessment = dict(base)
        assessment["findings"] = [dict(f) for f in existing] + host_findings
        flows = []
        for flow in base.get("flows") or []:
            item = dict(flow)
            item.pop("captured", None)
            group = groups.get((host, maybe_addr(str(flow.get("src") or "")), flow.get("spi")))
            if group:
                order = ("confirmed", "unverified", "transient")
                best = min(group, key=lambda v: order.index(v["verdict"]))
                item["captured"] = {"verdict": best["verdict"], "count": len(group), "first": group[0]["time"],
                                    "last": group[-1]["time"], "evidence": best["evidence"]}
            flows.append(item)
        assessment["flows"] = flows
        assessment["captures"] = {
            "files": files.get(host, []),
            "snapshots": len(snapshots.get(host, [])),
            "incomplete": sum(1 for s in snapshots.get(host, []) if not s.get("complete")),
            "verdicts": [{k: v for k, v in item.items() if k not in ("log_lines",)}
                         for item in verdicts if item["receiver"] == host],
        }
        settle(assessment, compiled, today)
        merged[host] = assessment
    return {
        "snapshots": snapshots,
        "verdicts": [{k: v for k, v in item.items() if k != "log_lines"} for item in verdicts],
        "findings": findings,
        "assessments": merged,
    }
