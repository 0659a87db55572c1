# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Syslog-server archives: a folder (or glob) of rotated files read as one stream, oldest first.

``messages.3.gz messages.2.gz messages.1 messages`` (or ``messages-20240901.gz``
...) are read in that order, plain or compressed (gzip, bzip2, xz: told by
their first bytes, not their names), a chunk at a time: no file is ever
read whole, so memory stays the same whatever the archive's size. The
invalid-SPI events go to one bucket file per line host in a work folder
(written in batches with ``marshal``, ten times faster than JSON here; the
folder is private to the reading and the format is the running Python's, so
a reading is never used by another interpreter), so that each router, or
each host of a report, reads back only its own events.

* Oldest first: files are grouped by name with the rotation suffix and
  compression extension taken off (``messages``); in a group, numbered files
  go from the highest number down, dated ones (``-YYYYMMDD``) from the oldest
  date up, and the file without a suffix comes last. Groups go by name.
* The same line in two files counts once: the text of each of the last
  DEDUPE_WINDOW to 2 x DEDUPE_WINDOW invalid-SPI lines is remembered (a 64-bit
  hash of it) with its file; a later file's identical line is dropped and
  counted as a duplicate.
  Copies within one file are left to the flow rules (flows.dedupe_events).
* A missing, unreadable or corrupt file (a truncated gzip) is reported by
  name with the reason; the lines read before a corruption are kept, and the
  other files are still read. The text after the last line end before the
  corruption is a line cut short (``srcaddr=192.0.2.4`` of ``192.0.2.41``):
  a problem names its file, line, uncompressed offset and size; it is never
  parsed. Lines that mention the mnemonic but cannot be
  read are problems too (the first MAX_PROBLEMS are kept, all are counted).
"""

from __future__ import annotations

import bz2
import glob
import gzip
import json
import lzma
import marshal
import os
import re
import struct
import zlib
from collections import OrderedDict, deque
from operator import itemgetter
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.bulk import paused_gc
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog import KEYS, new_scanner, scan_stream

INDEX_VERSION = 3
DEDUPE_WINDOW = 65536
MAX_PROBLEMS = 200
# Rows buffered before the buckets are appended to (bounds memory).
_FLUSH_ROWS = 10000
_LENGTH = struct.Struct("<Q")
# Characters read at a time: small enough that a chunk, its decoded copy and
# the joined text stay a few MB, large enough that per-chunk work is noise.
CHUNK = 2 * 1024 * 1024
# A row: order number, file index, host came from the relay header, then the event's KEYS.
_ROW_HEAD = 3
_VALUES = itemgetter(*KEYS)
# A row's flow key, as flows.flows_from_keys takes it: (host, src, dst, spi, prot, time, epoch, sequence).
_FLOW_FIELDS = ("host", "src", "dst", "spi", "prot", "time", "epoch", "sequence")
row_key = itemgetter(*(_ROW_HEAD + KEYS.index(k) for k in _FLOW_FIELDS))
# Distinct bodies the scanner remembers while reading an archive (memory, not speed, bounds it here).
_MAX_BODIES = 16384

_MAGIC = ((b"\x1f\x8b", "gzip"), (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"))
_OPENERS = {
    "gzip": lambda raw: gzip.GzipFile(fileobj=raw, mode="rb"),
    "bzip2": lambda raw: bz2.BZ2File(raw, mode="rb"),
    "xz": lambda raw: lzma.LZMAFile(raw, mode="rb"),
}
_COMPRESSED_EXT_RE = re.compile(r"\.(?:gz|bz2|xz)\Z")
_NUMBERED_RE = re.compile(r"\A(.+)\.([0-9]{1,6})\Z")
_DATED_RE = re.compile(r"\A(.+?)[-_.]([0-9]{8})(?:[-_.]?([0-9]{1,6}))?\Z")
# What a broken compressed stream raises while it is read.
_READ_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError)
_PIECE = 64 * 1024
# Bytes of a line cut by a corruption shown in its problem.
_TAIL_SHOWN = 200


def rotation_key(path: str) -> tuple:
    """Sort key putting a rotated file set oldest first (see the module documentation)."""
    folder, name = os.path.split(path)
    base = _COMPRESSED_EXT_RE.sub("", name)
    numbered = _NUMBERED_RE.match(base)
    if numbered:
        return (folder, numbered.group(1), 0, -int(numbered.group(2)), name)
    dated = _DATED_RE.match(base)
    if dated:
        return (folder, dated.group(1), 0, int(dated.group(2) + (dated.group(3) or "").zfill(6)), name)
    return (folder, base, 1, 0, name)


def _file_problem(problems: List[Dict[str, Any]], path: str, reason: str) -> None:
    problems.append({"file": path, "line": None, "reason": reason, "text": ""})


def archive_files(spec: Any) -> Tuple[List[str], List[Dict[str, Any]]]:
    """The files of an archive, oldest first, and a problem for each part of ``spec`` that gave none.

    ``spec``: a folder (its regular files, hidden ones excepted), a file, a
    glob (``/var/log/cisco/messages*``), or a list of these.
    """
    specs = [spec] if isinstance(spec, str) else spec
    if isinstance(specs, (bytes, dict)) or not isinstance(specs, (list, tuple)) or not specs:
        raise ParseError("archive must be a folder, file or glob, or a list of them, not %r" % (spec,))
    problems: List[Dict[str, Any]] = []
    found: List[str] = []
    for item in specs:
        if not isinstance(item, str) or not item.strip():
            raise ParseError("archive entries must be non-empty path strings, not %r" % (item,))
        item = os.path.expanduser(item)
        if os.path.isdir(item):
            try:
                names = os.listdir(item)
            except OSError as exc:
                _file_problem(problems, item, "folder cannot be listed: %s" % (exc.strerror or exc))
                continue
            # Regular files, and broken links (reported when opened); never folders or pipes.
            files = [os.path.join(item, n) for n in sorted(names) if not n.startswith(".") and (
                os.path.isfile(os.path.join(item, n)) or not os.path.exists(os.path.join(item, n)))]
            if not files:
                _file_problem(problems, item, "folder holds no files")
        elif any(c in item for c in "*?["):
            files = [p for p in glob.glob(item) if os.path.isfile(p)]
            if not files:
                _file_problem(problems, item, "no file matches this pattern")
        elif os.path.lexists(item):
            files = [item]  # a file we cannot read is reported when it is opened
        else:
            _file_problem(problems, item, "no such file or folder")
            continue
        found.extend(files)
    unique = list(OrderedDict((os.path.abspath(p), None) for p in found))
    return sorted(unique, key=rotation_key), problems


class _Guarded(object):
    """A binary stream whose read errors end the stream and are kept, so what came before is still parsed.

    It also keeps where the last line end was: when the stream breaks, the
    bytes after it are the start of a line cut by the corruption
    (``srcaddr=192.0.2.4`` of ``192.0.2.41``), to be reported, never parsed.
    """

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.error: Optional[str] = None
        self.offset = 0       # uncompressed bytes read so far
        self.line_start = 0   # offset just after the last line end
        self.tail = b""       # the first bytes after it (what a problem shows)

    def broken(self) -> bool:
        return self.error is not None

    def read(self, size: int) -> bytes:
        if self.error is not None:
            return b""
        # In pieces: a read that fails loses what it had decompressed, so fail small.
        read = getattr(self.stream, "read1", self.stream.read)
        pieces = []
        wanted = size
        while wanted > 0:
            try:
                piece = read(min(wanted, _PIECE))
            except _READ_ERRORS as exc:
                self.error = "%s: %s" % (type(exc).__name__, exc)
                break
            if not piece:
                break
            pieces.append(piece)
            wanted -= len(piece)
        data = b"".join(pieces)
        cut = data.rfind(b"\n") + 1
        if cut:
            self.line_start = self.offset + cut
            self.tail = data[cut:cut + _TAIL_SHOWN]
        elif len(self.tail) < _TAIL_SHOWN:
            self.tail += data[:_TAIL_SHOWN - len(self.tail)]
        self.offset += len(data)
        return data


def _open(path: str) -> Tuple[Any, Any, Optional[str]]:
    """(raw file, decompressed stream, compression or None); OSError when it cannot be opened."""
    raw = open(path, "rb")
    try:
        head = raw.read(6)
        raw.seek(0)
    except OSError:
        raw.close()
        raise
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return raw, _OPENERS[kind](raw), kind
    return raw, raw, None


class _Buckets(object):
    """One file of marshalled row batches per line host in ``folder``; rows buffered, appended in batches."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.rows: Dict[str, List[list]] = {}
        self.buffered = 0
        self.hosts: Dict[str, Dict[str, Any]] = {}

    def new_host(self, host: str) -> List[list]:
        if host not in self.hosts:
            self.hosts[host] = {"bucket": "h%05d.rows" % len(self.hosts), "events": 0}
        rows = self.rows[host] = []
        return rows

    def flush(self) -> None:
        for host, rows in self.rows.items():
            blob = marshal.dumps(rows)
            with open(os.path.join(self.folder, self.hosts[host]["bucket"]), "ab") as out:
                # length first: marshal.load on a file reads it in tiny pieces, loads on the whole batch does not
                out.write(_LENGTH.pack(len(blob)) + blob)
            self.hosts[host]["events"] += len(rows)
        self.rows = {}
        self.buffered = 0


class _Reading(object):
    """The state of one archive reading: events go from the scanner to the buckets, file by file."""

    def __init__(self, folder: str, year: Any, now: Any, keep_recent: int, problems: List[Dict[str, Any]]) -> None:
        self.scanner = new_scanner(None, year, [], now, extra=[])
        self.scanner.max_bodies = _MAX_BODIES
        self.buckets = _Buckets(folder)
        # Two generations of line hashes -> file index: the window holds the last N to 2N lines.
        self.seen: Dict[int, int] = {}
        self.older: Dict[int, int] = {}
        self.recent: deque = deque(maxlen=max(0, int(keep_recent)))
        self.problems = problems
        self.problem_count = len(problems)
        self.order = 0
        self.index = 0
        self.info: Dict[str, Any] = {}

    def file_problem(self, path: str, reason: str) -> None:
        _file_problem(self.problems, path, reason)
        self.problem_count += 1

    def drain(self) -> None:
        """Take the events and problems the scanner found so far (called after each chunk)."""
        scanner, info, index = self.scanner, self.info, self.index
        events, extra, line_problems = scanner.events, scanner.extra, scanner.problems
        seen, older = self.seen, self.older
        buckets = self.buckets
        rows_of = buckets.rows
        keep = self.recent.append if self.recent.maxlen else None
        order = self.order
        kept = duplicates = 0
        for event, (line_hash, from_relay) in zip(events, extra):  # type: ignore[arg-type]
            first = seen.get(line_hash)
            if first is None:
                first = older.get(line_hash)
            if first is not None and first != index:
                duplicates += 1
                continue
            if first is None:
                seen[line_hash] = index
                if len(seen) >= DEDUPE_WINDOW:
                    self.older = older = seen
                    self.seen = seen = {}
            order += 1
            row = [order, index, from_relay, *_VALUES(event)]
            host = event["host"] or ""
            rows = rows_of.get(host)
            if rows is None:
                rows = buckets.new_host(host)
            rows.append(row)
            if keep is not None:
                keep(row)
            kept += 1
        self.order = order
        info["events"] += kept
        info["duplicates"] += duplicates
        buckets.buffered += kept
        if buckets.buffered >= _FLUSH_ROWS:
            buckets.flush()
        for item in line_problems:  # type: ignore[union-attr]
            info["problems"] += 1
            self.problem_count += 1
            if len(self.problems) < MAX_PROBLEMS:
                self.problems.append(dict(item, file=info["path"]))
        del events[:], extra[:], line_problems[:]  # type: ignore[index]

    def read_file(self, index: int, path: str, chunk: int) -> Dict[str, Any]:
        info: Dict[str, Any] = {"path": path, "compression": None, "lines": 0, "events": 0, "duplicates": 0,
                                "problems": 0, "error": None}
        self.index, self.info = index, info
        try:
            raw, stream, info["compression"] = _open(path)
        except OSError as exc:
            info["error"] = "cannot be read: %s" % (exc.strerror or exc)
            self.file_problem(path, info["error"])
            return info
        guarded = _Guarded(stream)
        try:
            with paused_gc():
                info["lines"] = scan_stream(self.scanner, guarded, chunk, self.drain, cut=guarded.broken)
        finally:
            if stream is not raw:
                stream.close()
            raw.close()
        if guarded.error is not None:
            info["error"] = "corrupt after line %d (%s); the lines before were read" % (info["lines"], guarded.error)
            self.file_problem(path, info["error"])
            if guarded.offset > guarded.line_start:
                self.problems.append({
                    "file": path, "line": info["lines"] + 1, "text": guarded.tail.decode("utf-8", "replace"),
                    "reason": "line cut by the corruption: %d bytes at uncompressed offset %d, after the last "
                              "complete line; not parsed" % (guarded.offset - guarded.line_start, guarded.line_start)})
                self.problem_count += 1
                info["problems"] += 1
        return info


def read_archive(spec: Any, folder: str, year: Any = None, now: Any = None, keep_recent: int = 0,
                 chunk: Optional[int] = None) -> Dict[str, Any]:
    """Read an archive into bucket files in ``folder`` (which must exist and be empty); return its summary.

    The summary (also written to ``folder/index.json``): ``files`` (each with
    ``path``, ``compression``, ``lines``, ``events``, ``duplicates``,
    ``problems``, ``error``), ``problems`` (file problems and the first line
    problems, each naming its ``file``), ``problem_count``, ``lines``,
    ``events`` (kept), ``duplicates`` (dropped as copies from another file),
    ``hosts`` (line host -> bucket and event count; "" for lines naming no
    host) and ``recent`` (the last ``keep_recent`` rows, archive order).
    """
    files, problems = archive_files(spec)
    reading = _Reading(folder, year, now, keep_recent, problems)
    summary: Dict[str, Any] = {"version": INDEX_VERSION, "files": [], "problems": problems}
    for index, path in enumerate(files):
        summary["files"].append(reading.read_file(index, path, chunk or CHUNK))
    reading.buckets.flush()
    for key in ("lines", "events", "duplicates"):
        summary[key] = sum(f[key] for f in summary["files"])
    summary["problem_count"] = reading.problem_count
    summary["hosts"] = reading.buckets.hosts
    summary["recent"] = list(reading.recent)
    with open(os.path.join(folder, "index.json"), "w", encoding="utf-8") as out:
        json.dump(summary, out)
    return summary


def load_rows(folder: str, summary: Dict[str, Any], hosts: Iterable[str]) -> List[list]:
    """The rows of the given line hosts' buckets, in archive order."""
    rows: List[list] = []
    for host in hosts:
        entry = summary["hosts"].get(host)
        if entry is None:
            continue
        with open(os.path.join(folder, entry["bucket"]), "rb") as handle:
            while True:
                head = handle.read(_LENGTH.size)
                if len(head) < _LENGTH.size:
                    break
                rows.extend(marshal.loads(handle.read(_LENGTH.unpack(head)[0])))
    if len(rows) > 1:
        rows.sort(key=_order_of)
    return rows


def _order_of(row: Sequence[Any]) -> int:
    return row[0]


def row_events(rows: Iterable[Sequence[Any]], summary: Dict[str, Any], relay_host: Optional[str] = None) -> List[Dict[str, Any]]:
    """Events (with the ``file`` they came from) from rows.

    ``relay_host``: the name given to events whose host came from the relay
    header (the router they were attributed to); None keeps the relay's.
    """
    paths = [f["path"] for f in summary["files"]]
    out = []
    for row in rows:
        event = dict(zip(KEYS, row[_ROW_HEAD:]))
        if relay_host is not None and row[2]:
            event["host"] = relay_host
        event["file"] = paths[row[1]]
        out.append(event)
    return out
