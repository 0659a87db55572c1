"""The lab's month scenario: 30 nights replayed through the collection's pipeline give one recurring pair, with the
hints the scenario planted (a rekey race, the receiver's lost IKE SA), and a reload seen once and never flagged."""
from __future__ import annotations

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB = os.path.join(ROOT, "lab")
if LAB not in sys.path:
    sys.path.insert(0, LAB)

from labsim.build import load_scenario  # noqa: E402  pylint: disable=wrong-import-position
from labsim.nights import replay  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.netops.ipsec_spi.plugins.module_utils import hints, history  # noqa: E402


@pytest.fixture(scope="module")
def month():
    return replay(load_scenario(os.path.join(LAB, "scenarios", "month.yml")))


def test_the_nightly_pair_is_the_one_recurring_pair(month):
    found = history.recurring(month["episodes"], month["actions"], now=month["now"])
    assert [(f["receiver"], f["sender_addr"]) for f in found] == [month["recurring"]]
    (item,) = found
    # One black hole a night, each masked by one verified clear at the nightly run.
    assert item["episodes"] == 30 and item["masked"] == 30 and item["outcomes"] == {"fixed": 30}
    assert all(h["ended"] == "verified_fix" for h in item["black_holes"])
    assert 1700 < item["mttr_seconds"] < 1900  # the run comes 30 min after the desync


def test_the_recurring_pair_gets_the_planted_hints(month):
    found = history.recurring(month["episodes"], month["actions"], now=month["now"])
    out = hints.recurring_hints(found, month["facts"][-1])
    got = {(h["hint"], h["end"]) for h in out["%s|%s" % month["recurring"]]["hints"]}
    assert got == {("rekey_race", "sender"), ("no_ike_sa", "receiver")}


def test_the_reload_is_one_episode_with_its_hint_and_not_recurring(month):
    router, peer, night = month["reload"]
    eps = [e for e in month["episodes"] if (e["receiver"], e["sender_addr"]) == (router, peer)]
    assert len(eps) == 1
    out = hints.pair_hints(eps[0], month["facts"][night][router], month["facts"][night]["hub"])
    assert ("reload", "receiver") in {(h["hint"], h["end"]) for h in out["hints"]}


def test_recording_the_same_month_twice_changes_nothing(month):
    again = replay(load_scenario(os.path.join(LAB, "scenarios", "month.yml")))
    assert again["episodes"] == month["episodes"] and again["actions"] == month["actions"]
