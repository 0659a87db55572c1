"""The closed loop with the real ansible-rulebook: router syslog -> invalid_spi source -> rulebook -> remediate.

One lab (lab/scenarios/eda.yml: hub, spoke, br) and one ansible-rulebook for the module, driven in order:
noise and a foreign sender and a transient message raise nothing; a desync on the IKEv2 pair hub -> spoke
is cleared by netops.ipsec_spi.remediate limited to that pair; the same pair desynced again within the
cool-down gets a run that clears nothing.
"""
from __future__ import annotations

import json
import os
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB = os.path.join(ROOT, "lab")
if LAB not in sys.path:
    sys.path.insert(0, LAB)

import eda_loop  # noqa: E402  pylint: disable=wrong-import-position

SCENARIO = os.path.join(LAB, "scenarios", "eda.yml")
HUB_TO_SPOKE = "clear crypto sa peer 198.51.100.2"
pytestmark = pytest.mark.skipif(eda_loop.java_problem() is not None, reason=str(eda_loop.java_problem()))


@pytest.fixture(scope="module")
def loop(lab_factory, tmp_path_factory):
    lab = lab_factory(scenario=SCENARIO)
    work = str(tmp_path_factory.mktemp("eda"))
    state_file = os.path.join(work, "clear-state.json")
    env = {"IPSEC_SPI_STATE_FILE": state_file}
    peer_map = eda_loop.write_peer_map(lab.inventory, os.path.join(work, "peer_map.json"), env)
    port = eda_loop.free_port()
    rulebook = eda_loop.Rulebook("netops.ipsec_spi.invalid_spi_remediate", lab.inventory, work, port, {
        "ipsec_spi_eda_peer_map": os.path.join(work, "peer_map.json"),
        "ipsec_spi_eda_report_dir": os.path.join(work, "reports"),
        # the lab's clock runs 60x: its once-a-minute message arrives every second
        "ipsec_spi_eda_min_arrival_span": 0.5,
    }, env)
    try:
        rulebook.wait_listening()
        eda_loop.point_syslog(lab, port)
        yield {"lab": lab, "rulebook": rulebook, "state_file": state_file, "peer_map": peer_map, "work": work}
    finally:
        rulebook.stop()


def logins(lab, router):
    return sum(1 for c in lab.state(router)["connections"] if c["event"] == "login")


def test_peer_map_names_every_router_with_its_address_and_peers(loop):
    hosts = loop["peer_map"]["hosts"]
    assert sorted(hosts) == ["br", "hub", "spoke"]
    assert "198.51.100.1" in hosts["hub"]["addresses"]
    assert sorted(hosts["hub"]["peers"]) == ["198.51.100.2", "198.51.100.3"]


def test_noise_a_transient_and_a_foreign_sender_trigger_nothing(loop):
    lab, rulebook = loop["lab"], loop["rulebook"]
    lab.log_inv_spi("hub", "br", 0x0C0FFEE1)                       # one message: a rekey race
    lab.add_foreign("hub", "192.0.2.66", 0x0BADF00D, live=True)    # no router knows it: a minute apart, forever
    time.sleep(5)                                                  # five simulated minutes
    sent = lab.state("hub")["syslog"]["sent"]
    assert sent >= 6, "the lab did not send syslog: %s" % lab.state("hub")["syslog"]
    assert rulebook.persistent_events() == []
    assert rulebook.runs_finished() == 0
    assert eda_loop.clears(lab, "hub") == []


def test_a_persistent_desync_is_cleared_on_the_pair_only(loop):
    lab, rulebook = loop["lab"], loop["rulebook"]
    br_logins = logins(lab, "br")
    lab.start_desync("hub", "spoke")
    assert eda_loop.wait_for(lambda: rulebook.runs_finished() >= 1, 150), rulebook.output()[-5000:]
    events = rulebook.persistent_events()
    assert len(events) == 1 and "198.51.100.1 -> 198.51.100.2" in events[0] and events[0].endswith("on spoke,hub")
    assert lab.desyncs() == [], rulebook.output()[-5000:]
    assert eda_loop.clears(lab, "hub") == [HUB_TO_SPOKE]
    assert eda_loop.clears(lab, "spoke") == [] and eda_loop.clears(lab, "br") == []
    assert logins(lab, "br") == br_logins, "the remediation was not limited to the pair"
    with open(loop["state_file"], encoding="utf-8") as handle:
        state = json.load(handle)
    assert list(state) == ["hub|198.51.100.2"]
    report = os.path.join(loop["work"], "reports")
    assert any(name.startswith("spoke-0x") for name in os.listdir(report))


def test_a_second_persistent_event_within_the_cool_down_clears_nothing(loop):
    lab, rulebook = loop["lab"], loop["rulebook"]
    lab.start_desync("hub", "spoke")
    assert eda_loop.wait_for(lambda: rulebook.runs_finished() >= 2, 150), rulebook.output()[-5000:]
    assert len(rulebook.persistent_events()) == 2          # a new flow (new SPI), so a new event
    assert len(lab.desyncs()) == 1                         # still out of sync: the clear was skipped
    assert eda_loop.clears(lab, "hub") == [HUB_TO_SPOKE]   # the first one only
    out = rulebook.output()
    assert "was cleared" in out and "cool-down is 3600s" in out
