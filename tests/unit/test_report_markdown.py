# -*- coding: utf-8 -*-
"""report.markdown: router text stays inert Markdown; the sections a reader needs are there."""

from __future__ import annotations

import re

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils.report import build_report, md_escape, render_html, render_markdown

from report_support import XSS, fixture_report, load_fleet


def outside_fences(markdown):
    kept, fence = [], None
    for line in markdown.splitlines():
        stripped = line.strip()
        match = re.match(r"^(`{3,}|~{3,})", stripped)
        if fence is None and match:
            fence = match.group(1)
            continue
        if fence is not None:
            if stripped == fence:
                fence = None
            continue
        kept.append(line)
    return kept


def test_markdown_escapes_router_text():
    md = render_markdown(fixture_report())
    lines = outside_fences(md)
    assert not any("<script" in line for line in lines)
    row = next(line for line in lines if "window.\\_\\_xss" in line)
    assert "&lt;script&gt;window.\\_\\_xss=1&lt;/script&gt;" in row
    assert "\\[link\\](http\\://evil.example)" in row and "\\*\\*bold\\*\\*" in row
    # The description's | did not add a column: 7 columns, 8 unescaped pipes.
    assert len(re.findall(r"(?<!\\)\|", row)) == 8
    # The raw line is only in a fenced block whose fence cannot be closed by the text.
    assert md.count(" description " + XSS) == 1
    assert "## Affected routers" in md and "### hub-1: non-compliant" in md
    assert "### core-1" not in md  # healthy routers are only in the table
    assert "clear crypto sa peer 10.0.0.1" in md


@pytest.mark.parametrize("raw,expected", [
    ("plain text 10.0.0.1", "plain text 10.0.0.1"),
    ("a|b", "a\\|b"),
    ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
    ("# heading", "\\# heading"),
    ("- item", "\\- item"),
    ("1. item", "1\\. item"),
    ("line1\nline2", "line1 line2"),
    ("see https://x.example", "see https\\://x.example"),
    ("`code` *em* _u_ [l](u) ~s~ !", "\\`code\\` \\*em\\* \\_u\\_ \\[l\\](u) \\~s\\~ \\!"),
    ("a & b", "a &amp; b"),
    ("back\\slash", "back\\\\slash"),
    ("  + indented", "  \\+ indented"),
    ("\t12) tab", " 12\\) tab"),
    ("-", "\\-"),
    ("-x", "-x"),
])
def test_md_escape(raw, expected):
    assert md_escape(raw) == expected


def test_markdown_fence_outlasts_backticks():
    fleet = load_fleet()
    fleet["hub-1"]["tunnels"][0]["evidence"] = ["```", "````` still inside", " description x"]
    md = render_markdown(build_report(fleet))
    assert "``````text" in md


def test_findings_by_code_worst_first_and_not_assessed_listed():
    md = render_markdown(fixture_report())
    table = md.split("### Findings by code", 1)[1].split("## Routers", 1)[0]
    severities = [line.split("|")[2].strip() for line in table.splitlines() if line.startswith("| `")]
    assert severities == sorted(severities, key=["error", "warning", "info"].index)
    assert "| `UNREACHABLE` | error | 2 | 0 |" in table
    assert "## Not seen in this run" in md and "| lab-3 | unreachable | host unreachable (no assessment) |" in md


def test_an_applied_report_says_which_routers_the_after_check_read_again():
    """Issue 26: the after-check re-reads only the routers changed and their partners; the report must
    say, per router, whether it shows that fresh read or the first one. A value that is not a bool is
    left out with a problem, never shown as either."""
    from report_support import applied, validate

    fleet = load_fleet()
    fleet["hub-1"] = dict(applied(fleet["hub-1"]), read_after_remediation=True)
    fleet["branch-7"] = dict(fleet["branch-7"], read_after_remediation="yes")
    report = build_report(fleet, mode="applied", generated_at="2025-11-29T18:15:00+00:00")
    validate(report)
    routers = {r["host"]: r for r in report["routers"]}
    assert routers["hub-1"]["assessment"]["read_after_remediation"] is True
    assert "read_after_remediation" not in routers["branch-7"]["assessment"]
    assert any("read_after_remediation is str" in p for p in routers["branch-7"]["problems"])
    markdown = render_markdown(report)
    sections = {block.split(":", 1)[0]: block for block in markdown.split("\n### ")[1:]}
    assert "read again after the remediation" in sections["hub-1"]
    for host in ("branch-7", "spoke-2"):
        assert "first read" in sections[host] and "read again after" not in sections[host]

    html = render_html(report)
    assert html.count("read again after the remediation") == 1

    dry = build_report(fleet, mode="dry_run", generated_at="2025-11-29T18:15:00+00:00")
    assert "read again after" not in render_markdown(dry) and "first read" not in render_markdown(dry)
