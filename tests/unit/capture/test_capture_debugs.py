"""Conditional ISAKMP/IPsec debugs for a recurring pair: the safety gate's limits, the applet, the proposed plan."""
from __future__ import annotations

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils import capture
from ansible_collections.netops.ipsec_spi.plugins.module_utils.capture import debugs
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError

HEAD = [
    "event manager applet D authorization bypass",
    ' event syslog pattern "CRYPTO-4-RECVD_PKT_INV_SPI" ratelimit 600 maxrun 200',
]


def applet(*actions):
    return HEAD + [" action %04d %s" % (10 * (i + 1), a) for i, a in enumerate(actions)]


ON = ['cli command "enable"', 'cli command "debug crypto condition peer ipv4 198.51.100.2"',
      'cli command "debug crypto isakmp"', 'cli command "debug crypto ipsec"']
OFF = ['cli command "no debug crypto ipsec"', 'cli command "no debug crypto isakmp"',
       'cli command "no debug crypto condition peer ipv4 198.51.100.2"']


def problems(*actions):
    return capture.capture_policy_problems(applet(*actions))


def test_a_conditional_bounded_debug_passes():
    assert problems(*(ON + ["wait 120"] + OFF)) == []


@pytest.mark.parametrize("actions, expected", [
    # Unconditional: no peer condition before the debug.
    (['cli command "enable"', 'cli command "debug crypto isakmp"', "wait 60", 'cli command "no debug crypto isakmp"'],
     "unconditional debug"),
    # Never turned off, or off without a bounded wait between.
    (ON + ["wait 60"] + OFF[1:], "'debug crypto ipsec' is never turned off"),
    (ON + OFF, "no bounded wait"),
    (ON + ["wait 300"] + OFF, "wait 300 s does not end within maxrun 200"),
    # The condition left behind scopes later debugs nobody asked for; it must go too.
    (ON + ["wait 60"] + OFF[:2], "condition peer ipv4 198.51.100.2 is never removed"),
    # Blanket commands: refused even though they turn debugs off.
    (ON + ["wait 60", 'cli command "undebug all"'], "'undebug all'"),
    (ON + ["wait 60", 'cli command "no debug all"'], "'no debug all'"),
    (['cli command "debug all"'], "'debug all'"),
    (['cli command "debug ip packet"'], "'debug ip packet'"),
    (['cli command "deb crypto isakmp"'], "'deb crypto isakmp'"),
    (['cli command "undebug crypto isakmp"'], "'undebug crypto isakmp'"),
    # The peer must be a literal address: a variable could be anything (or 'all').
    (['cli command "debug crypto condition peer ipv4 $src"', 'cli command "debug crypto isakmp"', "wait 60",
      'cli command "no debug crypto isakmp"', 'cli command "no debug crypto condition peer ipv4 $src"'],
     "chosen by a variable"),
    (['cli command "debug crypto condition peer ipv4 not-an-ip"'], "'debug crypto condition peer ipv4 not-an-ip'"),
    (['cli command "debug crypto condition fvrf X"'], "'debug crypto condition fvrf X'"),
    # Still nothing else: no clear, no configuration.
    (ON + ["wait 60"] + OFF + ['cli command "clear crypto sa peer 198.51.100.2"'], "'clear crypto sa peer"),
    (ON + ['cli command "configure terminal"', "wait 60"] + OFF, "'configure terminal'"),
    (ON + ['cli command "logging buffered 100000 debugging"', "wait 60"] + OFF, "'logging buffered"),
])
def test_the_gate_refuses_debugs_that_are_not_conditional_bounded_and_specific(actions, expected):
    found = problems(*actions)
    assert any(expected in p for p in found), found


def test_the_twin_and_capture_applets_still_refuse_debug():
    # A debug line in an applet with no wait/off is refused like before.
    assert any("unconditional" in p or "never turned off" in p
               for p in problems('cli command "debug crypto ipsec"'))


def test_debug_applet_is_accepted_by_ios_grammar_and_the_gate():
    lines = debugs.debug_applet("198.51.100.2", duration=120)
    assert capture.check_applet(lines) == []
    assert capture.capture_policy_problems(lines) == []
    text = "\n".join(lines)
    assert "debug crypto condition peer ipv4 198.51.100.2" in text and "undebug" not in text
    assert text.index("debug crypto condition peer") < text.index('"debug crypto isakmp"') < text.index("wait 120")
    assert text.index("wait 120") < text.index("no debug crypto isakmp")
    # Only INV_SPI messages from that peer turn it on.
    assert text.index('if $src ne "198.51.100.2"') < text.index("debug crypto condition peer")


def test_capture_applet_scoped_to_one_peer():
    lines = capture.capture_applet(peer="198.51.100.2")
    assert 'if $src ne "198.51.100.2"' in "\n".join(lines)
    assert capture.check_applet(lines) == [] and capture.capture_policy_problems(lines) == []
    # Without a peer the applet is the one every capture run installs, unchanged.
    assert 'if $src ne' not in "\n".join(capture.capture_applet())
    with pytest.raises(ParseError, match="not an IP address"):
        capture.capture_applet(peer="198.51.100.2 ")


def test_debug_applet_ipv6_and_ikev2():
    lines = debugs.debug_applet("2001:db8::2", ike="ikev2", duration=60)
    text = "\n".join(lines)
    assert "debug crypto condition peer ipv6 2001:db8::2" in text and '"debug crypto ikev2"' in text
    assert capture.capture_policy_problems(lines) == [] and capture.check_applet(lines) == []


@pytest.mark.parametrize("kwargs, match", [
    ({"peer": "198.51.100.2\n"}, "peer .* is not an IP address"),
    ({"peer": "any"}, "peer .* is not an IP address"),
    ({"duration": 0}, "duration must be an integer"),
    ({"duration": 3600}, "duration must be an integer"),
    ({"ike": "all"}, "ike must be ikev1 or ikev2"),
])
def test_debug_applet_bad_input(kwargs, match):
    args = dict({"peer": "198.51.100.2"}, **kwargs)
    with pytest.raises(ParseError, match=match):
        debugs.debug_applet(**args)


FINDING = {"code": "RECURRING_DESYNC", "receiver": "hub", "sender_addr": "198.51.100.2", "sender": "spoke",
           "latest": {"receiver_addr": "198.51.100.1", "sender": "spoke", "spi": 1, "tunnel": "Tunnel1"}}


def test_plan_proposes_capture_on_both_ends_and_debugs_only_on_opt_in():
    plan = debugs.debug_plan(FINDING)
    assert plan["executed"] is False and plan["debugs"] is False
    assert [(e["host"], e["role"]) for e in plan["ends"]] == [("hub", "receiver"), ("spoke", "sender")]
    assert plan["ends"][0]["twin_peers"] == [] and plan["ends"][1]["twin_peers"] == ["198.51.100.1"]
    assert all(e["debug_applet"] is None for e in plan["ends"])
    assert "opt in" in plan["summary"]
    plan = debugs.debug_plan(FINDING, debugs=True)
    receiver = plan["ends"][0]
    assert plan["debugs"] is True and "CPU" in plan["risk"]
    assert capture.capture_policy_problems(receiver["debug_applet"]) == []
    assert "198.51.100.2" in "\n".join(receiver["debug_applet"])
    # The sender sees no INV_SPI of its own: nothing turns a debug on there (docs/recurrence.md).
    assert plan["ends"][1]["debug_applet"] is None and "no trigger" in plan["ends"][1]["debug_note"]


def test_plan_for_a_sender_outside_the_inventory():
    plan = debugs.debug_plan(dict(FINDING, sender=None, latest=dict(FINDING["latest"], sender=None)))
    assert [e["host"] for e in plan["ends"]] == ["hub"]
    with pytest.raises(ParseError, match="not a RECURRING_DESYNC finding"):
        debugs.debug_plan({"code": "KNOB_MISSING"})
