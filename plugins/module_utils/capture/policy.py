# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The safety gate: what an applet must be before the collection installs it on a router.

The grammar check (grammar.py) says whether IOS would accept an applet; this says
whether it is safe to leave running unattended on a production router. The
``eem_applet`` module refuses an applet with any problem listed here, in check mode
too, whether the collection generated it or a user gave it (docs/capture.md):

- bounded: the event has a ``maxrun``; a syslog event has a ``ratelimit`` of at least
  one second, a watchdog timer an interval of at least ten; ``event cli`` (which sits in
  the operators' command path) is refused;
- it guards the flash: a ``dir flash:`` check comes before the first write, and files
  are only appended to or read, never truncated or deleted;
- it only reads: every ``cli command`` is ``enable``, ``show``, ``dir`` or ``more``
  (abbreviations accepted), without ``clear`` anywhere (the QFP ``... clear`` variants
  destroy the evidence) and without an output redirection to a file; no ``reload``;
- the one exception, the opt-in debugs of a recurring pair (docs/recurrence.md): exactly
  ``debug crypto condition peer ipv4|ipv6 ADDR`` (a literal address), ``debug crypto
  isakmp|ipsec|ikev2`` and their ``no`` forms, spelled out. Each debug comes after a peer
  condition (never an unconditional debug), is turned off again by its own ``no debug ...``
  after a ``wait`` that ends within ``maxrun``, and each condition is removed. ``undebug all``,
  ``no debug all`` and every other debug are refused.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.capture.syntax import num_ok, parse_applet
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, plain_addr

# Exec commands a capture applet may run, with the shortest abbreviation IOS takes for each.
_READ_ONLY = (("enable", 2), ("show", 2), ("dir", 3), ("more", 3))
_WORD_RE = re.compile(r"[A-Za-z0-9_-]+")
# `show ... | redirect/append/tee URL` writes the output to a file.
_WRITING_PIPES = ("redirect", "append", "tee")
_SAFE_FILE_MODES = ("r", "a", "a+")
MIN_RATELIMIT = 1.0
MIN_WATCHDOG = 10.0
# The debugs a recurring pair's capture may turn on (each also in its "no" form), and the peer condition.
DEBUGS = ("debug crypto isakmp", "debug crypto ipsec", "debug crypto ikev2")
_CONDITION_RE = re.compile(r"(no )?debug crypto condition peer (ipv4|ipv6) ([0-9A-Fa-f.:]+)")
# Seconds the applet needs after its last wait to turn the debugs off and write its file.
DEBUG_OFF_MARGIN = 30.0


def debug_kind(cmd: str) -> Optional[Tuple[str, str]]:
    """``(on|off, debug)`` or ``(condition|uncondition, "ipv4 ADDR")`` for the allowed debug commands, else None."""
    text = cmd.strip()
    if text in DEBUGS:
        return "on", text
    if text.startswith("no ") and text[3:] in DEBUGS:
        return "off", text[3:]
    match = _CONDITION_RE.fullmatch(text)
    if match:
        addr = plain_addr(match.group(3))
        if addr is not None and (":" in addr) == (match.group(2) == "ipv6"):
            return ("uncondition" if match.group(1) else "condition"), "%s %s" % (match.group(2), addr)
    return None


def _option(words: List[str], key: str) -> Optional[str]:
    for index, word in enumerate(words[:-1]):
        if word == key:
            return words[index + 1]
    return None


def _is(word: str, command: str, shortest: int) -> bool:
    return len(word) >= shortest and command.startswith(word)


def _command_problem(cmd: str) -> Optional[str]:
    """Why this CLI command is not a read-only one, or None."""
    head, _bar, tail = cmd.partition("|")
    words = head.lower().split()
    if not words:
        return "an empty command"
    if "$" in words[0] or (words[0] in ("debug", "no", "undebug", "un") and "$" in head):
        return "a command chosen by a variable cannot be checked"
    if debug_kind(cmd) is not None:
        return None
    if not any(_is(words[0], command, shortest) for command, shortest in _READ_ONLY):
        return "only enable, show, dir and more are allowed (and the conditional crypto debugs of docs/recurrence.md)"
    if "clear" in [w.lower() for w in _WORD_RE.findall(cmd)]:
        return "'clear' (the QFP '... clear' variants destroy the evidence)"
    for pipe in ("|" + tail).split("|")[1:]:
        first = (pipe.split() or [""])[0].lower()
        if any(len(first) >= 2 and verb.startswith(first) for verb in _WRITING_PIPES):
            return "'| %s' writes the output to a file" % first
    return None


def _event_problems(event: Optional[Dict[str, Any]]) -> List[str]:
    out: List[str] = []
    words = [t.text for t in event["tokens"]] if event else []
    if words[:1] == ["tag"]:
        words = words[2:]
    kind = words[0] if words else None
    maxrun = _option(words, "maxrun")
    if maxrun is None:
        out.append("the event has no maxrun: a hung CLI session would hold the applet for the default 20 s only "
                   "and cut the capture short, or longer ones would pile up")
    elif not num_ok(maxrun) or float(maxrun) <= 0:
        out.append("maxrun %r is not a number of seconds > 0" % maxrun)
    if kind == "syslog":
        ratelimit = _option(words, "ratelimit")
        if ratelimit is None:
            out.append("the syslog event has no ratelimit: a burst of messages would write a capture per message")
        elif not num_ok(ratelimit) or float(ratelimit) < MIN_RATELIMIT:
            out.append("ratelimit %r: a capture applet waits at least %d second between two runs"
                       % (ratelimit, MIN_RATELIMIT))
    elif kind == "timer" and words[1:2] == ["watchdog"]:
        interval = _option(words, "time")
        if interval is not None and (not num_ok(interval) or float(interval) < MIN_WATCHDOG):
            out.append("watchdog time %r: a capture applet runs at most every %d seconds" % (interval, MIN_WATCHDOG))
    elif kind == "cli":
        out.append("an 'event cli' applet sits in the operators' command path; a capture applet listens to syslog "
                   "or a timer")
    return out


def _debug_problems(actions: List[Dict[str, Any]], maxrun: Optional[str]) -> List[str]:
    """A debug is conditional (a peer condition first), bounded (a wait, then its own 'no debug') and tidied up."""
    out: List[str] = []
    conditions: Dict[str, int] = {}
    active: Dict[str, Tuple[int, float]] = {}
    waited = 0.0
    used = False
    for action in actions:
        words = [t.text for t in action["args"]]
        if action["verb"] == "wait" and words and num_ok(words[0]):
            waited += float(words[0])
            continue
        if action["verb"] != "cli" or len(words) < 2:
            continue
        found = debug_kind(words[1])
        if found is None:
            continue
        used = True
        kind, what = found
        where = "line %d: the applet runs %r" % (action["line"], words[1].strip())
        if kind == "condition":
            conditions[what] = action["line"]
        elif kind == "uncondition":
            conditions.pop(what, None)
        elif kind == "on":
            if not conditions:
                out.append("%s: an unconditional debug (no 'debug crypto condition peer' before it) loads the router's "
                           "CPU with every peer's negotiations" % where)
            active[what] = (action["line"], waited)
        elif what in active:
            if waited <= active[what][1]:
                out.append("%s: no bounded wait between turning '%s' on and off" % (where, what))
            del active[what]
    for what, (line, _since) in sorted(active.items()):
        out.append("line %d: %r is never turned off (its own 'no %s' after a wait)" % (line, what, what))
    for what, line in sorted(conditions.items()):
        out.append("line %d: debug crypto condition peer %s is never removed" % (line, what))
    if used and maxrun is not None and num_ok(maxrun) and waited + DEBUG_OFF_MARGIN > float(maxrun):
        out.append("wait %g s does not end within maxrun %s (less %d s to turn the debugs off): the applet would be "
                   "stopped with the debugs on" % (waited, maxrun, DEBUG_OFF_MARGIN))
    return out


def capture_policy_problems(text: Any) -> List[str]:
    """What keeps an applet from being a safe capture applet (beyond its syntax); [] when it is one."""
    try:
        applet = parse_applet(text)
    except ParseError as exc:
        return [str(exc)]
    out = _event_problems(applet["event"])
    actions = applet["actions"]
    event_words = [t.text for t in applet["event"]["tokens"]] if applet["event"] else []
    out.extend(_debug_problems(actions, _option(event_words, "maxrun")))
    writes = [a for a in actions if a["verb"] == "file" and a["args"] and a["args"][0].text in ("open", "puts")]
    guard = [a for a in actions if a["verb"] == "cli" and len(a["args"]) > 1
             and " ".join(a["args"][1].text.split()).startswith("dir flash:")]
    if writes and (not guard or guard[0]["label"] > writes[0]["label"]):
        out.append("the applet writes to flash without first checking the file size and the free space")
    for action in actions:
        verb, words = action["verb"], [t.text for t in action["args"]]
        where = "line %d" % action["line"]
        if verb == "cli" and len(words) > 1:
            why = _command_problem(words[1].strip())
            if why:
                out.append("%s: the applet runs %r: %s; a capture applet only reads" % (where, words[1].strip(), why))
        elif verb == "reload":
            out.append("%s: the applet reloads the router" % where)
        elif verb == "file" and words[:1] == ["delete"]:
            out.append("%s: the applet deletes %s; a capture applet only appends to its own file"
                       % (where, words[1] if len(words) > 1 else "a file"))
        elif verb == "file" and words[:1] == ["open"] and len(words) > 3 and words[3] not in _SAFE_FILE_MODES:
            out.append("%s: file open mode %r can overwrite %s; a capture applet appends (a, a+) or reads (r)"
                       % (where, words[3], words[2]))
    return out
