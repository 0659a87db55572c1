"""capture/grammar.py: the EEM 3.0 grammar check rejects bad applets and accepts good ones."""
from __future__ import annotations

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils import capture


# ----- the checker rejects bad applets --------------------------------------------------------------------

GOOD = [
    "event manager applet T authorization bypass",
    ' event syslog pattern "CRYPTO-4-RECVD_PKT_INV_SPI" ratelimit 60 maxrun 60',
    ' action 010 regexp "srcaddr=([0-9.]+)" "$_syslog_msg" _m src',
    ' action 020 cli command "enable"',
    ' action 030 cli command "show crypto ipsec sa peer $src"',
    ' action 040 syslog msg "captured $src"',
]


def with_lines(*changes):
    lines = list(GOOD)
    for index, text in changes:
        if text is None:
            del lines[index]
        elif index >= len(lines):
            lines.append(text)
        else:
            lines[index] = text
    return lines


def test_checker_accepts_the_reference_applet():
    assert capture.check_applet(GOOD) == []
    assert capture.check_applet("\n".join(GOOD) + "\n!\n") == []


@pytest.mark.parametrize("lines, expected", [
    (with_lines((1, None)), "no event line"),
    (with_lines((0, "event manager applett T")), "starts with 'event manager applet NAME'"),
    (with_lines((0, "event manager applet T trap authorization bypass")), "in the order"),
    (with_lines((0, "event manager applet T authorization")), "unexpected 'authorization'"),
    (with_lines((0, "event manager applet T class z")), "unexpected 'class'"),
    (with_lines((1, ' event syslog ratelimit 60')), "needs 'pattern'"),
    (with_lines((1, ' event syslog pattern "(unclosed" maxrun 60')), "not a regular expression"),
    (with_lines((1, ' event syslog pattern "X" ratelimit soon')), "needs seconds"),
    (with_lines((1, ' event syslog pattern "X" priority loud')), "priority 'loud'"),
    (with_lines((1, ' event syslog pattern "X" pattern "Y"')), "given twice"),
    (with_lines((1, ' event syslog pattern "X" frequency 3')), "unknown event syslog option"),
    (with_lines((1, " event timer watchdog maxrun 60")), "needs 'time'"),
    (with_lines((1, " event timer hourly time 60")), "event timer needs one of"),
    (with_lines((1, " event interface name Gi1")), "not one this checker knows"),
    (with_lines((6, ' event none')), "a second event line"),
    (with_lines((3, ' action 020 cli command "enable"'), (4, ' action 010 cli command "show clock"')), "label 010 used again"),
    (with_lines((4, ' action 9 cli command "show clock"')), "does not sort after"),
    (with_lines((3, ' action 020 cli command show clock')), "cli command takes one string"),
    (with_lines((3, ' action 020 cli command "show clock')), "unterminated quoted string"),
    (with_lines((3, ' action 020 cli command sh"ow"')), "double quote inside a word"),
    (with_lines((3, ' action 020 cli command "show"clock')), "followed by a space"),
    (with_lines((3, ' action 020 cli cmd "show clock"')), "cli needs 'command STRING"),
    (with_lines((3, ' action 020 shell "ls"')), "unknown action 'shell'"),
    (with_lines((2, ' action 010 regexp "([0-9]+" "$_syslog_msg" _m src')), "not a regular expression"),
    (with_lines((2, ' action 010 regexp "x" "$_syslog_msg" _m a b c d')), "regexp needs"),
    (with_lines((4, ' action 030 cli command "show crypto ipsec sa peer $peer"')), "$peer is used before"),
    (with_lines((2, ' action 010 regexp "x" "$_timer_time" _m src')), "$_timer_time is used before"),
    (with_lines((4, ' action 030 if $src eq "1"')), "this if has no end"),
    (with_lines((4, " action 030 else")), "else without an open if"),
    (with_lines((4, " action 030 end")), "end without an open if"),
    (with_lines((4, " action 030 break")), "break outside a loop"),
    (with_lines((4, ' action 030 if $src eq "1" goto 999')), "no action has that label"),
    (with_lines((4, ' action 030 if $src is "1"')), "if needs"),
    (with_lines((4, " action 030 file puts fh \"x\"")), "file handle fh is not open"),
    (with_lines((4, " action 030 file open fh flash:x.txt a+")), "file handle fh is never closed"),
    (with_lines((4, " action 030 file open fh flash:x.txt append")), "file open needs"),
    (with_lines((5, ' action 040 syslog msg "CRYPTO-4-RECVD_PKT_INV_SPI again"')), "would trigger the applet again"),
    (with_lines((5, ' action 040 syslog priority loud msg "x"')), "syslog priority needs"),
    (with_lines((5, ' action 040 syslog "x"')), "syslog needs 'msg STRING'"),
    (with_lines((1, ' event syslog pattern "RECVD?_PKT_INV_SPI"')), "'?' cannot be typed"),
    (with_lines((2, 'action 010 cli command "enable"')), "indented"),
    (["event manager applet T", " description spaced text"] + GOOD[1:], None),
    # Grammatical; refusing it is the safety gate's job (policy.py).
    (with_lines((3, ' action 020 cli command "show platform hardware qfp active statistics drop clear"')), None),
    (with_lines((4, ' action 030 set "a b" 1')), "set needs"),
    (with_lines((4, ' action 030 regexp "x" "$ x" _m y')), "'$' must start a variable name"),
    (with_lines((2, " flavour vanilla")), "not an applet command"),
    ([], "empty"),
])
def test_checker_rejects_bad_applets(lines, expected):
    errors = capture.check_applet(lines)
    if expected is None:
        assert errors == []
    else:
        assert any(expected in e for e in errors), errors


def test_checker_accepts_blocks_loops_and_other_detectors():
    lines = [
        "event manager applet LOOP class A trap",
        " event timer countdown time 30 name t1 maxrun 20",
        ' action 1.0 set i "0"',
        ' action 1.1 while $i lt 3',
        " action 1.2 increment i",
        ' action 1.3 if $i eq "2"',
        " action 1.4 continue",
        ' action 1.5 elseif $i eq "5"',
        " action 1.6 break",
        " action 1.7 else",
        ' action 1.8 puts "i=$i"',
        " action 1.9 end",
        " action 2.0 end",
        " action 2.1 info type routername",
        ' action 2.2 syslog priority notifications msg "on $_info_routername at $_event_pub_sec" facility "EEM"',
        " action 2.3 exit 0",
    ]
    assert capture.check_applet(lines) == []
    assert capture.check_applet(["event manager applet N", " event none maxrun 30", ' action 1 cli command "show clock"']) == []
