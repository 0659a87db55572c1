# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-call state of a log scan: settings, caches, time stamps and the thorough (slow) path.

The fast loop (fast.py) handles the lines of the standard shape; every other
relevant line comes here, to ``Scanner.slow``, which reads what it can and
records a problem for the rest. Both produce events through the same rules.
"""

from __future__ import annotations

import re
import time as _time
from datetime import date as _date
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import (
    ParseError,
    normalize_addr,
    parse_spi,
    problem,
    spi_hex,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog.header import (
    K_RISO,
    K_UP2F,
    K_UP3,
    MAX_HEADER,
    NEEDLE,
    NEEDLE_LEN,
    Bad,
    Plan,
    Salvaged,
    plan_for,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog.zones import fmt_offset, tz_offset_minutes

# How much of a body the tolerant (slow) parser looks at.
MAX_BODY = 2000
# Per-shape caches are bounded and cleared when full.
MAX_SHAPES = 20000

# The tolerant body reader: fields in any order, any lead-in text.
_KV_RE = re.compile(r"(destaddr|srcaddr|prot|spi|input interface)[ \t]*=[ \t]*([^,\r\n]*)")
_CONT_RE = re.compile(r"[ \t]*destaddr[ \t]*=")

_EPOCH_ORD = _date(1970, 1, 1).toordinal()


def _cut(text: str, span: Optional[Tuple[int, int]]) -> Optional[str]:
    return None if span is None else text[span[0]:span[1]]


class Scanner(object):
    """Holds the per-call settings and caches."""

    def __init__(self, host: Optional[str], year: Optional[int], now: float, problems: Optional[list],
                 extra: Optional[list] = None) -> None:
        self.host = host
        self.year = year
        self.now = now
        self.limit = now + 86400
        self.now_year = _time.gmtime(now).tm_year
        self.problems = problems
        self.events: List[Dict[str, Any]] = []
        # When a list: one (line identity, host came from the relay header) per event (archive reading).
        self.extra = extra
        # Values repeat a lot in a log (same peers, same SPIs, same days, same shapes).
        self.addrs: Dict[str, str] = {}
        self._tz: Dict[Optional[str], Tuple[int, str]] = {}
        self._day: Dict[tuple, Tuple[str, int]] = {}
        self.minutes: Dict[str, int] = {}
        self.shapes: Dict[Optional[bytes], Any] = {}
        self.bodies: Dict[str, tuple] = {}
        # Distinct bodies remembered (one per flow, SPI spelling and interface); cleared when full.
        self.max_bodies = 100000
        # True: every line takes the thorough path (tests check that both paths read alike).
        self.thorough = False

    # -- value helpers -------------------------------------------------
    def addr(self, raw: str, what: str) -> str:
        value = self.addrs.get(raw)
        if value is None:
            try:
                if not raw.isascii():
                    raise ParseError("not ASCII")
                value = normalize_addr(raw)
            except ParseError:
                raise Bad("%s is not an IP address: %r" % (what, raw[:60]))
            self.addrs[raw] = value
        return value

    @staticmethod
    def spi(raw: str) -> int:
        try:
            number = parse_spi(raw)
        except ParseError as exc:
            raise Bad("spi: %s" % exc)
        if not raw.isascii():
            # common.parse_spi strips Unicode blanks around the value; a device never prints them
            raise Bad("spi: not an SPI: %r (digits must be ASCII)" % raw[:80])
        return number

    def zone(self, token: Optional[str]) -> Tuple[int, str]:
        value = self._tz.get(token)
        if value is None:
            minutes = tz_offset_minutes(token)
            value = (minutes * 60, fmt_offset(minutes))
            self._tz[token] = value
        return value

    def day(self, year: int, month: int, day: int) -> Tuple[str, int]:
        """('YYYY-MM-DDT', epoch of 00:00 UTC) of a date; Bad for no such date."""
        key = (year, month, day)
        value = self._day.get(key)
        if value is None:
            try:
                days = _date(year, month, day).toordinal() - _EPOCH_ORD
            except ValueError:
                raise Bad("no such date: %04d-%02d-%02d" % (year, month, day))
            value = ("%04d-%02d-%02dT" % key, days * 86400)
            self._day[key] = value
        return value

    # -- time stamps -------------------------------------------------------
    def minute(self, text: str) -> int:
        """Seconds from midnight to the minute ``H:MM`` / ``HH:MM``, -1 for no such minute.

        Cached: at most 11,000 texts (one or two digits, ':', two digits), so the cache needs no bound.
        """
        hours, minutes = int(text[:-3]), text[-2:]
        value = -1 if hours > 23 or minutes > "59" else hours * 3600 + int(minutes) * 60
        self.minutes[text] = value
        return value

    def fill_day(self, plan: Plan, hdr: str, key: str) -> tuple:
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
        if len(plan.days) >= MAX_SHAPES:
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
            except Bad:
                year -= 1
                continue
            start = midnight - offset
            if start <= self.limit:
                found.append((prefix, start))
                if start + 86400 <= self.limit or len(found) == 2:
                    break
            year -= 1
        if not found:
            raise Bad("no year makes %02d-%02d a past date" % (month, day))
        return found[0], (found[1] if len(found) == 2 else None)

    def stamp(self, plan: Plan, hdr: str) -> Tuple[Optional[str], Optional[float]]:
        """Time and epoch of the stamps other than a calendar one (emit reads those itself)."""
        kind = plan.kind
        if kind == K_UP3:
            h_span, m_span, s_span, f_span = plan.spans
            minutes = hdr[m_span[0]:m_span[1]]
            seconds = hdr[s_span[0]:s_span[1]]
            if minutes > "59" or seconds > "59":
                raise Bad("not an uptime: %s:%s:%s" % (hdr[h_span[0]:h_span[1]], minutes, seconds))
            value = int(hdr[h_span[0]:h_span[1]]) * 3600 + int(minutes) * 60
            if f_span is None:
                return None, float(value + int(seconds))
            return None, value + float(seconds + "." + hdr[f_span[0]:f_span[1]])
        if kind == K_UP2F:
            first, second = plan.spans
            big, small, most = plan.units  # type: ignore[misc]
            number = int(hdr[second[0]:second[1]])
            if number > most:
                raise Bad("not an uptime: %s" % hdr[first[0]:second[1] + 1])
            return None, float(int(hdr[first[0]:first[1]]) * big + number * small)
        if kind == K_RISO:
            year, month, day, hour, minute, second, frac, tz = (_cut(hdr, s) for s in plan.spans)
            if int(hour) > 23 or int(minute) > 59 or int(second) > 59:  # type: ignore[arg-type]
                raise Bad("no such time of day in relay stamp")
            offset = 0
            if tz and tz != "Z":
                offset = (int(tz[1:3]) * 60 + int(tz[-2:])) * (1 if tz[0] == "+" else -1)
            prefix, midnight = self.day(int(year), int(month), int(day))  # type: ignore[arg-type]
            epoch = midnight + int(hour) * 3600 + int(minute) * 60 - offset * 60 + float(  # type: ignore[arg-type]
                second + ("." + frac if frac else ""))  # type: ignore[operator]
            return prefix + hour + ":" + minute + ":" + second + ("." + frac if frac else "") + fmt_offset(  # type: ignore[operator]
                offset), epoch
        return None, None

    # -- events -------------------------------------------------------------
    def fields(self, dst: str, prot: str, spi: int, src: str, ifc: Optional[str]) -> tuple:
        """(dst, prot, spi, spi_hex, src, interface) from the body's texts and SPI; Bad when one is wrong."""
        prot_num = int(prot)
        if prot_num > 255:
            raise Bad("prot=%s is not an IP protocol number" % prot)
        return (self.addr(dst, "destaddr"), prot_num, spi, spi_hex(spi), self.addr(src, "srcaddr"), ifc)

    def emit(self, plan: Plan, hdr: str, fields: tuple, lineno: int) -> None:
        """The one builder of an event, for both paths.

        It runs once per message, so a calendar stamp (nearly every log has one) is read here, from the
        shape's flattened offsets (Plan.cal) and its caches of dates and minutes, rather than in stamp().
        """
        cal = plan.cal
        if cal is None:
            when, epoch = self.stamp(plan, hdr)
        else:
            k0, k1, t0, t1, c0, c1, m1, pad, days = cal
            key = hdr[k0:k1] if t0 < 0 else hdr[k0:k1] + hdr[t0:t1]
            day = days.get(key)
            if day is None:
                day = self.fill_day(plan, hdr, key)
            minute = self.minutes.get(hdr[c0:m1])
            if minute is None:
                minute = self.minute(hdr[c0:m1])
            seconds = hdr[m1 + 1:c1]
            if minute < 0 or seconds >= "60":  # two digits, then the fraction if any
                raise Bad("no such time of day: %s" % hdr[c0:c1])
            secs = minute + (float(seconds) if m1 + 3 < c1 else int(seconds))
            prefix, midnight, offset_text, earlier = day
            epoch = midnight + secs
            if earlier is not None and epoch > self.limit:
                prefix, midnight = earlier
                epoch = midnight + secs
            when, epoch = prefix + pad + hdr[c0:c1] + offset_text, float(epoch)
        h0, h1, s0, s1 = plan.head
        dst, prot, spi, spi_text, src, ifc = fields
        self.events.append({
            "host": self.host if h0 < 0 else hdr[h0:h1],
            "time": when,
            "epoch": epoch,
            "clock_authoritative": plan.auth,
            "sequence": None if s0 < 0 else int(hdr[s0:s1]),
            "mnemonic": plan.mnemonic,
            "dst": dst,
            "src": src,
            "prot": prot,
            "spi": spi,
            "spi_hex": spi_text,
            "interface": ifc,
            "line": lineno,
        })

    def slow(self, text: str, start: int, line_end: int, end: int, hit: int, lineno: int) -> int:
        """Tolerant parse of one relevant line; records a problem when it cannot. Returns where to go on."""
        line = text[start:line_end]
        resume = end
        try:
            if hit - start > MAX_HEADER:
                raise Bad("%d characters before the mnemonic; not a log header" % (hit - start))
            hdr = text[start:hit + NEEDLE_LEN]
            plan = plan_for(hdr)
            salvaged = None
            if plan.__class__ is Salvaged:
                salvaged = plan
                plan, hdr = salvaged.plan, salvaged.header  # type: ignore[union-attr]
            elif plan.__class__ is not Plan:
                raise Bad(plan)  # type: ignore[arg-type]
            after = hit + NEEDLE_LEN
            if text[after:after + 1] != ":":
                raise Bad("mnemonic not followed by ':'")
            body = text[after + 1:min(line_end, after + 1 + MAX_BODY)]
            if "destaddr" not in body and end < len(text):
                # Wrapped message: ``...invalid spi for`` / ``destaddr=...``.
                nstart = end + 1
                nend = text.find("\n", nstart)
                if nend < 0:
                    nend = len(text)
                # a line that mentions the mnemonic itself is never swallowed as a continuation
                if _CONT_RE.match(text, nstart, nend) and text.find(NEEDLE, nstart, nend) < 0:
                    nline_end = nend - 1 if nend > nstart and text[nend - 1] == "\r" else nend
                    body = body + " " + text[nstart:min(nline_end, nstart + MAX_BODY)]
                    resume = nend
            found: Dict[str, str] = {}
            for kv in _KV_RE.finditer(body):
                found.setdefault(kv.group(1), kv.group(2).strip())
            missing = [k for k in ("destaddr", "prot", "spi", "srcaddr") if not found.get(k)]
            if missing:
                raise Bad("missing %s" % ", ".join("%s=" % k for k in missing))
            prot = found["prot"]
            if not (prot.isascii() and prot.isdigit()) or len(prot) > 3:
                raise Bad("prot=%s is not an IP protocol number" % prot[:20])
            ifc = found.get("input interface")
            ifc = ifc.split()[0] if ifc else None
            if ifc is not None and len(ifc) > 80:
                raise Bad("input interface name too long")
            self.emit(plan, hdr, self.fields(found["destaddr"], prot, self.spi(found["spi"]), found["srcaddr"], ifc), lineno)
            if self.extra is not None:
                self.extra.append((hash(text[start:resume]), plan.from_relay))
            if salvaged is not None:
                problem(self.problems, lineno, salvaged.reason, line)
        except Bad as exc:
            problem(self.problems, lineno, str(exc), line)
        return resume
