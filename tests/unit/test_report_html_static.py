# -*- coding: utf-8 -*-
"""report.html and its plots, read as text (the browser test is test_report_html.py)."""

from __future__ import annotations

import base64
import hashlib
import re

from ansible_collections.netops.ipsec_spi.plugins.module_utils.report import (
    build_report,
    clean_text,
    render_html,
    svg_drops,
    svg_timeline,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.html_assets import JS
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.svg import timeline_rows

from report_support import fixture_report, load_fleet


def test_html_escapes_and_is_self_contained():
    page = render_html(fixture_report())
    assert page.count("<script") == 1  # ours only
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in page
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", page)
    assert "@import" not in page and "url(" not in page
    assert "Content-Security-Policy" in page and "script-src 'sha256-" in page
    assert page.count('<details class="router"') == 7
    assert "<details class=\"router\" open" not in page  # collapsed for big fleets


def test_the_csp_hash_is_the_scripts():
    page = render_html(fixture_report())
    script = re.search(r"<script>(.*)</script>", page, re.S).group(1)
    assert script == JS
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    assert "script-src 'sha256-%s'" % digest in page


def test_clean_text_removes_xml_illegal_characters():
    assert clean_text("a\x00b\x1bc\td\ne") == "a\ufffdb\ufffdc\td\ne"


def test_timeline_rows_persistent_first_and_stray_events_kept():
    report = build_report(load_fleet())
    hub = next(r for r in report["routers"] if r["host"] == "hub-1")
    rows = timeline_rows([hub], with_host=False)
    assert rows[0]["category"] == "persistent"
    assert sum(len(r["points"]) for r in rows) == len(hub["assessment"]["events"])
    svg = svg_timeline(rows, max_rows=1)
    assert svg.count('class="pt pt-persistent"') == 4 + 1 and svg.count("data-epoch") == 4  # + 1 in the legend
    assert "Showing 1 of 3 flows" in svg
    assert svg_timeline([]) == '<p class="muted">No INV_SPI messages were logged.</p>'


def test_a_timeline_of_one_moment_is_a_minute_wide_with_its_dot_in_the_middle():
    rows = [{"host": "r1", "flow": {"src": "10.0.0.1", "dst": "10.0.0.2", "spi": 1}, "category": "persistent",
             "points": [(1700000000.0, None)]}]
    svg = svg_timeline(rows)
    # The plot runs from x=360 to x=960: a single moment is not a zero-wide axis but the middle of a minute.
    assert 'cx="660.0"' in svg and svg.count("data-epoch") == 1
    assert re.findall(r'class="tick"[^>]*>([^<]*)<', svg) == ["22:13"]


def test_drops_plot_largest_first_and_says_what_is_unknown():
    report = build_report(load_fleet())
    svg = svg_drops(report["routers"])
    assert [int(v) for v in re.findall(r'data-value="([0-9]+)"', svg)] == [120, 12]
    none = svg_drops([r for r in report["routers"] if not r["counts"]["invalid_spi_packets"]])
    assert none.startswith('<p class="muted">No invalid-SPI drops')
