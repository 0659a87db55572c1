"""The user-visible results of the default lab scenario are pinned (tests/unit/golden/).

Facts, assessments, desync verdicts, the remediation plan and all four report files must stay the same
byte for byte (time stamps aside) when code moves. A change meant to alter them regenerates the files
(`python tests/unit/golden/pipeline.py --write`) and says why in its commit.
"""
from __future__ import annotations

import difflib
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden"))
import pipeline  # noqa: E402

FILES = pipeline.run()


@pytest.mark.parametrize("name", sorted(FILES))
def test_same_as_pinned(name):
    with open(os.path.join(pipeline.EXPECTED, name), encoding="utf-8") as handle:
        expected = handle.read()
    got = FILES[name]
    if got != expected:
        diff = "".join(list(difflib.unified_diff(expected.splitlines(True), got.splitlines(True), "pinned", "now", n=1))[:80])
        pytest.fail("%s differs from tests/unit/golden/default/%s:\n%s" % (name, name, diff))


def test_the_pinned_fleet_is_interesting():
    # A pin of an empty fleet would prove nothing.
    import json
    summary = json.loads(FILES["summary.json"])
    assert summary["routers"] == 15 and summary["confirmed_desyncs"] >= 3 and summary["planned_actions"] >= 5
