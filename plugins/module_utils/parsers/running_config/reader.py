# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a running-config into sections: the first layer, knowing nothing of crypto.

Cleans the raw text (prompts, preambles, banners, blank lines) and groups the
lines into top-level commands with their sub-commands, with or without the
indentation (whitespace-stripped captures).
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import TextInput, as_lines, problem
from ansible_collections.netops.ipsec_spi.plugins.module_utils.secrets import mask_secrets

_MAX_BANNER_LINES = 1000
# Lines scanned for banner ends, over the whole input: many unclosed banners stay linear.
_BANNER_BUDGET = 200000

class Line(object):
    __slots__ = ("no", "text", "strip", "low", "toks", "indent", "masked", "shown")

    def __init__(self, no: int, text: str, strip: str, indent: bool) -> None:
        self.no = no
        self.text = text
        self.strip = strip
        self.toks = strip.split()
        self.low = [t.lower() for t in self.toks]
        self.indent = indent
        self.masked: Optional[str] = None
        self.shown: Optional[str] = None


class Section(object):
    __slots__ = ("head", "body")

    def __init__(self, head: Line) -> None:
        self.head = head
        self.body: List[Line] = []


_PREAMBLE_RE = re.compile(
    r"^(?:Building configuration\.\.\.|Current configuration\s*:.*|Load for .*|Time source is .*"
    r"|NVRAM config last updated.*|Using \d+ out of \d+ bytes.*)$"
)
# A CLI prompt with the command (`hub-1#show running-config | section crypto`) or a bare prompt.
_PROMPT_RE = re.compile(r"^[A-Za-z0-9][\w.\-]{0,62}(?:\([\w\-]{1,30}\))?[#>](?:\s*(?:sh|sho|show|more|term)\b.*)?$")
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
_EZVPN_BODY = frozenset(
    ("connect", "group", "mode", "peer", "xauth", "username", "acl", "backup", "nem", "virtual-interface",
     "local-address", "flow", "password")
)


def _is_top_level(line: Line, current: Section, following: Optional[Line]) -> bool:
    """Whether a non-indented line starts a new command in a whitespace-stripped config."""
    low = line.low
    first = low[0]
    cur = current.head.low
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
            return following is not None and following.low[0] in _EZVPN_BODY
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


def read_lines(data: TextInput, problems: Optional[list]) -> Tuple[List[Line], bool]:
    """Clean the raw text into config lines; return them and whether indentation is meaningful."""
    raw = as_lines(data, "running-config")
    lines: List[Tuple[int, str, str]] = []
    banner_closes: Dict[str, Tuple[int, Optional[int]]] = {}
    budget = [_BANNER_BUDGET]
    skip_until = -1
    for index, text in enumerate(raw):
        if index <= skip_until:
            continue
        text = text.rstrip()
        strip = text.strip()
        if not strip:
            continue
        if strip[0] in "BCLTNU" and _PREAMBLE_RE.match(strip):
            continue
        if ("#" in strip or ">" in strip) and _PROMPT_RE.match(strip):
            continue
        banner = _BANNER_RE.match(strip) if strip.startswith("banner") else None
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
        lines.append((index + 1, text, strip))
    indented = [len(t) - len(t.lstrip()) for dummy_no, t, dummy_strip in lines]
    base = min(indented) if indented else 0
    structured = any(width > base for width in indented)
    out = [Line(no, text, strip, width > base) for (no, text, strip), width in zip(lines, indented)]
    return out, structured


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


def split_sections(lines: List[Line], structured: bool) -> List[Section]:
    sections: List[Section] = []
    current: Optional[Section] = None
    for index, line in enumerate(lines):
        indent = line.indent
        if line.strip.startswith("!"):
            if not indent or not structured:
                current = None
            continue
        if line.low[0] == "end" and len(line.low) == 1 and not indent:
            current = None
            continue
        if structured:
            if indent:
                if current is not None:
                    current.body.append(line)
                # An indented line with no section (a cut output) is left alone.
                continue
        elif current is not None:
            following = lines[index + 1] if index + 1 < len(lines) else None
            if not _is_top_level(line, current, following):
                current.body.append(line)
                continue
        current = Section(line)
        sections.append(current)
    return sections
