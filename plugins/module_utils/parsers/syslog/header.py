# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The header layers in front of ``%FAC-SEV-MNEMONIC`` and how to read them.

A header is the text from the start of the line through the mnemonic. One
expression (``_HEADER``) takes every layout we know; a header it does not take
is salvaged outward from the anchor (``plan_for``): the layers on its left and
the device stamp next to the anchor are kept, the layer in between is dropped,
and the caller records what that cost (the time, the host name or nothing).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, Optional, Tuple, Union

from ansible_collections.netops.ipsec_spi.plugins.module_utils.commands import INV_SPI_MNEMONICS as MNEMONICS
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog.zones import MONTHS

# Every spelling ends with this; a line containing it is "relevant".
NEEDLE = "PKT_INV_SPI"
NEEDLE_LEN = len(NEEDLE)

# A real header is well under 200 characters; past this we do not try the
# header expression at all (bounded work on adversarial lines).
MAX_HEADER = 600


class Bad(Exception):
    """A relevant line we cannot read; the message is the reason."""


_MON = r"[A-Za-z]{3}"
_TZ = r"[A-Za-z]{1,10}(?:[+-][0-9]{1,2}(?::?[0-9]{2})?)?|[+-][0-9]{1,2}(?::?[0-9]{2})?"
_SP = r"[ \t]"
# A host name as devices print it: letters, digits, '_', '.', '-', not all digits.
_HOSTNAME = r"(?=[0-9]*[A-Za-z_.-])[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}"

_LEFT = (
    r"[ \t]*(?:<[0-9]{1,3}>[ \t]*)?"
    # relay header: RFC 3164 stamp or RFC 3339 stamp, then the host
    r"(?:(?:(?P<rmon>" + _MON + r")" + _SP + r"+(?P<rday>[0-9]{1,2})" + _SP + r"+"
    r"(?:(?P<ryear>[0-9]{4})" + _SP + r"+)?(?P<rhh>[0-9]{1,2}):(?P<rmi>[0-9]{2}):(?P<rss>[0-9]{2})"
    r"|(?P<iy>[0-9]{4})-(?P<imo>[0-9]{2})-(?P<id>[0-9]{2})T(?P<ih>[0-9]{2}):(?P<imi>[0-9]{2}):(?P<is>[0-9]{2})"
    r"(?:\.(?P<ifr>[0-9]{1,9}))?(?P<itz>Z|[+-][0-9]{2}:?[0-9]{2})?)"
    # a relay host never ends with ':' (that would be a device stamp's zone)
    + _SP + r"+(?P<rhost>[^\s<]{0,252}[^\s:<])" + _SP + r"+(?:<[0-9]{1,3}>[ \t]*)?)?"
    # A message number is followed by ": " (never by a digit, which would make
    # it part of an hh:mm:ss uptime), so the numbers can be matched greedily.
    r"(?:(?P<s1>[0-9]{1,10}):(?![0-9])[ \t]*(?:(?P<s2>[0-9]{1,10}):(?![0-9])[ \t]*)?)?"
    r"(?:(?P<ohost>(?![0-9]{1,4}[ywdh][0-9]{1,2}[wdh]:)" + _HOSTNAME + r"):[ \t]*)?"
    r"(?:(?P<s3>[0-9]{1,10}):(?![0-9])[ \t]*)?"
)
_STAMP = (
    r"(?:(?P<mark>[*.])?(?:(?P<y1>[0-9]{4})" + _SP + r"+)?(?P<mon>" + _MON + r")" + _SP + r"+(?P<day>[0-9]{1,2})"
    + _SP + r"+(?:(?P<y2>[0-9]{4})" + _SP + r"+)?(?P<hh>[0-9]{1,2}):(?P<mi>[0-9]{2}):(?P<ss>[0-9]{2})"
    r"(?:\.(?P<frac>[0-9]{1,6}))?(?:" + _SP + r"+(?P<tz>" + _TZ + r"))?"
    r"|(?P<umark>[*.])?(?:(?P<uy>[0-9]{1,3})y(?P<uyw>[0-9]{1,2})w|(?P<uw>[0-9]{1,4})w(?P<uwd>[0-9]{1,2})d"
    r"|(?P<ud>[0-9]{1,4})d(?P<udh>[0-9]{1,2})h"
    r"|(?P<u3h>[0-9]{1,5}):(?P<u3m>[0-9]{2}):(?P<u3s>[0-9]{2})(?:\.(?P<u3f>[0-9]{1,6}))?"
    r"|(?P<u2a>[0-9]{1,3}):(?P<u2b>[0-9]{2}))"
    r")"
    # after the stamp's ':', a relay's empty field (``EDT: : %CRYPTO``), and a
    # host name some relays and devices put after the stamp (``03:10:04: host %CRYPTO``)
    r":[ \t]*(?::[ \t]*){0,3}(?:(?P<thost>" + _HOSTNAME + r")(?::[ \t]*|[ \t]+))?"
)
_ANCHOR = (r"%?(?P<fac>[A-Z][A-Z0-9_]{0,31})-(?P<sev>[0-9])-(?P<mn>"
           + "|".join(re.escape(m[:-len("_" + NEEDLE)]) for m in MNEMONICS) + ")_" + NEEDLE)

# Every character class here treats all digits alike, so headers that differ
# only in their digits ("shapes", see fast.py) match alike and one plan serves
# all of them (keep it so when editing).
_HEAD_RE = re.compile(_LEFT + r"(?:" + _STAMP + r")?" + _ANCHOR)
_LEFT_RE = re.compile(_LEFT)
# The device stamp right before the anchor, for salvage (searched in a short window only).
_TAIL_RE = re.compile(r"(?<![A-Za-z0-9])(?:" + _STAMP + r")\Z")
_TAIL_WINDOW = 120
ANCHOR_RE = re.compile(r"%?[A-Z][A-Z0-9_]{0,31}-[0-9]-([A-Z_]{0,16})PKT_INV_SPI\Z")
# Another message's own mnemonic (``%SEC_LOGIN-4-LOGIN_FAILED:``, ``%SYS-SP-5-RESTART:``). A line has one
# message, and its mnemonic is the first: text after it (an EEM ``syslog msg``, a user name typed at a
# login prompt, a logged command) may spell ours, a stamp and a whole body, and is never an event.
# Found with its '%' only (devices always print it), so that an origin host such as ``R1-5-CORE:`` is no
# mnemonic; a header that needs salvage (a layer not understood) is held to the stricter _BARE_MESSAGE_RE,
# for a relay that took the '%' off (``hub-1 HA_EM-6-LOG: applet: %CRYPTO-...``).
_MESSAGE_RE = re.compile(r"%[A-Z][A-Z0-9_]{0,31}(?:-[A-Z][A-Z0-9_]{0,31}){0,2}-[0-9]-[A-Z0-9_]{1,64}:")
_BARE_MESSAGE_RE = re.compile(r"(?<![A-Za-z0-9_])" + _MESSAGE_RE.pattern[1:])

# Plan kinds: which timestamp form the header carries.
K_NONE, K_CAL, K_UP3, K_UP2F, K_RISO = range(5)

# Two-number uptimes: (seconds per first unit, per second unit, largest second unit).
_UPTIME_UNITS = {
    "uy": (365 * 86400, 7 * 86400, 52),
    "uw": (7 * 86400, 86400, 6),
    "ud": (86400, 3600, 23),
    "u2a": (60, 1, 59),
}
_UPTIME_SECOND = {"uy": "uyw", "uw": "uwd", "ud": "udh", "u2a": "u2b"}


def month(text: str) -> int:
    value = MONTHS.get(text.lower())
    if value is None:
        raise Bad("unknown month %r" % text)
    return value


class Plan(object):
    """How to read every header of one shape: group spans plus shape constants.

    Equal shapes have equal digit counts, so every field sits at the same
    offset in all headers of a shape and is read by slicing.
    """

    __slots__ = ("kind", "mnemonic", "host", "from_relay", "seq", "auth", "month", "units", "spans",
                 "key", "clock", "hour_len", "tz", "tz_varies", "days", "head", "cal")

    def __init__(self, match: Any) -> None:
        def span(name: str) -> Optional[Tuple[int, int]]:
            s, e = match.span(name)
            return None if s < 0 else (s, e)

        self.mnemonic = match.group("mn") + "_PKT_INV_SPI"
        self.host = span("ohost") or span("thost")
        self.from_relay = self.host is None and span("rhost") is not None
        self.host = self.host or span("rhost")
        self.seq = span("s3") or span("s2") or span("s1")
        self.month = 0
        self.units: Optional[Tuple[int, int, int]] = None
        self.auth = False
        self.key: Optional[Tuple[int, int]] = None
        self.clock: Optional[Tuple[int, int]] = None
        self.tz: Optional[Tuple[int, int]] = None
        self.hour_len = 2
        self.tz_varies = False
        # Per shape: date text (plus zone when it has digits) -> Scanner.fill_day's tuple.
        self.days: Dict[str, tuple] = {}
        self.kind = K_NONE
        self.spans: tuple = ()
        self._stamp(match, span)
        # The same spans flattened for Scanner.emit, which runs once per message: one attribute read and
        # one unpacking instead of several (-1: no such field).
        host, seq = self.host or (-1, -1), self.seq or (-1, -1)
        self.head = (host[0], host[1], seq[0], seq[1])
        self.cal: Optional[tuple] = None
        if self.kind == K_CAL and self.clock is not None:
            zone = self.tz if self.tz_varies else (-1, -1)
            c0, c1 = self.clock
            # the clock: where its "HH:MM" ends (the seconds follow a ':'), "0" that pads a one-digit hour;
            # then the date cache (Scanner.emit fills it)
            self.cal = self.key + zone + (c0, c1, c0 + self.hour_len + 3,  # type: ignore[operator]
                                          "0" if self.hour_len == 1 else "", self.days)

    def _stamp(self, match: Any, span: Callable[[str], Optional[Tuple[int, int]]]) -> None:
        """The kind of time stamp and where its fields are: the device's, else the relay's."""
        if match.group("mon") is not None:
            self.kind = K_CAL
            self.month = month(match.group("mon"))
            self.auth = match.group("mark") is None
            self.spans = (span("y1") or span("y2"), span("day"))
            self.key = (match.start("y1") if match.group("y1") else match.start("mon"),
                        match.end("y2") if match.group("y2") else match.end("day"))
            self.clock = (match.start("hh"), match.end("frac") if match.group("frac") else match.end("ss"))
            self.hour_len = len(match.group("hh"))
            self.tz = span("tz")
            self.tz_varies = self.tz is not None and any(c in "0123456789" for c in match.group("tz"))
        elif match.group("u3h") is not None:
            self.kind = K_UP3
            self.spans = (span("u3h"), span("u3m"), span("u3s"), span("u3f"))
        elif match.group("uy") or match.group("uw") or match.group("ud") or match.group("u2a"):
            self.kind = K_UP2F
            first = [n for n in ("uy", "uw", "ud", "u2a") if match.group(n) is not None][0]
            self.units = _UPTIME_UNITS[first]
            self.spans = (span(first), span(_UPTIME_SECOND[first]))
        elif match.group("rmon") is not None:
            self.kind = K_CAL
            self.month = month(match.group("rmon"))
            self.auth = True
            self.spans = (span("ryear"), span("rday"))
            self.key = (match.start("rmon"), match.end("ryear") if match.group("ryear") else match.end("rday"))
            self.clock = (match.start("rhh"), match.end("rss"))
            self.hour_len = len(match.group("rhh"))
        elif match.group("iy") is not None:
            self.kind = K_RISO
            self.auth = True
            self.spans = tuple(span(n) for n in ("iy", "imo", "id", "ih", "imi", "is", "ifr", "itz"))
        else:
            self.kind = K_NONE
            self.spans = ()


class Salvaged(object):
    """A header read without one layer: the plan of the rebuilt header and what was lost."""

    __slots__ = ("plan", "header", "reason")

    def __init__(self, plan: Plan, header: str, reason: str) -> None:
        self.plan = plan
        self.header = header
        self.reason = reason


def _anchor_problem(hdr: str) -> Tuple[Optional[Any], str]:
    anchor = ANCHOR_RE.search(hdr, max(0, len(hdr) - 64))
    if anchor is None:
        return None, "no %FACILITY-SEVERITY-MNEMONIC anchor for the PKT_INV_SPI mention"
    if anchor.group(1) + NEEDLE not in MNEMONICS:
        return None, "unknown mnemonic %s%s" % (anchor.group(1), NEEDLE)
    return anchor, ""


def _not_an_event(mnemonic: str) -> str:
    return ("the line's first message mnemonic is %s; the PKT_INV_SPI mnemonic after it is that message's "
            "text, not an event" % mnemonic.rstrip(":"))


def plan_for(hdr: str, salvage: bool = True) -> Union[Plan, Salvaged, str]:
    """The plan for a header (line start through the mnemonic), a salvaged plan, or the reason there is none."""
    first = _MESSAGE_RE.search(hdr)  # the header ends at our mnemonic, before its ':'
    if first is not None:
        return _not_an_event(first.group(0))
    match = _HEAD_RE.fullmatch(hdr)
    if match is not None:
        try:
            return Plan(match)
        except Bad as exc:
            return str(exc)
    anchor, reason = _anchor_problem(hdr)
    if anchor is None:
        return reason
    if salvage:
        found = _salvage(hdr, anchor.start())
        if found is not None:
            return found
    return "log header before the %s anchor not understood" % hdr[anchor.start():]


def _salvage(hdr: str, at: int) -> Union[Salvaged, str, None]:
    """Parse outward from the anchor at ``at``: the layers on the left, the stamp next to the anchor.

    Whatever lies between them is the layer not understood; it is dropped and
    the reason says what the event lost with it (its time, its host name).
    A prefix holding a message mnemonic, even without its '%', is another
    message's text: the reason why there is no event.
    """
    prefix = hdr[:at]
    first = _BARE_MESSAGE_RE.search(prefix)
    if first is not None:
        return _not_an_event(first.group(0))
    anchor = hdr[at:]
    left = _LEFT_RE.match(prefix)
    left_end = left.end() if left is not None else 0
    tail = _TAIL_RE.search(prefix, max(left_end, len(prefix) - _TAIL_WINDOW))
    right = tail.group(0) if tail is not None else ""
    right_start = tail.start() if tail is not None else len(prefix)
    for kept_left in (prefix[:left_end], ""):
        rebuilt = kept_left + right + anchor
        match = _HEAD_RE.fullmatch(rebuilt)
        if match is None:
            continue
        try:
            plan = Plan(match)
        except Bad:
            return None
        lost = []
        if plan.kind == K_NONE:
            lost.append("its time")
        if plan.host is None:
            lost.append("a host name")
        if plan.seq is None:
            lost.append("a sequence number")
        dropped = prefix[len(kept_left):right_start].strip()
        reason = "log header layer %r before the %s anchor not understood; event kept %s" % (
            dropped[:60], anchor, ("without " + ", ".join(lost)) if lost else "with the time, host and sequence of the other layers")
        return Salvaged(plan, rebuilt, reason)
    return None
