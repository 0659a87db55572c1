# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``show version`` and ``show clock``: the platform facts an assessment needs.

Only what is used downstream: the OS family and release (which bugs and QFP tables
apply), the model, the uptime and the hostname; and the device clock, which dates the
last INV_SPI message of each flow. Not routed by the cli_parse sub-plugin (nothing
there asks for them); spi_facts calls these directly.
"""

from __future__ import annotations

import calendar
import re
from typing import Any, Dict, Optional

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import TextInput, as_text, problem
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog import tz_offset_minutes

_VERSION_RES = [
    ("version", re.compile(r"Cisco IOS XE Software, Version[ \t]+([^ \t\r\n]+)")),
    ("version", re.compile(r"Cisco IOS Software[^\r\n]*?Version[ \t]+([^, \t\r\n]+)")),
    ("model", re.compile(r"^cisco[ \t]+([^ \t\r\n]+)[ \t]+\(", re.MULTILINE)),
    ("uptime", re.compile(r"^[^ \t\r\n]+ uptime is ([^\r\n]+)$", re.MULTILINE)),
    ("hostname", re.compile(r"^([^ \t\r\n]+) uptime is ", re.MULTILINE)),
]

# `*18:00:01.123 UTC Sun Nov 29 2026`; `*` and `.` mark a clock that is not authoritative.
_CLOCK_RE = re.compile(
    r"^[*.]?([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]+)?[ \t]+([^ \t\r\n]+)[ \t]+[A-Za-z]{3}[ \t]+([A-Za-z]{3})"
    r"[ \t]+([0-9]{1,2})[ \t]+([0-9]{4})[ \t]*$",
    re.MULTILINE,
)
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


def _not_understood(problems: Optional[list], text: str, reason: str) -> None:
    """Record the first non-blank line of output that was not understood."""
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            problem(problems, number, reason, line.strip())
            return


def parse_version(data: TextInput, problems: Optional[list] = None) -> Dict[str, Any]:
    """The few ``show version`` facts an assessment needs; a key not found is None.

    Output that names no IOS release at all is recorded in ``problems``.
    """
    text = as_text(data, "show version output")
    out: Dict[str, Any] = {"os": None, "version": None, "model": None, "uptime": None, "hostname": None}
    if "IOS XE" in text or "IOS-XE" in text:
        out["os"] = "ios-xe"
    elif "Cisco IOS Software" in text or "IOS (tm)" in text:
        out["os"] = "ios"
    for key, regex in _VERSION_RES:
        if out[key] is None:
            match = regex.search(text)
            if match:
                out[key] = match.group(1).strip()
    if text.strip() and out["version"] is None:
        _not_understood(problems, text, "no Cisco IOS / IOS XE release in the show version output")
    return out


def parse_clock(data: TextInput, problems: Optional[list] = None) -> Optional[float]:
    """``show clock`` as epoch seconds, on the same scale as the log's event epochs.

    A ``*`` (not authoritative) clock is still the clock the log stamps use, so
    the age of a flow's last message stays meaningful. None when there is no
    readable clock line (recorded in ``problems`` when there was output).
    """
    text = as_text(data, "show clock output")
    match = _CLOCK_RE.search(text)
    if match and match.group(5).lower() in _MONTHS:
        hh, mm, ss, zone, month, day, year = match.groups()
        try:
            base = calendar.timegm((int(year), _MONTHS[month.lower()], int(day), int(hh), int(mm), int(ss)))
        except (ValueError, OverflowError):
            base = None
        if base is not None:
            return float(base - tz_offset_minutes(zone) * 60)
    if text.strip():
        _not_understood(problems, text, "not a show clock line (hh:mm:ss zone day month dd yyyy)")
    return None
