"""The eem_applet module refuses, before any configuration and in check mode too, an applet the safety gate rejects."""
from __future__ import annotations

import json

import pytest
from conftest import patch_module_args  # ansible-core 2.19+ has it; conftest has the stand-in for older cores

from ansible_collections.netops.ipsec_spi.plugins.module_utils import capture
from ansible_collections.netops.ipsec_spi.plugins.modules import eem_applet

SAFE = [
    "event manager applet T authorization bypass",
    ' event syslog pattern "CRYPTO-4-RECVD_PKT_INV_SPI" ratelimit 60 maxrun 60',
    ' action 010 cli command "enable"',
    ' action 020 cli command "show crypto ipsec sa"',
]


class FakeConnection:
    """Records what the module sends; the router has no applet yet."""

    sent = []

    def __init__(self, _socket_path):
        pass

    def run_commands(self, commands, check_rc=True):
        FakeConnection.sent.extend(commands)
        return [""]

    def edit_config(self, candidate):
        FakeConnection.sent.extend(candidate)


def run(args, capsys, monkeypatch, check_mode=True):
    FakeConnection.sent = []
    monkeypatch.setattr(eem_applet, "Connection", FakeConnection)
    args = dict(args, _ansible_check_mode=check_mode)
    with patch_module_args(args), pytest.raises(SystemExit):
        eem_applet.main()
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("check_mode", [True, False])
@pytest.mark.parametrize("line, reason", [
    (' action 030 cli command "clear crypto sa"', "'clear crypto sa'"),
    (' action 030 cli command "configure terminal"', "'configure terminal'"),
    (' action 030 cli command "config t"', "'config t'"),
    (' action 030 cli command "show platform hardware qfp active statistics drop clear"', "destroy the evidence"),
    (" action 030 reload", "reloads the router"),
])
def test_an_unsafe_applet_is_refused_before_anything_is_sent(line, reason, check_mode, capsys, monkeypatch):
    result = run({"name": "T", "config": SAFE + [line]}, capsys, monkeypatch, check_mode=check_mode)
    assert result["failed"] is True
    assert result["msg"].startswith("netops.ipsec_spi.eem_applet: applet T is not a safe capture applet")
    assert reason in result["msg"] and any(reason in p for p in result["problems"])
    assert FakeConnection.sent == [] and not result.get("changed")


def test_an_unbounded_applet_is_refused(capsys, monkeypatch):
    lines = [SAFE[0], ' event syslog pattern "INV_SPI"'] + SAFE[2:]
    result = run({"name": "T", "config": lines}, capsys, monkeypatch)
    assert result["failed"] is True and "no maxrun" in result["msg"] and "no ratelimit" in result["msg"]


def test_a_safe_given_applet_passes(capsys, monkeypatch):
    result = run({"name": "T", "config": SAFE}, capsys, monkeypatch)
    assert not result.get("failed") and result["changed"] is True and result["commands"][0] == SAFE[0]


@pytest.mark.parametrize("args", [
    {"name": "IPSEC_SPI_CAPTURE", "capture": {"kind": "receiver"}},
    {"name": "IPSEC_SPI_CAPTURE", "capture": {"kind": "receiver", "qfp": False, "ratelimit": 10}},
    {"name": "IPSEC_SPI_TWIN", "capture": {"kind": "twin", "peers": ["198.51.100.1"], "interval": 10}},
])
def test_the_collections_own_applets_pass(args, capsys, monkeypatch):
    result = run(args, capsys, monkeypatch)
    assert not result.get("failed"), result
    assert result["changed"] is True and capture.capture_policy_problems(result["after"]) == []


def test_an_applet_name_that_is_not_plain_is_refused_before_it_reaches_a_command(capsys, monkeypatch):
    result = run({"name": "X\nclear crypto sa", "state": "absent"}, capsys, monkeypatch, check_mode=False)
    assert result["failed"] is True and "applet name" in result["msg"] and FakeConnection.sent == []
