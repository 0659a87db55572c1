"""commands: the one table of commands sent and the clear builders; routes: which parser reads each answer."""
from __future__ import annotations

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils import commands
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ipsec_sa import parse_ipsec_sas
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.qfp import parse_qfp_ipsec_drops
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog import parse_events
from ansible_collections.netops.ipsec_spi.plugins.module_utils.routes import parser_for, route


def test_gather_never_sends_a_clear_or_a_counter_reset():
    for _key, command in commands.GATHER:
        assert command.startswith("show "), command
        assert "clear" not in command.split("|", 1)[0], command


def test_every_gathered_command_but_version_and_clock_has_a_parser():
    for key, command in commands.GATHER:
        if key in ("version", "clock"):
            continue
        assert callable(parser_for(command)), command


@pytest.mark.parametrize("command, target", [
    ("sh cry ips sa | inc spi", parse_ipsec_sas),
    ("sh plat hard qfp act feat ipsec data drop", parse_qfp_ipsec_drops),
    ("show logging | include PKT_INV_SPI", parse_events),
])
def test_route_accepts_abbreviations(command, target):
    assert route(command).parse is target


def test_routes_say_what_the_gather_passes_besides_the_text():
    # facts.build_facts has no per-command branches: the route names the parser's extra arguments.
    assert route("show logging | include PKT_INV_SPI").context == ("host", "year")
    assert route("show crypto isakmp sa").context == route("show crypto ikev2 sa").context == ("local_addresses",)
    assert route("show crypto ipsec sa").context == ()


@pytest.mark.parametrize("command, message", [("", "required"), ("show version", "no netops.ipsec_spi parser"),
                                              ("show crypto i sa", "ambiguous")])
def test_route_says_why_not(command, message):
    with pytest.raises(ValueError, match=message):
        route(command)


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
