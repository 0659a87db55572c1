"""The report's "Recurring pairs" section: first in every format, from the history input, or saying none was read."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils import history as hist
from ansible_collections.netops.ipsec_spi.plugins.module_utils import hints
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report import (
    ReportError,
    build_report,
    render_html,
    render_json,
    render_junit,
    render_markdown,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.recurrence import NO_STORE

from report_support import XSS, load_fleet, validate

DAY = 86400.0
NOW = 1_780_000_000.0


def history_input(nights=4, xss=False):
    eps, acts = [], []
    for night in range(nights):
        start = NOW - (night + 1) * DAY
        eps.append({"receiver": "hub", "sender": "spoke1", "sender_addr": "10.0.0.2", "receiver_addr": "10.0.0.1",
                    "tunnel": "Tunnel1", "spi": 0xFF000000 + night, "first_epoch": start, "last_epoch": start + 300,
                    "messages": 5, "verdict": "confirmed", "fixed_epoch": start + 900, "source": "remediate",
                    "run_id": "night-%d" % night})
        acts.append({"run_id": "night-%d" % night, "receiver": "hub", "peer": "10.0.0.2", "action": "clear_sa",
                     "command": "clear crypto sa peer 10.0.0.1", "epoch": start + 900, "outcome": "fixed"})
    findings = hist.recurring(eps, acts, now=NOW)
    key = "hub|10.0.0.2"
    hint = hints.pair_hints(eps[0], None, None)
    if xss:
        hint["hints"].append({"hint": "reload", "end": "receiver", "message": XSS, "data": {}})
    return {"findings": findings, "timelines": {key: hist.timeline(("hub", "10.0.0.2"), eps, acts)},
            "hints": {key: hint}, "trend": hist.trend(eps, acts, 30, NOW),
            "debug_plans": {key: {"summary": "arm the capture on hub and spoke1 for this peer only"}},
            "settings": {"min_episodes": 3, "window_days": 30}}


@pytest.fixture(scope="module")
def reports():
    fleet = load_fleet()
    return build_report(fleet, generated_at="2026-11-30T00:00:00+00:00"), \
        build_report(fleet, generated_at="2026-11-30T00:00:00+00:00", history=history_input())


def test_json_has_the_section_and_matches_the_schema(reports):
    without, with_history = reports
    for report in reports:
        validate(report)
    assert without["recurring"] == {"store_read": False, "note": NO_STORE, "settings": {}, "pairs": [],
                                    "more_pairs": 0, "trend": []}
    data = json.loads(render_json(with_history))
    (pair,) = data["recurring"]["pairs"]
    assert (pair["receiver"], pair["sender_addr"], pair["episodes"], pair["masked"], pair["mttr_seconds"]) == \
        ("hub", "10.0.0.2", 4, 4, 900.0)
    # The timeline matches the rows it was built from: 4 episodes and 4 clears, in time order.
    assert [i["kind"] for i in pair["timeline"]] == ["episode", "action"] * 4
    assert [h["hint"] for h in pair["hints"]] == ["spi_top_byte_ff"]
    assert len(data["recurring"]["trend"]) == 30 and sum(r["found"] for r in data["recurring"]["trend"]) == 4
    # report.json's keys are sorted (stable diffs); the section is a top-level key every reader finds first.
    assert "recurring" in data


def test_markdown_leads_with_recurring_pairs(reports):
    without, with_history = reports
    text = render_markdown(without)
    assert text.index("## Recurring pairs") < text.index("## Summary")
    assert "no history store was read" in text
    text = render_markdown(with_history)
    section = text[text.index("## Recurring pairs"):text.index("## Summary")]
    assert "| hub | spoke1 (10.0.0.2) | Tunnel1 | 4 | 4 | 15 min 00 s |" in section
    assert "spi\\_top\\_byte\\_ff (sender)" in section or "spi_top_byte_ff (sender)" in section
    assert "clear_sa: clear crypto sa peer 10.0.0.1 -> fixed" in section
    assert "Proposed (not executed): arm the capture" in section
    assert "Fleet trend" in section


def test_html_leads_with_recurring_pairs_and_a_trend_plot(reports):
    without, with_history = reports
    page = render_html(without)
    assert page.index('id="recurring"') < page.index('class="cards"') < page.index('id="pairs"')
    assert "no history store was read" in page and '<svg class="trend"' not in page
    page = render_html(with_history)
    section = page[page.index('id="recurring"'):page.index('class="cards"')]
    assert '<svg class="trend"' in section and section.count('class="tr-found"') == 4
    assert section.count('class="tr-fixed"') == 4 and "<script" not in section
    assert "hub \u2190 10.0.0.2: 4 episodes" in section


def test_html_escapes_history_values():
    page = render_html(build_report(load_fleet(), history=history_input(xss=True)))
    assert XSS not in page and "&lt;script&gt;window.__xss=1&lt;/script&gt;" in page


def test_junit_lists_recurring_pairs_first(reports):
    without, with_history = reports
    root = ET.fromstring(render_junit(without))
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert "no history store was read" in props["history"]
    base_tests = int(root.get("tests"))
    root = ET.fromstring(render_junit(with_history))
    first = next(root.iter("testcase"))
    assert (first.get("classname"), first.get("name")) == ("hub", "recurring 10.0.0.2")
    assert first.find("failure").get("type") == "RECURRING_DESYNC"
    assert int(root.get("tests")) == base_tests + 1


def test_waived_recurring_pair_does_not_fail_junit():
    data = history_input()
    data["findings"][0]["waived"] = True
    root = ET.fromstring(render_junit(build_report(load_fleet(), history=data)))
    first = next(root.iter("testcase"))
    assert first.find("failure") is None and "desynced 4 times" in first.find("system-out").text


def test_store_read_without_recurring_pairs():
    data = dict(history_input(nights=2))
    assert data["findings"] == []
    report = build_report(load_fleet(), history=data)
    validate(report)
    assert report["recurring"]["store_read"] is True
    assert "No pair desynced often enough" in render_markdown(report)


@pytest.mark.parametrize("bad, match", [
    ("x", "history must be a mapping"),
    ({"findings": {"a": 1}}, "history.findings must be a list"),
    ({"findings": [{"code": "KNOB_MISSING"}]}, r"history.findings\[0\] must be a RECURRING_DESYNC finding"),
    ({"findings": [{"code": "RECURRING_DESYNC", "receiver": "hub", "sender_addr": "nope", "episodes": 3}]},
     "sender_addr an IP address"),
    ({"findings": [], "trend": [{"day": "2026-01-01", "found": -1, "fixed": 0, "recurring": 0, "clears": 0}]},
     r"history.trend\[0\]"),
    ({"hints": []}, "history.hints must be a mapping"),
])
def test_bad_history_input_is_a_report_error(bad, match):
    with pytest.raises(ReportError, match=match):
        build_report({}, history=bad)
