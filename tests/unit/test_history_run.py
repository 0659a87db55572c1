"""history_run: one run's history step against a real SQLite store (record, read back, recurring pairs,
their findings on the receivers' assessments), as the store action's step=history runs it."""
from __future__ import annotations

import datetime

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils import history_run
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError
from ansible_collections.netops.ipsec_spi.plugins.module_utils.store import open_store

DAY = 86400.0
NOW = 1_780_000_000.0


def night(n, spi, fixed=False):
    """One night's assessments: hub receives a persistent INV_SPI flow from spoke1 (a new SPI each night)."""
    at = NOW - (5 - n) * DAY
    hub = {"host": "hub", "assessed": True, "compliant": False, "findings": [],
           "flows": [{"src": "10.0.0.2", "dst": "10.0.0.1", "spi": spi, "status": "persistent", "verdict": "confirmed",
                      "sender": "spoke1", "first_epoch": at - 600, "last_epoch": at - 60, "count": 5}],
           "performed_actions": []}
    spoke = {"host": "spoke1", "assessed": True, "compliant": True, "findings": [], "flows": [],
             "performed_actions": [{"action": "clear_sa", "receiver": "hub", "sender_addr": "10.0.0.2", "spi": spi,
                                    "result": "done", "verified": True, "command": "clear crypto sa peer 10.0.0.1"}]
             if fixed else []}
    return at, {"hub": hub, "spoke1": spoke}


def test_three_nights_make_a_recurring_pair_and_the_same_night_twice_is_one_episode(tmp_path):
    path = str(tmp_path / "store.sqlite3")
    out = None
    for n, spi in enumerate((0x1001, 0x1002, 0x1003)):
        at, fleet = night(n, spi, fixed=True)
        with open_store(path) as store:
            store.prepare(at)
            out = history_run.record_and_read(store, fleet, at, "remediate", "run-%d" % n, {}, record_actions=True)
            # The EDA loop seeing the same episode again, and the same run recorded twice, add nothing.
            history_run.record_and_read(store, fleet, at, "eda", "eda-%d" % n, {})
            history_run.record_and_read(store, fleet, at, "remediate", "run-%d" % n, {}, record_actions=True)
            assert (len(store.episodes(0.0)), len(store.actions(0.0))) == (n + 1, n + 1)
        if n < 2:
            assert out["findings"] == []
    (found,) = out["findings"]
    assert (found["receiver"], found["sender_addr"], found["episodes"], found["masked"]) == ("hub", "10.0.0.2", 3, 3)
    key = "hub|10.0.0.2"
    assert [e["kind"] for e in out["timelines"][key]] == ["episode", "action"] * 3
    assert out["debug_plans"][key] and key in out["hints"]
    assert sum(day["found"] for day in out["trend"]) == 3

    changed = history_run.with_recurring(fleet, out["findings"], [], datetime.date(2026, 5, 28))
    assert list(changed) == ["hub"]
    assert changed["hub"]["compliant"] is False
    assert [f["code"] for f in changed["hub"]["findings"]] == ["RECURRING_DESYNC"]
    assert fleet["hub"]["findings"] == []  # the input is not changed
    assert history_run.summary_with(fleet, changed)["findings_by_code"]["RECURRING_DESYNC"] == 1

    # Waived, the finding is still there but the receiver is compliant again.
    waived = history_run.with_recurring(fleet, out["findings"],
                                        [{"code": "RECURRING_DESYNC", "host": "hub", "reason": "known carrier fault"}],
                                        datetime.date(2026, 5, 28))
    assert waived["hub"]["findings"][0]["waived"] is True


def test_check_mode_records_nothing(tmp_path):
    path = str(tmp_path / "store.sqlite3")
    at, fleet = night(0, 0x2001)
    with open_store(path) as store:
        store.prepare(at)
        out = history_run.record_and_read(store, fleet, at, "audit", "r", {}, record=False)
        assert out["recorded"] == {"episodes": 0, "actions": 0}
        assert store.episodes(0.0) == []


@pytest.mark.parametrize("settings, match", [
    ({"min_episodes": 0}, "min_episodes must be a whole number from 1 to 3650"),
    ({"window_days": "30"}, "window_days must be a whole number"),
    ({"debugs": "yes"}, "debugs must be true or false"),
    ({"min_episode": 3}, "history setting 'min_episode' is unknown"),
])
def test_bad_settings_are_refused_by_name(settings, match):
    with pytest.raises(ParseError, match=match):
        history_run.settings_of(settings)


def test_the_step_records_reads_and_settles_as_one_call_for_every_caller(tmp_path):
    # history_run.step is what the store action's step=history and fleet_assess (the AWX slice controller) run.
    path = str(tmp_path / "store.sqlite3")
    out = None
    for n, spi in enumerate((0x3001, 0x3002, 0x3003)):
        at, fleet = night(n, spi)
        out = history_run.step(path, fleet, at, "audit", "night-%d" % n, {}, settings={"debugs": True},
                               waivers=[])
        assert out["history_rows"] == {"episodes": 1, "actions": 0}
    assert [(f["receiver"], f["episodes"]) for f in out["history"]["findings"]] == [("hub", 3)]
    assert "recorded" not in out["history"] and out["history"]["settings"]["debugs"] is True
    assert list(out["assessments"]) == ["hub"] and out["summary"]["findings_by_code"]["RECURRING_DESYNC"] == 1
    with open_store(path) as store:
        assert len(store.episodes(0.0)) == 3


def test_the_step_in_check_mode_writes_nothing_and_creates_no_store(tmp_path):
    path = tmp_path / "store.sqlite3"
    at, fleet = night(0, 0x4001)
    out = history_run.step(str(path), fleet, at, "audit", "r", {}, check=True)
    assert out == {"history": {}, "history_rows": {"episodes": 0, "actions": 0}, "assessments": {}, "summary": None}
    assert not path.exists()
    history_run.step(str(path), fleet, at, "audit", "r", {})
    again = history_run.step(str(path), night(1, 0x4002)[1], at + DAY, "audit", "r2", {}, check=True)
    assert again["history_rows"] == {"episodes": 0, "actions": 0} and again["history"]["findings"] == []
    with open_store(str(path)) as store:
        assert [e["spi"] for e in store.episodes(0.0)] == [0x4001]


def test_the_window_is_checked_once_however_many_pairs_recur(tmp_path, monkeypatch):
    # Each recurring pair's timeline used to check the whole window again: 8 pairs on a 10,000-router fleet
    # made the step 5x slower than its 2-second budget (bench_history.py). Two recurring pairs here.
    from ansible_collections.netops.ipsec_spi.plugins.module_utils import history

    path = str(tmp_path / "store.sqlite3")
    at = NOW
    with open_store(path) as store:
        store.prepare(at)
        for n, spi in enumerate((0x1001, 0x1002, 0x1003)):
            at, fleet = night(n, spi)
            other = {"host": "hub2", "assessed": True, "compliant": False, "findings": [], "performed_actions": [],
                     "flows": [dict(fleet["hub"]["flows"][0], src="10.0.0.9", sender="spoke9")]}
            history_run.record_and_read(store, dict(fleet, hub2=other), at, "audit", "run-%d" % n, {})
        calls = []
        real = history.check_episode
        monkeypatch.setattr(history, "check_episode", lambda row, *a, **k: calls.append(1) or real(row, *a, **k))
        out = history_run.record_and_read(store, {}, at, "audit", "read", {}, record=False)
        stored = store.episodes(0.0)
    assert len(out["findings"]) == 2 and len(out["timelines"]) == 2
    assert len(calls) == len(stored) == 6
    # What a caller passes from outside is still checked: a plain list is not taken on trust.
    calls.clear()
    history.check_episodes(list(history.check_episodes(stored)))
    assert len(calls) == 12
    with pytest.raises(ParseError):
        history.timeline(out["findings"][0], [{"receiver": "hub\nclear crypto sa"}], [])
