# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find ``%CRYPTO-4-RECVD_PKT_INV_SPI`` messages in IOS / IOS XE logs.

Input is ``show logging`` output or a syslog server's file: one string, a list
of lines, or an open file (read in chunks, so a large file never has to be in
memory twice). Output is one event per message, in input order:

    host, time, epoch, clock_authoritative, sequence, mnemonic,
    dst, src, prot, spi, spi_hex, interface, line

The parser never splits the text into lines: one compiled pattern finds every
mention of the mnemonic over the whole text (fast.py) and the header is parsed
outward from there, so a million-line syslog file costs little more than the
invalid-SPI lines in it.

Layers of a line, all optional, in this order (never by column)::

    <PRI> RELAY-HEADER SEQ: SEQ: ORIGIN-HOST: SEQ: TIMESTAMP: [:] [HOST] %FAC-SEV-MNEMONIC: body

* ``<PRI>``: RFC 3164 priority, ignored.
* RELAY-HEADER: a syslog server's ``Sep  2 13:31:00 hub-1.example.net`` (host
  name, IPv4 or IPv6) or ``2024-09-02T13:31:00.123+02:00 hub-1``.
* SEQ: up to two message numbers (``000413:``); ``sequence`` is the one nearest
  the timestamp, which is the device's ``service sequence-numbers`` value.
* ORIGIN-HOST: ``hub-1:`` (``logging origin-id``).
* TIMESTAMP: ``[*|.][YYYY ]Mon DD[ YYYY] HH:MM:SS[.fff][ TZ]`` or an uptime
  (``2y10w``, ``3w2d``, ``1d02h``, ``00:01:23``, ``7:04``), then ``:``.
* After the stamp: empty fields (``EDT: : %CRYPTO``) and a host name that some
  relays and devices put there (``*Oct 07 03:10:04: mydevice.com %CRYPTO``).
  The origin host, else this host, else the relay's host is the event's host.

A line is one message, and its mnemonic is the first one on it: a
``%FAC-SEV-MNEMONIC:`` anywhere before ours (``%HA_EM-6-LOG: applet:
%CRYPTO-4-RECVD_PKT_INV_SPI: ...`` from an EEM ``syslog msg``, a user name
in ``%SEC_LOGIN-4-LOGIN_FAILED``) makes ours that message's text: no event,
and a problem naming the line's own mnemonic. Any text can be logged, so
only the position of the anchor, after the framing layers, makes an event.

A header of any other layout is parsed outward from the anchor: the layers
on its left and the device stamp next to the anchor are read, the layer in
between is dropped, and a problem says what the event lost with it (its time,
its host name). An unknown layer never costs the event.

Digits are ASCII only: a stamp or field written with other scripts' digits
(fullwidth, Arabic-Indic) is not read as a number; such a line is a problem.

Time rules (also in the filter documentation):

* ``*`` (clock never set) and ``.`` (NTP sync lost) make
  ``clock_authoritative`` false; the time is still reported, because time
  differences between lines of one device stay meaningful.
* An uptime gives ``time: null``, ``epoch`` = seconds since boot and
  ``clock_authoritative: false``. A year of uptime is 365 days. ``H:MM`` (two
  parts) is read as minutes:seconds (assumption: IOS prints ``hh:mm:ss`` below
  a day; a two-part form only drops the hours).
* A stamp without a year takes the ``year`` argument; without one, the current
  year, or the year before when that would put the event more than a day in
  the future (a December log read in January).
* Time zone tokens map to UTC offsets (zones.TZ_MINUTES); ``UTC+07:30`` style
  offsets are honoured. An unknown token, or none, is treated as UTC.
  Ambiguous abbreviations: ``CST`` is US Central, ``IST`` India, ``BST``
  British Summer Time.
* No device timestamp but a relay header: the relay's receive time is used
  (server clock, so ``clock_authoritative: true``; RFC 3164 stamps carry no
  zone, UTC is assumed). No stamp at all: ``time``/``epoch`` null.
"""

from __future__ import annotations

import codecs
import math
import time as _time
from typing import Any, Callable, Dict, List, Optional

from ansible_collections.netops.ipsec_spi.plugins.module_utils.bulk import paused_gc
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, as_text
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog.header import MNEMONICS
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog.fast import scan
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog.scanner import Scanner
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog.zones import tz_offset_minutes

__all__ = ["MNEMONICS", "KEYS", "parse_events", "tz_offset_minutes", "new_scanner", "scan_stream", "CHUNK"]

# The keys of an event, in the documented order.
KEYS = ("host", "time", "epoch", "clock_authoritative", "sequence", "mnemonic", "dst", "src", "prot", "spi",
        "spi_hex", "interface", "line")

# Characters (or bytes) read from a file object at a time.
CHUNK = 8 * 1024 * 1024


def new_scanner(host: Any = None, year: Any = None, problems: Optional[list] = None, now: Any = None,
                extra: Optional[list] = None) -> Scanner:
    """A scanner for parse_events' arguments, checked (ParseError names the bad one)."""
    if host is not None and not isinstance(host, str):
        raise ParseError("host must be a string, not %s" % type(host).__name__)
    if year is not None:
        if isinstance(year, str) and year.strip().isascii() and year.strip().isdigit():
            year = int(year.strip())
        if isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= 9999:
            raise ParseError("year must be a year number such as 2024, not %r" % (year,))
    if now is None:
        now = _time.time()
    elif isinstance(now, bool) or not isinstance(now, (int, float)) or math.isnan(now):
        raise ParseError("now must be epoch seconds, not %r" % (now,))
    return Scanner(host or None, year, float(now), problems, extra)


def scan_stream(scanner: Scanner, stream: Any, chunk: Optional[int] = None,
                drain: Optional[Callable[[], None]] = None, cut: Optional[Callable[[], bool]] = None) -> int:
    """Scan a file object chunk by chunk, keeping at most one chunk (plus one line) in memory.

    Bytes are decoded as UTF-8 (undecodable bytes replaced). ``drain``, when
    given, is called after each chunk, so that a caller can take the events
    found so far out of ``scanner.events`` (archive reading). ``cut``, when
    given, is asked at the end whether the stream was cut short (a corrupt or
    truncated file): then the text after the last line end is a fragment of
    a line, and is neither read nor counted (the caller reports it). Returns
    the number of lines read.
    """
    size = chunk or CHUNK
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending: List[str] = []
    lineno = 1
    while True:
        data = stream.read(size)
        if data is None:
            data = ""
        if isinstance(data, bytes):
            data = decoder.decode(data, final=not data)
        elif not isinstance(data, str):
            raise ParseError("file object returned %s, not text" % type(data).__name__)
        final = not data
        pending.append(data)
        if final:
            text = "".join(pending)
            if cut is not None and cut():
                # never the fragment, not even as the wrapped second line of the line before it
                text = text[:text.rfind("\n") + 1]
            lineno = scan(scanner, text, len(text), lineno)
            if drain is not None:
                drain()
            return lineno - (1 if text.endswith("\n") or not text else 0)
        if "\n" not in data:
            continue  # a very long line: wait for its end without re-joining each time
        text = "".join(pending)
        pending = []
        last = text.rfind("\n")
        # Keep the last complete line back too: it may be a message whose
        # wrapped second line is still in the next chunk.
        stop = text.rfind("\n", 0, last) + 1
        lineno = scan(scanner, text, stop, lineno)
        if drain is not None:
            drain()
        pending.append(text[stop:])
        del text


def parse_events(
    data: Any,
    host: Optional[str] = None,
    year: Optional[int] = None,
    problems: Optional[list] = None,
    now: Optional[float] = None,
) -> List[Dict[str, Any]]:
    """Return the invalid-SPI events of a log, in input order.

    ``data``: a string, bytes, a list of lines, None (no output) or an open
    file (text or binary; read in chunks). ``host``: the host name for lines
    that name none. ``year``: for stamps without a year. ``problems``: receives
    ``{line, reason, text}`` for every line mentioning the mnemonic that could
    not be read, or was read without part of its header. ``now``: epoch
    seconds used by the year rule (tests).
    """
    scanner = new_scanner(host, year, problems, now)
    with paused_gc():
        if not isinstance(data, (str, bytes, list, tuple)) and data is not None and hasattr(data, "read"):
            scan_stream(scanner, data)
        else:
            text = as_text(data, "log text")
            scan(scanner, text, len(text), 1)
    return scanner.events
