# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""report.json: the report dict itself, in a fixed, diff-friendly layout."""

from __future__ import annotations

import json
from typing import Any, Mapping


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _json_lines(value: Any, depth: int) -> str:
    # Pretty at the top, one list item (e.g. one router) per line below: diff-friendly, and fast, since
    # json's C encoder only runs without indent (indent=2 on a big fleet costs seconds).
    pad = "  " * (depth + 1)
    if isinstance(value, Mapping) and value and depth < 2:
        items = ["%s%s: %s" % (pad, _compact(str(k)), _json_lines(value[k], depth + 1)) for k in sorted(value)]
        return "{\n" + ",\n".join(items) + "\n" + "  " * depth + "}"
    if isinstance(value, list) and value and depth < 2:
        return "[\n" + ",\n".join(pad + _compact(v) for v in value) + "\n" + "  " * depth + "]"
    return _compact(value)


def render_json(report: Mapping[str, Any]) -> str:
    """report.json: sorted keys and a fixed layout, so that unchanged fleets give identical files."""
    return _json_lines(report, 0) + "\n"
