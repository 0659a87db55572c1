"""The cool-down entries the plan trusts, and the JSON state file of 0.1.0 read once for its import.

Issue 17 item 2: the state used to be trusted blindly (a non-mapping or a bad ``time`` was ignored, so the
cool-down was bypassed; garbage gave a from_json error without the file name). The store (issue 27) now
holds the clears; the old file is still read, once, with the same refusals. The store itself:
test_store.py.
"""
from __future__ import annotations

import math

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils import remediate
from ansible_collections.netops.ipsec_spi.plugins.module_utils.store import entries as cstate
from ansible_collections.netops.ipsec_spi.plugins.module_utils.store.legacy import read_state_file
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError

NOW = 1_800_000_000.0


def clear(host="spoke", peer="10.0.0.1", spi=0x1DB73BBB, receiver=None):
    # Each peer is another receiver router: one pair (receiver, sender) per clear.
    return {"action": "clear_sa", "host": host, "peer": peer, "spi": spi, "receiver": receiver or "r-" + peer,
            "receiver_addr": peer, "sender_addr": "10.0.0.2", "command": "clear crypto sa peer %s" % peer}


def assessments(**planned):
    return {h: {"assessed": True, "planned_actions": acts} for h, acts in planned.items()}


# --------------------------------------------------------------------------------------------------
# Item 2: validate, and refuse naming the file and what is wrong
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad, words", [
    ([], "list"),
    ("x", "str"),
    ({"spoke|10.0.0.1": {"time": "yesterday"}}, "spoke|10.0.0.1"),
    ({"spoke|10.0.0.1": {"time": float("nan")}}, "not a finite"),
    ({"spoke|10.0.0.1": {"time": None}}, "time"),
    ({"spoke|10.0.0.1": {"time": True}}, "time"),
    ({"spoke|10.0.0.1": {"time": NOW + 86400}}, "future"),
    ({"spoke|10.0.0.1": {"time": float("inf")}}, "not a finite"),
    ({"spoke|10.0.0.1": "done"}, "spoke|10.0.0.1"),
    ({"spoke": {"time": NOW - 10}}, "host|peer"),
])
def test_plan_refuses_a_state_it_cannot_trust(bad, words):
    # Before: every one of these read as "no earlier clear" (or as a cool-down that never ends) silently.
    with pytest.raises(ParseError) as err:
        remediate.plan(assessments(spoke=[clear()]), state=bad, now=NOW, run_id="r")
    assert words in str(err.value)


def test_validate_lists_every_problem_with_its_key():
    bad = {"a|1.1.1.1": {"time": "x"}, "b|2.2.2.2": {"time": NOW + 1e6}, "c|3.3.3.3": {"time": NOW - 5, "run_id": 7}}
    with pytest.raises(cstate.StoreError) as err:
        cstate.validate(bad, NOW, "/srv/state.json")
    text = str(err.value)
    assert "/srv/state.json" in text and "a|1.1.1.1" in text and "b|2.2.2.2" in text and "c|3.3.3.3" in text


def test_a_small_clock_skew_is_a_cool_down_not_an_error():
    ok = cstate.validate({"spoke|10.0.0.1": {"time": NOW + 5, "run_id": "other"}}, NOW, "s")
    out = remediate.plan(assessments(spoke=[clear()]), state=ok, now=NOW, run_id="r")
    assert out["spoke"][0]["decision"] == "skip" and "cool-down" in out["spoke"][0]["skip_reason"]


def test_missing_file_is_an_empty_state_and_empty_file_too(tmp_path):
    assert read_state_file(str(tmp_path / "absent.json"), NOW) == {}
    (tmp_path / "empty.json").write_text("  \n")
    assert read_state_file(str(tmp_path / "empty.json"), NOW) == {}


def test_garbage_file_names_the_file_and_the_place(tmp_path):
    path = tmp_path / "clear-state.json"
    path.write_text('{"spoke|10.0.0.1": {"time": 1.0,}\n')
    with pytest.raises(cstate.StoreError) as err:
        read_state_file(str(path), NOW)
    assert str(path) in str(err.value) and "not valid JSON" in str(err.value) and "line 1" in str(err.value)


def test_binary_garbage_is_refused_not_a_traceback(tmp_path):
    path = tmp_path / "clear-state.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(cstate.StoreError) as err:
        read_state_file(str(path), NOW)
    assert str(path) in str(err.value)


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(cstate.StoreError) as err:
        read_state_file(str(tmp_path), NOW)
    assert "directory" in str(err.value)


def test_finite_check_is_not_fooled_by_huge_ints():
    with pytest.raises(cstate.StoreError):
        cstate.validate({"h|10.0.0.1": {"time": 10 ** 400}}, NOW, "s")
    assert math.isfinite(cstate.validate({"h|10.0.0.1": {"time": 5}}, NOW, "s")["h|10.0.0.1"]["time"])
