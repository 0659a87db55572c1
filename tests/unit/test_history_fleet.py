"""A generated 30-night history of a 200-router fleet: every planted recurring pair found, none other, and each
planted hint reported with none that was not planted."""
from __future__ import annotations

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils import history, hints
from ansible_collections.netops.ipsec_spi.plugins.module_utils.capture.debugs import debug_plan
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report import build_report, render_markdown

from history_fleet import generate

MIN = 3


@pytest.fixture(scope="module")
def fleet():
    return generate(routers=200, nights=30, min_episodes=MIN)


@pytest.fixture(scope="module")
def found(fleet):
    return history.recurring(fleet["episodes"], fleet["actions"], min_episodes=MIN, window_days=30, now=fleet["now"])


def test_every_recurring_pair_is_found_and_no_other(fleet, found):
    flagged = {(f["receiver"], f["sender_addr"]) for f in found}
    assert flagged == set(fleet["planted"])
    # Independently of the planting: each flagged pair broke at least MIN times, and every pair that broke
    # fewer times (the near misses) is absent.
    for item in found:
        assert item["episodes"] == fleet["counts"][(item["receiver"], item["sender_addr"])] >= MIN
    near = {pair for pair, count in fleet["counts"].items() if count < MIN}
    assert near and not near & flagged
    # Transient flows (rekey races) were recorded but never counted.
    assert any(e["verdict"] == "transient" for e in fleet["episodes"])


def test_each_planted_hint_is_reported_and_none_other(fleet, found):
    out = hints.recurring_hints(found, fleet["facts"])
    for pair, planted in fleet["planted"].items():
        got = {"%s:%s" % (h["hint"], h["end"]) for h in out["%s|%s" % pair]["hints"]}
        assert got == planted, (pair, got, planted)
        assert out["%s|%s" % pair]["unavailable"] == []


def test_masks_and_mttr_match_the_rows(fleet, found):
    for item in found:
        pair = (item["receiver"], item["sender_addr"])
        # One verified clear per night the pair broke: each episode masked once, fixed at the run (2 h after
        # the start of the night, 1 h after the first INV_SPI).
        assert item["masked"] == item["episodes"] and item["mttr_seconds"] == 3600.0
        line = history.timeline(pair, fleet["episodes"], fleet["actions"])
        assert sum(1 for i in line if i["kind"] == "episode") == item["episodes"]


def test_report_timeline_matches_the_store(fleet, found):
    def key(item):
        return "%s|%s" % (item["receiver"], item["sender_addr"])

    data = {"findings": found,
            "timelines": {key(f): history.timeline(f, fleet["episodes"], fleet["actions"]) for f in found},
            "hints": hints.recurring_hints(found, fleet["facts"]),
            "debug_plans": {key(f): debug_plan(f) for f in found},
            "trend": history.trend(fleet["episodes"], fleet["actions"], 31, fleet["now"])}
    report = build_report({}, history=data)
    for pair in report["recurring"]["pairs"]:
        wanted = (pair["receiver"], pair["sender_addr"])
        rows = [e for e in fleet["episodes"] if (e["receiver"], e["sender_addr"]) == wanted]
        assert [i["epoch"] for i in pair["timeline"] if i["kind"] == "episode"] == sorted(e["first_epoch"] for e in rows)
    trend = report["recurring"]["trend"]
    assert sum(r["found"] for r in trend) == sum(c for p, c in fleet["counts"].items())
    assert "## Recurring pairs" in render_markdown(report)
