# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``show crypto ipsec sa [detail]`` of IOS / IOS XE.

The output is a sequence of ``interface:`` sections, each with one block per
proxy identity pair (``local ident`` / ``remote ident``). A block lists the
peer, packet counters, the current outbound SPI and the SAs by direction and
protocol. During a rekey a block holds two inbound and two outbound SAs.

Lines are recognised by their leading keyword, never by indentation: real
captures are sometimes whitespace-stripped.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import (
    MAX_LINE,
    ParseError,
    TableReader,
    TextInput,
    as_text,
    check_supported,
    is_ascii_digits,
    cached_addr as _cached_addr,
    parse_spi,
)

# Applied to whitespace-collapsed text (single spaces, no tabs), so each " ?" is one optional blank.
_MAP_TAG_RE = re.compile(r"^([^,]*?) ?, ?local addr (\S+)$", re.IGNORECASE)
# Applied to whitespace-collapsed text too.
_IDENT_RE = re.compile(r"^(local|remote) ident ?\(([A-Za-z/]+)\) ?: ?\(([0-9A-Fa-f.:/]+)\)$")
_FLAGS_RE = re.compile(r"^(PERMIT|DENY) ?, ?flags ?= ?\{([^}]*)\}$")
_NO_SA_RE = re.compile(r"^\(send\) ?:? ?([0-9]+) ?, ?#pkts invalid sa \(rcv\) ?:? ?([0-9]+)$")
_PFS_RE = re.compile(r"^PFS \(Y/N\): ?([YN])(?: ?, ?DH group ?: ?([^,]+?))? ?(?:,.*)?$")
# Keyword -> kind of line; _HANDLERS reads each kind (an SA section kind is "direction/protocol").
_KEYWORDS: Dict[str, str] = {
    "interface:": "interface",
    "Crypto map tag:": "map_tag",
    "IPv6 Crypto map tag:": "map_tag",
    "protected vrf:": "vrf",
    "local ident": "local_ident",
    "remote ident": "remote_ident",
    "local crypto endpt.:": "endpoints",
    "remote crypto endpt.:": "remote_endpoint",
    "current_peer": "peer",
    "PERMIT,": "action",
    "DENY,": "action",
    "#pkts encaps:": "encaps",
    "#pkts decaps:": "decaps",
    "#pkts no sa": "no_sa",
    "current outbound spi:": "current",
    "PFS": "pfs",
    "inbound esp sas:": "inbound/esp",
    "inbound ah sas:": "inbound/ah",
    "inbound pcp sas:": "inbound/pcp",
    "outbound esp sas:": "outbound/esp",
    "outbound ah sas:": "outbound/ah",
    "outbound pcp sas:": "outbound/pcp",
    "spi:": "spi",
    "transform:": "transform",
    "in use settings": "settings",
    "sa timing:": "timing",
    "Status:": "status",
}


def _keyword_pattern(keyword: str) -> str:
    """``keyword`` as a regex that takes any run of blanks (spaces, tabs) between its words and
    before a final colon: a double space or a tab inside a keyword must not drop the field."""
    words = []
    for word in keyword.split(" "):
        if word.endswith(":") and len(word) > 1:
            words.append(re.escape(word[:-1]) + r"[ \t]*:")
        else:
            words.append(re.escape(word))
    return r"[ \t]+".join(words)


def _canonical(keyword: str) -> str:
    return " ".join(keyword.split()).replace(" :", ":")


# Every line (after a "\n") is one match: the keyword and the rest of the line
# when the line starts with a keyword we use, ("", "") otherwise. The only
# repetitions are blank runs ([ \t]*, before and inside keywords) and [^\n]*,
# each bounded by the line and never nested: linear (a 1 MB line of blanks is
# matched in about a millisecond; benchmarks/bench_tables.py checks it).
_LINE_RE = re.compile(
    r"\n[ \t]*(?:("
    + "|".join(_keyword_pattern(k) for k in sorted(_KEYWORDS, key=len, reverse=True))
    + r")([^\n]*))?[^\n]*"
)
_PREAMBLE_RE = re.compile(r"^(?:Load for |Time source is |No time source|No SAs found|There are no )", re.IGNORECASE)


_NOT_AVAILABLE = "[not available]"


# The same few idents repeat on every block of a large output: reading each text once saved about 8% of
# the time on a 200-peer output (benchmarks/bench_tables.py); lru_cache keeps that to one line.
@functools.lru_cache(maxsize=4096)
def _ident_items(line: str) -> Optional[Tuple[Tuple[str, Any], ...]]:
    """``local ident (addr/mask/prot/port): (10.0.0.0/255.0.0.0/0/0)`` -> the ident's (key, value) pairs.

    Labels are used to map the values since IPv6 releases print
    ``addr/prefixlen/...``; None when the two do not line up.
    """
    match = _IDENT_RE.match(_collapsed(line))
    if not match:
        return None
    names = match.group(2).lower().split("/")
    parts = match.group(3).split("/")
    if len(names) != len(parts) or len(parts) != 4:
        return None
    out: Dict[str, Any] = {}
    for name, value in zip(names, parts):
        if name == "addr":
            out["addr"] = _cached_addr(value)
        elif name in ("mask", "prefixlen", "prefix"):
            out["mask"] = _cached_addr(value) if ":" in value or "." in value else (
                value if is_ascii_digits(value) else None)
        elif name in ("prot", "proto", "protocol", "port") and is_ascii_digits(value):
            out["port" if name == "port" else "prot"] = int(value)
        else:
            return None
    if set(out) != {"addr", "mask", "prot", "port"} or out["addr"] is None or out["mask"] is None:
        return None
    return tuple(out.items())


# An SA section kind -> [direction, protocol].
_SECTIONS = {kind: kind.split("/") for kind in _KEYWORDS.values() if "/" in kind}


def _collapsed(text: str) -> str:
    return " ".join(text.split())


class _Reader(TableReader):
    """Where the parse is: the interface and crypto map heading the blocks, the block and SA section being read."""

    def __init__(self, problems: Optional[list]) -> None:
        super(_Reader, self).__init__("show crypto ipsec sa", problems, noise_re=_PREAMBLE_RE)
        self.blocks: List[Dict[str, Any]] = []
        self.interface: Optional[str] = None
        self.tag: Optional[str] = None
        self.local_addr: Optional[str] = None
        self.block: Optional[Dict[str, Any]] = None
        self.section: Optional[List[str]] = None
        self.sa: Optional[Dict[str, Any]] = None
        # The SPIs already listed, per inbound/outbound list (by id): "spi not in list" was quadratic
        # when a filtered capture put tens of thousands of SAs in one block.
        self.listed: Dict[int, set] = {}
        # IPv6 releases print the local endpoint and the remote one on two lines: (block, line, text, address).
        self.pending_local: Optional[tuple] = None

    def start_block(self, lineno: int) -> Dict[str, Any]:
        self.block = {
            "interface": self.interface, "crypto_map_tag": self.tag, "local_addr": self.local_addr,
            "protected_vrf": None, "local_ident": None, "remote_ident": None, "peer": None, "peer_port": None,
            "action": None, "flags": [], "pkts_encaps": None, "pkts_decaps": None, "pkts_invalid_sa_rcv": None,
            "pkts_no_sa_send": None, "local_endpoint": None, "remote_endpoint": None,
            "current_outbound_spi": None, "pfs": None, "dh_group": None, "inbound_spis": [], "outbound_spis": [],
            "sas": [], "line": lineno,
        }
        self.blocks.append(self.block)
        return self.block

    def list_spi(self, block: Dict[str, Any], direction: str, spi: int) -> None:
        spis = block["inbound_spis" if direction == "inbound" else "outbound_spis"]
        seen = self.listed.get(id(spis))
        if seen is None:
            seen = self.listed[id(spis)] = set(spis)
        if spi not in seen:
            seen.add(spi)
            spis.append(spi)


# -- handlers: (reader, line number, kind, keyword, rest of the line) -----------------------------------
def _section(r: _Reader, lineno: int, kind: str, keyword: str, rest: str) -> None:
    if r.block is None:
        r.start_block(lineno)
    r.section = _SECTIONS[kind]
    r.sa = None


def _spi_line(r: _Reader, lineno: int, kind: str, keyword: str, rest: str) -> None:
    # Attribute lines after an unreadable SPI must not land on the previous SA.
    r.sa = None
    if rest.strip().lower() == _NOT_AVAILABLE:
        return  # the device has no SPI to show for this SA (yet): nothing to read, nothing wrong
    try:
        spi = parse_spi(rest)
    except ParseError as exc:
        r.problem(lineno, "unreadable SPI: %s" % exc, keyword + rest)
        return
    if r.block is None or r.section is None:
        r.problem(lineno, "SPI outside an inbound/outbound SA section", keyword + rest)
        return
    direction, proto = r.section
    r.sa = {
        "direction": direction, "protocol": proto, "spi": spi, "transform": None, "mode": None,
        "remaining_kb": None, "remaining_sec": None, "status": None, "line": lineno,
    }
    r.block["sas"].append(r.sa)
    if proto != "pcp":
        r.list_spi(r.block, direction, spi)


def _transform(r: _Reader, lineno: int, kind: str, keyword: str, rest: str) -> None:
    if r.sa is not None:
        r.sa["transform"] = rest.strip().rstrip(" ,") or None


def _settings(r: _Reader, lineno: int, kind: str, keyword: str, rest: str) -> None:
    if r.sa is not None:
        r.sa["mode"] = rest.strip().strip("= {}").split(",", 1)[0].strip() or None


def _status(r: _Reader, lineno: int, kind: str, keyword: str, rest: str) -> None:
    status = rest.split("(", 1)[0].strip()
    if r.sa is not None and status and status.isascii() and status.replace("_", "").replace("-", "").isalnum():
        r.sa["status"] = status


def _timing(r: _Reader, lineno: int, kind: str, keyword: str, rest: str) -> None:
    sa = r.sa
    if sa is None:
        return
    parts = rest.split()
    value = parts[-1].strip("()") if parts else ""
    if len(parts) > 1 and parts[-2] == "(k/sec):" and "/" in value:
        kbytes, _slash, seconds = value.partition("/")
        if is_ascii_digits(kbytes) and is_ascii_digits(seconds):
            sa["remaining_kb"] = int(kbytes)
            sa["remaining_sec"] = int(seconds)
    elif len(parts) > 1 and parts[-2] == "(sec):" and is_ascii_digits(value):
        sa["remaining_sec"] = int(value)


def _counter(r: _Reader, lineno: int, kind: str, keyword: str, rest: str) -> None:
    block = r.block or r.start_block(lineno)
    if kind == "no_sa":
        match = _NO_SA_RE.match(_collapsed(rest))
        if match:
            block["pkts_no_sa_send"] = int(match.group(1))
            block["pkts_invalid_sa_rcv"] = int(match.group(2))
        else:
            r.problem(lineno, "unreadable no sa / invalid sa counters", keyword + rest)
        return
    value = rest.split(",", 1)[0].strip()
    if is_ascii_digits(value):
        block["pkts_" + kind] = int(value)
    else:
        r.problem(lineno, "unreadable #pkts %s counter" % kind, keyword + rest)


def _interface(r: _Reader, lineno: int, kind: str, keyword: str, rest: str) -> None:
    parts = rest.split()
    if len(parts) != 1:
        r.problem(lineno, "unreadable interface line", keyword + rest)
    r.interface = parts[0] if parts else None
    r.tag = r.local_addr = None
    r.block = r.section = r.sa = None


def _map_tag(r: _Reader, lineno: int, kind: str, keyword: str, rest: str) -> None:
    match = _MAP_TAG_RE.match(_collapsed(rest))
    if not match:
        r.problem(lineno, "unreadable crypto map tag line", keyword + rest)
        return
    # "(none)": SAs of a client policy (OSPFv3 authentication), no crypto map.
    r.tag = None if match.group(1) in ("", "(none)") else match.group(1)
    r.local_addr = _cached_addr(match.group(2))
    if r.local_addr is None:
        r.problem(lineno, "crypto map local addr is not an address", keyword + rest)
    block = r.block
    if block is not None and block["crypto_map_tag"] is None and not block["sas"]:
        block["crypto_map_tag"] = r.tag
        block["local_addr"] = r.local_addr


def _vrf(r: _Reader, lineno: int, kind: str, keyword: str, rest: str) -> None:
    block = r.start_block(lineno)
    r.section = r.sa = None
    parts = rest.split()
    if len(parts) == 1:
        block["protected_vrf"] = None if parts[0] == "(none)" else parts[0]
    else:
        r.problem(lineno, "unreadable protected vrf line", keyword + rest)


def _ident_line(r: _Reader, lineno: int, kind: str, keyword: str, rest: str) -> None:
    block = r.block
    if kind == "local_ident" and (block is None or block["local_ident"] is not None or block["sas"]):
        # Releases without "protected vrf" start a block at the local ident.
        block = r.start_block(lineno)
        r.section = r.sa = None
    elif block is None:
        block = r.start_block(lineno)
    items = _ident_items(keyword + rest)
    if items is None:
        r.problem(lineno, "unreadable %s" % kind.replace("_", " "), keyword + rest)
    else:
        block[kind] = dict(items)


def _endpoints(r: _Reader, lineno: int, kind: str, keyword: str, rest: str) -> None:
    """"X, remote crypto endpt.: Y[, ...]" on one line, or "X," alone (IPv6) with the remote line next."""
    parts = [part.strip() for part in rest.split(",")]
    local = _cached_addr(parts[0])
    remote_part = _canonical(parts[1]) if len(parts) > 1 else ""
    if r.block is None or local is None:
        r.problem(lineno, "unreadable crypto endpoint line", keyword + rest)
    elif remote_part.startswith("remote crypto endpt.:"):
        remote = _cached_addr(remote_part[len("remote crypto endpt.:"):])
        if remote is None:
            r.problem(lineno, "unreadable crypto endpoint line", keyword + rest)
        else:
            r.block["local_endpoint"] = local
            r.block["remote_endpoint"] = remote
    elif remote_part or len(parts) > 2:
        r.problem(lineno, "unreadable crypto endpoint line", keyword + rest)
    else:
        r.pending_local = (r.block, lineno, keyword + rest, local)


def _remote_endpoint(r: _Reader, lineno: int, kind: str, keyword: str, rest: str) -> None:
    pending, block = r.pending_local, r.block
    if pending is None or block is None or pending[0] is not block:
        r.problem(lineno, "remote crypto endpoint without its local line", keyword + rest)
        return
    r.pending_local = None
    remote = _cached_addr(rest.split(",", 1)[0])
    if remote is None:
        r.problem(lineno, "unreadable crypto endpoint line", keyword + rest)
    else:
        block["local_endpoint"] = pending[3]
        block["remote_endpoint"] = remote


def _peer(r: _Reader, lineno: int, kind: str, keyword: str, rest: str) -> None:
    block = r.block or r.start_block(lineno)
    parts = rest.split()
    peer = _cached_addr(parts[0]) if len(parts) == 3 and parts[1] == "port" and is_ascii_digits(parts[2]) else None
    if peer is None:
        r.problem(lineno, "unreadable current_peer line", keyword + rest)
    else:
        block["peer"] = peer
        block["peer_port"] = int(parts[2])


def _action(r: _Reader, lineno: int, kind: str, keyword: str, rest: str) -> None:
    match = _FLAGS_RE.match(_collapsed(keyword + rest))
    if match and r.block is not None:
        r.block["action"] = match.group(1)
        r.block["flags"] = [f.strip() for f in match.group(2).split(",") if f.strip()]


def _current_spi(r: _Reader, lineno: int, kind: str, keyword: str, rest: str) -> None:
    block = r.block or r.start_block(lineno)
    try:
        spi = parse_spi(rest)
    except ParseError as exc:
        r.problem(lineno, "unreadable current outbound spi: %s" % exc, keyword + rest)
        return
    # 0x0(0) is how IOS says "no SA negotiated for this ident".
    block["current_outbound_spi"] = spi or None


def _pfs(r: _Reader, lineno: int, kind: str, keyword: str, rest: str) -> None:
    match = _PFS_RE.match(_collapsed(keyword + rest))
    if match and r.block is not None:
        r.block["pfs"] = match.group(1) == "Y"
        dh_group = match.group(2)
        r.block["dh_group"] = None if dh_group in (None, "none") else dh_group


_HANDLERS: Dict[str, Callable[[_Reader, int, str, str, str], None]] = {
    "interface": _interface, "map_tag": _map_tag, "vrf": _vrf, "local_ident": _ident_line,
    "remote_ident": _ident_line, "endpoints": _endpoints, "remote_endpoint": _remote_endpoint, "peer": _peer,
    "action": _action, "encaps": _counter, "decaps": _counter, "no_sa": _counter, "current": _current_spi,
    "pfs": _pfs, "spi": _spi_line, "transform": _transform, "settings": _settings,
    "timing": _timing, "status": _status,
}
_HANDLERS.update((kind, _section) for kind in _KEYWORDS.values() if "/" in kind)
# Each keyword as _LINE_RE captures it -> (kind, handler): one lookup per line.
_DISPATCH = {keyword: (kind, _HANDLERS[kind]) for keyword, kind in _KEYWORDS.items()}


def parse_ipsec_sas(data: TextInput, problems: Optional[list] = None) -> List[Dict[str, Any]]:
    """Parse ``show crypto ipsec sa [detail]``; one dict per interface/ident block.

    Keys: ``interface``, ``crypto_map_tag``, ``local_addr``, ``protected_vrf``,
    ``local_ident`` / ``remote_ident`` (``{addr, mask, prot, port}`` or None),
    ``peer``, ``peer_port``, ``action`` (``PERMIT``/``DENY``), ``flags``,
    ``pkts_encaps``, ``pkts_decaps``, ``pkts_invalid_sa_rcv``,
    ``pkts_no_sa_send`` (ints, None when not printed), ``local_endpoint``,
    ``remote_endpoint``, ``current_outbound_spi`` (int; None for ``0x0(0)``),
    ``pfs``, ``dh_group``, ``inbound_spis`` / ``outbound_spis`` (ESP and AH
    SPIs as ints, in printed order), ``sas`` (one dict per SA: ``direction``,
    ``protocol``, ``spi``, ``transform``, ``mode``,
    ``remaining_kb``, ``remaining_sec``, ``status``) and ``line`` (1-based line
    where the block starts).
    """
    text = as_text(data, "ipsec_sas input")
    check_supported(text[:4000], "show crypto ipsec sa")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    r = _Reader(problems)
    # One findall gives a (keyword, rest) pair per line, in C; lines we do not
    # use (blank, IV size, compression counters...) come back as ("", "") and
    # cost one comparison here. Indentation never matters. The pair's index is
    # the line number.
    for lineno, (keyword, rest) in enumerate(_LINE_RE.findall("\n" + text), 1):
        if not keyword:
            continue
        if len(rest) > MAX_LINE:
            r.problem(lineno, "line of %d characters is too long for this output" % len(rest), keyword + rest)
            continue
        # The same keyword may come with unusual inner whitespace ("local  ident", "current\toutbound spi :").
        found = _DISPATCH.get(keyword) or _DISPATCH.get(_canonical(keyword))
        if found is None:
            continue
        kind, handler = found
        if r.pending_local is not None and kind != "remote_endpoint":
            r.problem(r.pending_local[1], "local crypto endpoint without its remote line", r.pending_local[2])
            r.pending_local = None
        handler(r, lineno, kind, keyword, rest)
    if r.pending_local is not None:
        r.problem(r.pending_local[1], "local crypto endpoint without its remote line", r.pending_local[2])
    if not r.blocks and r.interface is None:
        # Nothing of ours was found: tell an empty answer from another command's output.
        for number, raw in enumerate(text.split("\n"), 1):
            line = _collapsed(raw[:MAX_LINE])
            if line:
                r.other(number, line)
                if r.first_unknown is not None:
                    break
        r.finish()
    return r.blocks
