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

Measured (docs/benchmarks.md): a single pattern applied with ``finditer``
over the whole text, reading every body's fields in the same C pass, is
slower here than ``str.find`` plus the body cache, because a persistent
flow repeats the same body text and a dictionary hit costs less than a
pattern match.
"""

from __future__ import annotations

import re
from typing import Optional

from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog.header import (
    CLOCK_MINUTES,
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
    r"spi=(?:0[xX])?[ ]?([0-9A-Fa-f]{1,8})(?:\(([0-9]{1,10})\))?,[ \t]*"
    r"srcaddr=(" + _ADDR + r")"
    r"(?:,[ \t]*input interface=[ \t]*([^\s,]{1,80}))?[ \t]*(?:$|,)"
)

# Header "shape": digits folded so that headers differing only in their
# numbers share one plan (header.py keeps its classes digit-blind for this).
_SHAPE = bytes.maketrans(b"0123456789", b"0000000000")


def _body(scanner: Scanner, body: str) -> Optional[tuple]:
    """(dst, prot, spi, spi_hex, src, interface) of a standard body, None when it is not one.

    Reads the SPI as common.parse_spi does (hex, and the decimal in
    parentheses must agree) without its general expression; anything
    doubtful returns None, and the thorough path gives the reason.
    """
    match = _BODY_RE.match(body)
    if match is None:
        return None
    dst, prot, spi_hex_text, spi_dec, src, ifc = match.groups()
    spi = int(spi_hex_text, 16)
    if spi_dec is not None and int(spi_dec) != spi:
        return None
    prot_num = int(prot)
    if prot_num > 255:
        return None
    try:
        dst_n, src_n = scanner.addr(dst, "destaddr"), scanner.addr(src, "srcaddr")
    except Bad:
        return None
    return (dst_n, prot_num, spi, "0x%08X" % spi, src_n, ifc)


def scan(scanner: Scanner, text: str, stop: int, lineno: int) -> int:
    """Parse the messages whose line starts before ``stop``.

    ``lineno`` is the line number at offset 0; returns the line number at
    ``stop`` (which must be 0, len(text) or just after a newline).
    """
    find = text.find
    rfind = text.rfind
    count = text.count
    shapes = scanner.shapes
    shapes_get = shapes.get
    bodies = scanner.bodies
    bodies_get = bodies.get
    max_bodies = scanner.max_bodies
    emit = scanner.emit
    append = scanner.events.append
    extra = scanner.extra
    default_host = scanner.host
    limit = scanner.limit
    clock_minutes = CLOCK_MINUTES.get
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
        if hit - start <= MAX_HEADER:
            hdr = text[start:hit + NEEDLE_LEN]
            try:
                key: Optional[bytes] = hdr.encode("latin-1").translate(_SHAPE)
            except UnicodeEncodeError:
                key = None
            plan = shapes_get(key)
            if plan is None:
                plan = plan_for(hdr, salvage=False)
                if key is not None:
                    if len(shapes) >= MAX_SHAPES:
                        shapes.clear()
                    shapes[key] = plan
            if plan.__class__ is Plan:
                # Bodies repeat exactly for a persistent flow: read each once.
                body = text[hit + NEEDLE_LEN:end]
                fields = bodies_get(body)
                if fields is None and len(body) <= MAX_BODY:
                    fields = _body(scanner, body.rstrip("\r"))
                    if fields is not None:
                        if len(bodies) >= max_bodies:
                            bodies.clear()
                        bodies[body] = fields
                if fields is not None:
                    fast = plan.fast
                    if fast is not None:
                        # Scanner.calendar() and emit() inlined: this runs once per message
                        k0, k1, t0, t1, days, c0, c1, m1, pad, h0, h1, s0, s1, auth, mnemonic = fast
                        day = days.get(hdr[k0:k1] if t0 < 0 else hdr[k0:k1] + hdr[t0:t1])
                        minute = clock_minutes(hdr[c0:m1])
                        seconds = hdr[m1 + 1:c1]
                        if day is not None and minute is not None and seconds < "60":
                            prefix, midnight, offset_text, earlier = day
                            epoch = midnight + minute + (float(seconds) if len(seconds) > 2 else int(seconds))
                            if earlier is None or epoch <= limit:
                                dst, prot, spi, spi_text, src, ifc = fields
                                append({
                                    "host": hdr[h0:h1] if h0 >= 0 else default_host,
                                    "time": prefix + pad + hdr[c0:c1] + offset_text,
                                    "epoch": float(epoch),
                                    "clock_authoritative": auth,
                                    "sequence": int(hdr[s0:s1]) if s0 >= 0 else None,
                                    "mnemonic": mnemonic,
                                    "dst": dst,
                                    "src": src,
                                    "prot": prot,
                                    "spi": spi,
                                    "spi_hex": spi_text,
                                    "interface": ifc,
                                    "line": lineno,
                                })
                                if extra is not None:
                                    extra.append((hash(text[start:end]), plan.from_relay))
                                pos = end
                                continue
                    else:
                        uptime = plan.uptime
                        if uptime is not None:
                            f0, f1, n0, n1, big, small, most, h0, h1, s0, s1, mnemonic = uptime
                            number = int(hdr[n0:n1])
                            if number <= most:
                                dst, prot, spi, spi_text, src, ifc = fields
                                append({
                                    "host": hdr[h0:h1] if h0 >= 0 else default_host,
                                    "time": None,
                                    "epoch": float(int(hdr[f0:f1]) * big + number * small),
                                    "clock_authoritative": False,
                                    "sequence": int(hdr[s0:s1]) if s0 >= 0 else None,
                                    "mnemonic": mnemonic,
                                    "dst": dst,
                                    "src": src,
                                    "prot": prot,
                                    "spi": spi,
                                    "spi_hex": spi_text,
                                    "interface": ifc,
                                    "line": lineno,
                                })
                                if extra is not None:
                                    extra.append((hash(text[start:end]), plan.from_relay))
                                pos = end
                                continue
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
