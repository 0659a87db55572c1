# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet compliance report: one dict, rendered as JSON, Markdown, HTML and JUnit XML.

Pure Python, standard library only, no Ansible imports. One job per module, each depending
only on those above it in this list:

    values     host order, numbers and times that never raise
    sanitize   what an assessment value may become in a report (JSON-safe, capped, masked)
    router     one router's entry: the assessment as kept (ASSESSMENT_KEYS), status, counts, families
    pairs      the fleet's black-holed pairs and the commands per router, read from the router entries
    model      build_report: the report dict (report.json), run mode, actions, fleet summary, run_failure
    jsonfile   report.json
    view       what the text views share: clean_text, labels, order, which routers to detail
    markdown   report.md
    junit      junit.xml
    svg        the plots of report.html
    html_assets, html   report.html
    files      the four files by name, render_all
    runs       a folder per run and the ``latest`` link (the fleet_report module writes through it)

This package re-exports the names the module, the tests and the benchmarks use.
"""

from __future__ import annotations

from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.files import FILES, FORMATS, render_all
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.html import render_html
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.jsonfile import render_json
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.junit import render_junit
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.markdown import (
    md_code,
    md_escape,
    render_markdown,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.model import (
    MODE_APPLIED,
    MODE_DRY_RUN,
    MODES,
    REPORT_SCHEMA_VERSION,
    ReportError,
    build_report,
    run_failure,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.router import (
    ASSESSMENT_KEYS,
    ASSESSMENT_SCHEMA_VERSION,
    MAX_EVENTS_PER_ROUTER,
    NOT_RUN_RESULTS,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.sanitize import MAX_STRING
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.svg import (
    DROPS_MAX_BARS,
    TIMELINE_MAX_FLOWS,
    svg_drops,
    svg_timeline,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.values import natural_key
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.view import clean_text, h

__all__ = [
    "ASSESSMENT_KEYS", "ASSESSMENT_SCHEMA_VERSION", "DROPS_MAX_BARS", "FILES", "FORMATS", "MAX_EVENTS_PER_ROUTER",
    "MAX_STRING", "MODES", "MODE_APPLIED", "MODE_DRY_RUN", "NOT_RUN_RESULTS", "REPORT_SCHEMA_VERSION", "ReportError",
    "TIMELINE_MAX_FLOWS", "build_report", "clean_text", "h", "md_code", "md_escape", "natural_key", "render_all",
    "render_html", "render_json", "render_junit", "render_markdown", "run_failure", "svg_drops", "svg_timeline",
]
