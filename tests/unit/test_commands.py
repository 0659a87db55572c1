"""commands: the one table of commands sent, the routing to parsers, and the clear builders."""
from __future__ import annotations

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils import commands
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError


def test_gather_never_sends_a_clear_or_a_counter_reset():
    for _key, command in commands.GATHER:
        assert command.startswith("show "), command
        assert "clear" not in command.split("|", 1)[0], command


def test_every_gathered_command_but_version_and_clock_has_a_parser():
    for key, command in commands.GATHER:
        if key in ("version", "clock"):
            continue
        assert callable(commands.parser_for(command)), command


@pytest.mark.parametrize("command, target", [
    ("sh cry ips sa | inc spi", ("parsers.ipsec_sa", "parse_ipsec_sas")),
    ("sh plat hard qfp act feat ipsec data drop", ("parsers.qfp", "parse_qfp_ipsec_drops")),
    ("show logging | include PKT_INV_SPI", ("parsers.syslog", "parse_events")),
])
def test_route_accepts_abbreviations(command, target):
    assert commands.route(command) == target


@pytest.mark.parametrize("command, message", [("", "required"), ("show version", "no netops.ipsec_spi parser"),
                                              ("show crypto i sa", "ambiguous")])
def test_route_says_why_not(command, message):
    with pytest.raises(ValueError, match=message):
        commands.route(command)


def test_clear_builders_name_one_peer_and_an_optional_vrf():
    assert commands.clear_sa_command("10.0.0.1") == "clear crypto sa peer 10.0.0.1"
    assert commands.clear_sa_command("10.0.0.1", vrf="INET") == "clear crypto sa peer vrf INET 10.0.0.1"
    assert commands.clear_session_command("2001:DB8::1") == "clear crypto session remote 2001:db8::1"
    assert commands.clear_session_command("10.0.0.1", fvrf="INET") == "clear crypto session remote 10.0.0.1 fvrf INET"


@pytest.mark.parametrize("peer", ["", None, "all", "10.0.0.1 ; clear crypto sa", "*"])
def test_clear_builders_refuse_anything_but_one_address(peer):
    with pytest.raises(ParseError, match="one peer address"):
        commands.clear_sa_command(peer)
    with pytest.raises(ParseError, match="one peer address"):
        commands.clear_session_command(peer)


def test_clear_builders_refuse_a_vrf_that_is_not_a_name():
    with pytest.raises(ParseError, match="VRF name"):
        commands.clear_sa_command("10.0.0.1", vrf="a b")
