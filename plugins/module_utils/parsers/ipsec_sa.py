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

import re
from typing import Any, Dict, List, Optional

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import (
    ParseError,
    TextInput,
    UnsupportedCommand,
    as_text,
    is_ascii_digits,
    is_unsupported,
    cached_addr as _cached_addr,
    parse_spi,
    problem,
)

MAX_LINE = 4096

# Applied to whitespace-collapsed text (single spaces, no tabs), so each " ?" is one optional blank.
_MAP_TAG_RE = re.compile(r"^([^,]*?) ?, ?local addr (\S+)$", re.IGNORECASE)
# _memo_match applies these to whitespace-collapsed text: each " ?" stands for any run of blanks.
_IDENT_RE = re.compile(r"^(local|remote) ident ?\(([A-Za-z/]+)\) ?: ?\(([0-9A-Fa-f.:/]+)\)$")
_FLAGS_RE = re.compile(r"^(PERMIT|DENY) ?, ?flags ?= ?\{([^}]*)\}$")
_NO_SA_RE = re.compile(r"^\(send\) ?:? ?([0-9]+) ?, ?#pkts invalid sa \(rcv\) ?:? ?([0-9]+)$")
_PFS_RE = re.compile(r"^PFS \(Y/N\): ?([YN])(?: ?, ?DH group ?: ?([^,]+?))? ?(?:,.*)?$")
_KEYWORDS: Dict[str, Any] = {
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
    "inbound esp sas:": ("inbound", "esp"),
    "inbound ah sas:": ("inbound", "ah"),
    "inbound pcp sas:": ("inbound", "pcp"),
    "outbound esp sas:": ("outbound", "esp"),
    "outbound ah sas:": ("outbound", "ah"),
    "outbound pcp sas:": ("outbound", "pcp"),
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
_PROMPT_RE = re.compile(r"^[A-Za-z0-9._()-]+[#>] ?(?:(?:sh|show)\b|$)", re.IGNORECASE)
_PREAMBLE_RE = re.compile(r"^(?:Load for |Time source is |No time source|No SAs found|There are no )", re.IGNORECASE)


_NOT_AVAILABLE = "[not available]"

_IDENT_CACHE: Dict[tuple, Optional[Dict[str, Any]]] = {}


def _ident(labels: str, values: str) -> Optional[Dict[str, Any]]:
    """Memoised _parse_ident; every call gets its own dict."""
    key = (labels, values)
    try:
        cached = _IDENT_CACHE[key]
    except KeyError:
        if len(_IDENT_CACHE) > 4096:
            _IDENT_CACHE.clear()
        cached = _IDENT_CACHE[key] = _parse_ident(labels, values)
    return None if cached is None else dict(cached)


def _parse_ident(labels: str, values: str) -> Optional[Dict[str, Any]]:
    """``(addr/mask/prot/port)`` + ``(10.0.0.0/255.0.0.0/0/0)`` -> dict.

    Labels are used to map the values since IPv6 releases print
    ``addr/prefixlen/...``; None when the two do not line up.
    """
    names = labels.lower().split("/")
    parts = values.split("/")
    if len(names) != len(parts) or len(parts) != 4:
        return None
    out: Dict[str, Any] = {}
    for name, value in zip(names, parts):
        if name == "addr":
            addr = _cached_addr(value)
            if addr is None:
                return None
            out["addr"] = addr
        elif name in ("mask", "prefixlen", "prefix"):
            if ":" in value or "." in value:
                mask = _cached_addr(value)
                if mask is None:
                    return None
                out["mask"] = mask
            elif is_ascii_digits(value):
                out["mask"] = value
            else:
                return None
        elif name in ("prot", "proto", "protocol", "port"):
            if not is_ascii_digits(value):
                return None
            out["port" if name == "port" else "prot"] = int(value)
        else:
            return None
    if set(out) != {"addr", "mask", "prot", "port"}:
        return None
    return out


def _new_block(interface: Optional[str], tag: Optional[str], local_addr: Optional[str], lineno: int) -> Dict[str, Any]:
    return {
        "interface": interface,
        "crypto_map_tag": tag,
        "local_addr": local_addr,
        "protected_vrf": None,
        "local_ident": None,
        "remote_ident": None,
        "peer": None,
        "peer_port": None,
        "action": None,
        "flags": [],
        "pkts_encaps": None,
        "pkts_decaps": None,
        "pkts_invalid_sa_rcv": None,
        "pkts_no_sa_send": None,
        "local_endpoint": None,
        "remote_endpoint": None,
        "current_outbound_spi": None,
        "pfs": None,
        "dh_group": None,
        "inbound_spis": [],
        "outbound_spis": [],
        "sas": [],
        "line": lineno,
    }


_MATCH_CACHE: Dict[tuple, Any] = {}


def _memo_match(pattern: "re.Pattern[str]", text: str) -> Any:
    """``pattern.match`` on the whitespace-collapsed text, memoised: these lines repeat on every block."""
    key = (pattern, text)
    try:
        return _MATCH_CACHE[key]
    except KeyError:
        pass
    if len(_MATCH_CACHE) > 1024:
        _MATCH_CACHE.clear()
    match = _MATCH_CACHE[key] = pattern.match(" ".join(text.split()))
    return match


def _spi(text: str) -> int:
    """parse_spi, with a fast path for the usual ``0x397C36EE(964441838)`` spelling."""
    value = text.strip()
    if value[:2] == "0x" and value[-1:] == ")":
        hex_part, _paren, dec_part = value[2:-1].partition("(")
        if 0 < len(hex_part) <= 8 and is_ascii_digits(dec_part) and hex_part.isascii() and hex_part.isalnum():
            try:
                number = int(hex_part, 16)
            except ValueError:
                number = -1
            if number == int(dec_part):
                return number
    # Anything unusual (no decimal, a space, a disagreement) gets the full check and its message.
    return parse_spi(text)


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
    if is_unsupported(text[:4000]):
        raise UnsupportedCommand("device does not support this command (show crypto ipsec sa)")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks: List[Dict[str, Any]] = []
    interface: Optional[str] = None
    tag: Optional[str] = None
    local_addr: Optional[str] = None
    block: Optional[Dict[str, Any]] = None
    section: Optional[tuple] = None
    sa: Optional[Dict[str, Any]] = None
    addr = _cached_addr
    keywords = _KEYWORDS
    # The SPIs already listed, per inbound/outbound list (by id): "spi not in list" was quadratic
    # when a filtered capture put tens of thousands of SAs in one block.
    listed: Dict[int, set] = {}
    # IPv6 releases print the local endpoint and the remote one on two lines: (block, line, text, address).
    pending_local: Optional[tuple] = None

    def start_block(lineno: int) -> Dict[str, Any]:
        new = _new_block(interface, tag, local_addr, lineno)
        blocks.append(new)
        return new

    # One findall gives a (keyword, rest) pair per line, in C; lines we do not
    # use (blank, IV size, compression counters...) come back as ("", "") and
    # cost one comparison here. Indentation never matters. The pair's index is
    # the line number.
    for lineno, (keyword, rest) in enumerate(_LINE_RE.findall("\n" + text), 1):
        if not keyword:
            continue
        if len(rest) > MAX_LINE:
            problem(problems, lineno, "line of %d characters is too long for this output" % len(rest),
                    keyword + rest)
            continue
        kind = keywords.get(keyword)
        if kind is None:
            # The same keyword with unusual inner whitespace ("local  ident", "current\toutbound spi :").
            kind = keywords.get(_canonical(keyword))
            if kind is None:
                continue
        if pending_local is not None and kind != "remote_endpoint":
            problem(problems, pending_local[1], "local crypto endpoint without its remote line", pending_local[2])
            pending_local = None
        if kind.__class__ is tuple:
            if block is None:
                block = start_block(lineno)
            section = kind
            sa = None
        elif kind == "status":
            if sa is not None:
                status = rest.split("(", 1)[0].strip()
                if status and status.isascii() and status.replace("_", "").replace("-", "").isalnum():
                    sa["status"] = status
        elif kind == "spi":
            # Attribute lines after an unreadable SPI must not land on the previous SA.
            sa = None
            if rest.strip().lower() == _NOT_AVAILABLE:
                # The device has no SPI to show for this SA (yet): nothing to read, nothing wrong.
                continue
            try:
                spi = _spi(rest)
            except ParseError as exc:
                problem(problems, lineno, "unreadable SPI: %s" % exc, keyword + rest)
                continue
            if block is None or section is None:
                problem(problems, lineno, "SPI outside an inbound/outbound SA section", keyword + rest)
                continue
            direction, proto = section[0], section[1]
            sa = {
                "direction": direction, "protocol": proto, "spi": spi, "transform": None, "mode": None,
                "remaining_kb": None, "remaining_sec": None, "status": None, "line": lineno,
            }
            block["sas"].append(sa)
            if proto != "pcp":
                spis = block["inbound_spis" if direction == "inbound" else "outbound_spis"]
                seen = listed.get(id(spis))
                if seen is None:
                    seen = listed[id(spis)] = set(spis)
                if spi not in seen:
                    seen.add(spi)
                    spis.append(spi)
        elif kind == "transform":
            if sa is not None:
                sa["transform"] = rest.strip().rstrip(" ,") or None
        elif kind == "settings":
            if sa is not None:
                sa["mode"] = rest.strip().strip("= {}").split(",", 1)[0].strip() or None
        elif kind == "timing":
            if sa is not None:
                parts = rest.split()
                value = parts[-1].strip("()") if parts else ""
                if len(parts) > 1 and parts[-2] == "(k/sec):" and "/" in value:
                    kbytes, _slash, seconds = value.partition("/")
                    if is_ascii_digits(kbytes) and is_ascii_digits(seconds):
                        sa["remaining_kb"] = int(kbytes)
                        sa["remaining_sec"] = int(seconds)
                elif len(parts) > 1 and parts[-2] == "(sec):" and is_ascii_digits(value):
                    sa["remaining_sec"] = int(value)
        elif kind == "encaps" or kind == "decaps":
            if block is None:
                block = start_block(lineno)
            value = rest.split(",", 1)[0].strip()
            if is_ascii_digits(value):
                block["pkts_" + kind] = int(value)
            else:
                problem(problems, lineno, "unreadable #pkts %s counter" % kind, keyword + rest)
        elif kind == "no_sa":
            if block is None:
                block = start_block(lineno)
            match = _memo_match(_NO_SA_RE, rest)
            if match:
                block["pkts_no_sa_send"] = int(match.group(1))
                block["pkts_invalid_sa_rcv"] = int(match.group(2))
            else:
                problem(problems, lineno, "unreadable no sa / invalid sa counters", keyword + rest)
        elif kind == "interface":
            parts = rest.split()
            if len(parts) != 1:
                problem(problems, lineno, "unreadable interface line", keyword + rest)
            interface = parts[0] if parts else None
            tag = local_addr = None
            block = section = sa = None
        elif kind == "map_tag":
            match = _MAP_TAG_RE.match(" ".join(rest.split()))
            if not match:
                problem(problems, lineno, "unreadable crypto map tag line", keyword + rest)
                continue
            # "(none)": SAs of a client policy (OSPFv3 authentication), no crypto map.
            tag = None if match.group(1) in ("", "(none)") else match.group(1)
            local_addr = addr(match.group(2))
            if local_addr is None:
                problem(problems, lineno, "crypto map local addr is not an address", keyword + rest)
            if block is not None and block["crypto_map_tag"] is None and not block["sas"]:
                block["crypto_map_tag"] = tag
                block["local_addr"] = local_addr
        elif kind == "vrf":
            block = start_block(lineno)
            section = sa = None
            parts = rest.split()
            if len(parts) == 1:
                block["protected_vrf"] = None if parts[0] == "(none)" else parts[0]
            else:
                problem(problems, lineno, "unreadable protected vrf line", keyword + rest)
        elif kind == "local_ident" or kind == "remote_ident":
            if kind == "local_ident" and (block is None or block["local_ident"] is not None or block["sas"]):
                # Releases without "protected vrf" start a block at the local ident.
                block = start_block(lineno)
                section = sa = None
            elif block is None:
                block = start_block(lineno)
            match = _memo_match(_IDENT_RE, keyword + rest)
            ident = _ident(match.group(2), match.group(3)) if match else None
            if ident is None:
                problem(problems, lineno, "unreadable %s" % kind.replace("_", " "), keyword + rest)
            else:
                block[kind] = ident
        elif kind == "endpoints":
            # "X, remote crypto endpt.: Y[, ...]" on one line, or "X," alone (IPv6) with the remote line next.
            parts = [part.strip() for part in rest.split(",")]
            local = addr(parts[0])
            remote_part = _canonical(parts[1]) if len(parts) > 1 else ""
            if block is None or local is None:
                problem(problems, lineno, "unreadable crypto endpoint line", keyword + rest)
            elif remote_part.startswith("remote crypto endpt.:"):
                remote = addr(remote_part[len("remote crypto endpt.:"):])
                if remote is None:
                    problem(problems, lineno, "unreadable crypto endpoint line", keyword + rest)
                else:
                    block["local_endpoint"] = local
                    block["remote_endpoint"] = remote
            elif remote_part or len(parts) > 2:
                problem(problems, lineno, "unreadable crypto endpoint line", keyword + rest)
            else:
                pending_local = (block, lineno, keyword + rest, local)
        elif kind == "remote_endpoint":
            if pending_local is None or pending_local[0] is not block:
                problem(problems, lineno, "remote crypto endpoint without its local line", keyword + rest)
                continue
            remote = addr(rest.split(",", 1)[0])
            if remote is None:
                problem(problems, lineno, "unreadable crypto endpoint line", keyword + rest)
            else:
                block["local_endpoint"] = pending_local[3]
                block["remote_endpoint"] = remote
            pending_local = None
        elif kind == "peer":
            if block is None:
                block = start_block(lineno)
            parts = rest.split()
            peer = addr(parts[0]) if len(parts) == 3 and parts[1] == "port" and is_ascii_digits(parts[2]) else None
            if peer is None:
                problem(problems, lineno, "unreadable current_peer line", keyword + rest)
            else:
                block["peer"] = peer
                block["peer_port"] = int(parts[2])
        elif kind == "action":
            match = _memo_match(_FLAGS_RE, keyword + rest)
            if match and block is not None:
                block["action"] = match.group(1)
                block["flags"] = [f.strip() for f in match.group(2).split(",") if f.strip()]
        elif kind == "current":
            if block is None:
                block = start_block(lineno)
            try:
                spi = _spi(rest)
            except ParseError as exc:
                problem(problems, lineno, "unreadable current outbound spi: %s" % exc, keyword + rest)
                continue
            # 0x0(0) is how IOS says "no SA negotiated for this ident".
            block["current_outbound_spi"] = spi or None
        elif kind == "pfs":
            match = _memo_match(_PFS_RE, keyword + rest)
            if match and block is not None:
                block["pfs"] = match.group(1) == "Y"
                dh_group = match.group(2)
                block["dh_group"] = None if dh_group in (None, "none") else dh_group
    if pending_local is not None:
        problem(problems, pending_local[1], "local crypto endpoint without its remote line", pending_local[2])
    if not blocks and interface is None:
        # Nothing of ours was found: tell an empty answer from another command's output.
        for number, raw in enumerate(text.split("\n"), 1):
            line = " ".join(raw[:MAX_LINE].split())
            if line and not (_PROMPT_RE.match(line) or _PREAMBLE_RE.match(line)):
                raise ParseError(
                    "input is not 'show crypto ipsec sa' output: line %d is not part of it: %r" % (number, line[:80])
                )
    return blocks
