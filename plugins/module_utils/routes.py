# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which core parser reads which command's answer: one typed table.

The gather (facts.build_facts) and the cli_parse sub-plugin both route through it. The command
strings themselves live in commands.py; this module is apart because it imports every parser, and a
module that only sends commands (sa_clear, invalid_spi_recovery) must not ship them all in its
AnsiballZ payload.
"""

from __future__ import annotations

from typing import Any, Callable, List, NamedTuple, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.dmvpn import parse_dmvpn
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ike import parse_ike_sas
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ipsec_sa import parse_ipsec_sas
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.qfp import parse_qfp_drops, parse_qfp_ipsec_drops
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config import parse_crypto_inventory
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.session import parse_crypto_sessions
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog import parse_events


class Route(NamedTuple):
    """A command's keywords as IOS spells them in full, its parser, and what the parser takes besides the text
    and ``problems`` when the gather calls it: ``host`` and ``year`` (a log), ``local_addresses`` (this
    router's own addresses, which tell the remote end of an IKEv1 dst/src row)."""

    words: Tuple[str, ...]
    parse: Callable[..., Any]
    context: Tuple[str, ...] = ()


_QFP = ("show", "platform", "hardware", "qfp", "active")
ROUTES: Tuple[Route, ...] = (
    Route(_QFP + ("statistics", "drop"), parse_qfp_drops),
    Route(_QFP + ("feature", "ipsec", "datapath", "drops"), parse_qfp_ipsec_drops),
    # IOS XE accepts "data drop" for "datapath drops".
    Route(_QFP + ("feature", "ipsec", "data", "drop"), parse_qfp_ipsec_drops),
    Route(("show", "crypto", "ipsec", "sa"), parse_ipsec_sas),
    Route(("show", "crypto", "isakmp", "sa"), parse_ike_sas, ("local_addresses",)),
    Route(("show", "crypto", "ikev2", "sa"), parse_ike_sas, ("local_addresses",)),
    Route(("show", "crypto", "session"), parse_crypto_sessions),
    Route(("show", "dmvpn"), parse_dmvpn),
    Route(("show", "logging"), parse_events, ("host", "year")),
    Route(("show", "running-config"), parse_crypto_inventory),
)


def command_words(command: Any) -> List[str]:
    """Lower-case words of the command, without any ``| include ...`` style suffix."""
    if not isinstance(command, str):
        return []
    return command.split("|", 1)[0].lower().split()


def route(command: Any) -> Route:
    """The route of the parser that reads this command's output; ValueError says why there is none.

    A user may abbreviate each keyword (IOS accepts any unambiguous prefix); ``| include ...`` and the like
    are ignored.
    """
    words = command_words(command)
    if not words:
        raise ValueError("a command is required to choose the parser")
    found = []
    for candidate in ROUTES:
        canon = candidate.words
        if len(words) < len(canon):
            continue
        if all(w == c for w, c in zip(words, canon)):
            return candidate
        # "datapath" vs "data" is the only clash here.
        if all(c.startswith(w) for w, c in zip(words, canon)):
            found.append(candidate)
    if len({r.parse for r in found}) == 1:
        return found[0]
    if found:
        raise ValueError("command %r is ambiguous here: %s"
                         % (command, ", ".join(sorted(set(" ".join(r.words) for r in found)))))
    raise ValueError("no netops.ipsec_spi parser for command %r; supported: %s"
                     % (command, ", ".join(sorted(set(" ".join(r.words) for r in ROUTES)))))


def parser_for(command: Any) -> Callable[..., Any]:
    """The parser function for a command."""
    return route(command).parse
