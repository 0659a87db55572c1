# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EEM evidence capture for intermittent invalid-SPI events.

Three parts, all pure Python:

- the applet text (``capture_applet`` on the receiver side, ``twin_applet`` on the
  sender side), in the form ``show running-config`` prints it;
- ``check_applet``: a syntax checker written from the documented EEM 3.0 applet
  grammar (Cisco IOS Embedded Event Manager command reference), so a bad applet is
  caught on the controller before a router half-accepts it;
- ``parse_capture`` / ``merge_captures``: capture files back into snapshots (parsed
  with the collection's own parsers) and their evidence into assessments.
"""

from __future__ import annotations

import datetime
import math
import re
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.codes import compile_waivers, finding, settle
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import (
    ParseError,
    UnsupportedCommand,
    as_lines,
    maybe_addr,
    problem,
    spi_hex,
)

CAPTURE_FORMAT = 1
DEFAULT_NAME = "IPSEC_SPI_CAPTURE"
DEFAULT_TWIN_NAME = "IPSEC_SPI_TWIN"
DEFAULT_FILE = "ipsec_spi_capture.txt"
DEFAULT_TWIN_FILE = "ipsec_spi_twin.txt"
# All three mnemonic spellings. No `?` in it: IOS answers `?` typed at the CLI
# with help instead of taking it as a character, so an applet cannot contain one.
INV_SPI_PATTERN = "CRYPTO-[0-7]-(RECVD|RECV|RECV_D)_PKT_INV_SPI"
MNEMONICS = ("RECVD_PKT_INV_SPI", "RECV_PKT_INV_SPI", "RECV_D_PKT_INV_SPI")
QFP_IPSEC_DROPS = "show platform hardware qfp active feature ipsec datapath drops all"
LOG_COMMAND = "show logging | include CRYPTO|IKEV2|INVALID_SYNTAX"
BEGIN = "=== netops.ipsec_spi capture begin ==="
END = "=== netops.ipsec_spi capture end ==="
CMD_MARK = "--- command: "
MANAGED = "netops.ipsec_spi"

BUG_FF = "CSCvp16730"
BUG_NEW_SPI = "CSCvn31824"
BUG_IKEV2_SYNTAX = "CSCvd40554"

_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_FILE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


# --------------------------------------------------------------------------------------------------
# Applet text
# --------------------------------------------------------------------------------------------------

def _quote(text: str) -> str:
    if '"' in text or "\\" in text or "?" in text:
        raise ParseError("cannot put %r in an EEM string: quotes, backslashes and '?' are refused" % text)
    return '"%s"' % text


class _Body:
    """Actions with labels that sort as strings in the written order.

    IOS runs applet actions in ascending alphanumeric order of their labels, so
    `10` would run before `2`; fixed-width labels keep text order = run order.
    """

    def __init__(self) -> None:
        self.lines: List[str] = []

    def add(self, text: str) -> None:
        self.lines.append(" action %04d %s" % (10 * (len(self.lines) + 1), text))


def _check_common(name: str, file: str, max_bytes: int, min_free: int, maxrun: int) -> None:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ParseError("applet name %r must be 1-64 letters, digits, '_', '.' or '-'" % (name,))
    if not isinstance(file, str) or not _FILE_RE.match(file):
        raise ParseError("capture file %r must be a plain file name on flash: (letters, digits, '_', '.', '-')" % (file,))
    for label, value, low in (("max_bytes", max_bytes, 1024), ("min_free", min_free, 0), ("maxrun", maxrun, 5)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ParseError("%s must be an integer >= %d, not %r" % (label, low, value))


def _size_guard(body: _Body, name: str, file: str, max_bytes: int, min_free: int) -> None:
    # Checked before every capture, so the file overshoots its cap by one capture at most
    # and a nearly full flash is never written to.
    body.add('cli command "enable"')
    body.add('set size "0"')
    body.add('cli command "dir flash:%s"' % file)
    body.add('regexp "rw- +([0-9]+) " "$_cli_result" _m size')
    body.add("if $size ge %d" % max_bytes)
    body.add('syslog priority warnings msg "%s: %s holds %d bytes or more, no further capture"' % (name, file, max_bytes))
    body.add("exit")
    body.add("end")
    body.add('set free "0"')
    body.add('cli command "dir flash: | include bytes free"')
    body.add('regexp "([0-9]+) bytes free" "$_cli_result" _m free')
    body.add("if $free lt %d" % min_free)
    body.add('syslog priority warnings msg "%s: less than %d bytes free on flash (or unreadable), capture skipped"'
             % (name, min_free))
    body.add("exit")
    body.add("end")


def _capture_command(body: _Body, command: str) -> None:
    body.add("cli command %s" % _quote(command))
    body.add("file puts fh %s" % _quote(CMD_MARK + command + " ---"))
    body.add('file puts fh "$_cli_result"')


def capture_applet(name: str = DEFAULT_NAME, file: str = DEFAULT_FILE, max_bytes: int = 1048576,
                   min_free: int = 1048576, ratelimit: int = 60, maxrun: int = 120,
                   log_command: str = LOG_COMMAND, qfp: bool = True) -> List[str]:
    """The receiver-side applet, as running-config lines (header, then body lines indented one space).

    Triggers on INV_SPI (any spelling), takes the sender address and SPI out of the
    message, and appends one capture block to ``flash:<file>``: the SA table with the
    sender, both IKE SA tables, the QFP IPsec drop table and the crypto log lines.
    """
    _check_common(name, file, max_bytes, min_free, maxrun)
    if isinstance(ratelimit, bool) or not isinstance(ratelimit, int) or ratelimit < 1:
        raise ParseError("ratelimit must be an integer >= 1 second, not %r" % (ratelimit,))
    if not isinstance(log_command, str) or not log_command.startswith("show logging"):
        raise ParseError("log_command must be a 'show logging ...' command, not %r" % (log_command,))
    body = _Body()
    body.add('regexp "srcaddr=([0-9A-Fa-f.:]+)" "$_syslog_msg" _m src')
    body.add('if $_regexp_result ne "1"')
    body.add("exit")
    body.add("end")
    body.add('set spi "unknown"')
    body.add('regexp "spi=(0x[0-9A-Fa-f]+)" "$_syslog_msg" _m spi')
    _size_guard(body, name, file, max_bytes, min_free)
    body.add("file open fh flash:%s a+" % file)
    body.add("file puts fh %s" % _quote(BEGIN))
    body.add("file puts fh %s" % _quote("format: %d" % CAPTURE_FORMAT))
    body.add("file puts fh %s" % _quote("applet: %s" % name))
    body.add('file puts fh "kind: receiver"')
    body.add('file puts fh "epoch: $_event_pub_sec"')
    body.add('file puts fh "sender: $src"')
    body.add('file puts fh "spi: $spi"')
    body.add('file puts fh "message: $_syslog_msg"')
    _capture_command(body, "show clock")
    _capture_command(body, "show crypto ipsec sa peer $src")
    _capture_command(body, "show crypto isakmp sa")
    _capture_command(body, "show crypto ikev2 sa")
    if qfp:
        _capture_command(body, QFP_IPSEC_DROPS)
    _capture_command(body, log_command)
    body.add("file puts fh %s" % _quote(END))
    body.add("file close fh")
    return [
        "event manager applet %s authorization bypass" % name,
        " description %s: capture invalid-SPI evidence to flash:%s (managed by Ansible)" % (MANAGED, file),
        ' event syslog pattern "%s" ratelimit %d maxrun %d' % (INV_SPI_PATTERN, ratelimit, maxrun),
    ] + body.lines


def twin_applet(peers: Sequence[str], name: str = DEFAULT_TWIN_NAME, file: str = DEFAULT_TWIN_FILE,
                interval: int = 60, max_bytes: int = 1048576, min_free: int = 1048576, maxrun: int = 60) -> List[str]:
    """The sender-side twin: every ``interval`` seconds, this router's SAs towards ``peers``.

    A router cannot see its peer's syslog, so the sender cannot be triggered by the
    receiver's message; a watchdog timer as short as IOS's one-a-minute INV_SPI rate
    limit gives a sender snapshot within one interval of every receiver capture.
    """
    _check_common(name, file, max_bytes, min_free, maxrun)
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 10:
        raise ParseError("interval must be an integer >= 10 seconds, not %r" % (interval,))
    addrs = []
    for peer in peers or []:
        addr = maybe_addr(str(peer))
        if addr is None:
            raise ParseError("twin peer %r is not an IP address" % (peer,))
        if addr not in addrs:
            addrs.append(addr)
    if not addrs:
        raise ParseError("a twin applet needs at least one peer address to watch")
    body = _Body()
    _size_guard(body, name, file, max_bytes, min_free)
    body.add("file open fh flash:%s a+" % file)
    body.add("file puts fh %s" % _quote(BEGIN))
    body.add("file puts fh %s" % _quote("format: %d" % CAPTURE_FORMAT))
    body.add("file puts fh %s" % _quote("applet: %s" % name))
    body.add('file puts fh "kind: twin"')
    body.add('file puts fh "epoch: $_event_pub_sec"')
    body.add("file puts fh %s" % _quote("peers: %s" % " ".join(addrs)))
    _capture_command(body, "show clock")
    for addr in addrs:
        _capture_command(body, "show crypto ipsec sa peer %s" % addr)
    _capture_command(body, "show crypto isakmp sa")
    _capture_command(body, "show crypto ikev2 sa")
    body.add("file puts fh %s" % _quote(END))
    body.add("file close fh")
    return [
        "event manager applet %s authorization bypass" % name,
        " description %s: sender-side SA snapshots to flash:%s (managed by Ansible)" % (MANAGED, file),
        " event timer watchdog time %d maxrun %d" % (interval, maxrun),
    ] + body.lines


# --------------------------------------------------------------------------------------------------
# Reading applets back (running-config) and the configuration to send
# --------------------------------------------------------------------------------------------------

def applet_from_running(text: Optional[str], name: str) -> Optional[List[str]]:
    """The lines of applet ``name`` in running-config text (header + body), or None.

    Works on the whole running-config and on ``| section`` extracts; the section
    filter is a regex, so ``IPSEC_SPI_CAPTURE2`` is told apart here.
    """
    found: Optional[List[str]] = None
    for raw in (text or "").splitlines():
        line = raw.rstrip()
        if not line or line.startswith("!"):
            if found is not None and line.startswith("!"):
                break
            continue
        if not line.startswith(" "):
            if found is not None:
                break
            words = line.split()
            if len(words) >= 4 and words[:3] == ["event", "manager", "applet"] and words[3] == name:
                found = [line]
            continue
        if found is not None:
            found.append(" " + line.strip())
    return found


def config_commands(before: Optional[List[str]], after: Optional[List[str]]) -> List[str]:
    """Configuration lines turning ``before`` into ``after`` (None: absent).

    A changed applet is removed and entered again: IOS keeps the old event and
    any action whose label is not re-entered, so a partial edit could leave a mix.
    """
    norm_before = [" ".join(line.split()) for line in before] if before else None
    norm_after = [" ".join(line.split()) for line in after] if after else None
    if norm_before == norm_after:
        return []
    commands: List[str] = []
    if before:
        commands.append("no " + " ".join(before[0].split()[:4]))
    if after:
        commands.extend(line.strip() for line in after)
    return commands


# --------------------------------------------------------------------------------------------------
# The syntax checker
# --------------------------------------------------------------------------------------------------

class _Tok:
    __slots__ = ("text", "quoted", "col")

    def __init__(self, text: str, quoted: bool, col: int) -> None:
        self.text = text
        self.quoted = quoted
        self.col = col


def tokenize(line: str) -> List[_Tok]:
    """EEM applet CLI words: bare words, or double-quoted strings where only \\" and \\\\ are escapes."""
    toks: List[_Tok] = []
    i, n = 0, len(line)
    while i < n:
        if line[i] in " \t":
            i += 1
            continue
        start = i
        if line[i] == '"':
            i += 1
            out = []
            while i < n and line[i] != '"':
                if line[i] == "\\" and i + 1 < n and line[i + 1] in '"\\':
                    out.append(line[i + 1])
                    i += 2
                    continue
                out.append(line[i])
                i += 1
            if i >= n:
                raise ParseError("column %d: unterminated quoted string" % (start + 1))
            i += 1
            if i < n and line[i] not in " \t":
                raise ParseError("column %d: a quoted string must be followed by a space or the end of the line" % (i + 1))
            toks.append(_Tok("".join(out), True, start))
            continue
        while i < n and line[i] not in " \t":
            if line[i] == '"':
                raise ParseError("column %d: a double quote inside a word (quote the whole argument)" % (i + 1))
            i += 1
        toks.append(_Tok(line[start:i], False, start))
    return toks


_SYSLOG_OPTS = {"occurs": "int", "period": "num", "pattern": "regex", "priority": "priority", "ratelimit": "num",
                "maxrun": "num", "severity-debugging": None}
_PRIORITIES = ("all", "emergencies", "alerts", "critical", "errors", "warnings", "notifications",
               "informational", "debugging", "0", "1", "2", "3", "4", "5", "6", "7")
_TIMER_KINDS = ("watchdog", "countdown", "absolute", "cron")
_CMP = ("eq", "ne", "gt", "ge", "lt", "le")
_FILE_MODES = ("r", "r+", "w", "w+", "a", "a+")
_VAR_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_NUM_RE = re.compile(r"^[0-9]+(?:\.[0-9]{1,3})?$")
_VARNAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LABEL_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
# Built-in variables each event detector publishes (the ones this checker knows).
_BUILTINS_COMMON = {"_event_id", "_event_type", "_event_type_string", "_event_pub_sec", "_event_pub_msec",
                    "_event_pub_time", "_event_severity", "_job_id"}
_BUILTINS = {
    "syslog": {"_syslog_msg"},
    "timer": {"_timer_time", "_timer_remain", "_timer_type", "_timer_name", "_timer_event_time"},
    "none": {"_none_argc", "_none_arg1", "_none_arg2", "_none_arg3", "_none_arg4"},
    "cli": {"_cli_msg", "_cli_key", "_cli_msg_count"},
}
_SET_BY = {"cli": "_cli_result", "regexp": "_regexp_result", "info": "_info_routername",
           "add": "_result", "subtract": "_result", "multiply": "_result", "divide": "_result",
           "string": "_string_result"}


def _num_ok(text: str) -> bool:
    return bool(_NUM_RE.match(text))


def _regex_ok(pattern: str) -> Optional[str]:
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    return None


def parse_applet(text: Any) -> Dict[str, Any]:
    """Read an applet (running-config form) into its parts; ParseError at the first line it cannot read."""
    lines = [line for line in as_lines(text, "applet") if line.strip() and not line.strip().startswith("!")]
    if not lines:
        raise ParseError("the applet is empty")
    return _parse_lines(lines)


def _parse_lines(lines: List[str]) -> Dict[str, Any]:
    head = tokenize(lines[0].strip())
    words = [t.text for t in head]
    if len(words) < 4 or words[:3] != ["event", "manager", "applet"]:
        raise ParseError("line 1: an applet starts with 'event manager applet NAME'")
    applet: Dict[str, Any] = {"name": words[3], "options": words[4:], "description": None, "event": None,
                              "actions": [], "lines": [line.rstrip() for line in lines]}
    for lineno, raw in enumerate(lines[1:], 2):
        toks = tokenize(raw.strip())
        if not raw.startswith(" "):
            raise ParseError("line %d: applet lines below the header are indented (this one starts a new section)"
                             % lineno)
        first = toks[0].text
        if first == "description":
            applet["description"] = raw.strip()[len("description"):].strip()
        elif first == "event":
            if applet["event"] is not None:
                raise ParseError("line %d: a second event line (an applet has one event without 'trigger' tags)" % lineno)
            applet["event"] = {"line": lineno, "tokens": toks[1:]}
        elif first == "action":
            if len(toks) < 3:
                raise ParseError("line %d: 'action LABEL VERB ...' needs a label and an action" % lineno)
            applet["actions"].append({"line": lineno, "label": toks[1].text, "verb": toks[2].text, "args": toks[3:]})
        else:
            raise ParseError("line %d: %r is not an applet command (description, event, action)" % (lineno, first))
    return applet


def check_applet(text: Any) -> List[str]:
    """Every problem found in an applet, as ``line N: what`` strings; [] when it is valid.

    Checks the documented EEM 3.0 applet grammar: the header (``event manager
    applet NAME [authorization bypass] [class X] [trap]``), one event with its
    options (``event syslog pattern RE [occurs N] [period N] [priority P]
    [ratelimit N] [maxrun N]``, ``event timer watchdog|countdown time N [name X]
    [maxrun N] [ratelimit N]``, ``event none``), actions (``action LABEL VERB
    ARGS``) with the arity of each verb, labels unique and in ascending string order
    (IOS runs them sorted as strings), ``if``/``while``/``foreach`` blocks closed by
    ``end``, quoting (bare words or double-quoted strings), variables set before
    use, file handles opened before use and closed, no ``?`` (IOS CLI help), and a
    syslog action that would retrigger its own applet.
    """
    errors: List[str] = []
    try:
        lines = [line for line in as_lines(text, "applet") if line.strip() and not line.strip().startswith("!")]
        if any("?" in line for line in lines):
            bad = next(i for i, line in enumerate(lines, 1) if "?" in line)
            errors.append("line %d: '?' cannot be typed into IOS configuration (the CLI shows help instead)" % bad)
        if not lines:
            return ["the applet is empty"]
        applet = _parse_lines(lines)
    except ParseError as exc:
        return errors + [str(exc)]
    _check_header(applet, errors)
    kind, pattern = _check_event(applet, errors)
    _check_actions(applet, kind, pattern, errors)
    return errors


def _check_header(applet: Dict[str, Any], errors: List[str]) -> None:
    if not re.match(r"^[A-Za-z0-9_.-]+$", applet["name"]):
        errors.append("line 1: applet name %r: use letters, digits, '_', '.', '-'" % applet["name"])
    opts = list(applet["options"])
    order = []
    i = 0
    while i < len(opts):
        word = opts[i]
        if word == "authorization" and i + 1 < len(opts) and opts[i + 1] == "bypass":
            order.append("authorization")
            i += 2
        elif word == "class" and i + 1 < len(opts) and re.match(r"^(?:[A-Z]|default)$", opts[i + 1]):
            order.append("class")
            i += 2
        elif word == "trap":
            order.append("trap")
            i += 1
        else:
            errors.append("line 1: unexpected %r after the applet name (authorization bypass, class A-Z|default, trap)"
                          % word)
            return
    expected = [k for k in ("authorization", "class", "trap") if k in order]
    if order != expected or len(set(order)) != len(order):
        errors.append("line 1: header options must appear once each, in the order authorization bypass, class, trap")


def _check_event(applet: Dict[str, Any], errors: List[str]) -> Tuple[Optional[str], Optional[str]]:
    event = applet["event"]
    if event is None:
        errors.append("line 1: the applet has no event line")
        return None, None
    lineno, toks = event["line"], list(event["tokens"])
    if toks and toks[0].text == "tag":
        toks = toks[2:]
    if not toks:
        errors.append("line %d: 'event' needs a detector (syslog, timer, none, ...)" % lineno)
        return None, None
    kind = toks[0].text
    rest = toks[1:]
    pattern = None
    if kind == "syslog":
        seen = set()
        i = 0
        while i < len(rest):
            key = rest[i].text
            if key not in _SYSLOG_OPTS or rest[i].quoted:
                errors.append("line %d: unknown event syslog option %r" % (lineno, key))
                return kind, pattern
            if key in seen:
                errors.append("line %d: event syslog option %r given twice" % (lineno, key))
            seen.add(key)
            if _SYSLOG_OPTS[key] is None:
                i += 1
                continue
            if i + 1 >= len(rest):
                errors.append("line %d: event syslog %s needs a value" % (lineno, key))
                return kind, pattern
            value = rest[i + 1]
            if _SYSLOG_OPTS[key] == "regex":
                pattern = value.text
                if " " in value.text and not value.quoted:
                    errors.append("line %d: a pattern with spaces must be quoted" % lineno)
                err = _regex_ok(value.text)
                if err:
                    errors.append("line %d: pattern %r is not a regular expression: %s" % (lineno, value.text, err))
            elif _SYSLOG_OPTS[key] == "priority":
                if value.text not in _PRIORITIES:
                    errors.append("line %d: priority %r is not one of %s" % (lineno, value.text, ", ".join(_PRIORITIES)))
            elif _SYSLOG_OPTS[key] == "int":
                if not value.text.isdigit() or int(value.text) < 1:
                    errors.append("line %d: occurs needs a whole number >= 1, not %r" % (lineno, value.text))
            elif not _num_ok(value.text):
                errors.append("line %d: %s needs seconds (e.g. 60 or 20.500), not %r" % (lineno, key, value.text))
            i += 2
        if "pattern" not in seen:
            errors.append("line %d: event syslog needs 'pattern'" % lineno)
    elif kind == "timer":
        if not rest or rest[0].text not in _TIMER_KINDS:
            errors.append("line %d: event timer needs one of %s" % (lineno, ", ".join(_TIMER_KINDS)))
            return kind, None
        sub = rest[0].text
        opts = rest[1:]
        i = 0
        seen = set()
        while i < len(opts):
            key = opts[i].text
            if key in seen:
                errors.append("line %d: event timer option %r given twice" % (lineno, key))
            seen.add(key)
            if i + 1 >= len(opts):
                errors.append("line %d: event timer %s needs a value" % (lineno, key))
                break
            value = opts[i + 1].text
            if key == "time" and sub != "cron":
                if not _num_ok(value) or float(value) <= 0:
                    errors.append("line %d: timer time needs seconds > 0, not %r" % (lineno, value))
            elif key == "cron-entry" and sub == "cron":
                if len(value.split()) != 5:
                    errors.append("line %d: cron-entry needs five fields" % lineno)
            elif key == "name":
                pass
            elif key in ("maxrun", "ratelimit"):
                if not _num_ok(value):
                    errors.append("line %d: %s needs seconds, not %r" % (lineno, key, value))
            else:
                errors.append("line %d: unknown event timer option %r" % (lineno, key))
                break
            i += 2
        need = "cron-entry" if sub == "cron" else "time"
        if need not in seen:
            errors.append("line %d: event timer %s needs '%s'" % (lineno, sub, need))
    elif kind == "none":
        if rest and not (len(rest) == 2 and rest[0].text in ("maxrun", "ratelimit") and _num_ok(rest[1].text)):
            errors.append("line %d: event none takes only [maxrun N]" % lineno)
    elif kind == "cli":
        if not rest or rest[0].text != "pattern" or len(rest) < 2:
            errors.append("line %d: event cli needs 'pattern REGEX'" % lineno)
    else:
        errors.append("line %d: event detector %r is not one this checker knows (syslog, timer, none, cli)"
                      % (lineno, kind))
    return kind, pattern


def _arity(verb: str, args: List[_Tok]) -> Optional[str]:
    """None when the arguments fit the verb's documented form, else what is wrong."""
    words = [a.text for a in args]
    n = len(words)
    if verb == "cli":
        if n < 2 or words[0] != "command":
            return "cli needs 'command STRING [pattern STRING]'"
        if n not in (2, 4) or (n == 4 and words[2] != "pattern"):
            return "cli command takes one string, then optionally 'pattern STRING'"
        if " " in words[1] and not args[1].quoted:
            return "a cli command with spaces must be quoted"
        return None
    if verb == "regexp":
        if not 2 <= n <= 6:
            return "regexp needs 'PATTERN INPUT [MATCH [SUB1 [SUB2 [SUB3]]]]'"
        for var in words[2:]:
            if not _VARNAME_RE.match(var):
                return "regexp result variable %r is not a variable name" % var
        err = _regex_ok(words[0])
        if err:
            return "regexp pattern %r is not a regular expression: %s" % (words[0], err)
        if len(words[0].split()) > 1 and not args[0].quoted:
            return "a regexp pattern with spaces must be quoted"
        return None
    if verb == "set":
        if n != 2 or not _VARNAME_RE.match(words[0]):
            return "set needs 'VARIABLE VALUE' (quote a value with spaces)"
        return None
    if verb in ("if", "elseif", "while"):
        if n not in (3, 5) or words[1] not in _CMP or (n == 5 and (verb != "if" or words[3] != "goto")):
            return "%s needs 'OPERAND {%s} OPERAND'%s" % (verb, "|".join(_CMP), " [goto LABEL]" if verb == "if" else "")
        return None
    if verb in ("else", "end", "break", "continue"):
        return None if n == 0 else "%s takes no arguments" % verb
    if verb == "exit":
        return None if n <= 1 else "exit takes at most a result value"
    if verb == "foreach":
        return None if n in (2, 3) and _VARNAME_RE.match(words[0]) else "foreach needs 'VARIABLE LIST [DELIMITER]'"
    if verb == "syslog":
        i = 0
        if i < n and words[i] == "priority":
            if i + 1 >= n or words[i + 1] not in _PRIORITIES:
                return "syslog priority needs a level (%s)" % ", ".join(_PRIORITIES[:9])
            i += 2
        if i + 1 >= n or words[i] != "msg":
            return "syslog needs 'msg STRING'"
        i += 2
        if i < n and not (words[i] == "facility" and i + 2 == n):
            return "syslog takes only [priority P] msg STRING [facility STRING]"
        return None
    if verb == "puts":
        return None if n == 1 or (n == 2 and words[0] == "nonewline") else "puts needs '[nonewline] STRING'"
    if verb == "file":
        if not words:
            return "file needs open, puts, gets, read, write, close or delete"
        sub = words[0]
        if sub == "open":
            if n != 4 or not _VARNAME_RE.match(words[1]) or words[3] not in _FILE_MODES:
                return "file open needs 'HANDLE FILENAME MODE' with MODE one of %s" % ", ".join(_FILE_MODES)
            return None
        if sub == "puts":
            return None if n == 3 or (n == 4 and words[2] == "nonewline") else "file puts needs 'HANDLE [nonewline] STRING'"
        if sub == "close":
            return None if n == 2 else "file close needs 'HANDLE'"
        if sub == "delete":
            return None if n == 2 else "file delete needs 'FILENAME'"
        if sub in ("gets", "read", "write"):
            return None if n >= 3 else "file %s needs 'HANDLE VARIABLE|STRING ...'" % sub
        return "unknown file operation %r" % sub
    if verb == "info":
        return None if n >= 2 and words[0] == "type" else "info needs 'type ...'"
    if verb in ("increment", "decrement"):
        return None if 1 <= n <= 2 and _VARNAME_RE.match(words[0]) else "%s needs 'VARIABLE [VALUE]'" % verb
    if verb == "append":
        return None if n in (1, 2) and _VARNAME_RE.match(words[0]) else "append needs 'VARIABLE [VALUE]'"
    if verb in ("add", "subtract", "multiply", "divide"):
        return None if n == 2 else "%s needs two operands" % verb
    if verb == "wait":
        return None if n == 1 and _num_ok(words[0]) else "wait needs seconds"
    if verb == "comment":
        return None if n >= 1 else "comment needs text"
    if verb == "string":
        return None if n >= 2 else "string needs an operation and operands"
    if verb == "reload":
        return None if n == 0 else "reload takes no arguments"
    return "unknown action %r" % verb


def _check_actions(applet: Dict[str, Any], kind: Optional[str], pattern: Optional[str], errors: List[str]) -> None:
    actions = applet["actions"]
    if not actions:
        errors.append("line 1: the applet has no actions")
        return
    labels = [a["label"] for a in actions]
    seen: Dict[str, int] = {}
    for action in actions:
        if not _LABEL_RE.match(action["label"]):
            errors.append("line %d: label %r: use letters, digits, '.', '_', '-'" % (action["line"], action["label"]))
        if action["label"] in seen:
            errors.append("line %d: label %s used again (first on line %d): IOS replaces the earlier action"
                          % (action["line"], action["label"], seen[action["label"]]))
        seen.setdefault(action["label"], action["line"])
    for prev, cur in zip(actions, actions[1:]):
        if cur["label"] <= prev["label"]:
            errors.append("line %d: label %s does not sort after %s: IOS runs actions in ascending string order of "
                          "their labels, not in the order written" % (cur["line"], cur["label"], prev["label"]))
    defined = set(_BUILTINS_COMMON) | _BUILTINS.get(kind or "", set())
    handles: Dict[str, int] = {}
    stack: List[Tuple[str, int]] = []
    own_pattern = None
    if pattern is not None and _regex_ok(pattern) is None:
        own_pattern = re.compile(pattern)
    for action in actions:
        lineno, verb, args = action["line"], action["verb"], action["args"]
        problem_text = _arity(verb, args)
        if problem_text:
            errors.append("line %d: %s" % (lineno, problem_text))
            continue
        words = [a.text for a in args]
        # What this action reads: every $var in its arguments, except the names it assigns.
        read_from = list(words)
        if verb == "regexp":
            read_from = words[:2]
        elif verb in ("set", "append", "increment", "decrement", "foreach"):
            read_from = words[1:]
        elif verb == "file" and words[0] == "open":
            read_from = words[2:3]
        for word in read_from:
            for bad in re.finditer(r"\$(?![A-Za-z_])", word):
                errors.append("line %d: '$' must start a variable name (column %d of %r)" % (lineno, bad.start() + 1, word))
            for var in _VAR_RE.findall(word):
                if var not in defined:
                    errors.append("line %d: variable $%s is used before anything sets it" % (lineno, var))
                    defined.add(var)
        if verb == "regexp":
            defined.update(words[2:])
        elif verb in ("set", "append", "increment", "decrement", "foreach"):
            defined.add(words[0].lstrip("$"))
        if verb in _SET_BY:
            defined.add(_SET_BY[verb])
        if verb in ("if", "while", "foreach") and not (verb == "if" and len(words) == 5):
            stack.append((verb, lineno))
        elif verb in ("else", "elseif"):
            if not stack or stack[-1][0] != "if":
                errors.append("line %d: %s without an open if" % (lineno, verb))
        elif verb == "end":
            if not stack:
                errors.append("line %d: end without an open if, while or foreach" % lineno)
            else:
                stack.pop()
        elif verb in ("break", "continue"):
            if not any(entry[0] in ("while", "foreach") for entry in stack):
                errors.append("line %d: %s outside a loop" % (lineno, verb))
        elif verb == "if" and len(words) == 5 and words[4] not in labels:
            errors.append("line %d: goto %s: no action has that label" % (lineno, words[4]))
        if verb == "file":
            sub = words[0]
            if sub == "open":
                if words[1] in handles:
                    errors.append("line %d: file handle %s opened again before it was closed" % (lineno, words[1]))
                handles[words[1]] = lineno
                defined.add(words[1])
            elif sub in ("puts", "gets", "read", "write", "close"):
                if words[1] not in handles:
                    errors.append("line %d: file handle %s is not open" % (lineno, words[1]))
                if sub == "close":
                    handles.pop(words[1], None)
        if verb == "syslog" and own_pattern is not None:
            msg = words[words.index("msg") + 1]
            if own_pattern.search(msg):
                errors.append("line %d: this syslog message matches the applet's own event pattern: it would "
                              "trigger the applet again" % lineno)
        if verb == "cli" and "qfp" in words[1] and re.search(r"\bclear\b", words[1]):
            errors.append("line %d: a QFP 'clear' command destroys the evidence" % lineno)
    for verb, lineno in stack:
        errors.append("line %d: this %s has no end" % (lineno, verb))
    for handle, lineno in handles.items():
        errors.append("line %d: file handle %s is never closed" % (lineno, handle))


def capture_policy_problems(text: Any) -> List[str]:
    """What keeps an applet from being a safe capture applet (beyond its syntax).

    A capture applet must be rate-limited (event ``ratelimit`` or a timer), bounded
    in run time (``maxrun``), guard the flash (a ``dir`` check and an ``exit`` before
    writing), and never send a ``clear`` or configuration command.
    """
    out: List[str] = []
    try:
        applet = parse_applet(text)
    except ParseError as exc:
        return [str(exc)]
    event = applet["event"]
    words = [t.text for t in event["tokens"]] if event else []
    if "maxrun" not in words:
        out.append("the event has no maxrun: a hung CLI session would hold the applet for the default 20 s only "
                   "and cut the capture short, or longer ones would pile up")
    if words[:1] == ["syslog"] and "ratelimit" not in words:
        out.append("the syslog event has no ratelimit: a burst of messages would write a capture per message")
    writes = [a for a in applet["actions"] if a["verb"] == "file" and a["args"] and a["args"][0].text in ("open", "puts")]
    guard = [a for a in applet["actions"] if a["verb"] == "cli" and a["args"][1].text.startswith("dir flash:")]
    if writes and (not guard or guard[0]["label"] > writes[0]["label"]):
        out.append("the applet writes to flash without first checking the file size and the free space")
    for action in applet["actions"]:
        if action["verb"] == "cli":
            cmd = action["args"][1].text.strip()
            if re.match(r"^(?:clear|conf|configure|reload|write|copy|delete|format|erase)\b", cmd):
                out.append("line %d: the applet runs %r: a capture applet only reads" % (action["line"], cmd))
    return out


# --------------------------------------------------------------------------------------------------
# Capture files
# --------------------------------------------------------------------------------------------------

_PROMPT_RE = re.compile(r"^[A-Za-z0-9_.:/()-]{1,64}[#>]\s*$")
_DIR_ROW_RE = re.compile(r"^\s*\d+\s+([-drwx]{4,10})\s+(\d+)\s+(.+?)\s{1,4}(\S+)\s*$")
_DIR_FREE_RE = re.compile(r"(\d+)\s+bytes total\s+\((\d+)\s+bytes free\)")


def parse_dir(text: Any) -> Dict[str, Any]:
    """``dir flash:`` -> ``{files: {name: size}, total, free}`` (sizes in bytes; total/free None if not shown)."""
    files: Dict[str, int] = {}
    total = free = None
    for line in as_lines(text, "dir output"):
        match = _DIR_ROW_RE.match(line)
        if match and not match.group(1).startswith("d"):
            files[match.group(4)] = int(match.group(2))
            continue
        match = _DIR_FREE_RE.search(line)
        if match:
            total, free = int(match.group(1)), int(match.group(2))
    return {"files": files, "total": total, "free": free}


# A capture's own time stamp ($_event_pub_sec): seconds since 1970, at most the end of year 9999
# (what a datetime can hold on every platform). Anything else is a corrupt header, not a time.
MAX_EPOCH = 253402300799.0
_FORMAT_RE = re.compile(r"^[0-9]{1,9}$")


def epoch_of(value: Any) -> Optional[float]:
    """A capture time stamp as float seconds, or None when it is not one (inf, NaN, out of range)."""
    if isinstance(value, bool):
        return None
    try:
        epoch = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(epoch) or not 0 <= epoch <= MAX_EPOCH:
        return None
    return epoch


def _iso(epoch: Optional[float]) -> Optional[str]:
    if epoch is None:
        return None
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc).isoformat()


def _strip_prompt(lines: List[str]) -> List[str]:
    while lines and (not lines[-1].strip() or _PROMPT_RE.match(lines[-1].strip())):
        lines = lines[:-1]
    return lines


def _new_snapshot(host: Optional[str], lineno: int) -> Dict[str, Any]:
    return {"host": host, "file": None, "line": lineno, "format": None, "applet": None, "kind": None, "epoch": None,
            "time": None, "sender": None, "peers": [], "spi": None, "spi_hex": None, "trigger": None, "commands": [],
            "ipsec_sas": [], "ike_sas": [], "qfp_ipsec_drops": None, "log_events": [], "log_lines": [],
            "unsupported_commands": [], "complete": False}


def parse_capture(data: Any, host: Optional[str] = None, file: Optional[str] = None,
                  problems: Optional[list] = None, year: Optional[int] = None) -> List[Dict[str, Any]]:
    """Split a capture file into snapshots and parse each command output with the collection's parsers.

    Each snapshot: ``host``, ``file``, ``line``, ``applet``, ``kind`` (``receiver`` or
    ``twin``), ``epoch`` / ``time`` (when the applet ran), ``sender`` / ``spi`` /
    ``spi_hex`` / ``trigger`` (the INV_SPI event, receiver captures), ``peers`` (twin),
    ``commands``, ``ipsec_sas``, ``ike_sas``, ``qfp_ipsec_drops``, ``log_events``,
    ``log_lines``, ``unsupported_commands`` and ``complete`` (False when the block has
    no end marker: the applet was cut short, e.g. by a full flash or maxrun).
    """
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ike import parse_ike_sas
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ipsec_sa import parse_ipsec_sas
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.qfp import parse_qfp_ipsec_drops
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog import parse_events

    lines = as_lines(data, "capture file")
    snapshots: List[Dict[str, Any]] = []
    snap: Optional[Dict[str, Any]] = None
    sections: List[Tuple[str, int, List[str]]] = []
    header_done = False
    where = file or "capture"

    def finish(complete: bool, lineno: int) -> None:
        if snap is None:
            return
        snap["complete"] = complete
        if not complete:
            problem(problems, snap["line"], "%s: capture block has no end marker (cut short: full flash or maxrun)"
                    % where, BEGIN)
        for command, start, body in sections:
            _parse_section(snap, command, start, _strip_prompt(body), problems, where, year,
                           parse_ipsec_sas, parse_ike_sas, parse_qfp_ipsec_drops, parse_events)
        if snap["epoch"] is None and snap["trigger"] is not None:
            snap["epoch"] = epoch_of(snap["trigger"].get("epoch"))
            snap["time"] = _iso(snap["epoch"])
        snapshots.append(snap)

    for lineno, raw in enumerate(lines, 1):
        line = raw.rstrip("\r")
        stripped = line.strip()
        if stripped == BEGIN:
            finish(False, lineno)
            snap = _new_snapshot(host, lineno)
            snap["file"] = file
            sections = []
            header_done = False
            continue
        if snap is None:
            if stripped:
                problem(problems, lineno, "%s: text outside a capture block" % where, line)
            continue
        if stripped == END:
            finish(True, lineno)
            snap = None
            continue
        if stripped.startswith(CMD_MARK) and stripped.endswith("---"):
            header_done = True
            sections.append((stripped[len(CMD_MARK):-3].strip(), lineno, []))
            continue
        if not header_done:
            key, sep, value = stripped.partition(": ")
            if not sep and stripped.endswith(":"):
                key, sep, value = stripped[:-1], ":", ""
            if not sep:
                if stripped:
                    problem(problems, lineno, "%s: not a 'key: value' header line" % where, line)
                continue
            _header(snap, key, value.strip(), lineno, problems, where, year, parse_events)
            continue
        sections[-1][2].append(line)
    finish(False, len(lines))
    return snapshots


def _header(snap: Dict[str, Any], key: str, value: str, lineno: int, problems: Optional[list], where: str,
            year: Optional[int], parse_events: Any) -> None:
    if key == "format":
        if _FORMAT_RE.match(value):
            snap["format"] = int(value)
        else:
            snap["format"] = value[:20]
            problem(problems, lineno, "%s: format %r is not a format number" % (where, value[:20]), value)
    elif key == "applet":
        snap["applet"] = value
    elif key == "kind":
        if value not in ("receiver", "twin"):
            problem(problems, lineno, "%s: unknown capture kind %r" % (where, value), value)
        snap["kind"] = value
    elif key == "epoch":
        snap["epoch"] = epoch_of(value)
        snap["time"] = _iso(snap["epoch"])
        if snap["epoch"] is None:
            problem(problems, lineno, "%s: epoch %r is not a time stamp (seconds since 1970, up to the year 9999)"
                    % (where, value[:40]), value)
    elif key == "sender":
        snap["sender"] = maybe_addr(value)
        if snap["sender"] is None:
            problem(problems, lineno, "%s: sender %r is not an address" % (where, value), value)
    elif key == "spi":
        try:
            from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import parse_spi

            snap["spi"] = parse_spi(value)
            snap["spi_hex"] = spi_hex(snap["spi"])
        except ParseError:
            problem(problems, lineno, "%s: spi %r is not an SPI" % (where, value), value)
    elif key == "peers":
        snap["peers"] = [a for a in (maybe_addr(p) for p in value.split()) if a]
    elif key == "message":
        found = parse_events(value, host=snap["host"], year=year, problems=problems)
        if found:
            event = found[0]
            keys = ("mnemonic", "src", "dst", "prot", "spi", "spi_hex", "epoch", "time", "interface")
            snap["trigger"] = {k: event.get(k) for k in keys}
            snap["trigger"]["message"] = value
            if snap["spi"] is None:
                snap["spi"], snap["spi_hex"] = event["spi"], event["spi_hex"]
            if snap["sender"] is None:
                snap["sender"] = event["src"]
        else:
            problem(problems, lineno, "%s: the triggering message is not an INV_SPI message" % where, value)


def _parse_section(snap: Dict[str, Any], command: str, start: int, body: List[str], problems: Optional[list],
                   where: str, year: Optional[int], parse_ipsec_sas: Any, parse_ike_sas: Any,
                   parse_qfp_ipsec_drops: Any, parse_events: Any) -> None:
    snap["commands"].append(command)
    local: List[Dict[str, Any]] = []

    def record(items: List[Dict[str, Any]]) -> None:
        for item in local:
            line = item.get("line")
            problem(problems, start + line if isinstance(line, int) else start,
                    "%s: %s: %s" % (where, command, item.get("reason")), item.get("text") or "")
        del local[:]

    try:
        if command.startswith("show crypto ipsec sa"):
            snap["ipsec_sas"].extend(parse_ipsec_sas(body, problems=local))
        elif command.startswith("show crypto isakmp sa") or command.startswith("show crypto ikev2 sa"):
            snap["ike_sas"].extend(parse_ike_sas(body, problems=local))
        elif command.startswith("show platform hardware qfp active feature ipsec datapath drops"):
            snap["qfp_ipsec_drops"] = parse_qfp_ipsec_drops(body, problems=local)
        elif command.startswith("show logging"):
            snap["log_lines"] = body[-200:]
            snap["log_events"] = parse_events(body, host=snap["host"], year=year, problems=local)
    except UnsupportedCommand:
        snap["unsupported_commands"].append(command)
    except ParseError as exc:
        problem(problems, start, "%s: %s: %s" % (where, command, exc), "")
    record(local)


# --------------------------------------------------------------------------------------------------
# Evidence: captures -> verdicts -> findings merged into assessments
# --------------------------------------------------------------------------------------------------

def _texts(value: Any) -> List[Tuple[Optional[str], Any]]:
    if value is None:
        return []
    if isinstance(value, (str, bytes)):
        return [(None, value)]
    if isinstance(value, Mapping):
        if "content" in value:
            return [(value.get("name"), value.get("content"))]
        return [(str(k), v) for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        out: List[Tuple[Optional[str], Any]] = []
        for item in value:
            out.extend(_texts(item))
        return out
    raise ParseError("captures of a host must be text, a list of texts or a mapping file name -> text, not %s"
                     % type(value).__name__)


def _sas_with(snap: Mapping[str, Any], peer: str) -> List[Mapping[str, Any]]:
    return [sa for sa in snap.get("ipsec_sas") or [] if maybe_addr(str(sa.get("peer") or "")) == peer]


def _outbound(sas: Iterable[Mapping[str, Any]]) -> List[int]:
    out: List[int] = []
    for sa in sas:
        for spi in list(sa.get("outbound_spis") or []) + [sa.get("current_outbound_spi")]:
            if isinstance(spi, int) and spi not in out:
                out.append(spi)
    return out


def _inbound(sas: Iterable[Mapping[str, Any]]) -> List[int]:
    out: List[int] = []
    for sa in sas:
        for spi in sa.get("inbound_spis") or []:
            if spi not in out:
                out.append(spi)
    return out


def _hexes(spis: List[int]) -> str:
    return ", ".join(spi_hex(s) for s in spis) if spis else "none"


def _address_book(snapshots: Mapping[str, List[Mapping[str, Any]]], addresses: Optional[Mapping[str, Any]],
                  assessments: Mapping[str, Mapping[str, Any]]) -> Dict[str, str]:
    book: Dict[str, str] = {}
    ambiguous = set()

    def put(addr: Any, host: str) -> None:
        addr = maybe_addr(str(addr)) if addr is not None else None
        if addr is None:
            return
        if book.get(addr, host) != host:
            ambiguous.add(addr)
        book.setdefault(addr, host)

    for host, addrs in (addresses or {}).items():
        for addr in addrs or []:
            put(addr, str(host))
    for host, snaps in snapshots.items():
        for snap in snaps:
            for sa in snap.get("ipsec_sas") or []:
                put(sa.get("local_addr"), host)
            if snap.get("trigger"):
                put(snap["trigger"].get("dst"), host)
    for host, assessment in assessments.items():
        for flow in assessment.get("flows") or []:
            put(flow.get("dst"), str(host))
            if flow.get("sender"):
                put(flow.get("src"), str(flow["sender"]))
    for addr in ambiguous:
        book.pop(addr, None)
    return book


def _judge(receiver: str, snap: Mapping[str, Any], snapshots: Mapping[str, List[Mapping[str, Any]]],
           book: Mapping[str, str], tolerance: float) -> Dict[str, Any]:
    src = snap.get("sender")
    spi = snap.get("spi")
    trigger = snap.get("trigger") or {}
    dst = maybe_addr(str(trigger.get("dst") or "")) or next(
        (maybe_addr(str(sa.get("local_addr"))) for sa in snap.get("ipsec_sas") or [] if sa.get("local_addr")), None)
    when = snap.get("time") or "an unknown time"
    rsas = _sas_with(snap, src) if src else []
    r_in = _inbound(rsas)
    evidence = ["captured at %s on %s: inbound SPIs from %s: %s (%s %s)"
                % (when, receiver, src, _hexes(r_in), spi_hex(spi), "present" if spi in r_in else "absent")]
    sender = book.get(src) if src else None
    if sender == receiver:
        sender = None
    best = None
    if sender and dst and snap.get("epoch") is not None:
        for other in snapshots.get(sender) or []:
            if other.get("epoch") is None or not _sas_with(other, dst):
                continue
            gap = abs(other["epoch"] - snap["epoch"])
            if gap <= tolerance and (best is None or gap < best[0]):
                best = (gap, other)
    verdict = "unverified"
    s_out: List[int] = []
    if spi in r_in:
        verdict = "transient"
        evidence.append("the receiver had the SPI when it logged the message: a rekey race")
    if best is not None:
        gap, other = best
        s_out = _outbound(_sas_with(other, dst))
        evidence.append("captured at %s on %s (%+.0f s): outbound SPIs towards %s: %s (%s %s)"
                        % (other.get("time"), sender, other["epoch"] - snap["epoch"], dst, _hexes(s_out),
                           spi_hex(spi), "present" if spi in s_out else "absent"))
        if verdict != "transient":
            verdict = "confirmed" if spi in s_out else "transient"
    elif sender:
        evidence.append("no capture of %s within %.0f s of this one" % (sender, tolerance))
    else:
        evidence.append("the sender %s is not among the captured routers" % src)
    evidence.append("captured at %s: %s" % (when, verdict))
    return {"receiver": receiver, "sender": sender, "sender_addr": src, "receiver_addr": dst, "spi": spi,
            "spi_hex": spi_hex(spi) if isinstance(spi, int) else None, "epoch": snap.get("epoch"), "time": when,
            "verdict": verdict, "receiver_inbound": r_in, "receiver_has_sa": bool(rsas), "sender_outbound": s_out,
            "sender_snapshot_time": best[1].get("time") if best else None, "evidence": evidence,
            "ike_versions": sorted({row.get("version") for row in (snap.get("ike_sas") or [])
                                    if row.get("version") and src in (row.get("remote"), row.get("src"), row.get("dst"))}),
            "log_lines": snap.get("log_lines") or []}


def _finding(code: str, severity: str, message: str, subject: Optional[str], **extra: Any) -> Dict[str, Any]:
    return finding(code, message, subject, severity=severity, source="capture", **extra)


def _group_findings(receiver: str, group: List[Dict[str, Any]], existing: List[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    first = group[0]
    src, spi = first["sender_addr"], first["spi"]
    label = spi_hex(spi) if isinstance(spi, int) else "unknown"
    verdicts = [v["verdict"] for v in group]
    times = [v["time"] for v in group]
    findings: List[Dict[str, Any]] = []
    common = {"spi": spi, "spi_hex": label, "sender": first["sender"], "captures": len(group),
              "captured_at": times}
    if "confirmed" in verdicts:
        hit = group[verdicts.index("confirmed")]
        findings.append(_finding(
            "CAPTURED_DESYNC", "error",
            "INV_SPI %s from %s captured at %s (%d capture(s)): %s lacked the SPI while %s still sent with it: "
            "confirmed" % (label, src, hit["time"], len(group), receiver, hit["sender"]), src, **common))
    elif "unverified" in verdicts:
        hit = group[verdicts.index("unverified")]
        findings.append(_finding(
            "CAPTURED_DESYNC", "warning",
            "INV_SPI %s from %s captured at %s (%d capture(s)): %s lacked the SPI; the sender's side was not "
            "captured, so the desync is not confirmed" % (label, src, hit["time"], len(group), receiver), src, **common))
    if isinstance(spi, int) and spi >> 24 == 0xFF and not any(
            f.get("code") == "SPI_TOP_BYTE_FF" and label in str(f.get("message")) for f in existing):
        findings.append(_finding(
            "SPI_TOP_BYTE_FF", "warning",
            "captured SPI %s from %s starts with 0xFF: matches the symptom of %s (ESP packets whose SPI starts with "
            "0xFF dropped as invalid SPI); compare the release with the bug's fixed releases, this is not a diagnosis"
            % (label, src, BUG_FF), src, bug=BUG_FF, spi=spi, spi_hex=label))
    confirmed = [v for v in group if v["verdict"] == "confirmed"]
    replaced = [v for v in confirmed if v["receiver_inbound"] and "ikev2" not in v["ike_versions"]]
    if replaced:
        hit = replaced[0]
        findings.append(_finding(
            "KNOWN_BUG_SYMPTOM", "warning",
            "captured at %s: %s held other inbound SPIs from %s (%s) but not %s, which the sender used: matches the "
            "symptom of %s (IOS XE ISAKMP deletes a new SPI when a packet with it arrives before its installation "
            "is done); not a diagnosis"
            % (hit["time"], receiver, src, _hexes(hit["receiver_inbound"]), label, BUG_NEW_SPI),
            src, bug=BUG_NEW_SPI, spi=spi, spi_hex=label))
    syntax = [v for v in group if any("INVALID_SYNTAX" in line for line in v["log_lines"])]
    if syntax:
        findings.append(_finding(
            "KNOWN_BUG_SYMPTOM", "warning",
            "captured at %s: the log of %s shows INVALID_SYNTAX around INV_SPI from %s: matches the symptom of %s "
            "(IKEv2: IOS cannot parse an INVALID_SPI notification with SPI size 0 and answers INVALID_SYNTAX); "
            "not a diagnosis" % (syntax[0]["time"], receiver, src, BUG_IKEV2_SYNTAX), src, bug=BUG_IKEV2_SYNTAX,
            spi=spi, spi_hex=label))
    return findings


def _year(value: Any) -> Optional[int]:
    if value is None or value == "":
        return None
    text = str(value).strip() if not isinstance(value, bool) else ""
    if not re.match(r"^[0-9]{4}$", text) or not 1970 <= int(text) <= 9999:
        raise ParseError("year must be a year from 1970 to 9999, not %r" % (value,))
    return int(text)


def merge_captures(captures: Any, assessments: Optional[Mapping[str, Any]] = None,
                   addresses: Optional[Mapping[str, Any]] = None, tolerance: float = 90.0,
                   waivers: Optional[List[Mapping[str, Any]]] = None, year: Optional[int] = None,
                   problems: Optional[list] = None) -> Dict[str, Any]:
    """Parse every host's capture files and judge each captured INV_SPI with both ends' captured SA tables.

    ``captures``: host -> capture text, list of texts, or mapping file name -> text.
    ``assessments``: host -> ``ipsec_spi_assessment`` (optional). ``addresses``: host ->
    its own addresses (optional; captured SA tables also tell them). A receiver capture
    at T is matched with the sender's capture nearest to T within ``tolerance`` seconds.

    Returns ``snapshots`` (host -> snapshots), ``verdicts`` (one per receiver capture:
    ``receiver``, ``sender``, ``sender_addr``, ``receiver_addr``, ``spi``, ``spi_hex``,
    ``epoch``, ``time``, ``verdict`` = confirmed | unverified | transient, ``evidence``),
    ``findings`` (host -> the findings added) and ``assessments`` (host -> a copy of the
    assessment with the findings appended, flows annotated with ``captured``, a
    ``captures`` summary and ``compliant`` recomputed).
    """
    if not isinstance(captures, Mapping):
        raise ParseError("captures must be a mapping host -> capture text(s), not %s" % type(captures).__name__)
    if assessments is not None and not isinstance(assessments, Mapping):
        raise ParseError("assessments must be a mapping host -> assessment, not %s" % type(assessments).__name__)
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not 0 <= tolerance < math.inf:
        raise ParseError("tolerance must be a number of seconds >= 0, not %r" % (tolerance,))
    year = _year(year)
    assessments = {str(k): v for k, v in (assessments or {}).items() if isinstance(v, Mapping)}
    compiled = compile_waivers(waivers)
    snapshots: Dict[str, List[Dict[str, Any]]] = {}
    files: Dict[str, List[str]] = {}
    for host, value in captures.items():
        host = str(host)
        snapshots[host] = []
        files[host] = []
        for name, text in _texts(value):
            if text is None:
                continue
            files[host].append(name or "capture")
            snapshots[host].extend(parse_capture(text, host=host, file=name, problems=problems, year=year))
        snapshots[host].sort(key=lambda s: (s.get("epoch") is None, s.get("epoch") or 0))
    book = _address_book(snapshots, addresses, assessments)
    verdicts: List[Dict[str, Any]] = []
    for host, snaps in snapshots.items():
        for snap in snaps:
            if snap.get("kind") == "receiver" and snap.get("sender") and isinstance(snap.get("spi"), int):
                verdicts.append(_judge(host, snap, snapshots, book, float(tolerance)))
    groups: Dict[Tuple[str, str, int], List[Dict[str, Any]]] = {}
    for verdict in verdicts:
        groups.setdefault((verdict["receiver"], verdict["sender_addr"], verdict["spi"]), []).append(verdict)
    findings: Dict[str, List[Dict[str, Any]]] = {host: [] for host in snapshots}
    merged: Dict[str, Any] = {}
    today = datetime.date.today()
    for host in sorted(set(snapshots) | set(assessments)):
        base = assessments.get(host)
        existing = [f for f in (base or {}).get("findings") or [] if f.get("source") != "capture"]
        host_findings: List[Dict[str, Any]] = []
        for key in sorted(k for k in groups if k[0] == host):
            host_findings.extend(_group_findings(host, groups[key], existing))
        findings[host] = host_findings
        if base is None:
            continue
        assessment = dict(base)
        assessment["findings"] = [dict(f) for f in existing] + host_findings
        flows = []
        for flow in base.get("flows") or []:
            item = dict(flow)
            item.pop("captured", None)
            group = groups.get((host, maybe_addr(str(flow.get("src") or "")), flow.get("spi")))
            if group:
                order = ("confirmed", "unverified", "transient")
                best = min(group, key=lambda v: order.index(v["verdict"]))
                item["captured"] = {"verdict": best["verdict"], "count": len(group), "first": group[0]["time"],
                                    "last": group[-1]["time"], "evidence": best["evidence"]}
            flows.append(item)
        assessment["flows"] = flows
        assessment["captures"] = {
            "files": files.get(host, []),
            "snapshots": len(snapshots.get(host, [])),
            "incomplete": sum(1 for s in snapshots.get(host, []) if not s.get("complete")),
            "verdicts": [{k: v for k, v in item.items() if k not in ("log_lines",)}
                         for item in verdicts if item["receiver"] == host],
        }
        settle(assessment, compiled, today)
        merged[host] = assessment
    return {
        "snapshots": snapshots,
        "verdicts": [{k: v for k, v in item.items() if k != "log_lines"} for item in verdicts],
        "findings": findings,
        "assessments": merged,
    }
