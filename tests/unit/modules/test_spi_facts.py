"""spi_facts: one connection, answers through device.run, facts from facts.build_facts."""
from __future__ import annotations

import os

from ansible.module_utils.connection import ConnectionError
from fake_cliconf import FakeCliconf

from ansible_collections.netops.ipsec_spi.plugins.module_utils.commands import COMMAND_OF, GATHER
from ansible_collections.netops.ipsec_spi.plugins.modules import spi_facts

FIX = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")
XE_VERSION = "Cisco IOS XE Software, Version 17.09.04a\nhub-1 uptime is 3 weeks\ncisco C8000V (VXE) processor\n"
INVALID = "% Invalid input detected at '^' marker.\n"


def _answers(**changes):
    with open(os.path.join(FIX, "ipsec_sa", "detail_crypto_map.txt")) as handle:
        sas = handle.read()
    answers = {command: "" for _key, command in GATHER}
    answers.update({COMMAND_OF["version"]: XE_VERSION, COMMAND_OF["clock"]: "*18:00:00.000 UTC Sun Nov 29 2026\n",
                    COMMAND_OF["running_config"]: "hostname hub-1\n", COMMAND_OF["ipsec_sa"]: sas})
    answers.update({COMMAND_OF[k]: v for k, v in changes.items()})
    return answers


def test_live_gather_in_one_connection(run_module):
    conn = FakeCliconf(_answers(qfp_drops=INVALID, qfp_ipsec_drops=INVALID))
    result = run_module(spi_facts, {"host": "hub-1"}, conn)
    facts = result["ansible_facts"]["ipsec_spi"]
    assert result["changed"] is False and facts["source"] == "live"
    assert conn.sent == [command for _key, command in GATHER]
    # cliconf gave the rejected QFP commands back as a bytes repr; they read as unsupported, not as output.
    assert facts["unsupported_commands"] == [COMMAND_OF["qfp_drops"], COMMAND_OF["qfp_ipsec_drops"]]
    assert facts["platform"]["qfp"] is False and facts["platform"]["version"] == "17.09.04a"
    assert [sa["peer"] for sa in facts["ipsec_sas"]] == ["10.1.1.1", "10.1.1.1", "10.2.2.9"]


def test_gather_subset_and_a_second_poll_of_nothing(run_module):
    conn = FakeCliconf(_answers())
    result = run_module(spi_facts, {"gather": ["ipsec_sa"], "poll_interval": 0.01}, conn)
    assert conn.sent == ["show version", "show clock", "show crypto ipsec sa"]
    assert result["ansible_facts"]["ipsec_spi"]["drop_rate"] is None


def test_second_poll_of_a_platform_without_qfp(run_module):
    # The first read probes the session with check_rc; the second poll must not, or classic IOS fails.
    conn = FakeCliconf(_answers(qfp_drops=INVALID, qfp_ipsec_drops=INVALID))
    result = run_module(spi_facts, {"poll_interval": 0.01}, conn)
    assert not result.get("failed"), result.get("msg")
    assert result["ansible_facts"]["ipsec_spi"]["drop_rate"] is None
    assert conn.sent[-2:] == [COMMAND_OF["qfp_drops"], COMMAND_OF["qfp_ipsec_drops"]]


def test_broken_sessions_fail_with_the_reason(run_module):
    result = run_module(spi_facts, {}, FakeCliconf(_answers(clock=None)))
    assert result["failed"] and result["msg"] == ("netops.ipsec_spi.spi_facts: could not read the router: the session "
                                                  "was dropped while running 'show clock'")
    result = run_module(spi_facts, {}, FakeCliconf(_answers(dmvpn="command timeout triggered, timeout value is 8 secs.")))
    assert result["failed"] and result["msg"].startswith("netops.ipsec_spi.spi_facts: the session failed during 'show dmvpn'")
    result = run_module(spi_facts, {}, FakeCliconf({"show version": ConnectionError("connection refused")}))
    assert result["failed"] and result["msg"] == "netops.ipsec_spi.spi_facts: could not read the router: connection refused"


def test_rejected_essential_command_fails(run_module):
    result = run_module(spi_facts, {}, FakeCliconf(_answers(ipsec_sa=INVALID)))
    assert result["failed"] and "the router rejected 'show crypto ipsec sa'" in result["msg"]


def test_captured_files(run_module, tmp_path):
    (tmp_path / "version.txt").write_text(XE_VERSION)
    (tmp_path / "show_running_config.txt").write_text("hostname hub-1\n")
    result = run_module(spi_facts, {"source_dir": str(tmp_path), "gather": ["running_config"]}, None)
    facts = result["ansible_facts"]["ipsec_spi"]
    assert facts["source"] == "files" and facts["commands"] == ["show version", "show running-config"]
    result = run_module(spi_facts, {"source_dir": str(tmp_path / "nope")}, None)
    assert result["failed"] and result["msg"] == "netops.ipsec_spi.spi_facts: capture folder %s does not exist" % (tmp_path / "nope")


def test_options_are_checked(run_module):
    result = run_module(spi_facts, {"min_repeats": 0}, FakeCliconf())
    assert result["failed"] and result["msg"] == "netops.ipsec_spi.spi_facts: min_repeats must be at least 1, not 0"
