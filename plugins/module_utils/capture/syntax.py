# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EEM applet text into its parts: words, the header, the event line and the actions.

Shared by the grammar check (grammar.py) and the safety gate (policy.py), so both read
an applet the same way. Written from the EEM 3.0 applet CLI (Cisco IOS Embedded Event
Manager command reference): bare words, or double-quoted strings where only ``\\"`` and
``\\\\`` are escapes.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, as_lines

NUM_RE = re.compile(r"^[0-9]+(?:\.[0-9]{1,3})?$")
VARNAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Token:
    """One word of an applet line: its text (unquoted), whether it was quoted, its column (0-based)."""

    __slots__ = ("text", "quoted", "col")

    def __init__(self, text: str, quoted: bool, col: int) -> None:
        self.text = text
        self.quoted = quoted
        self.col = col


def tokenize(line: str) -> List[Token]:
    """EEM applet CLI words: bare words, or double-quoted strings where only \\" and \\\\ are escapes."""
    toks: List[Token] = []
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
            toks.append(Token("".join(out), True, start))
            continue
        while i < n and line[i] not in " \t":
            if line[i] == '"':
                raise ParseError("column %d: a double quote inside a word (quote the whole argument)" % (i + 1))
            i += 1
        toks.append(Token(line[start:i], False, start))
    return toks


def num_ok(text: str) -> bool:
    """Seconds as EEM takes them: whole, or with up to three decimals (milliseconds)."""
    return bool(NUM_RE.match(text))


def regex_ok(pattern: str) -> Optional[str]:
    """None when ``pattern`` compiles, else why not."""
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    return None


def applet_lines(text: Any) -> List[str]:
    """The applet's lines without blanks and ``!`` comments."""
    return [line for line in as_lines(text, "applet") if line.strip() and not line.strip().startswith("!")]


def parse_applet(text: Any) -> Dict[str, Any]:
    """Read an applet (running-config form) into its parts; ParseError at the first line it cannot read."""
    lines = applet_lines(text)
    if not lines:
        raise ParseError("the applet is empty")
    return read_lines(lines)


def read_lines(lines: List[str]) -> Dict[str, Any]:
    """``name``, header ``options``, ``description``, ``event`` (line, tokens), ``actions``, ``lines``."""
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
