# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find ``%CRYPTO-4-RECVD_PKT_INV_SPI`` messages in IOS / IOS XE logs.

Input is ``show logging`` output or a syslog server's file: one string, a list
of lines, or an open file (read in chunks, so a large file never has to be in
memory twice). Output is one event per message, in input order:

    host, time, epoch, clock_authoritative, sequence, mnemonic,
    dst, src, prot, spi, spi_hex, interface, line

The parser never splits the text into lines: it finds the mnemonic with
``str.find`` over the whole text and parses outward from there, so a
million-line syslog file costs little more than the invalid-SPI lines in it.

Layers of a line, all optional, in this order (never by column)::

    <PRI> RELAY-HEADER SEQ: SEQ: ORIGIN-HOST: SEQ: TIMESTAMP: %FAC-SEV-MNEMONIC: body

* ``<PRI>``: RFC 3164 priority, ignored.
* RELAY-HEADER: a syslog server's ``Sep  2 13:31:00 hub-1.example.net`` (host
  name, IPv4 or IPv6) or ``2024-09-02T13:31:00.123+02:00 hub-1``.
* SEQ: up to two message numbers (``000413:``); ``sequence`` is the one nearest
  the timestamp, which is the device's ``service sequence-numbers`` value.
* ORIGIN-HOST: ``hub-1:`` (``logging origin-id``).
* TIMESTAMP: ``[*|.][YYYY ]Mon DD[ YYYY] HH:MM:SS[.fff][ TZ]`` or an uptime
  (``2y10w``, ``3w2d``, ``1d02h``, ``00:01:23``, ``7:04``).

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
* Time zone tokens map to UTC offsets (``_TZ_MINUTES``); ``UTC+07:30`` style
  offsets are honoured. An unknown token, or none, is treated as UTC.
  Ambiguous abbreviations: ``CST`` is US Central, ``IST`` India, ``BST``
  British Summer Time.
* No device timestamp but a relay header: the relay's receive time is used
  (server clock, so ``clock_authoritative: true``; RFC 3164 stamps carry no
  zone, UTC is assumed). No stamp at all: ``time``/``epoch`` null.
"""

from __future__ import annotations

import codecs
import re
import time as _time
from datetime import date as _date
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import (
    ParseError,
    as_text,
    normalize_addr,
    parse_spi,
    problem,
)

MNEMONICS = ("RECVD_PKT_INV_SPI", "RECV_PKT_INV_SPI", "RECV_D_PKT_INV_SPI")

# Every spelling ends with this; a line containing it is "relevant".
_NEEDLE = "PKT_INV_SPI"
_NEEDLE_LEN = len(_NEEDLE)

# A real header is well under 200 characters; past this we do not try the
# header expression at all (bounded work on adversarial lines).
_MAX_HEADER = 600
# How much of a body the tolerant (slow) parser looks at.
_MAX_BODY = 2000

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}

# Offsets in minutes east of UTC for the abbreviations IOS users configure
# with ``clock timezone`` / ``clock summer-time``. Ambiguous ones are resolved
# to the most common reading in network configs (documented in the filter).
_TZ_MINUTES = {
    "UTC": 0, "GMT": 0, "UT": 0, "Z": 0, "ZULU": 0, "WET": 0,
    "WEST": 60, "WETDST": 60, "BST": 60, "IST": 330, "CET": 60, "MET": 60, "WAT": 60,
    "CEST": 120, "MEST": 120, "METDST": 120, "CETDST": 120, "EET": 120, "SAST": 120, "CAT": 120,
    "EEST": 180, "EETDST": 180, "MSK": 180, "EAT": 180, "AST": -240, "ADT": -180,
    "GST": 240, "PKT": 300, "NPT": 345, "ICT": 420, "WIB": 420,
    "HKT": 480, "SGT": 480, "AWST": 480, "PHT": 480, "JST": 540, "KST": 540,
    "ACST": 570, "ACDT": 630, "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780,
    "HST": -600, "AKST": -540, "AKDT": -480, "PST": -480, "PDT": -420,
    "MST": -420, "MDT": -360, "CST": -360, "CDT": -300, "EST": -300, "EDT": -240,
    "NST": -210, "NDT": -150, "BRT": -180, "ART": -180,
}

_MON = r"[A-Za-z]{3}"
_TZ = r"[A-Za-z]{1,10}(?:[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{1,2}(?::?\d{2})?"
_SP = r"[ \t]"

# A message number is followed by ": " (never by a digit, which would make it
# part of an hh:mm:ss uptime), so the numbers can be matched greedily.
_HEADER = (
    r"[ \t]*(?:<\d{1,3}>[ \t]*)?"
    # relay header: RFC 3164 stamp or RFC 3339 stamp, then the host
    r"(?:(?:(?P<rmon>" + _MON + r")" + _SP + r"+(?P<rday>\d{1,2})" + _SP + r"+"
    r"(?:(?P<ryear>\d{4})" + _SP + r"+)?(?P<rhh>\d{1,2}):(?P<rmi>\d{2}):(?P<rss>\d{2})"
    r"|(?P<iy>\d{4})-(?P<imo>\d{2})-(?P<id>\d{2})T(?P<ih>\d{2}):(?P<imi>\d{2}):(?P<is>\d{2})"
    r"(?:\.(?P<ifr>\d{1,9}))?(?P<itz>Z|[+-]\d{2}:?\d{2})?)"
    # a relay host never ends with ':' (that would be a device stamp's zone)
    + _SP + r"+(?P<rhost>[^\s<]{0,252}[^\s:<])" + _SP + r"+(?:<\d{1,3}>[ \t]*)?)?"
    r"(?:(?P<s1>\d{1,10}):(?!\d)[ \t]*(?:(?P<s2>\d{1,10}):(?!\d)[ \t]*)?)?"
    r"(?:(?P<ohost>(?![0-9]{1,4}[ywdh][0-9]{1,2}[wdh]:)(?=[0-9]*[A-Za-z_.-])[A-Za-z0-9_][A-Za-z0-9_.-]{0,252})"
    r":[ \t]*)?"
    r"(?:(?P<s3>\d{1,10}):(?!\d)[ \t]*)?"
    # device timestamp
    r"(?:(?:(?P<mark>[*.])?(?:(?P<y1>\d{4})" + _SP + r"+)?(?P<mon>" + _MON + r")" + _SP + r"+(?P<day>\d{1,2})"
    + _SP + r"+(?:(?P<y2>\d{4})" + _SP + r"+)?(?P<hh>\d{1,2}):(?P<mi>\d{2}):(?P<ss>\d{2})"
    r"(?:\.(?P<frac>\d{1,6}))?(?:" + _SP + r"+(?P<tz>" + _TZ + r"))?"
    r"|(?P<umark>[*.])?(?:(?P<uy>\d{1,3})y(?P<uyw>\d{1,2})w|(?P<uw>\d{1,4})w(?P<uwd>\d{1,2})d"
    r"|(?P<ud>\d{1,4})d(?P<udh>\d{1,2})h|(?P<u3h>\d{1,5}):(?P<u3m>\d{2}):(?P<u3s>\d{2})(?:\.(?P<u3f>\d{1,6}))?"
    r"|(?P<u2a>\d{1,3}):(?P<u2b>\d{2}))"
    r"):[ \t]*)?"
    r"%?(?P<fac>[A-Z][A-Z0-9_]{0,31})-(?P<sev>\d)-(?P<mn>RECVD|RECV|RECV_D)_PKT_INV_SPI"
)
_HEAD_RE = re.compile(_HEADER)

_ADDR = r"[0-9A-Fa-f:.]{2,45}"
# The standard body, from the ':' after the mnemonic; anything else goes to
# the tolerant reader (_KV_RE) in _Scanner.slow.
_BODY_RE = re.compile(
    r":[ \t]*decaps:[ \t]*rec'd IPSEC packet has invalid spi for[ \t]*"
    r"destaddr=(" + _ADDR + r"),[ \t]*prot=(\d{1,3}),[ \t]*"
    r"spi=(?:0[xX])?[ ]?([0-9A-Fa-f]{1,8})(?:\((\d{1,10})\))?,[ \t]*"
    r"srcaddr=(" + _ADDR + r")"
    r"(?:,[ \t]*input interface=[ \t]*([^\s,]{1,80}))?[ \t]*(?:$|,)"
)

# The tolerant body reader: fields in any order, any lead-in text.
_KV_RE = re.compile(r"(destaddr|srcaddr|prot|spi|input interface)[ \t]*=[ \t]*([^,\r\n]*)")
_CONT_RE = re.compile(r"[ \t]*destaddr[ \t]*=")
_ANCHOR_RE = re.compile(r"%?[A-Z][A-Z0-9_]{0,31}-\d-([A-Z_]{0,16})PKT_INV_SPI\Z")

# Header "shape": digits folded so that headers differing only in their
# numbers share one parse plan. Every character class of _HEADER treats all
# digits alike, so equal shapes match the expression the same way and the
# group spans of one serve all (keep it so when editing _HEADER).
_SHAPE = bytes.maketrans(b"0123456789", b"0000000000")
_MAX_SHAPES = 20000
# Bodies: one per (flow, SPI spelling, interface); bounded, cleared when full.
_MAX_BODIES = 100000

_EPOCH_ORD = _date(1970, 1, 1).toordinal()

# Plan kinds: which timestamp form the header carries.
_K_NONE, _K_CAL, _K_UP3, _K_UP2F, _K_RISO = range(5)

# Two-number uptimes: (seconds per first unit, per second unit, largest second unit).
_UPTIME_UNITS = {
    "uy": (365 * 86400, 7 * 86400, 52),
    "uw": (7 * 86400, 86400, 6),
    "ud": (86400, 3600, 23),
    "u2a": (60, 1, 59),
}
_UPTIME_SECOND = {"uy": "uyw", "uw": "uwd", "ud": "udh", "u2a": "u2b"}


class _Bad(Exception):
    """A relevant line we cannot read; the message is the reason."""


_TZ_SPLIT_RE = re.compile(r"([A-Za-z]*)(?:([+-])(\d{1,2})(?::?(\d{2}))?)?\Z")


def tz_offset_minutes(token: Optional[str]) -> int:
    """UTC offset (minutes east) for a time zone token as IOS prints it.

    ``UTC``, ``AEST``, ``METDST``, ``UTC+07:30``, ``+0200``. Unknown
    abbreviations (and no token) count as UTC.
    """
    if not token:
        return 0
    match = _TZ_SPLIT_RE.match(token)
    if not match:
        return 0
    name, sign, hours, minutes = match.groups()
    base = _TZ_MINUTES.get(name.upper(), 0) if name else 0
    if sign:
        extra = int(hours) * 60 + int(minutes or 0)
        # ``UTC+07:30`` names the whole offset; ``GMT+2`` too.
        base = base + (extra if sign == "+" else -extra)
    return base


def _fmt_offset(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return "%s%02d:%02d" % (sign, minutes // 60, minutes % 60)


class _Plan(object):
    """How to read every header of one shape: group spans plus shape constants.

    Equal shapes have equal digit counts, so every field sits at the same
    offset in all headers of a shape and is read by slicing.
    """

    __slots__ = ("kind", "mnemonic", "host", "seq", "auth", "month", "units", "spans",
                 "key", "clock", "hour_len", "tz", "tz_varies", "days", "fast")

    def __init__(self, match: Any) -> None:
        def span(name: str) -> Optional[Tuple[int, int]]:
            s, e = match.span(name)
            return None if s < 0 else (s, e)

        self.mnemonic = match.group("mn") + "_PKT_INV_SPI"
        self.host = span("ohost") or span("rhost")
        self.seq = span("s3") or span("s2") or span("s1")
        self.month = 0
        self.units = None
        self.auth = False
        self.key = self.clock = self.tz = None
        self.hour_len = 2
        self.tz_varies = False
        # Per shape: date text (plus zone when it has digits) -> _Scanner.fill_day's tuple.
        self.days: Dict[str, tuple] = {}
        if match.group("mon") is not None:
            self.kind = _K_CAL
            self.month = _month(match.group("mon"))
            self.auth = match.group("mark") is None
            self.spans = (span("y1") or span("y2"), span("day"))
            self.key = (match.start("y1") if match.group("y1") else match.start("mon"),
                        match.end("y2") if match.group("y2") else match.end("day"))
            self.clock = (match.start("hh"), match.end("frac") if match.group("frac") else match.end("ss"))
            self.hour_len = len(match.group("hh"))
            self.tz = span("tz")
            self.tz_varies = self.tz is not None and any(c.isdigit() for c in match.group("tz"))
        elif match.group("u3h") is not None:
            self.kind = _K_UP3
            self.spans = (span("u3h"), span("u3m"), span("u3s"), span("u3f"))
        elif match.group("uy") or match.group("uw") or match.group("ud") or match.group("u2a"):
            self.kind = _K_UP2F
            first = [n for n in ("uy", "uw", "ud", "u2a") if match.group(n) is not None][0]
            self.units = _UPTIME_UNITS[first]
            self.spans = (span(first), span(_UPTIME_SECOND[first]))
        elif match.group("rmon") is not None:
            self.kind = _K_CAL
            self.month = _month(match.group("rmon"))
            self.auth = True
            self.spans = (span("ryear"), span("rday"))
            self.key = (match.start("rmon"), match.end("ryear") if match.group("ryear") else match.end("rday"))
            self.clock = (match.start("rhh"), match.end("rss"))
            self.hour_len = len(match.group("rhh"))
        elif match.group("iy") is not None:
            self.kind = _K_RISO
            self.auth = True
            self.spans = tuple(span(n) for n in ("iy", "imo", "id", "ih", "imi", "is", "ifr", "itz"))
        else:
            self.kind = _K_NONE
            self.spans = ()
        # Everything _Scanner.scan needs for the common case (a calendar
        # stamp), packed for one attribute fetch.
        self.fast = None
        if self.kind == _K_CAL:
            host, seq = self.host or (-1, -1), self.seq or (-1, -1)
            tz = self.tz if self.tz_varies else (-1, -1)
            self.fast = (self.key[0], self.key[1], tz[0], tz[1], self.days, self.clock[0], self.clock[1],
                         self.hour_len, host[0], host[1], seq[0], seq[1], self.auth, self.mnemonic)


def _month(text: str) -> int:
    month = _MONTHS.get(text.lower())
    if month is None:
        raise _Bad("unknown month %r" % text)
    return month


def _cut(text: str, span: Optional[Tuple[int, int]]) -> Optional[str]:
    return None if span is None else text[span[0]:span[1]]


class _Scanner(object):
    """Holds the per-call settings and caches; scans text blocks."""

    def __init__(self, host: Optional[str], year: Optional[int], now: float, problems: Optional[list]) -> None:
        self.host = host
        self.year = year
        self.now = now
        self.limit = now + 86400
        self.now_year = _time.gmtime(now).tm_year
        self.problems = problems
        self.events: List[Dict[str, Any]] = []
        # Values repeat a lot in a log (same peers, same SPIs, same days, same shapes).
        self._addr: Dict[str, str] = {}
        self._spi: Dict[str, Tuple[int, str]] = {}
        self._tz: Dict[Optional[str], Tuple[int, str]] = {}
        self._day: Dict[tuple, Tuple[str, int]] = {}
        self._shapes: Dict[Optional[bytes], Any] = {}
        self._bodies: Dict[str, tuple] = {}

    # -- value helpers -------------------------------------------------
    def addr(self, raw: str, what: str) -> str:
        value = self._addr.get(raw)
        if value is None:
            try:
                value = normalize_addr(raw)
            except ParseError:
                raise _Bad("%s is not an IP address: %r" % (what, raw[:60]))
            self._addr[raw] = value
        return value

    def spi(self, raw: str) -> Tuple[int, str]:
        value = self._spi.get(raw)
        if value is None:
            try:
                number = parse_spi(raw)
            except ParseError as exc:
                raise _Bad("spi: %s" % exc)
            value = (number, "0x%08X" % number)
            self._spi[raw] = value
        return value

    def zone(self, token: Optional[str]) -> Tuple[int, str]:
        value = self._tz.get(token)
        if value is None:
            minutes = tz_offset_minutes(token)
            value = (minutes * 60, _fmt_offset(minutes))
            self._tz[token] = value
        return value

    def day(self, year: int, month: int, day: int) -> Tuple[str, int]:
        """('YYYY-MM-DDT', epoch of 00:00 UTC) of a date; _Bad for no such date."""
        key = (year, month, day)
        value = self._day.get(key)
        if value is None:
            try:
                days = _date(year, month, day).toordinal() - _EPOCH_ORD
            except ValueError:
                raise _Bad("no such date: %04d-%02d-%02d" % (year, month, day))
            value = ("%04d-%02d-%02dT" % key, days * 86400)
            self._day[key] = value
        return value

    def calendar(self, plan: _Plan, hdr: str) -> Tuple[str, float]:
        """ISO time and epoch of a calendar stamp."""
        k0, k1 = plan.key
        key = hdr[k0:k1]
        if plan.tz_varies:
            key += hdr[plan.tz[0]:plan.tz[1]]
        day = plan.days.get(key)
        if day is None:
            day = self.fill_day(plan, hdr, key)
        c0, c1 = plan.clock
        clock = hdr[c0:c1]
        hour_len = plan.hour_len
        hours = int(clock[:hour_len])
        minutes = clock[hour_len + 1:hour_len + 3]
        seconds = clock[hour_len + 4:]
        if hours > 23 or minutes > "59" or seconds[:2] > "59":
            raise _Bad("no such time of day: %s" % clock)
        secs = hours * 3600 + int(minutes) * 60 + (float(seconds) if len(seconds) > 2 else int(seconds))
        prefix, midnight, offset_text, earlier = day
        epoch = midnight + secs
        if earlier is not None and epoch > self.limit:
            prefix, midnight = earlier
            epoch = midnight + secs
        if hour_len == 1:
            clock = "0" + clock
        return prefix + clock + offset_text, float(epoch)

    def fill_day(self, plan: _Plan, hdr: str, key: str) -> tuple:
        """(ISO date prefix, epoch of local midnight, ISO offset, earlier) for a stamp's date.

        ``earlier`` is None, or for a date without a year that straddles the
        year rule's limit, the (prefix, midnight) of the year before, used by
        the events past the limit.
        """
        year_span, day_span = plan.spans
        day = int(hdr[day_span[0]:day_span[1]])
        offset, offset_text = self.zone(None if plan.tz is None else hdr[plan.tz[0]:plan.tz[1]])
        earlier = None
        if year_span is not None:
            prefix, midnight = self.day(int(hdr[year_span[0]:year_span[1]]), plan.month, day)
            start = midnight - offset
        elif self.year is not None:
            prefix, midnight = self.day(self.year, plan.month, day)
            start = midnight - offset
        else:
            (prefix, start), earlier = self.guess_day(plan.month, day, offset)
        value = (prefix, start, offset_text, earlier)
        if len(plan.days) >= _MAX_SHAPES:
            plan.days.clear()
        plan.days[key] = value
        return value

    def guess_day(self, month: int, day: int, offset: int) -> Tuple[Tuple[str, int], Optional[Tuple[str, int]]]:
        """The year rule for a date without a year.

        Returns ((ISO prefix, epoch of local midnight), earlier): the current
        year, or the one before when the date would be more than a day ahead
        of now. ``earlier`` is set when the day straddles that limit: the
        year before, for the day's events past the limit.
        """
        found: List[Tuple[str, int]] = []
        year = self.now_year
        # Going back more than a leap cycle would only hide a garbled date.
        for _attempt in range(6):
            try:
                prefix, midnight = self.day(year, month, day)
            except _Bad:
                year -= 1
                continue
            start = midnight - offset
            if start <= self.limit:
                found.append((prefix, start))
                if start + 86400 <= self.limit or len(found) == 2:
                    break
            year -= 1
        if not found:
            raise _Bad("no year makes %02d-%02d a past date" % (month, day))
        return found[0], (found[1] if len(found) == 2 else None)

    def stamp(self, plan: _Plan, hdr: str) -> Tuple[Optional[str], Optional[float]]:
        kind = plan.kind
        if kind == _K_CAL:
            return self.calendar(plan, hdr)
        if kind == _K_UP3:
            h_span, m_span, s_span, f_span = plan.spans
            minutes = hdr[m_span[0]:m_span[1]]
            seconds = hdr[s_span[0]:s_span[1]]
            if minutes > "59" or seconds > "59":
                raise _Bad("not an uptime: %s:%s:%s" % (hdr[h_span[0]:h_span[1]], minutes, seconds))
            value = int(hdr[h_span[0]:h_span[1]]) * 3600 + int(minutes) * 60
            if f_span is None:
                return None, float(value + int(seconds))
            return None, value + float(seconds + "." + hdr[f_span[0]:f_span[1]])
        if kind == _K_UP2F:
            first, second = plan.spans
            big, small, most = plan.units
            number = int(hdr[second[0]:second[1]])
            if number > most:
                raise _Bad("not an uptime: %s" % hdr[first[0]:second[1] + 1])
            return None, float(int(hdr[first[0]:first[1]]) * big + number * small)
        if kind == _K_RISO:
            year, month, day, hour, minute, second, frac, tz = (_cut(hdr, s) for s in plan.spans)
            if int(hour) > 23 or int(minute) > 59 or int(second) > 59:
                raise _Bad("no such time of day in relay stamp")
            offset = 0
            if tz and tz != "Z":
                offset = (int(tz[1:3]) * 60 + int(tz[-2:])) * (1 if tz[0] == "+" else -1)
            prefix, midnight = self.day(int(year), int(month), int(day))
            epoch = midnight + int(hour) * 3600 + int(minute) * 60 - offset * 60 + float(
                second + ("." + frac if frac else ""))
            return prefix + hour + ":" + minute + ":" + second + ("." + frac if frac else "") + _fmt_offset(
                offset), epoch
        return None, None

    def fields(self, dst: str, prot: str, spi: str, src: str, ifc: Optional[str]) -> tuple:
        """(dst, prot, spi, spi_hex, src, interface) from the body's texts; _Bad when one is wrong."""
        prot_num = int(prot)
        if prot_num > 255:
            raise _Bad("prot=%s is not an IP protocol number" % prot)
        spi_num, spi_text = self.spi(spi)
        return (self.addr(dst, "destaddr"), prot_num, spi_num, spi_text, self.addr(src, "srcaddr"), ifc)

    def body(self, body: str) -> Optional[tuple]:
        """fields() of a standard body (from the ':' after the mnemonic), None when it is not one.

        Reads the SPI as common.parse_spi does (hex, and the decimal in
        parentheses must agree) without its general expression; anything
        doubtful returns None, and the slow path gives the reason.
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
        addr = self._addr
        dst_n = addr.get(dst)
        src_n = addr.get(src)
        if dst_n is None or src_n is None:
            try:
                dst_n, src_n = self.addr(dst, "destaddr"), self.addr(src, "srcaddr")
            except _Bad:
                return None
        return (dst_n, prot_num, spi, "0x%08X" % spi, src_n, ifc)

    def emit(self, plan: _Plan, hdr: str, fields: tuple, lineno: int) -> None:
        if plan.kind == _K_CAL:
            when, epoch = self.calendar(plan, hdr)
        else:
            when, epoch = self.stamp(plan, hdr)
        host = plan.host
        seq = plan.seq
        dst, prot, spi, spi_text, src, ifc = fields
        self.events.append({
            "host": self.host if host is None else hdr[host[0]:host[1]],
            "time": when,
            "epoch": epoch,
            "clock_authoritative": plan.auth,
            "sequence": None if seq is None else int(hdr[seq[0]:seq[1]]),
            "mnemonic": plan.mnemonic,
            "dst": dst,
            "src": src,
            "prot": prot,
            "spi": spi,
            "spi_hex": spi_text,
            "interface": ifc,
            "line": lineno,
        })

    def plan(self, hdr: str) -> Any:
        """The plan for a header (text from line start through the mnemonic), or the reason it has none."""
        match = _HEAD_RE.fullmatch(hdr)
        if match is None:
            anchor = _ANCHOR_RE.search(hdr, max(0, len(hdr) - 64))
            if anchor is None:
                return "no %FACILITY-SEVERITY-MNEMONIC anchor for the PKT_INV_SPI mention"
            if anchor.group(1) + _NEEDLE not in MNEMONICS:
                return "unknown mnemonic %s%s" % (anchor.group(1), _NEEDLE)
            return "log header before the %s anchor not understood" % hdr[anchor.start():]
        try:
            return _Plan(match)
        except _Bad as exc:
            return str(exc)

    # -- scanning ----------------------------------------------------------
    def scan(self, text: str, stop: int, lineno: int) -> int:
        """Parse the messages whose line starts before ``stop``.

        ``lineno`` is the line number at offset 0; returns the line number at
        ``stop`` (which must be 0, len(text) or just after a newline).
        """
        find = text.find
        rfind = text.rfind
        count = text.count
        shapes = self._shapes
        shapes_get = shapes.get
        bodies = self._bodies
        bodies_get = bodies.get
        emit = self.emit
        append = self.events.append
        default_host = self.host
        limit = self.limit
        size = len(text)
        pos = 0
        counted = 0
        while True:
            hit = find(_NEEDLE, pos, stop)
            if hit < 0:
                break
            start = rfind("\n", 0, hit) + 1
            end = find("\n", hit)
            if end < 0:
                end = size
            lineno += count("\n", counted, start)
            counted = start
            if hit - start <= _MAX_HEADER:
                hdr = text[start:hit + _NEEDLE_LEN]
                try:
                    key = hdr.encode("latin-1").translate(_SHAPE)
                except UnicodeEncodeError:
                    key = None
                plan = shapes_get(key)
                if plan is None:
                    plan = self.plan(hdr)
                    if key is not None:
                        if len(shapes) >= _MAX_SHAPES:
                            shapes.clear()
                        shapes[key] = plan
                if plan.__class__ is _Plan:
                    # Bodies repeat exactly for a persistent flow: read each once.
                    body = text[hit + _NEEDLE_LEN:end]
                    fields = bodies_get(body)
                    if fields is None and len(body) <= _MAX_BODY:
                        fields = self.body(body.rstrip("\r"))
                        if fields is not None:
                            if len(bodies) >= _MAX_BODIES:
                                bodies.clear()
                            bodies[body] = fields
                    if fields is not None:
                        fast = plan.fast
                        if fast is not None:
                            # calendar() and emit() inlined: this runs once per message
                            k0, k1, t0, t1, days, c0, c1, hour_len, h0, h1, s0, s1, auth, mnemonic = fast
                            day = days.get(hdr[k0:k1] if t0 < 0 else hdr[k0:k1] + hdr[t0:t1])
                            if day is not None:
                                clock = hdr[c0:c1]
                                hours = int(clock[:hour_len])
                                minutes = clock[hour_len + 1:hour_len + 3]
                                seconds = clock[hour_len + 4:]
                                prefix, midnight, offset_text, earlier = day
                                epoch = midnight + hours * 3600 + int(minutes) * 60 + (
                                    float(seconds) if len(seconds) > 2 else int(seconds))
                                if hours < 24 and minutes < "60" and seconds[:2] < "60" and (
                                        earlier is None or epoch <= limit):
                                    dst, prot, spi, spi_text, src, ifc = fields
                                    append({
                                        "host": hdr[h0:h1] if h0 >= 0 else default_host,
                                        "time": prefix + ("0" + clock if hour_len == 1 else clock) + offset_text,
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
                                    pos = end
                                    continue
                        try:
                            emit(plan, hdr, fields, lineno)
                            pos = end
                            continue
                        except _Bad:
                            pass  # the slow path says why, with the same rules
            line_end = end - 1 if end > start and text[end - 1] == "\r" else end
            pos = self.slow(text, start, line_end, end, hit, lineno)
        lineno += count("\n", counted, stop)
        return lineno

    def slow(self, text: str, start: int, line_end: int, end: int, hit: int, lineno: int) -> int:
        """Tolerant parse of one relevant line; records a problem when it cannot. Returns where to go on."""
        line = text[start:line_end]
        resume = end
        try:
            if hit - start > _MAX_HEADER:
                raise _Bad("%d characters before the mnemonic; not a log header" % (hit - start))
            hdr = text[start:hit + _NEEDLE_LEN]
            plan = self.plan(hdr)
            if plan.__class__ is not _Plan:
                raise _Bad(plan)
            after = hit + _NEEDLE_LEN
            if text[after:after + 1] != ":":
                raise _Bad("mnemonic not followed by ':'")
            body = text[after + 1:min(line_end, after + 1 + _MAX_BODY)]
            if "destaddr" not in body and end < len(text):
                # Wrapped message: ``...invalid spi for`` / ``destaddr=...``.
                nstart = end + 1
                nend = text.find("\n", nstart)
                if nend < 0:
                    nend = len(text)
                # a line that mentions the mnemonic itself is never swallowed as a continuation
                if _CONT_RE.match(text, nstart, nend) and text.find(_NEEDLE, nstart, nend) < 0:
                    nline_end = nend - 1 if nend > nstart and text[nend - 1] == "\r" else nend
                    body = body + " " + text[nstart:min(nline_end, nstart + _MAX_BODY)]
                    resume = nend
            fields: Dict[str, str] = {}
            for kv in _KV_RE.finditer(body):
                fields.setdefault(kv.group(1), kv.group(2).strip())
            missing = [k for k in ("destaddr", "prot", "spi", "srcaddr") if not fields.get(k)]
            if missing:
                raise _Bad("missing %s" % ", ".join("%s=" % k for k in missing))
            prot = fields["prot"]
            if not prot.isdigit() or len(prot) > 3:
                raise _Bad("prot=%s is not an IP protocol number" % prot[:20])
            ifc = fields.get("input interface")
            ifc = ifc.split()[0] if ifc else None
            if ifc is not None and len(ifc) > 80:
                raise _Bad("input interface name too long")
            self.emit(plan, hdr, self.fields(fields["destaddr"], prot, fields["spi"], fields["srcaddr"], ifc), lineno)
        except _Bad as exc:
            problem(self.problems, lineno, str(exc), line)
        return resume


_CHUNK = 8 * 1024 * 1024


def _scan_stream(scanner: _Scanner, stream: Any) -> None:
    """Scan a file object chunk by chunk, keeping at most one chunk (plus one line) in memory."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending: List[str] = []
    lineno = 1
    while True:
        chunk = stream.read(_CHUNK)
        if chunk is None:
            chunk = ""
        if isinstance(chunk, bytes):
            chunk = decoder.decode(chunk, final=not chunk)
        elif not isinstance(chunk, str):
            raise ParseError("file object returned %s, not text" % type(chunk).__name__)
        final = not chunk
        pending.append(chunk)
        if final:
            text = "".join(pending)
            scanner.scan(text, len(text), lineno)
            return
        if "\n" not in chunk:
            continue  # a very long line: wait for its end without re-joining each time
        text = "".join(pending)
        pending = []
        last = text.rfind("\n")
        # Keep the last complete line back too: it may be a message whose
        # wrapped second line is still in the next chunk.
        stop = text.rfind("\n", 0, last) + 1
        lineno = scanner.scan(text, stop, lineno)
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
    not be read. ``now``: epoch seconds used by the year rule (tests).
    """
    if host is not None and not isinstance(host, str):
        raise ParseError("host must be a string, not %s" % type(host).__name__)
    if year is not None:
        if isinstance(year, str) and year.strip().isdigit():
            year = int(year.strip())
        if isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= 9999:
            raise ParseError("year must be a year number such as 2024, not %r" % (year,))
    if now is None:
        now = _time.time()
    elif isinstance(now, bool) or not isinstance(now, (int, float)):
        raise ParseError("now must be epoch seconds, not %s" % type(now).__name__)
    scanner = _Scanner(host or None, year, float(now), problems)
    if not isinstance(data, (str, bytes, list, tuple)) and data is not None and hasattr(data, "read"):
        _scan_stream(scanner, data)
    else:
        text = as_text(data, "log text")
        scanner.scan(text, len(text), 1)
    return scanner.events
