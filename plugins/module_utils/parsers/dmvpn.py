# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``show dmvpn``: the NHRP peers of each DMVPN tunnel interface.

Rows are ``# Ent  Peer NBMA Addr  Peer Tunnel Add  State  UpDn Tm  Attrb``.
When one NBMA address has several tunnel addresses, the following rows leave
the first two columns empty; a long (IPv6) NBMA address is printed alone on
its line, its tunnel address and the rest on the next line. Both forms are
read as one peer entry per tunnel address.

An entry NHRP has not resolved yet prints ``UNKNOWN`` for the NBMA address
(attributes ``IX``: incomplete, no socket): it is a row with ``nbma`` None.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import (
    collapsed_lines,
    ParseError,
    TextInput,
    UnsupportedCommand,
    as_lines,
    is_unsupported,
    cached_addr as maybe_addr,
    problem,
)

MAX_LINE = 4096

# Applied to whitespace-collapsed lines; ASCII digit classes ("\d" takes Arabic-Indic or fullwidth digits).
_INTERFACE_RE = re.compile(r"^Interface: (\S+?),? (IPv4|IPv6) NHRP Details$")
_TYPE_RE = re.compile(r"^Type: ?([A-Za-z-]+), NHRP Peers: ?([0-9]+),?$")
_ROW_RE = re.compile(r"^([0-9]+) (\S+) (\S+) ([A-Za-z][A-Za-z0-9_-]*) (\S+) ([A-Z0-9]+)$")
_CONT_RE = re.compile(r"^(\S+) ([A-Za-z][A-Za-z0-9_-]*) (\S+) ([A-Z0-9]+)$")
_NBMA_ONLY_RE = re.compile(r"^([0-9]+) (\S+)$")
_UPTIME_RE = re.compile(r"^(?:never|[0-9]+:[0-9]+:[0-9]+|(?:[0-9]+[ywdhm])+)$")
_UNKNOWN_NBMA = "UNKNOWN"
_NBMA_ALONE = "DMVPN NBMA address without its tunnel address line"
# Nothing read yet for the current NBMA peer (None is a known-unknown NBMA: "UNKNOWN").
_NO_NBMA = object()
_PROMPT_RE = re.compile(r"^[A-Za-z0-9._()-]+[#>] ?(?:(?:sh|show)\b|$)", re.IGNORECASE)
_PREAMBLE_RE = re.compile(
    r"^(?:Legend:|[A-Z][A-Z0-9]? - |# Ent|NHS Status:|UpDn Time|=+$|-+[ -]*$|Load for |Time source is |"
    r"No time source|T1 - |N - |C - )"
)
# Two-character codes first so that "DT2" reads as D + T2, not D + T + 2.
_ATTR_CODES = ("T1", "T2", "I2", "S", "D", "I", "N", "L", "X", "C", "B")


def _attributes(text: str) -> Optional[List[str]]:
    out = []
    index = 0
    while index < len(text):
        for code in _ATTR_CODES:
            if text.startswith(code, index):
                out.append(code)
                index += len(code)
                break
        else:
            return None
    return out


def parse_dmvpn(data: TextInput, problems: Optional[list] = None) -> List[Dict[str, Any]]:
    """Parse ``show dmvpn``; one dict per interface and peer tunnel address.

    Keys: ``interface``, ``af`` (``IPv4``/``IPv6`` NHRP details), ``type``
    (``Hub``, ``Spoke``...), ``entries`` (the ``# Ent`` count of the NBMA
    peer), ``nbma``, ``tunnel_addr`` (addresses), ``state`` (``UP``, ``IKE``,
    ``NHRP``, ``IPSEC``, ``DOWN``...), ``uptime`` (as printed, ``never`` kept),
    ``attrb`` (as printed, e.g. ``DT2``), ``attributes`` (decoded codes:
    ``["D", "T2"]``), ``static`` / ``dynamic`` (bools from S / D), ``line``.
    """
    lines = as_lines(data, "dmvpn input")
    if is_unsupported("\n".join(lines[:20])):
        raise UnsupportedCommand("device does not support this command (show dmvpn)")
    peers: List[Dict[str, Any]] = []
    interface: Optional[str] = None
    af: Optional[str] = None
    kind: Optional[str] = None
    nbma: Any = _NO_NBMA
    entries: Optional[int] = None
    # A long NBMA address printed alone, its tunnel address still to come: (line number, text).
    pending: Optional[tuple] = None
    recognised = False
    first_unknown = None

    def add(lineno: int, raw: str, tunnel: str, state: str, uptime: str, attrb: str) -> None:
        tunnel_addr = maybe_addr(tunnel)
        attributes = _attributes(attrb)
        if tunnel_addr is None or attributes is None or not _UPTIME_RE.match(uptime):
            problem(problems, lineno, "DMVPN peer row not understood", raw)
            return
        peers.append({
            "interface": interface, "af": af, "type": kind, "entries": entries, "nbma": nbma,
            "tunnel_addr": tunnel_addr, "state": state, "uptime": uptime, "attrb": attrb,
            "attributes": attributes, "static": "S" in attributes, "dynamic": "D" in attributes,
            "line": lineno,
        })

    for lineno, raw, line in collapsed_lines(lines, problems, MAX_LINE):
        match = _INTERFACE_RE.match(line)
        if match:
            if pending:
                problem(problems, pending[0], _NBMA_ALONE, pending[1])
            interface, af = match.group(1), match.group(2)
            kind, nbma, entries, pending = None, _NO_NBMA, None, None
            recognised = True
            continue
        if line.startswith("Type:"):
            match = _TYPE_RE.match(line)
            if match:
                kind = match.group(1)
            else:
                problem(problems, lineno, "unreadable Type line", raw)
            continue
        # Any Unicode digit makes a line row-like (so damage is reported); only ASCII ones are read.
        row_like = line[0].isdecimal()
        if row_like and line[0].isascii():
            match = _ROW_RE.match(line)
            if match and interface is not None:
                if pending:
                    problem(problems, pending[0], _NBMA_ALONE, pending[1])
                nbma = None if match.group(2) == _UNKNOWN_NBMA else maybe_addr(match.group(2))
                entries = int(match.group(1))
                pending = None
                if nbma is None and match.group(2) != _UNKNOWN_NBMA:
                    nbma = _NO_NBMA
                    problem(problems, lineno, "DMVPN peer NBMA address not understood", raw)
                    continue
                add(lineno, raw, match.group(3), match.group(4), match.group(5), match.group(6))
                continue
            match = _NBMA_ONLY_RE.match(line)
            if match and interface is not None and maybe_addr(match.group(2)) is not None:
                if pending:
                    problem(problems, pending[0], _NBMA_ALONE, pending[1])
                nbma = maybe_addr(match.group(2))
                entries = int(match.group(1))
                pending = (lineno, raw)
                continue
        match = _CONT_RE.match(line)
        if match and interface is not None and maybe_addr(match.group(1)) is not None:
            if nbma is _NO_NBMA:
                problem(problems, lineno, "DMVPN peer row without an NBMA address", raw)
                continue
            add(lineno, raw, match.group(1), match.group(2), match.group(3), match.group(4))
            pending = None
            continue
        if pending or (interface is not None and row_like):
            problem(problems, lineno, "DMVPN peer row not understood", raw)
            pending = None
            continue
        if _PREAMBLE_RE.match(line):
            recognised = True
            continue
        if interface is not None or _PROMPT_RE.match(line):
            continue
        if first_unknown is None:
            first_unknown = (lineno, line)
    if pending:
        problem(problems, pending[0], _NBMA_ALONE, pending[1])
    if not recognised and first_unknown is not None:
        raise ParseError(
            "input is not 'show dmvpn' output: line %d: %r" % (first_unknown[0], first_unknown[1][:80])
        )
    return peers
