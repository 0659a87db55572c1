# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Capture files into snapshots, and ``dir flash:`` into a file table.

Each command output of a capture block is read by the parser routes.py routes it
to, so a capture is read exactly like a live gather. The capture_fetch module calls
``read_captures`` where the files arrive (in the worker, on the controller): what
travels on to the evidence judge is parsed snapshots, not raw text.
"""

from __future__ import annotations

import datetime
import math
import re
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.capture.applet import BEGIN, CMD_MARK, END
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import (
    ParseError,
    UnsupportedCommand,
    as_lines,
    maybe_addr,
    parse_spi,
    problem,
    spi_hex,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ike import parse_ike_sas
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ipsec_sa import parse_ipsec_sas
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.qfp import parse_qfp_ipsec_drops
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog import parse_events
from ansible_collections.netops.ipsec_spi.plugins.module_utils.routes import route

KINDS = ("receiver", "twin")
# A capture's own time stamp ($_event_pub_sec): seconds since 1970, at most the end of year 9999
# (what a datetime can hold on every platform). Anything else is a corrupt header, not a time.
MAX_EPOCH = 253402300799.0

_PROMPT_RE = re.compile(r"^[A-Za-z0-9_.:/()-]{1,64}[#>][ \t]*$")
_DIR_ROW_RE = re.compile(r"^[ \t]*[0-9]{1,12}[ \t]+([-drwx]{4,10})[ \t]+([0-9]{1,20})[ \t]+(.*)$")
_DIR_FREE_RE = re.compile(r"^[ \t]*([0-9]{1,20})[ \t]+bytes[ \t]+total[ \t]+\(([0-9]{1,20})[ \t]+bytes[ \t]+free\)")
_FORMAT_RE = re.compile(r"^[0-9]{1,9}$")

# Which snapshot key each routed parser fills (routes.route: command -> parser).
_SECTIONS = {
    parse_ipsec_sas: "ipsec_sas",
    parse_ike_sas: "ike_sas",
    parse_qfp_ipsec_drops: "qfp_ipsec_drops",
    parse_events: "log_events",
}
LOG_LINES_KEPT = 200


def parse_dir(text: Any) -> Dict[str, Any]:
    """``dir flash:`` -> ``{files: {name: size}, total, free}`` (sizes in bytes; total/free None if not shown)."""
    files: Dict[str, int] = {}
    total = free = None
    for line in as_lines(text, "dir output"):
        match = _DIR_ROW_RE.match(line)
        if match:
            # "<date> <time> <zone> <name>": the name is the last word.
            rest = match.group(3).split()
            if len(rest) >= 2 and not match.group(1).startswith("d"):
                files[rest[-1]] = int(match.group(2))
            continue
        match = _DIR_FREE_RE.match(line)
        if match:
            total, free = int(match.group(1)), int(match.group(2))
    return {"files": files, "total": total, "free": free}


def epoch_of(value: Any) -> Optional[float]:
    """A capture time stamp as float seconds, or None when it is not one (inf, NaN, out of range)."""
    if isinstance(value, bool):
        return None
    try:
        epoch = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(epoch) or not 0 <= epoch <= MAX_EPOCH:
        return None
    return epoch


def iso(epoch: Optional[float]) -> Optional[str]:
    if epoch is None:
        return None
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc).isoformat()


def _strip_prompt(lines: List[str]) -> List[str]:
    end = len(lines)
    while end:
        last = lines[end - 1].strip()
        if last and not _PROMPT_RE.match(last):
            break
        end -= 1
    return lines[:end]


def _new_snapshot(host: Optional[str], file: Optional[str], lineno: int) -> Dict[str, Any]:
    return {"host": host, "file": file, "line": lineno, "format": None, "applet": None, "kind": None, "epoch": None,
            "time": None, "sender": None, "peers": [], "spi": None, "spi_hex": None, "trigger": None, "commands": [],
            "ipsec_sas": [], "ike_sas": [], "qfp_ipsec_drops": None, "log_events": [], "log_lines": [],
            "unsupported_commands": [], "complete": False}


def parse_capture(data: Any, host: Optional[str] = None, file: Optional[str] = None,
                  problems: Optional[list] = None, year: Optional[int] = None) -> List[Dict[str, Any]]:
    """Split a capture file into snapshots and parse each command output with the collection's parsers.

    Each snapshot: ``host``, ``file``, ``line``, ``applet``, ``kind`` (``receiver`` or
    ``twin``), ``epoch`` / ``time`` (when the applet ran), ``sender`` / ``spi`` /
    ``spi_hex`` / ``trigger`` (the INV_SPI event, receiver captures), ``peers`` (twin),
    ``commands``, ``ipsec_sas``, ``ike_sas``, ``qfp_ipsec_drops``, ``log_events``,
    ``log_lines``, ``unsupported_commands`` and ``complete`` (False when the block has
    no end marker: the applet was cut short, e.g. by a full flash or maxrun).
    """
    lines = as_lines(data, "capture file")
    snapshots: List[Dict[str, Any]] = []
    snap: Optional[Dict[str, Any]] = None
    sections: List[Tuple[str, int, List[str]]] = []
    header_done = False
    where = file or "capture"

    def finish(complete: bool) -> None:
        if snap is None:
            return
        snap["complete"] = complete
        if not complete:
            problem(problems, snap["line"], "%s: capture block has no end marker (cut short: full flash or maxrun)"
                    % where, BEGIN)
        for command, start, body in sections:
            _parse_section(snap, command, start, _strip_prompt(body), problems, where, year)
        if snap["epoch"] is None and snap["trigger"] is not None:
            snap["epoch"] = epoch_of(snap["trigger"].get("epoch"))
            snap["time"] = iso(snap["epoch"])
        snapshots.append(snap)

    for lineno, raw in enumerate(lines, 1):
        line = raw.rstrip("\r")
        stripped = line.strip()
        if not stripped:
            # Blank lines matter only inside a command's output (a file of them must stay cheap).
            if snap is not None and header_done:
                sections[-1][2].append(line)
            continue
        if stripped == BEGIN:
            finish(False)
            snap = _new_snapshot(host, file, lineno)
            sections = []
            header_done = False
            continue
        if snap is None:
            problem(problems, lineno, "%s: text outside a capture block" % where, line)
            continue
        if stripped == END:
            finish(True)
            snap = None
            continue
        if stripped.startswith(CMD_MARK) and stripped.endswith("---"):
            header_done = True
            sections.append((stripped[len(CMD_MARK):-3].strip(), lineno, []))
            continue
        if not header_done:
            key, sep, value = stripped.partition(": ")
            if not sep and stripped.endswith(":"):
                key, sep, value = stripped[:-1], ":", ""
            if not sep:
                problem(problems, lineno, "%s: not a 'key: value' header line" % where, line)
                continue
            _header(snap, key, value.strip(), lineno, problems, where, year)
            continue
        sections[-1][2].append(line)
    finish(False)
    return snapshots


def _header(snap: Dict[str, Any], key: str, value: str, lineno: int, problems: Optional[list], where: str,
            year: Optional[int]) -> None:
    if key == "format":
        if _FORMAT_RE.match(value):
            snap["format"] = int(value)
        else:
            snap["format"] = value[:20]
            problem(problems, lineno, "%s: format %r is not a format number" % (where, value[:20]), value)
    elif key == "applet":
        snap["applet"] = value
    elif key == "kind":
        if value not in KINDS:
            problem(problems, lineno, "%s: unknown capture kind %r" % (where, value), value)
        snap["kind"] = value
    elif key == "epoch":
        snap["epoch"] = epoch_of(value)
        snap["time"] = iso(snap["epoch"])
        if snap["epoch"] is None:
            problem(problems, lineno, "%s: epoch %r is not a time stamp (seconds since 1970, up to the year 9999)"
                    % (where, value[:40]), value)
    elif key == "sender":
        snap["sender"] = maybe_addr(value)
        if snap["sender"] is None:
            problem(problems, lineno, "%s: sender %r is not an address" % (where, value), value)
    elif key == "spi":
        try:
            snap["spi"] = parse_spi(value)
            snap["spi_hex"] = spi_hex(snap["spi"])
        except ParseError:
            problem(problems, lineno, "%s: spi %r is not an SPI" % (where, value), value)
    elif key == "peers":
        snap["peers"] = [a for a in (maybe_addr(p) for p in value.split()) if a]
    elif key == "message":
        found = parse_events(value, host=snap["host"], year=year, problems=problems)
        if found:
            event = found[0]
            keys = ("mnemonic", "src", "dst", "prot", "spi", "spi_hex", "epoch", "time", "interface")
            snap["trigger"] = {k: event.get(k) for k in keys}
            snap["trigger"]["message"] = value
            if snap["spi"] is None:
                snap["spi"], snap["spi_hex"] = event["spi"], event["spi_hex"]
            if snap["sender"] is None:
                snap["sender"] = event["src"]
        else:
            problem(problems, lineno, "%s: the triggering message is not an INV_SPI message" % where, value)


def _section_of(command: str) -> Optional[str]:
    try:
        return _SECTIONS.get(route(command).parse)
    except ValueError:
        return None     # `show clock`, or a command no parser reads: kept in `commands` only


def _parse_section(snap: Dict[str, Any], command: str, start: int, body: List[str], problems: Optional[list],
                   where: str, year: Optional[int]) -> None:
    snap["commands"].append(command)
    section = _section_of(command)
    local: List[Dict[str, Any]] = []
    try:
        if section == "ipsec_sas":
            snap["ipsec_sas"].extend(parse_ipsec_sas(body, problems=local))
        elif section == "ike_sas":
            snap["ike_sas"].extend(parse_ike_sas(body, problems=local))
        elif section == "qfp_ipsec_drops":
            snap["qfp_ipsec_drops"] = parse_qfp_ipsec_drops(body, problems=local)
        elif section == "log_events":
            snap["log_lines"] = body[-LOG_LINES_KEPT:]
            snap["log_events"] = parse_events(body, host=snap["host"], year=year, problems=local)
    except UnsupportedCommand:
        snap["unsupported_commands"].append(command)
    except ParseError as exc:
        problem(problems, start, "%s: %s: %s" % (where, command, exc), "")
    for item in local:
        line = item.get("line")
        problem(problems, start + line if isinstance(line, int) else start,
                "%s: %s: %s" % (where, command, item.get("reason")), item.get("text") or "")


def read_captures(files: Iterable[Tuple[Optional[str], Any]], host: Optional[str] = None,
                  year: Optional[int] = None) -> Dict[str, Any]:
    """One router's capture files, ``(name, text)`` pairs, into its capture set.

    ``{files: [names], snapshots: [...] (oldest first, undated last), problems: [...]}``:
    what the capture_fetch module returns as ``captures`` and the evidence judge reads.
    """
    out: Dict[str, Any] = {"files": [], "snapshots": [], "problems": []}
    for name, text in files:
        if text is None:
            continue
        out["files"].append(name or "capture")
        out["snapshots"].extend(parse_capture(text, host=host, file=name, problems=out["problems"], year=year))
    out["snapshots"].sort(key=lambda s: (s.get("epoch") is None, s.get("epoch") or 0))
    return out


def _listed(value: Any, what: str) -> List[Any]:
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise ParseError("%s must be a list, not %s" % (what, type(value).__name__))
    return list(value)


def _checked_snapshot(snap: Any, host: str, where: str) -> Dict[str, Any]:
    if not isinstance(snap, Mapping):
        raise ParseError("%s is %s, not a mapping" % (where, type(snap).__name__))
    item = dict(snap)
    if item.get("host") is None:
        item["host"] = host
    if item.get("kind") not in KINDS + (None,):
        raise ParseError("%s: unknown capture kind %r" % (where, item.get("kind")))
    epoch = item.get("epoch")
    if epoch is not None and (isinstance(epoch, bool) or not isinstance(epoch, (int, float)) or epoch_of(epoch) is None):
        raise ParseError("%s: epoch %r is not a time stamp (seconds since 1970, up to the year 9999)" % (where, epoch))
    spi = item.get("spi")
    if spi is not None and (isinstance(spi, bool) or not isinstance(spi, int) or not 0 <= spi <= 0xFFFFFFFF):
        raise ParseError("%s: spi %r is not an SPI" % (where, spi))
    if item.get("sender") is not None:
        item["sender"] = maybe_addr(str(item["sender"]))
    if item.get("trigger") is not None and not isinstance(item["trigger"], Mapping):
        raise ParseError("%s: trigger must be a mapping or null" % where)
    for key in ("ipsec_sas", "ike_sas"):
        rows = _listed(item.get(key), "%s: %s" % (where, key))
        if not all(isinstance(row, Mapping) for row in rows):
            raise ParseError("%s: every entry of %s must be a mapping" % (where, key))
        item[key] = rows
    item["log_lines"] = [str(line) for line in _listed(item.get("log_lines"), "%s: log_lines" % where)]
    return item


def check_capture_set(value: Any, host: str) -> Dict[str, Any]:
    """A capture set read back (a host variable, a registered result): ``read_captures``'s shape, checked.

    It crossed Ansible's variables, so it is checked like any other input; ParseError
    names the host, the snapshot and what is wrong.
    """
    where = "capture set of %s" % host
    if not isinstance(value, Mapping):
        raise ParseError("%s must be a mapping with files, snapshots and problems, not %s"
                         % (where, type(value).__name__))
    snapshots = [_checked_snapshot(snap, host, "%s: snapshot %d" % (where, index))
                 for index, snap in enumerate(_listed(value.get("snapshots"), where + ": snapshots"), 1)]
    snapshots.sort(key=lambda s: (s.get("epoch") is None, s.get("epoch") or 0))
    problems = _listed(value.get("problems"), where + ": problems")
    if not all(isinstance(p, Mapping) for p in problems):
        raise ParseError("%s: every problem must be a mapping (line, reason, text)" % where)
    return {"files": [str(name) for name in _listed(value.get("files"), where + ": files")],
            "snapshots": snapshots, "problems": [dict(p) for p in problems]}
