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
    TableReader,
    TextInput,
    as_lines,
    check_supported,
    collapsed_lines,
    cached_addr as maybe_addr,
)

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


class _Reader(TableReader):
    """Where the parse is: the interface and the NBMA peer whose rows are being read."""

    def __init__(self, problems: Optional[list]) -> None:
        super(_Reader, self).__init__("show dmvpn", problems, _PREAMBLE_RE)
        self.peers: List[Dict[str, Any]] = []
        self.interface: Optional[str] = None
        self.af: Optional[str] = None
        self.kind: Optional[str] = None
        self.nbma: Any = _NO_NBMA
        self.entries: Optional[int] = None
        # A long NBMA address printed alone, its tunnel address still to come: (line number, text).
        self.pending: Optional[tuple] = None

    def flush(self) -> None:
        """An NBMA address alone whose tunnel address line never came is reported."""
        if self.pending:
            self.problem(self.pending[0], _NBMA_ALONE, self.pending[1])
        self.pending = None

    def add(self, lineno: int, raw: str, tunnel: str, state: str, uptime: str, attrb: str) -> None:
        tunnel_addr = maybe_addr(tunnel)
        attributes = _attributes(attrb)
        if tunnel_addr is None or attributes is None or not _UPTIME_RE.match(uptime):
            self.problem(lineno, "DMVPN peer row not understood", raw)
            return
        self.peers.append({
            "interface": self.interface, "af": self.af, "type": self.kind, "entries": self.entries,
            "nbma": self.nbma, "tunnel_addr": tunnel_addr, "state": state, "uptime": uptime, "attrb": attrb,
            "attributes": attributes, "static": "S" in attributes, "dynamic": "D" in attributes, "line": lineno,
        })


# -- line handlers: (reader, line number, raw line, collapsed line), True when the line was theirs ---------
def _interface(r: _Reader, lineno: int, raw: str, line: str) -> bool:
    match = _INTERFACE_RE.match(line) if line.startswith("Interface: ") else None
    if not match:
        return False
    r.flush()
    r.interface, r.af = match.group(1), match.group(2)
    r.kind, r.nbma, r.entries = None, _NO_NBMA, None
    r.recognised = True
    return True


def _type(r: _Reader, lineno: int, raw: str, line: str) -> bool:
    if not line.startswith("Type:"):
        return False
    match = _TYPE_RE.match(line)
    if match:
        r.kind = match.group(1)
    else:
        r.problem(lineno, "unreadable Type line", raw)
    return True


def _row(r: _Reader, lineno: int, raw: str, line: str) -> bool:
    """``# Ent NBMA tunnel state uptime attrb``, or a long NBMA address alone (``# Ent NBMA``)."""
    if not (line[0].isdecimal() and line[0].isascii()) or r.interface is None:
        return False
    match = _ROW_RE.match(line)
    if match:
        entries, nbma, tunnel, state, uptime, attrb = match.groups()
        r.flush()
        r.entries = int(entries)
        r.nbma = None if nbma == _UNKNOWN_NBMA else maybe_addr(nbma)
        if r.nbma is None and nbma != _UNKNOWN_NBMA:
            r.nbma = _NO_NBMA
            r.problem(lineno, "DMVPN peer NBMA address not understood", raw)
        else:
            r.add(lineno, raw, tunnel, state, uptime, attrb)
        return True
    match = _NBMA_ONLY_RE.match(line)
    if match and maybe_addr(match.group(2)) is not None:
        r.flush()
        r.nbma = maybe_addr(match.group(2))
        r.entries = int(match.group(1))
        r.pending = (lineno, raw)
        return True
    return False


def _continuation(r: _Reader, lineno: int, raw: str, line: str) -> bool:
    """``tunnel state uptime attrb``: another tunnel address of the NBMA peer above."""
    match = _CONT_RE.match(line) if r.interface is not None else None
    if not (match and maybe_addr(match.group(1)) is not None):
        return False
    if r.nbma is _NO_NBMA:
        r.problem(lineno, "DMVPN peer row without an NBMA address", raw)
        return True
    r.add(lineno, raw, *match.groups())
    r.pending = None
    return True


def _damaged(r: _Reader, lineno: int, raw: str, line: str) -> bool:
    # Any Unicode digit makes a line row-like (so damage is reported); only ASCII ones are read.
    if not (r.pending or (r.interface is not None and line[0].isdecimal())):
        return False
    r.problem(lineno, "DMVPN peer row not understood", raw)
    r.pending = None
    return True


# Tried in this order on every line; a line none takes goes to TableReader.other (inside an
# interface every other line is a legend or a header: "recognised" is already set there).
_LINE_HANDLERS = (_interface, _type, _row, _continuation, _damaged)


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
    check_supported("\n".join(lines[:20]), "show dmvpn")
    r = _Reader(problems)
    for lineno, raw, line in collapsed_lines(lines, problems):
        for handler in _LINE_HANDLERS:
            if handler(r, lineno, raw, line):
                break
        else:
            r.other(lineno, line)
    r.flush()
    r.finish()
    return r.peers
