# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The EEM applet grammar check: a bad applet is caught on the controller before a router half-accepts it.

Written from the documented EEM 3.0 applet grammar (Cisco IOS Embedded Event Manager
command reference). Whether an applet is *safe* to install is policy.py's question.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.capture.syntax import (
    VARNAME_RE,
    Token,
    applet_lines,
    num_ok,
    read_lines,
    regex_ok,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError

_SYSLOG_OPTS = {"occurs": "int", "period": "num", "pattern": "regex", "priority": "priority", "ratelimit": "num",
                "maxrun": "num", "severity-debugging": None}
_PRIORITIES = ("all", "emergencies", "alerts", "critical", "errors", "warnings", "notifications",
               "informational", "debugging", "0", "1", "2", "3", "4", "5", "6", "7")
_TIMER_KINDS = ("watchdog", "countdown", "absolute", "cron")
_CMP = ("eq", "ne", "gt", "ge", "lt", "le")
_FILE_MODES = ("r", "r+", "w", "w+", "a", "a+")
_VAR_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
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
        lines = applet_lines(text)
        if any("?" in line for line in lines):
            bad = next(i for i, line in enumerate(lines, 1) if "?" in line)
            errors.append("line %d: '?' cannot be typed into IOS configuration (the CLI shows help instead)" % bad)
        if not lines:
            return ["the applet is empty"]
        applet = read_lines(lines)
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
    """The event line: its detector and that detector's options; returns the detector and its syslog pattern."""
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
    check = _EVENT_CHECKS.get(kind)
    if check is None:
        errors.append("line %d: event detector %r is not one this checker knows (syslog, timer, none, cli)"
                      % (lineno, kind))
        return kind, None
    return kind, check(lineno, toks[1:], errors)


def _check_syslog_event(lineno: int, rest: List[Token], errors: List[str]) -> Optional[str]:
    """``event syslog`` options: each known, once, with a valid value, ``pattern`` among them; returns the pattern."""
    pattern = None
    seen = set()
    i = 0
    while i < len(rest):
        key = rest[i].text
        if key not in _SYSLOG_OPTS or rest[i].quoted:
            errors.append("line %d: unknown event syslog option %r" % (lineno, key))
            return pattern
        if key in seen:
            errors.append("line %d: event syslog option %r given twice" % (lineno, key))
        seen.add(key)
        if _SYSLOG_OPTS[key] is None:
            i += 1
            continue
        if i + 1 >= len(rest):
            errors.append("line %d: event syslog %s needs a value" % (lineno, key))
            return pattern
        value = rest[i + 1]
        if _SYSLOG_OPTS[key] == "regex":
            pattern = value.text
        _check_syslog_value(lineno, key, value, errors)
        i += 2
    if "pattern" not in seen:
        errors.append("line %d: event syslog needs 'pattern'" % lineno)
    return pattern


def _check_syslog_value(lineno: int, key: str, value: Token, errors: List[str]) -> None:
    """The value of one ``event syslog`` option, by the kind _SYSLOG_OPTS gives it."""
    kind = _SYSLOG_OPTS[key]
    if kind == "regex":
        if " " in value.text and not value.quoted:
            errors.append("line %d: a pattern with spaces must be quoted" % lineno)
        err = regex_ok(value.text)
        if err:
            errors.append("line %d: pattern %r is not a regular expression: %s" % (lineno, value.text, err))
    elif kind == "priority":
        if value.text not in _PRIORITIES:
            errors.append("line %d: priority %r is not one of %s" % (lineno, value.text, ", ".join(_PRIORITIES)))
    elif kind == "int":
        if not value.text.isdigit() or int(value.text) < 1:
            errors.append("line %d: occurs needs a whole number >= 1, not %r" % (lineno, value.text))
    elif not num_ok(value.text):
        errors.append("line %d: %s needs seconds (e.g. 60 or 20.500), not %r" % (lineno, key, value.text))


def _check_timer_event(lineno: int, rest: List[Token], errors: List[str]) -> Optional[str]:
    """``event timer KIND`` options: each once, with a valid value, ``time`` (``cron-entry`` for cron) among them."""
    if not rest or rest[0].text not in _TIMER_KINDS:
        errors.append("line %d: event timer needs one of %s" % (lineno, ", ".join(_TIMER_KINDS)))
        return None
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
        if not _check_timer_option(lineno, sub, key, opts[i + 1].text, errors):
            break
        i += 2
    need = "cron-entry" if sub == "cron" else "time"
    if need not in seen:
        errors.append("line %d: event timer %s needs '%s'" % (lineno, sub, need))
    return None


def _check_timer_option(lineno: int, sub: str, key: str, value: str, errors: List[str]) -> bool:
    """One ``event timer`` option and its value; False for an option this kind of timer does not take."""
    if key == "time" and sub != "cron":
        if not num_ok(value) or float(value) <= 0:
            errors.append("line %d: timer time needs seconds > 0, not %r" % (lineno, value))
    elif key == "cron-entry" and sub == "cron":
        if len(value.split()) != 5:
            errors.append("line %d: cron-entry needs five fields" % lineno)
    elif key == "name":
        pass
    elif key in ("maxrun", "ratelimit"):
        if not num_ok(value):
            errors.append("line %d: %s needs seconds, not %r" % (lineno, key, value))
    else:
        errors.append("line %d: unknown event timer option %r" % (lineno, key))
        return False
    return True


def _check_none_event(lineno: int, rest: List[Token], errors: List[str]) -> Optional[str]:
    """``event none [maxrun N]`` (or ratelimit)."""
    if rest and not (len(rest) == 2 and rest[0].text in ("maxrun", "ratelimit") and num_ok(rest[1].text)):
        errors.append("line %d: event none takes only [maxrun N]" % lineno)
    return None


def _check_cli_event(lineno: int, rest: List[Token], errors: List[str]) -> Optional[str]:
    """``event cli pattern REGEX ...``."""
    if not rest or rest[0].text != "pattern" or len(rest) < 2:
        errors.append("line %d: event cli needs 'pattern REGEX'" % lineno)
    return None


# Each detector's option check, given the line number and the tokens after the detector; returns the syslog pattern.
_EVENT_CHECKS: Dict[str, Callable[[int, List[Token], List[str]], Optional[str]]] = {
    "syslog": _check_syslog_event,
    "timer": _check_timer_event,
    "none": _check_none_event,
    "cli": _check_cli_event,
}


def _arity(verb: str, args: List[Token]) -> Optional[str]:
    """None when the arguments fit the verb's documented form, else what is wrong."""
    words = [a.text for a in args]
    n = len(words)
    if verb == "cli":
        return _cli_arity(args, words)
    if verb == "regexp":
        return _regexp_arity(args, words)
    if verb == "set":
        if n != 2 or not VARNAME_RE.match(words[0]):
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
        return None if n in (2, 3) and VARNAME_RE.match(words[0]) else "foreach needs 'VARIABLE LIST [DELIMITER]'"
    if verb == "syslog":
        return _syslog_arity(words)
    if verb == "puts":
        return None if n == 1 or (n == 2 and words[0] == "nonewline") else "puts needs '[nonewline] STRING'"
    if verb == "file":
        return _file_arity(words)
    if verb == "info":
        return None if n >= 2 and words[0] == "type" else "info needs 'type ...'"
    if verb in ("increment", "decrement"):
        return None if 1 <= n <= 2 and VARNAME_RE.match(words[0]) else "%s needs 'VARIABLE [VALUE]'" % verb
    if verb == "append":
        return None if n in (1, 2) and VARNAME_RE.match(words[0]) else "append needs 'VARIABLE [VALUE]'"
    if verb in ("add", "subtract", "multiply", "divide"):
        return None if n == 2 else "%s needs two operands" % verb
    if verb == "wait":
        return None if n == 1 and num_ok(words[0]) else "wait needs seconds"
    if verb == "comment":
        return None if n >= 1 else "comment needs text"
    if verb == "string":
        return None if n >= 2 else "string needs an operation and operands"
    if verb == "reload":
        return None if n == 0 else "reload takes no arguments"
    return "unknown action %r" % verb


def _cli_arity(args: List[Token], words: List[str]) -> Optional[str]:
    """``cli command STRING [pattern STRING]``."""
    n = len(words)
    if n < 2 or words[0] != "command":
        return "cli needs 'command STRING [pattern STRING]'"
    if n not in (2, 4) or (n == 4 and words[2] != "pattern"):
        return "cli command takes one string, then optionally 'pattern STRING'"
    if " " in words[1] and not args[1].quoted:
        return "a cli command with spaces must be quoted"
    return None


def _regexp_arity(args: List[Token], words: List[str]) -> Optional[str]:
    """``regexp PATTERN INPUT [MATCH [SUB1 [SUB2 [SUB3]]]]``: a valid pattern, variable names to set."""
    if not 2 <= len(words) <= 6:
        return "regexp needs 'PATTERN INPUT [MATCH [SUB1 [SUB2 [SUB3]]]]'"
    for var in words[2:]:
        if not VARNAME_RE.match(var):
            return "regexp result variable %r is not a variable name" % var
    err = regex_ok(words[0])
    if err:
        return "regexp pattern %r is not a regular expression: %s" % (words[0], err)
    if len(words[0].split()) > 1 and not args[0].quoted:
        return "a regexp pattern with spaces must be quoted"
    return None


def _syslog_arity(words: List[str]) -> Optional[str]:
    """``syslog [priority P] msg STRING [facility STRING]``."""
    n = len(words)
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


def _file_arity(words: List[str]) -> Optional[str]:
    """``file open|puts|gets|read|write|close|delete ...``, each with its own arguments."""
    n = len(words)
    if not words:
        return "file needs open, puts, gets, read, write, close or delete"
    sub = words[0]
    if sub == "open":
        if n != 4 or not VARNAME_RE.match(words[1]) or words[3] not in _FILE_MODES:
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


def _check_actions(applet: Dict[str, Any], kind: Optional[str], pattern: Optional[str], errors: List[str]) -> None:
    """The actions: labels, each verb's arguments, variables, blocks, file handles, and no self-triggering syslog."""
    actions = applet["actions"]
    if not actions:
        errors.append("line 1: the applet has no actions")
        return
    _check_labels(actions, errors)
    labels = [a["label"] for a in actions]
    defined = set(_BUILTINS_COMMON) | _BUILTINS.get(kind or "", set())
    handles: Dict[str, int] = {}
    stack: List[Tuple[str, int]] = []
    own_pattern = None
    if pattern is not None and regex_ok(pattern) is None:
        own_pattern = re.compile(pattern)
    for action in actions:
        lineno, verb, args = action["line"], action["verb"], action["args"]
        problem_text = _arity(verb, args)
        if problem_text:
            errors.append("line %d: %s" % (lineno, problem_text))
            continue
        words = [a.text for a in args]
        _check_variables(lineno, verb, words, defined, errors)
        _check_block(lineno, verb, words, stack, labels, errors)
        if verb == "file":
            _check_file_handle(lineno, words, handles, defined, errors)
        if verb == "syslog" and own_pattern is not None:
            msg = words[words.index("msg") + 1]
            if own_pattern.search(msg):
                errors.append("line %d: this syslog message matches the applet's own event pattern: it would "
                              "trigger the applet again" % lineno)
    for verb, lineno in stack:
        errors.append("line %d: this %s has no end" % (lineno, verb))
    for handle, lineno in handles.items():
        errors.append("line %d: file handle %s is never closed" % (lineno, handle))


def _check_labels(actions: List[Dict[str, Any]], errors: List[str]) -> None:
    """Labels well formed, unique, and written in the ascending string order IOS runs them in."""
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


def _check_variables(lineno: int, verb: str, words: List[str], defined: Set[str], errors: List[str]) -> None:
    """Every ``$var`` an action reads is set before it; then add what the action sets to ``defined``."""
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


def _check_block(lineno: int, verb: str, words: List[str], stack: List[Tuple[str, int]], labels: List[str],
                 errors: List[str]) -> None:
    """``if``/``while``/``foreach`` opened on ``stack`` and closed by ``end``; else, break and goto where they fit."""
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


def _check_file_handle(lineno: int, words: List[str], handles: Dict[str, int], defined: Set[str],
                       errors: List[str]) -> None:
    """A ``file`` action: a handle opened once (``handles``: handle -> line), used and closed only while open."""
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
