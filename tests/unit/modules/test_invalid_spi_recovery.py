"""invalid_spi_recovery: idempotent, check mode and diff, the knob line from commands.KNOB_COMMAND."""
from __future__ import annotations

from ansible.module_utils.connection import ConnectionError
from fake_cliconf import FakeCliconf

from ansible_collections.netops.ipsec_spi.plugins.module_utils.commands import KNOB_COMMAND, KNOB_READ
from ansible_collections.netops.ipsec_spi.plugins.modules import invalid_spi_recovery as knob

WITH = "hostname r\ncrypto isakmp invalid-spi-recovery\n"
WITHOUT = "hostname r\ncrypto isakmp keepalive 10\n"


def test_is_present_is_the_inventory_rule():
    assert knob.is_present(WITH) and knob.is_present("crypto isakmp  invalid-spi-recovery \n")
    assert not knob.is_present(WITHOUT) and not knob.is_present("") and not knob.is_present(None)
    assert not knob.is_present("no crypto isakmp invalid-spi-recovery\n")


def test_adds_the_line_and_verifies_it(run_module):
    conn = FakeCliconf(config=WITHOUT)
    result = run_module(knob, {"state": "present"}, conn, diff=True)
    assert not result.get("failed")
    assert (result["changed"], result["commands"], result["before"], result["after"]) == (True, [KNOB_COMMAND], False, True)
    assert conn.edits == [[KNOB_COMMAND]] and conn.sent == [KNOB_READ, KNOB_READ]
    assert result["diff"]["before"] == "" and result["diff"]["after"] == KNOB_COMMAND + "\n"


def test_nothing_to_do_is_not_a_change(run_module):
    conn = FakeCliconf(config=WITH)
    result = run_module(knob, {"state": "present"}, conn)
    assert (result["changed"], result["commands"], result["after"]) == (False, [], True) and conn.edits == []
    result = run_module(knob, {"state": "absent"}, FakeCliconf(config=WITHOUT))
    assert (result["changed"], result["commands"]) == (False, [])


def test_check_mode_and_absent(run_module):
    conn = FakeCliconf(config=WITH)
    result = run_module(knob, {"state": "absent"}, conn, check_mode=True)
    assert (result["changed"], result["commands"], result["after"]) == (True, ["no " + KNOB_COMMAND], False)
    assert conn.edits == [] and conn.sent == [KNOB_READ]
    result = run_module(knob, {"state": "absent"}, conn)
    assert result["changed"] and conn.edits == [["no " + KNOB_COMMAND]] and not knob.is_present(conn.config)


def test_given_running_config_skips_the_first_read(run_module):
    conn = FakeCliconf(config=WITH)
    result = run_module(knob, {"state": "present", "running_config": WITH}, conn)
    assert result["changed"] is False and conn.sent == []


def test_a_change_the_router_did_not_keep_fails(run_module):
    conn = FakeCliconf(config=WITHOUT, apply_edits=False)
    result = run_module(knob, {"state": "present"}, conn)
    assert result["failed"] and "the router accepted 'crypto isakmp invalid-spi-recovery' but" in result["msg"]
    assert result["msg"].startswith("netops.ipsec_spi.invalid_spi_recovery: ") and result["after"] is False


def test_unreadable_router_fails_cleanly(run_module):
    result = run_module(knob, {"state": "present"}, FakeCliconf({KNOB_READ: ConnectionError("timeout")}))
    assert result["failed"] and result["msg"] == ("netops.ipsec_spi.invalid_spi_recovery: the router refused or did "
                                                  "not answer: timeout")
    assert result["commands"] == [KNOB_COMMAND]
    result = run_module(knob, {"state": "present"}, FakeCliconf({KNOB_READ: None}))
    assert result["failed"] and "dropped while running 'show running-config | include" in result["msg"]
    result = run_module(knob, {"state": "present", "running_config": "% Invalid input detected at '^' marker."},
                        FakeCliconf())
    assert result["failed"] and "the device rejected the command" in result["msg"]
