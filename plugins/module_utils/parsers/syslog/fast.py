# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fast loop: find every mention of the mnemonic in the whole text and read the standard lines.

The text is never split into lines: ``str.find`` skips to each mention at C
speed, and only the lines that mention it are looked at. Headers are read
through a plan per header *shape* (the header with its digits folded,
header.Plan), dates through a cache per distinct date text, and bodies
through a cache per distinct body text (one compiled pattern reads a body
the first time), so a line of a known shape costs a few slices. Anything
else (another body wording, a wrapped message, an odd header, a bad value)
goes to the thorough path, Scanner.slow, which gives the same result or the
reason.

Scanner.emit writes every event, on both paths. Measured (docs/benchmarks.md): a single pattern applied with ``finditer``
over the whole text, reading every body's fields in the same C pass, is
slower here than ``str.find`` plus the body cache, because a persistent
flow repeats the same body text and a dictionary hit costs less than a
pattern match.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import SPI_GRAMMAR, ParseError, spi_value
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog.header import (
    MAX_HEADER,
    NEEDLE,
    NEEDLE_LEN,
    Bad,
    Plan,
    plan_for,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog.scanner import (
    MAX_BODY,
    MAX_SHAPES,
    Scanner,
)

_ADDR = r"[0-9A-Fa-f:.]{2,45}"
# The standard body, from the ':' after the mnemonic; anything else goes to
# the thorough path (Scanner.slow).
_BODY_RE = re.compile(
    r":[ \t]*decaps:[ \t]*rec'd IPSEC packet has invalid spi for[ \t]*"
    r"destaddr=(" + _ADDR + r"),[ \t]*prot=([0-9]{1,3}),[ \t]*"
    r"spi=" + SPI_GRAMMAR + r",[ \t]*"
    r"srcaddr=(" + _ADDR + r")"
    # Only the interface field (or nothing) may follow: other text after srcaddr goes to the thorough
    # path, which also reads an "input interface=" behind it.
    r"(?:,[ \t]*input interface=[ \t]*([^\s,]{1,80})[ \t]*(?:$|,)|[ \t]*$)"
)

# Header "shape": digits folded so that headers differing only in their
# numbers share one plan (header.py keeps its classes digit-blind for this).
_SHAPE = bytes.maketrans(b"0123456789", b"0000000000")


def _body(scanner: Scanner, body: str) -> Optional[tuple]:
    """(dst, prot, spi, spi_hex, src, interface) of a standard body, None when it is not one.

    The SPI is read by common's grammar and rule (common.parse_spi's parts),
    the rest by the same Scanner.fields as on the thorough path; anything
    doubtful returns None, and the thorough path gives the reason.
    """
    match = _BODY_RE.match(body)
    if match is None:
        return None
    dst, prot, hex_digits, decimal, src, ifc = match.groups()
    try:
        return scanner.fields(dst, prot, spi_value(hex_digits, decimal), src, ifc)
    except (Bad, ParseError):
        return None


def _plan(scanner: Scanner, hdr: str) -> Any:
    """The plan of a header's shape (header.plan_for without salvage), read once per shape (scan looks first)."""
    try:
        key: Optional[bytes] = hdr.encode("latin-1").translate(_SHAPE)
    except UnicodeEncodeError:
        key = None
    plan = scanner.shapes.get(key)
    if plan is None:
        plan = plan_for(hdr, salvage=False)
        if key is not None:
            if len(scanner.shapes) >= MAX_SHAPES:
                scanner.shapes.clear()
            scanner.shapes[key] = plan
    return plan


def _fields(scanner: Scanner, body: str) -> Optional[tuple]:
    """The fields of a body, read once per distinct body text: bodies repeat exactly for a persistent flow.

    scan looks in the cache first; this reads a body it does not hold.
    """
    fields = None
    if len(body) <= MAX_BODY:
        fields = _body(scanner, body.rstrip("\r"))
        if fields is not None:
            if len(scanner.bodies) >= scanner.max_bodies:
                scanner.bodies.clear()
            scanner.bodies[body] = fields
    return fields


def scan(scanner: Scanner, text: str, stop: int, lineno: int) -> int:
    """Parse the messages whose line starts before ``stop``.

    ``lineno`` is the line number at offset 0; returns the line number at
    ``stop`` (which must be 0, len(text) or just after a newline).
    """
    find = text.find
    rfind = text.rfind
    count = text.count
    # Bound once: this loop runs once per message, and the caches hit for nearly every one.
    shapes_get = scanner.shapes.get
    bodies_get = scanner.bodies.get
    emit = scanner.emit
    extra = scanner.extra
    quick = not scanner.thorough
    needle_len, max_header, shape, plan_class = NEEDLE_LEN, MAX_HEADER, _SHAPE, Plan
    size = len(text)
    pos = 0
    counted = 0
    while True:
        hit = find(NEEDLE, pos, stop)
        if hit < 0:
            break
        start = rfind("\n", 0, hit) + 1
        end = find("\n", hit)
        if end < 0:
            end = size
        lineno += count("\n", counted, start)
        counted = start
        if quick and hit - start <= max_header:
            hdr = text[start:hit + needle_len]
            try:
                plan = shapes_get(hdr.encode("latin-1").translate(shape)) or _plan(scanner, hdr)
            except UnicodeEncodeError:
                plan = _plan(scanner, hdr)
            if plan.__class__ is plan_class:
                body = text[hit + needle_len:end]
                fields = bodies_get(body) or _fields(scanner, body)
                if fields is not None:
                    try:
                        emit(plan, hdr, fields, lineno)
                        if extra is not None:
                            extra.append((hash(text[start:end]), plan.from_relay))
                        pos = end
                        continue
                    except Bad:
                        pass  # the thorough path says why, with the same rules
        line_end = end - 1 if end > start and text[end - 1] == "\r" else end
        pos = scanner.slow(text, start, line_end, end, hit, lineno)
    lineno += count("\n", counted, stop)
    return lineno
