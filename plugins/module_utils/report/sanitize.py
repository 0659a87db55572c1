# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an assessment value may become in a report: JSON-safe, length-capped, secrets masked.

The check role has already masked its assessment; this is the report's second lock, so that a
fact added later, or an assessment written by hand, still cannot carry a key or a password into
a file people pass around. Masking itself is secrets.mask_text (one home).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Dict, List, Optional

from ansible_collections.netops.ipsec_spi.plugins.module_utils.secrets import mask_text

MAX_STRING = 4096

# Keys whose string values carry device text and get the secret masking.
DEVICE_TEXT_KEYS = frozenset(("evidence", "text", "description", "message", "line", "reason", "output"))

_PLAIN = (str, int, float, bool, type(None))


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        return value[:MAX_STRING]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def jsonable(value: Any, key: Optional[str], depth: int = 0) -> Any:
    """A JSON-safe deep copy; device-text strings are masked and length-capped."""
    if depth > 12:
        return None
    # Exact types first: a 10,000-router report makes millions of these calls, and the
    # abstract-class checks below cost several times more than a type() lookup.
    kind = type(value)
    if kind is str:
        if key in DEVICE_TEXT_KEYS:
            return mask_text(value if len(value) <= MAX_STRING else value[:MAX_STRING] + "...[truncated]")
        return value if len(value) <= MAX_STRING else value[:MAX_STRING] + "...[truncated]"
    if kind is int or kind is bool or value is None:
        return value
    if kind is dict and key != "events":
        out = {}
        for k, v in value.items():
            k = k if isinstance(k, str) else str(k)
            out[k] = jsonable(v, k, depth + 1)
        return out
    if kind is list:
        return [jsonable(v, key, depth + 1) for v in value]
    return _jsonable_other(value, key, depth)


def _jsonable_other(value: Any, key: Optional[str], depth: int) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        text = value if len(value) <= MAX_STRING else value[:MAX_STRING] + "...[truncated]"
        return mask_text(text) if key in DEVICE_TEXT_KEYS else text
    if isinstance(value, Mapping):
        if key == "events" and all(isinstance(v, _PLAIN) for v in value.values()):
            # Events come by the hundred per router: skip the recursion for flat ones.
            return {str(k): _plain(v) for k, v in value.items()}
        return {str(k): jsonable(v, str(k), depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [jsonable(v, key, depth + 1) for v in items]
    return jsonable(str(value), key, depth + 1)


def masked_message(text: Any) -> str:
    """A reason or error message for the report: at most 500 characters, secrets masked."""
    return mask_text(str(text)[:500])


def as_list(value: Any, where: str, problems: List[str]) -> List[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    problems.append("%s is %s, not a list: ignored" % (where, type(value).__name__))
    return []


def as_dict(value: Any, where: str, problems: List[str]) -> Dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    problems.append("%s is %s, not a mapping: ignored" % (where, type(value).__name__))
    return {}


def mappings(value: Any, where: str, problems: List[str]) -> List[Dict[str, Any]]:
    """The mapping entries of a list; how many were not mappings goes to problems."""
    items = as_list(value, where, problems)
    bad = sum(1 for i in items if not isinstance(i, dict))
    if bad:
        problems.append("%d %s entr%s not a mapping: ignored" % (bad, where, "y is" if bad == 1 else "ies are"))
    return [i for i in items if isinstance(i, dict)]
