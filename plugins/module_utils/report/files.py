# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The four report files: format name, file name, renderer (the fleet_report module writes these)."""

from __future__ import annotations

from typing import Any, Callable, Dict, Mapping, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.html import render_html
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.jsonfile import render_json
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.junit import render_junit
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.markdown import render_markdown

Renderer = Callable[[Mapping[str, Any]], str]

FILES: Tuple[Tuple[str, str, Renderer], ...] = (
    ("json", "report.json", render_json),
    ("markdown", "report.md", render_markdown),
    ("html", "report.html", render_html),
    ("junit", "junit.xml", render_junit),
)
FORMATS = tuple(fmt for fmt, _name, _render in FILES)


def render_all(report: Mapping[str, Any]) -> Dict[str, str]:
    """All four files by name."""
    return {name: render(report) for _fmt, name, render in FILES}
