# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a running-config into sections: the first layer, knowing nothing of crypto.

Cleans the raw text (prompts, preambles, banners, blank lines) and groups the
lines into top-level commands with their sub-commands, with or without the
indentation (whitespace-stripped captures). Every line is masked here, once,
and what was masked is kept to scrub copies elsewhere.

Speed: a config is mostly lines that do not matter here (routing, ACLs, line
vty...). Those never become objects: only the sections the caller asks for
(by first word) and, in them, the lines it asks for. Keeping an object per
line made the garbage collector the larger part of the time on big configs.
"""

from __future__ import annotations

import re
from typing import Dict, FrozenSet, List, Optional, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import TextInput, as_lines, problem
from ansible_collections.netops.ipsec_spi.plugins.module_utils.secrets import mask_lines, mask_secrets

_MAX_BANNER_LINES = 1000
# Lines scanned for banner ends, over the whole input: many unclosed banners stay linear.
_BANNER_BUDGET = 200000


class Line(object):
    """A config line of a section that matters: its words, and its text with secrets masked."""

    __slots__ = ("no", "text", "strip", "low", "toks", "masked", "shown")

    def __init__(self, no: int, text: str, strip: str, masked: str) -> None:
        self.no = no
        self.text = text
        self.strip = strip
        self.toks = strip.split()
        # lower() never adds or removes white space: the words align with toks.
        self.low = strip.lower().split()
        self.masked = masked
        self.shown: Optional[str] = None


class Section(object):
    __slots__ = ("head", "body")

    def __init__(self, head: Line) -> None:
        self.head = head
        self.body: List[Line] = []


class ConfigText(object):
    """The cleaned configuration: its sections that matter, its first line, the secrets it holds."""

    __slots__ = ("sections", "first", "secrets")

    def __init__(self) -> None:
        self.sections: List[Section] = []
        # (line number, text) of the first config line: a rejected command shows there.
        self.first: Optional[Tuple[int, str]] = None
        self.secrets: List[str] = []


_PREAMBLE_RE = re.compile(
    r"^(?:Building configuration\.\.\.|Current configuration\s*:.*|Load for .*|Time source is .*"
    r"|NVRAM config last updated.*|Using [0-9]+ out of [0-9]+ bytes.*)$"
)
# A CLI prompt with the command (`hub-1#show running-config | section crypto`) or a bare prompt.
# ASCII classes: a host name is ASCII, and \w would take the letters and digits of any script.
_PROMPT_RE = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,62}(?:\([A-Za-z0-9_\-]{1,30}\))?[#>](?:\s*(?:sh|sho|show|more|term)\b.*)?$"
)
_BANNER_RE = re.compile(r"^banner\s+(?:motd|login|exec|incoming|slip-ppp|prompt-timeout|config-save)\s+(\S)")

# Whitespace-stripped configs: first words that always start a new top-level
# command. Words that are also interface or profile sub-commands (logging, ntp,
# mpls, vrf forwarding, aaa authorization in an IKEv2 profile...) are left out:
# keeping a stray global line inside a section is harmless, cutting a section
# short is not.
_TOP_FIRST = frozenset(
    (
        "interface", "router", "line", "hostname", "username", "enable", "boot", "version",
        "license", "vlan", "snmp-server", "access-list", "class-map", "policy-map", "control-plane",
        "event", "archive", "route-map", "banner", "alias", "object-group", "parameter-map",
        "zone", "zone-pair", "dial-peer", "telephony-service", "tacacs-server", "radius-server",
        "tacacs", "radius",
    )
)
_IP_GLOBAL = frozenset(
    (
        "route", "access-list", "domain", "domain-name", "domain-lookup", "name-server", "http",
        "ssh", "forward-protocol", "sla", "prefix-list", "scp", "cef", "multicast-routing", "host",
        "routing", "community-list", "as-path", "extcommunity-list", "tftp", "ftp", "finger",
        "source-route", "explicit-path", "subnet-zero", "classless", "default-gateway", "bgp-community",
    )
)
_IPV6_GLOBAL = frozenset(
    ("route", "unicast-routing", "router", "access-list", "prefix-list", "host", "multicast-routing", "cef")
)
# Sub-commands that no global command starts with: at column 0 inside a section (no `!` since its head),
# such a line is that section's, whatever follows it.
_SUB_ONLY = frozenset(
    ("description", "tunnel", "set", "shutdown", "keepalive", "match", "dpd", "mtu", "encapsulation", "encr",
     "hash", "authentication", "lifetime", "pfs", "integrity", "prf")
)
_EZVPN_BODY = frozenset(
    ("connect", "group", "mode", "peer", "xauth", "username", "acl", "backup", "nem", "virtual-interface",
     "local-address", "flow", "password")
)


def _is_top_level(low: List[str], cur: List[str], following: str) -> bool:
    """Whether a line starts a new command in a whitespace-stripped config.

    ``low``: its first words, lower case; ``cur``: those of the current section's head;
    ``following``: the next line (stripped), read only when a word of it decides.
    """
    first = low[0]
    in_iface = cur[0] == "interface"
    if cur[:4] == ["crypto", "ipsec", "client", "ezvpn"] and not in_iface and first in _EZVPN_BODY:
        return False
    if first == "crypto":
        if len(low) >= 3 and low[1] == "map":
            # `crypto map M` (and `... redundancy`) is the interface command; the
            # header has a sequence number; `crypto map M local-address` etc. are global.
            rest = low[4:] if low[2] == "ipv6" else low[3:]
            if not rest or rest[0] == "redundancy":
                return not in_iface
            return True
        if low[1:3] == ["ipsec", "df-bit"] or low[1:2] == ["engine"]:
            return not in_iface
        if low[1:4] == ["ipsec", "client", "ezvpn"] and in_iface:
            if len(low) > 5 or (len(low) == 5 and low[4] in ("inside", "outside")):
                return False
            # No role keyword: the global block follows with its own commands.
            return bool(following) and following.split(None, 1)[0].lower() in _EZVPN_BODY
        return True
    if first == "no":
        # Running-config prints `no` forms of global crypto defaults only (`no crypto isakmp ...`).
        return low[1:2] == ["crypto"] and not in_iface
    if first == "ip":
        return len(low) > 1 and low[1] in _IP_GLOBAL
    if first == "ipv6":
        return len(low) > 1 and low[1] in _IPV6_GLOBAL
    if first == "key":
        return len(low) > 1 and low[1] in ("chain", "config-key")
    if first == "vrf":
        return low[1:2] == ["definition"]
    return first in _TOP_FIRST


def read_config(data: TextInput, problems: Optional[list], heads: FrozenSet[str], body: FrozenSet[str]) -> ConfigText:
    """Clean the raw text into the sections whose first word is in ``heads``, keeping in
    each only the lines whose first word is in ``body`` (lower case)."""
    raw = as_lines(data, "running-config")
    nos: List[int] = []
    texts: List[str] = []
    strips: List[str] = []
    widths: List[int] = []
    out = ConfigText()
    banner_closes: Dict[str, Tuple[int, Optional[int]]] = {}
    budget = [_BANNER_BUDGET]
    skip_until = -1
    for index, text in enumerate(raw):
        if index <= skip_until:
            continue
        strip = text.strip()
        if not strip:
            continue
        first = strip[0]
        if first in "BCLTNU" and _PREAMBLE_RE.match(strip):
            continue
        if ("#" in strip or ">" in strip) and _PROMPT_RE.match(strip):
            continue
        if first == "b" and strip.startswith("banner"):
            banner = _BANNER_RE.match(strip)
            if banner:
                delim = "^C" if strip[banner.start(1):banner.start(1) + 2] == "^C" else banner.group(1)
                after = strip[banner.start(1) + len(delim):]
                if delim not in after:
                    close = _find_banner_close(raw, index + 1, delim, banner_closes, budget)
                    if close is None:
                        problem(problems, index + 1, "banner is not closed by its delimiter %r" % delim,
                                mask_secrets(strip))
                    else:
                        skip_until = close
                continue
        text = text.rstrip()
        nos.append(index + 1)
        texts.append(text)
        strips.append(strip)
        widths.append(len(text) - len(strip))
    if not texts:
        return out
    # Every line, wanted or not: a secret of any line is scrubbed from every other.
    masked, out.secrets = mask_lines(texts)
    out.first = (nos[0], strips[0])
    base = min(widths)
    if max(widths) > base:
        _structured(out.sections, nos, texts, strips, widths, base, masked, heads, body, problems)
    else:
        _stripped(out.sections, nos, texts, strips, masked, heads, body)
    return out


def _structured(
    sections: List[Section], nos: List[int], texts: List[str], strips: List[str], widths: List[int], base: int,
    masked: Dict[int, str], heads: FrozenSet[str], body: FrozenSet[str], problems: Optional[list] = None,
) -> None:
    """Sections of an indented config: a sub-command is indented under its command.

    A line at column 0 inside a block (no ``!`` since its command) that cannot
    start a command, by the rules of a whitespace-stripped config, is a
    sub-command printed without its indentation (``description`` under
    ``interface Tunnel102`` in some captures) when no global command starts
    with its word, or when the block had indented lines and goes on after it:
    it stays in the block and a problem names it. Cutting the block there
    would lose the tunnel's later lines without a word. Decided for every
    block, asked for or not, so that the problems do not depend on the caller.
    """
    current: Optional[Section] = None
    # Index of the line opening the current block (-1: none), and whether the block has indented lines.
    opened = -1
    indented = False
    last = len(strips) - 1
    for k, strip in enumerate(strips):
        if widths[k] > base:
            indented = True
            # An indented line with no section (a cut output) is left alone; so is an indented `!`.
            if current is not None and strip[0] != "!" and strip.split(None, 1)[0].lower() in body:
                current.body.append(Line(nos[k], texts[k], strip, masked.get(k, texts[k])))
            continue
        first = strip.split(None, 1)[0].lower()
        if opened >= 0 and strip[0] != "!" and (
                first in _SUB_ONLY or (indented and k < last and widths[k + 1] > base and strip != "end")):
            if not _is_top_level(strip.lower().split(None, 6), strips[opened].lower().split(None, 6),
                                 strips[k + 1] if k < last else ""):
                if current is not None and first in body:
                    current.body.append(Line(nos[k], texts[k], strip, masked.get(k, texts[k])))
                problem(problems, nos[k], "sub-command at column 0 inside '%s' (line %d): read as part of it"
                        % (masked.get(opened, texts[opened]).strip()[:80], nos[opened]),
                        masked.get(k, texts[k]).strip())
                continue
        current = None
        opened, indented = -1, False
        if strip[0] == "!":
            continue
        opened = k
        if first in heads:
            current = Section(Line(nos[k], texts[k], strip, masked.get(k, texts[k])))
            sections.append(current)


_NO_SECTION: List[str] = []
_OTHER_SECTION = [""]


def _stripped(
    sections: List[Section], nos: List[int], texts: List[str], strips: List[str], masked: Dict[int, str],
    heads: FrozenSet[str], body: FrozenSet[str],
) -> None:
    """Sections of a whitespace-stripped config: which command a line belongs to comes from its words."""
    current: Optional[Section] = None
    # The first words of the current section's head; [""] for a section not asked for, [] for none.
    cur = _NO_SECTION
    last = len(strips) - 1
    for k, strip in enumerate(strips):
        if strip[0] == "!":
            current, cur = None, _NO_SECTION
            continue
        # The first words are all the top-level rules read (up to the sixth).
        low = strip.lower().split(None, 6)
        if low[0] == "end" and len(low) == 1:
            current, cur = None, _NO_SECTION
            continue
        if cur:
            if not _is_top_level(low, cur, strips[k + 1] if k < last else ""):
                if current is not None and low[0] in body:
                    current.body.append(Line(nos[k], texts[k], strip, masked.get(k, texts[k])))
                continue
        if low[0] in heads:
            current = Section(Line(nos[k], texts[k], strip, masked.get(k, texts[k])))
            sections.append(current)
            cur = current.head.low
        else:
            current, cur = None, _OTHER_SECTION


def _find_banner_close(
    raw: List[str], start: int, delim: str, cache: Dict[str, Tuple[int, Optional[int]]], budget: List[int]
) -> Optional[int]:
    """Index of the line closing a banner, or None; bounded so hostile input stays linear."""
    cached = cache.get(delim)
    if cached is not None:
        searched_from, found = cached
        if searched_from <= start and (found is None or found >= start):
            return found
    stop = min(len(raw), start + _MAX_BANNER_LINES, start + max(budget[0], 0))
    budget[0] -= stop - start
    for index in range(start, stop):
        if delim in raw[index]:
            cache[delim] = (start, index)
            return index
    if stop == len(raw):
        cache[delim] = (start, None)
    return None
