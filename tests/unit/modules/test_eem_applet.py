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


def test_a_receiver_capture_scoped_to_one_peer_watches_only_that_sender(capsys, monkeypatch):
    result = run({"name": "IPSEC_SPI_CAPTURE", "capture": {"kind": "receiver", "peer": "198.51.100.2"}}, capsys, monkeypatch)
    assert not result.get("failed"), result
    assert any(line.endswith('if $src ne "198.51.100.2"') for line in result["after"])
    assert capture.capture_policy_problems(result["after"]) == []


@pytest.mark.parametrize("ike, wanted", [("ikev2", "debug crypto ikev2"), ("ikev1", "debug crypto isakmp")])
def test_the_opt_in_debug_applet_is_conditional_on_the_peer_and_passes_the_gate(ike, wanted, capsys, monkeypatch):
    args = {"name": "IPSEC_SPI_DEBUG", "capture": {"kind": "debug", "peer": "198.51.100.2", "ike": ike, "duration": 60}}
    result = run(args, capsys, monkeypatch)
    assert not result.get("failed"), result
    text = "\n".join(result["after"])
    assert 'cli command "debug crypto condition peer ipv4 198.51.100.2"' in text
    assert 'cli command "%s"' % wanted in text and 'cli command "no %s"' % wanted in text and "wait 60" in text
    assert capture.capture_policy_problems(result["after"]) == []


@pytest.mark.parametrize("capture_args, reason", [
    ({"kind": "debug"}, "capture.peer is required for kind debug"),
    ({"kind": "debug", "peer": "198.51.100.02"}, "not an IP address in canonical form"),
    ({"kind": "debug", "peer": "198.51.100.2\nundebug all"}, "not an IP address in canonical form"),
    ({"kind": "debug", "peer": "198.51.100.2", "duration": 5000}, "duration must be an integer of 10 to 600"),
    ({"kind": "receiver", "peer": "any"}, "not an IP address in canonical form"),
])
def test_a_debug_or_scoped_capture_with_a_bad_peer_or_bound_is_refused_before_anything_is_sent(
        capture_args, reason, capsys, monkeypatch):
    result = run({"name": "IPSEC_SPI_DEBUG", "capture": capture_args}, capsys, monkeypatch, check_mode=False)
    assert result["failed"] is True and reason in result["msg"], result
    assert FakeConnection.sent == []
