"""capture/applet.py: the applet text, reading it back from running-config, the config diff."""
from __future__ import annotations

import re

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils import capture
from ansible_collections.netops.ipsec_spi.plugins.module_utils import commands
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError
from ansible_collections.netops.ipsec_spi.tests.unit.capture.blocks import HUB


def test_generated_applets_pass_the_checker_and_the_policy():
    for applet in (capture.capture_applet(), capture.capture_applet(name="X.Y-1", file="a.txt", qfp=False, ratelimit=10),
                   capture.twin_applet([HUB, "2001:DB8::1"]), capture.twin_applet([HUB], interval=10, maxrun=10)):
        assert capture.check_applet(applet) == [], applet
        assert capture.capture_policy_problems(applet) == [], applet


def test_capture_applet_shape():
    lines = capture.capture_applet(ratelimit=45, maxrun=90, max_bytes=2048, min_free=4096)
    text = "\n".join(lines)
    assert lines[0] == "event manager applet IPSEC_SPI_CAPTURE authorization bypass"
    assert ' event syslog pattern "%s" ratelimit 45 maxrun 90' % commands.INV_SPI_EEM_PATTERN in lines
    assert all(line.startswith(" ") for line in lines[1:])
    for needed in ('regexp "srcaddr=', '"$_syslog_msg" _m src', 'cli command "show crypto ipsec sa peer $src"',
                   'cli command "show crypto isakmp sa"', 'cli command "show crypto ikev2 sa"',
                   'cli command "%s"' % commands.QFP_IPSEC_DROPS, "if $size ge 2048", "if $free lt 4096",
                   "file open fh flash:ipsec_spi_capture.txt a+", "file close fh"):
        assert needed in text, needed
    assert "clear" not in text.replace("(", " ")
    assert "?" not in text
    assert commands.QFP_IPSEC_DROPS not in "\n".join(capture.capture_applet(qfp=False))


def test_pattern_matches_all_three_spellings_and_nothing_else():
    rx = re.compile(commands.INV_SPI_EEM_PATTERN)
    for mnemonic in commands.INV_SPI_MNEMONICS:
        assert rx.search("000012: *Nov 29 18:00:01.123 UTC: %CRYPTO-4-" + mnemonic + ": decaps: rec'd IPSEC packet")
    for other in ("%CRYPTO-4-RECVD_PKT_NOT_IPSEC: x", "%CRYPTO-5-SESSION_STATUS: y", "%HA_EM-4-LOG: IPSEC_SPI_CAPTURE: z",
                  "%CRYPTO-4-PKT_REPLAY_ERR: w"):
        assert not rx.search(other)


def test_twin_applet_shape():
    lines = capture.twin_applet(["198.51.100.1", "198.51.100.1", "2001:DB8::A"], interval=30, maxrun=25)
    assert " event timer watchdog time 30 maxrun 25" in lines
    text = "\n".join(lines)
    assert text.count('cli command "show crypto ipsec sa peer 198.51.100.1"') == 1
    assert 'cli command "show crypto ipsec sa peer 2001:db8::a"' in text
    assert 'file puts fh "kind: twin"' in text


@pytest.mark.parametrize("kwargs, message", [
    (dict(name="bad name"), "applet name"),
    (dict(name='a"b'), "applet name"),
    (dict(file="../x"), "capture file"),
    (dict(file="flash:x"), "capture file"),
    (dict(max_bytes=10), "max_bytes"),
    (dict(ratelimit=0), "ratelimit"),
    (dict(maxrun=True), "maxrun"),
    (dict(log_command="clear logging"), "log_command"),
    (dict(log_command='show logging | include "x"'), "quotes"),
    (dict(log_command="show logging | include RECV_?D"), "'?'"),
])
def test_capture_applet_refuses_bad_input(kwargs, message):
    with pytest.raises(ParseError, match=re.escape(message)):
        capture.capture_applet(**kwargs)


def test_twin_applet_refuses_bad_input():
    with pytest.raises(ParseError, match="at least one peer"):
        capture.twin_applet([])
    with pytest.raises(ParseError, match="not an IP address"):
        capture.twin_applet(["hub-1"])
    with pytest.raises(ParseError, match="interval"):
        capture.twin_applet([HUB], interval=5)


# ----- running-config and the commands to send ------------------------------------------------------------

RUNNING = """Building configuration...
!
event manager applet IPSEC_SPI_CAPTURE2
 event none
 action 1 cli command "show clock"
event manager applet IPSEC_SPI_CAPTURE authorization bypass
 event syslog pattern "X" ratelimit 60 maxrun 60
 action 1 cli command "show clock"
!
end
"""


def test_applet_from_running_finds_the_exact_name():
    assert capture.applet_from_running(RUNNING, "IPSEC_SPI_CAPTURE") == [
        "event manager applet IPSEC_SPI_CAPTURE authorization bypass",
        ' event syslog pattern "X" ratelimit 60 maxrun 60', ' action 1 cli command "show clock"']
    assert capture.applet_from_running(RUNNING, "IPSEC_SPI_CAPTURE2")[1] == " event none"
    assert capture.applet_from_running(RUNNING, "IPSEC") is None
    assert capture.applet_from_running("", "X") is None
    assert capture.applet_from_running(None, "X") is None


def test_config_commands_are_idempotent_and_replace_whole_applets():
    want = capture.capture_applet()
    assert capture.config_commands(want, want) == []
    # The router collapses spaces; that is no change.
    assert capture.config_commands([line.replace(" event", "   event") for line in want], want) == []
    first = capture.config_commands(None, want)
    assert first[0] == want[0] and len(first) == len(want) and not first[1].startswith(" ")
    changed = capture.config_commands(want, capture.capture_applet(ratelimit=30))
    assert changed[0] == "no event manager applet IPSEC_SPI_CAPTURE" and changed[1] == want[0]
    assert capture.config_commands(want, None) == ["no event manager applet IPSEC_SPI_CAPTURE"]
    assert capture.config_commands(None, None) == []
