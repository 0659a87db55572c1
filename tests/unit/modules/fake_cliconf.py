"""A fake of ansible.netcommon's ios cliconf, as a module sees it through Connection.

Answers like the real one: a rejected command raises with check_rc=True and comes back as
the repr of the bytes read with check_rc=False; None is a session dropped mid-command.
"""
from __future__ import annotations

from ansible.module_utils.connection import ConnectionError


class FakeCliconf:
    """Commands -> answers; `config` is the running-config edit_config changes."""

    def __init__(self, answers=None, config="", apply_edits=True):
        self.answers = dict(answers or {})
        self.config = config
        self.apply_edits = apply_edits
        self.sent = []
        self.edits = []

    def run_commands(self, commands=None, check_rc=True):
        out = []
        for command in commands:
            self.sent.append(command)
            answer = self.answers.get(command, "")
            if command not in self.answers and command.startswith("show running-config | include "):
                pattern = command.split("| include ", 1)[1]
                answer = "".join(line + "\n" for line in self.config.splitlines() if pattern in line)
            if isinstance(answer, Exception):
                raise answer
            if isinstance(answer, str) and any(line.lstrip().startswith("%") for line in answer.splitlines()):
                if check_rc:
                    raise ConnectionError(answer)
                # What cliconf really hands back for a rejected command with check_rc=False.
                answer = repr(("%s\r\n%s" % (command, answer)).encode())
            out.append(answer)
        return out

    def edit_config(self, candidate=None):
        self.edits.append(list(candidate))
        if not self.apply_edits:
            return
        for line in candidate:
            if line.startswith("no "):
                self.config = "".join(x + "\n" for x in self.config.splitlines() if x != line[3:])
            else:
                self.config += line + "\n"
