# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time zone tokens and month names as IOS prints them in log time stamps."""

from __future__ import annotations

import re
from typing import Optional

MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}

# Offsets in minutes east of UTC for the abbreviations IOS users configure
# with ``clock timezone`` / ``clock summer-time``. Ambiguous ones are resolved
# to the most common reading in network configs (documented in the filter).
TZ_MINUTES = {
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

_TZ_SPLIT_RE = re.compile(r"([A-Za-z]*)(?:([+-])([0-9]{1,2})(?::?([0-9]{2}))?)?\Z")


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
    base = TZ_MINUTES.get(name.upper(), 0) if name else 0
    if sign:
        extra = int(hours) * 60 + int(minutes or 0)
        # ``UTC+07:30`` names the whole offset; ``GMT+2`` too.
        base = base + (extra if sign == "+" else -extra)
    return base


def fmt_offset(minutes: int) -> str:
    """An ISO 8601 offset (``+07:30``) for minutes east of UTC."""
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return "%s%02d:%02d" % (sign, minutes // 60, minutes % 60)
