# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The transport edge: what cliconf hands back, turned into what the router printed.

Every module of the collection reads the router through ``run`` (or ``answer`` for
one response), so the quirks of ansible.netcommon's cliconf are undone in one
place and everything past this file sees plain text or an exception:

- with ``check_rc=False`` cliconf does not raise for a rejected command or a broken
  session: it returns the error instead of output, a rejected command as the repr
  of the bytes read (``b"...\\r\\n% Invalid input..."``), a session failure as its
  message (``command timeout triggered ...``);
- a session dropped in the middle of a command comes back as ``None`` (or the
  text ``None``), with no error at all.

No Ansible imports: ``connection`` is anything with cliconf's
``run_commands(commands=..., check_rc=...)``, so this is tested without a device.
"""

from __future__ import annotations

import ast
import re
from typing import Any, List, Optional, Sequence

from ansible_collections.netops.ipsec_spi.plugins.module_utils.commands import check_line
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError


class RejectedCommand(ParseError):
    """An essential command was rejected by the router or the session broke while running it."""


class SessionDropped(RejectedCommand):
    """The session ended while a command ran (cliconf answered ``None``): nothing after it can be trusted."""


# What cliconf returns instead of output when the session itself failed (only at the very
# start of the answer: the router's own output may mention a timeout).
_SESSION_ERROR_RE = re.compile(
    r"^[ \t\r\n]*(?:ssh connection failed|command timeout triggered|unable to (?:open shell|connect)|"
    r"failed to authenticate|socket path [^\r\n]* does not exist|connection (?:refused|reset|closed))",
    re.IGNORECASE,
)
# IOS starts its error and warning messages with `%`; an exec command that worked prints
# nothing or a table, never a `%` line (`% Invalid input`, `% Incomplete command`, `% No such peer`).
_ROUTER_ERROR_RE = re.compile(r"^[ \t]*%[ \t]*[^ \t\r\n]", re.MULTILINE)


def normalize_response(text: Any) -> Optional[str]:
    """The device's answer as text (None stays None: nothing was read).

    Undoes the bytes repr cliconf gives for a rejected command, so that
    ``% Invalid input`` is recognised; bytes are decoded as UTF-8.
    """
    if text is None:
        return None
    if isinstance(text, bytes):
        return text.decode("utf-8", errors="replace")
    text = str(text)
    if len(text) > 2 and text[0] == "b" and text[1] in "'\"" and text.rstrip()[-1:] == text[1]:
        try:
            value = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            return text
        if isinstance(value, bytes):
            return value.decode("utf-8", errors="replace").replace("\r\n", "\n")
    return text


def session_error(text: Optional[str]) -> bool:
    """True when the answer is cliconf's message about a failed session, not the router's output."""
    return bool(text) and bool(_SESSION_ERROR_RE.match(text or ""))


def dropped(response: Any) -> bool:
    """True when cliconf answered nothing: the session went away while the command ran."""
    return response is None or str(response).strip() == "None"


def router_error(text: Optional[str]) -> bool:
    """True when the router answered with an error or warning (a ``%`` line) rather than output."""
    return bool(_ROUTER_ERROR_RE.search(text or ""))


def answer(response: Any, command: str) -> str:
    """One cliconf response as the router's text; raises when it is not the router's answer at all.

    SessionDropped for a dropped session, RejectedCommand for a session failure
    reported as text. A command the router rejected (``% Invalid input``) is the
    router's answer and is returned: whether that is fatal is the caller's rule.
    """
    if dropped(response):
        raise SessionDropped("the session was dropped while running '%s'" % command)
    text = normalize_response(response) or ""
    if session_error(text):
        raise RejectedCommand("the session failed during '%s': %s" % (command, text.strip()[:300]))
    return text


def run(connection: Any, commands: Sequence[str], check_rc: bool = False) -> List[str]:
    """Send ``commands`` in one cliconf call and return the router's answers, in order.

    ``check_rc=True`` lets cliconf raise (ansible's ConnectionError) for a session
    that cannot be opened or a rejected command; with ``False`` a rejected command
    comes back as its ``%`` text. Either way a dropped or failed session raises
    (see ``answer``) instead of passing for output.
    """
    commands = list(commands)
    if not commands:
        return []
    for command in commands:
        # The last guard before the wire: a newline in a value would be a second command.
        check_line(command.get("command") if isinstance(command, dict) else command)
    responses = list(connection.run_commands(commands=commands, check_rc=check_rc) or [])
    if len(responses) != len(commands):
        # cliconf answers every command or raises; fewer answers means it stopped part way.
        missing = commands[len(responses)] if len(responses) < len(commands) else commands[-1]
        raise SessionDropped("the session was dropped while running '%s' (%d answers for %d commands)"
                             % (missing, len(responses), len(commands)))
    return [answer(response, command) for command, response in zip(commands, responses)]
