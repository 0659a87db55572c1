# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The safety gate: what an applet must be before the collection installs it on a router."""

from __future__ import annotations

import re
from typing import Any, List

from ansible_collections.netops.ipsec_spi.plugins.module_utils.capture.syntax import parse_applet
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError


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
