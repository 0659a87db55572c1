# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small value readers the report model and its views share: host order, numbers, times.

Assessments may come from a newer collection, a hand-written file or an odd fact, so these
never raise: a value that is not the number it should be reads as None.
"""

from __future__ import annotations

import datetime
import math
import re
from typing import Any, Optional, Tuple

_NATURAL_RE = re.compile(r"([0-9]+)")


def natural_key(text: str) -> Tuple[Any, ...]:
    """spoke-2 before spoke-10."""
    # split() with a group alternates text and the captured runs of digits.
    parts = _NATURAL_RE.split(text.lower())
    return tuple((0, int(p), "") if i % 2 else (1, 0, p) for i, p in enumerate(parts))


def int_or_none(value: Any) -> Optional[int]:
    # bool is an int subclass; True packets would be nonsense.
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    return None


def num_or_none(value: Any) -> Optional[float]:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and math.isfinite(float(value)):
        return float(value)
    return None


def utc_iso(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
