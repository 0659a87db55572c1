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


# ----- each rule of the grammar, with the exact errors it reports (pinned before the checker was split by rule) ----

def _event(line):
    return ["event manager applet T", line, ' action 1 cli command "enable"']


def _actions(*lines):
    return ["event manager applet T", " event none"] + list(lines)


@pytest.mark.parametrize("lines, errors", [
    (_event(' event tag e1 syslog pattern "X"'), []),  # event tag
    (_event(' event tag e1'), ["line 2: 'event' needs a detector (syslog, timer, none, ...)"]),  # event tag alone
    (_event(' event syslog pattern "X" severity-debugging maxrun 5'), []),  # syslog flag option
    (_event(' event syslog pattern'), ['line 2: event syslog pattern needs a value']),  # syslog no value
    (_event(' event syslog pattern\tX Y'), ["line 2: unknown event syslog option 'Y'"]),  # a tab splits words like a space
    (_event(' event syslog pattern "X" occurs 0'), ["line 2: occurs needs a whole number >= 1, not '0'"]),  # syslog occurs 0
    (_event(' event syslog pattern "X" occurs two'), ["line 2: occurs needs a whole number >= 1, not 'two'"]),  # syslog occurs word
    (_event(' event syslog pattern "X" occurs 2 period 10.5'), []),  # syslog occurs ok
    (_event(' event syslog "pattern" "X"'), ["line 2: unknown event syslog option 'pattern'"]),  # syslog quoted key
    (_event(' event timer watchdog time 5 time 6'), ["line 2: event timer option 'time' given twice"]),  # timer twice
    (_event(' event timer watchdog time 5 name'), ['line 2: event timer name needs a value']),  # timer no value
    (_event(' event timer countdown time 0'), ["line 2: timer time needs seconds > 0, not '0'"]),  # timer time 0
    (_event(' event timer countdown time soon'), ["line 2: timer time needs seconds > 0, not 'soon'"]),  # timer time word
    (_event(' event timer cron cron-entry "0 * * * *" name c maxrun 10 ratelimit 5'), []),  # timer cron ok
    (_event(' event timer cron cron-entry "0 * *"'), ['line 2: cron-entry needs five fields']),  # timer cron bad
    (_event(' event timer cron time 5'), ["line 2: unknown event timer option 'time'", "line 2: event timer cron needs 'cron-entry'"]),  # timer cron time
    (_event(' event timer watchdog time 5 maxrun long'), ["line 2: maxrun needs seconds, not 'long'"]),  # timer maxrun bad
    (_event(' event timer watchdog time 5 colour red maxrun x'), ["line 2: unknown event timer option 'colour'"]),  # timer unknown
    (_event(' event timer'), ['line 2: event timer needs one of watchdog, countdown, absolute, cron']),  # timer empty
    (_event(' event none maxrun'), ['line 2: event none takes only [maxrun N]']),  # none args
    (_event(' event none ratelimit 5'), []),  # none ratelimit
    (_event(' event none maxrun x'), ['line 2: event none takes only [maxrun N]']),  # none bad
    (_event(' event cli pattern "show run" sync yes'), []),  # cli ok
    (_event(' event cli sync yes'), ["line 2: event cli needs 'pattern REGEX'"]),  # cli no pattern
    (_event(' event cli pattern'), ["line 2: event cli needs 'pattern REGEX'"]),  # cli pattern alone
    (_event(' event cli'), ["line 2: event cli needs 'pattern REGEX'"]),  # cli empty
    (_actions(' action 1 cli command "show clock" pattern "#"'), []),  # cli cmd pattern
    (_actions(' action 1 regexp "x" "y" _m 9bad'), ["line 3: regexp result variable '9bad' is not a variable name"]),  # regexp bad var
    (_actions(' action 1 regexp x\ty "z"'), []),  # a tab splits words like a space
    (_actions(' action 1 regexp "x y" "z"'), []),  # regexp pattern spaces quoted
    (_actions(' action 1 set v "1"', ' action 2 puts "$v"'), []),  # set ok
    (_actions(' action 1 foreach "x"'), ["line 3: foreach needs 'VARIABLE LIST [DELIMITER]'"]),  # foreach bad
    (_actions(' action 1 foreach x "a b" " "', ' action 2 puts "$x"', ' action 3 end'), []),  # foreach ok
    (_actions(' action 1 syslog msg "m" facility "F"'), []),  # syslog facility ok
    (_actions(' action 1 syslog msg "m" severity 3'), ['line 3: syslog takes only [priority P] msg STRING [facility STRING]']),  # syslog extra
    (_actions(' action 1 syslog priority'),
     ['line 3: syslog priority needs a level (all, emergencies, alerts, critical, errors, warnings, notifications, informational, debugging)']),
    (_actions(' action 1 exit 0 1'), ['line 3: exit takes at most a result value']),  # exit two
    (_actions(' action 1 else x'), ['line 3: else takes no arguments']),  # else args
    (_actions(' action 1 puts nonewline "x"'), []),  # puts nonewline
    (_actions(' action 1 puts a b c'), ["line 3: puts needs '[nonewline] STRING'"]),  # puts bad
    (_actions(' action 1 file'), ['line 3: file needs open, puts, gets, read, write, close or delete']),  # file empty
    (_actions(' action 1 file delete flash:x'), []),  # file delete ok
    (_actions(' action 1 file delete'), ["line 3: file delete needs 'FILENAME'"]),  # file delete bad
    (_actions(' action 1 file open fh flash:x r', ' action 2 file gets fh line', ' action 3 file close fh', ' action 4 puts "$line"'),
     ['line 6: variable $line is used before anything sets it']),
    (_actions(' action 1 file read fh'), ["line 3: file read needs 'HANDLE VARIABLE|STRING ...'"]),  # file read bad
    (_actions(' action 1 file seek fh 0'), ["line 3: unknown file operation 'seek'"]),  # file unknown
    (_actions(' action 1 file open fh flash:x w', ' action 2 file puts fh nonewline "x"', ' action 3 file close fh'), []),  # file puts nonewline
    (_actions(' action 1 file open fh flash:x w', ' action 2 file puts fh', ' action 3 file close fh'),
     ["line 4: file puts needs 'HANDLE [nonewline] STRING'"]),
    (_actions(' action 1 file close'), ["line 3: file close needs 'HANDLE'"]),  # file close bad
    (_actions(' action 1 file close fh'), ['line 3: file handle fh is not open']),  # file close unopened
    (_actions(' action 1 file open fh flash:x w', ' action 2 file open fh flash:y w', ' action 3 file close fh'),
     ['line 4: file handle fh opened again before it was closed']),
    (_actions(' action 1 file open fh $path w', ' action 2 file close fh'), ['line 3: variable $path is used before anything sets it']),  # file open var read
    (_actions(' action 1 info routername'), ["line 3: info needs 'type ...'"]),  # info bad
    (_actions(' action 1 increment i 2', ' action 2 puts "$i"'), []),  # increment ok
    (_actions(' action 1 decrement'), ["line 3: decrement needs 'VARIABLE [VALUE]'"]),  # decrement bad
    (_actions(' action 1 append s "x"', ' action 2 puts "$s"'), []),  # append ok
    (_actions(' action 1 append 9x'), ["line 3: append needs 'VARIABLE [VALUE]'"]),  # append bad
    (_actions(' action 1 add 1 2', ' action 2 puts "$_result"'), []),  # add ok
    (_actions(' action 1 divide 1'), ['line 3: divide needs two operands']),  # divide bad
    (_actions(' action 1 wait 5'), []),  # wait ok
    (_actions(' action 1 wait soon'), ['line 3: wait needs seconds']),  # wait bad
    (_actions(' action 1 comment hello'), []),  # comment ok
    (_actions(' action 1 comment'), ['line 3: comment needs text']),  # comment bad
    (_actions(' action 1 string length "abc"', ' action 2 puts "$_string_result"'), []),  # string ok
    (_actions(' action 1 string length'), ['line 3: string needs an operation and operands']),  # string bad
    (_actions(' action 1 reload'), []),  # reload ok
    (_actions(' action 1 reload now'), ['line 3: reload takes no arguments']),  # reload bad
    (['event manager applet T', ' event none'], ['line 1: the applet has no actions']),  # no actions
    (_actions(' action a/b cli command "enable"'), ["line 3: label 'a/b': use letters, digits, '.', '_', '-'"]),  # bad label
    (_actions(' action 1 set i "0"', ' action 2 while $i lt 3', ' action 3 break', ' action 4 end', ' action 5 continue'), ['line 7: continue outside a loop']),
    (_actions(' action 1 elseif $x eq "1"'), ['line 3: variable $x is used before anything sets it', 'line 3: elseif without an open if']),  # elseif without if
    (_actions(' action 1 puts "$u $u"'), ['line 3: variable $u is used before anything sets it']),  # dollar var used twice
    (_actions(' action 1 cli command "show clock"', ' action 2 puts "$_cli_result"'), []),  # cli result
    (_actions(' action 1 if 1 eq 1 goto 2', ' action 2 puts "x"'), []),  # if goto ok
    (_actions(' action 1 while 1 eq 1 goto 2', ' action 2 end'),
     ["line 3: while needs 'OPERAND {eq|ne|gt|ge|lt|le} OPERAND'", 'line 4: end without an open if, while or foreach']),
])
def test_each_rule_reports_exactly(lines, errors):
    assert capture.check_applet(lines) == errors


def test_a_pattern_that_is_no_regex_is_reported_once_and_not_matched_against_messages():
    errors = capture.check_applet(["event manager applet T", ' event syslog pattern "(x"', ' action 1 syslog msg "(x"'])
    assert len(errors) == 1 and errors[0].startswith("line 2: pattern '(x' is not a regular expression: "), errors


def test_a_word_with_spaces_must_be_quoted_even_if_the_tokenizer_let_one_through():
    # The tokenizer splits bare words at blanks; these checks are the second lock, reached only by a token with one.
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.capture import grammar
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.capture.syntax import Token

    # pylint: disable=protected-access
    assert grammar._arity("cli", [Token("command", False, 0), Token("show clock", False, 8)]) == \
        "a cli command with spaces must be quoted"
    assert grammar._arity("cli", [Token("command", False, 0), Token("show clock", True, 8)]) is None
    assert grammar._arity("regexp", [Token("a b", False, 0), Token("z", True, 4)]) == \
        "a regexp pattern with spaces must be quoted"
    assert grammar._arity("regexp", [Token("a b", True, 0), Token("z", True, 4)]) is None
    for quoted, expected in ((False, ["line 2: a pattern with spaces must be quoted"]), (True, [])):
        errors = []
        event = {"line": 2, "tokens": [Token("syslog", False, 0), Token("pattern", False, 7), Token("a b", quoted, 15)]}
        assert grammar._check_event({"event": event}, errors) == ("syslog", "a b")
        assert errors == expected
