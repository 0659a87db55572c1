"""The lab's `rekey` control: a pair re-keys now with new SPIs (healing it if it was out of sync), so a test can make
the same pair desync again and again, each time a new episode (new SPI), as the month scenario's nights do."""
from __future__ import annotations

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB = os.path.join(ROOT, "lab")
if LAB not in sys.path:
    sys.path.insert(0, LAB)

from labsim.build import ScenarioError, load_scenario  # noqa: E402  pylint: disable=wrong-import-position
from labsim.sim import Fleet  # noqa: E402  pylint: disable=wrong-import-position


def fleet():
    return Fleet(load_scenario(os.path.join(LAB, "scenarios", "month.yml")), speed=0)


def test_rekey_heals_the_pair_and_the_next_desync_has_a_new_spi():
    lab = fleet()
    first = lab.start_desync("spoke", "hub")
    assert [(d["receiver"], d["sender"]) for d in lab.desyncs()] == [("hub", "spoke")]
    lab.clock.advance(600)
    out = lab.rekey("spoke", "hub")
    assert lab.desyncs() == []
    assert out["sa_since"] == lab.clock.now() and out["spi_out"]["spoke"] != first["spi"]
    link = lab.find_link("spoke", "hub")
    assert link.a.spi_out == link.b.spi_in and link.b.spi_out == link.a.spi_in
    lab.clock.advance(30)
    again = lab.start_desync("spoke", "hub")
    assert again["spi"] == out["spi_out"]["spoke"] and again["spi"] != first["spi"]


def test_rekey_of_a_healthy_pair_changes_its_spis_and_keeps_it_healthy():
    lab = fleet()
    link = lab.find_link("hub", "br")
    before = (link.a.spi_out, link.b.spi_out)
    lab.rekey("hub", "br")
    assert (link.a.spi_out, link.b.spi_out) != before and lab.desyncs() == []


def test_rekey_of_routers_that_are_no_pair_is_refused():
    with pytest.raises(ScenarioError, match="no peer pair between spoke and br"):
        fleet().rekey("spoke", "br")
