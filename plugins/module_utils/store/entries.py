# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cool-down entries the plan reads, and the store's one error.

An entry is ``"host|peer": {"time": <epoch seconds>, "run_id": <str>, ...}``: a clear claimed or made.
The plan never trusts one blindly (an entry read wrong bypasses the cool-down): ``validate`` refuses,
by key, what cannot be a clear. Used on what the store returns and on the JSON state file imported once.
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Mapping, Optional

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError

# Controllers and job pods disagree on the time by a little; more than this is a wrong clock or an
# edited entry, and a time far ahead would hold a peer in cool-down for good.
FUTURE_SKEW = 300.0
_SHOWN = 10


class StoreError(ParseError):
    """The store cannot be used. The message names the store (password masked) and what is wrong."""


def _time_problem(value: Any, now: float) -> Optional[str]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "time is %s (%r), expected seconds since the epoch" % (type(value).__name__, value)
    try:
        number = float(value)
    except OverflowError:
        return "time %s is not a finite number" % str(value)[:40]
    if not math.isfinite(number):
        return "time %r is not a finite number" % value
    if number > now + FUTURE_SKEW:
        return ("time %.0f is %.0f s in the future (a controller clock set wrong, or an edited entry)"
                % (number, number - now))
    return None


def validate(data: Any, now: float, where: str) -> Dict[str, Dict[str, Any]]:
    """A copy of the entries, each checked; StoreError lists what is wrong, by key."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise StoreError("%s: the cool-down entries are a %s, expected a mapping of 'host|peer' to {time, run_id}"
                         % (where, type(data).__name__))
    out: Dict[str, Dict[str, Any]] = {}
    problems: List[str] = []
    for key, entry in data.items():
        if not isinstance(key, str) or "|" not in key:
            problems.append("key %r is not 'host|peer'" % (key,))
            continue
        if not isinstance(entry, Mapping):
            problems.append("entry %r is %s, expected {time, run_id}" % (key, type(entry).__name__))
            continue
        bad = _time_problem(entry.get("time"), now)
        if bad:
            problems.append("entry %r: %s" % (key, bad))
            continue
        run_id = entry.get("run_id", "")
        if run_id is not None and not isinstance(run_id, str):
            problems.append("entry %r: run_id is %s, expected a string" % (key, type(run_id).__name__))
            continue
        out[key] = dict(entry, time=float(entry["time"]))
    if problems:
        more = "" if len(problems) <= _SHOWN else " (and %d more)" % (len(problems) - _SHOWN)
        raise StoreError("%s: the cool-down entries cannot be trusted, so no clear is made: %s%s"
                         % (where, "; ".join(problems[:_SHOWN]), more))
    return out
