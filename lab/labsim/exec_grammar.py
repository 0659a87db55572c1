"""The IOS exec command line's grammar: the commands the lab knows, abbreviations, arguments and output pipes.

Split from cli.py (the session: modes, prompts, handlers) to keep each file to one concern.
"""
from __future__ import annotations

import ipaddress
import re
from typing import Dict, List, Optional, Tuple

from .configtree import CliError, filter_section

# (pattern, handler, privilege).  [x] is optional; <addr>, <num>, <word>, <rest> are arguments.
EXEC_GRAMMAR: List[Tuple[str, str, int]] = [
    ("enable", "enable", 1), ("disable", "disable", 1), ("exit", "exit", 1), ("logout", "exit", 1),
    ("quit", "exit", 1),
    ("terminal length <num>", "terminal", 1), ("terminal width <num>", "terminal", 1),
    ("terminal monitor", "noop", 1), ("terminal no monitor", "noop", 1),
    ("show version", "show_version", 1), ("show privilege", "show_privilege", 1), ("show clock", "show_clock", 1),
    ("show running-config", "show_run", 15), ("show running-config <rest>", "show_run", 15),
    ("show startup-config", "show_start", 15), ("show logging", "show_logging", 15),
    ("show crypto ipsec sa [detail]", "show_ipsec_sa", 15),
    ("show crypto ipsec sa peer <addr> [detail]", "show_ipsec_sa", 15),
    ("show crypto isakmp sa [detail]", "show_isakmp_sa", 15),
    ("show crypto ikev2 sa [detail]", "show_ikev2_sa", 15),
    ("show crypto session [detail]", "show_session", 15),
    ("show crypto session remote <addr> [detail]", "show_session", 15),
    ("show dmvpn [detail]", "show_dmvpn", 15),
    ("show ip interface brief", "show_ip_int_brief", 1), ("show inventory", "show_inventory", 1),
    ("show platform", "show_platform", 15),
    ("show platform hardware qfp active statistics drop [clear]", "show_qfp_drop", 15),
    ("show platform hardware qfp active statistics drop all", "show_qfp_drop", 15),
    ("show platform hardware qfp active feature ipsec datapath drops [all]", "show_qfp_ipsec", 15),
    ("show platform hardware qfp active feature ipsec datapath drops clear", "show_qfp_ipsec", 15),
    ("configure terminal", "configure", 15),
    ("clear crypto sa", "clear_sa", 15), ("clear crypto sa peer <addr>", "clear_sa", 15),
    ("clear crypto session", "clear_session", 15), ("clear crypto session remote <addr>", "clear_session", 15),
    ("clear crypto isakmp", "noop", 15), ("clear crypto ikev2 sa", "noop", 15),
    ("clear logging", "clear_logging", 15),
    ("write memory", "write_mem", 15), ("write", "write_mem", 15),
    ("dir", "dir", 15), ("dir <rest>", "dir", 15), ("more <rest>", "more", 15), ("delete <rest>", "delete", 15),
    ("copy running-config startup-config", "copy_run_start", 15),
]

QFP_ONLY = ("show_qfp_drop", "show_qfp_ipsec")
PIPES = ["append", "begin", "count", "exclude", "format", "include", "redirect", "section", "tee"]


class _Node:
    __slots__ = ("kw", "params", "handler", "priv")

    def __init__(self) -> None:
        self.kw: Dict[str, "_Node"] = {}
        self.params: Dict[str, "_Node"] = {}
        self.handler: Optional[str] = None
        self.priv = 99


def _expand(pattern: str) -> List[List[str]]:
    out: List[List[str]] = [[]]
    for tok in pattern.split():
        if tok.startswith("[") and tok.endswith("]"):
            out = out + [o + [tok[1:-1]] for o in out]
        else:
            out = [o + [tok] for o in out]
    return out


def _build(grammar: List[Tuple[str, str, int]], qfp: bool) -> _Node:
    root = _Node()
    for pattern, handler, priv in grammar:
        if not qfp and "qfp" in pattern:
            continue
        for toks in _expand(pattern):
            node = root
            node.priv = min(node.priv, priv)
            for tok in toks:
                table = node.params if tok.startswith("<") else node.kw
                node = table.setdefault(tok, _Node())
                node.priv = min(node.priv, priv)
            node.handler = handler
    return root


_TREES: Dict[bool, _Node] = {}


def grammar_tree(qfp: bool) -> _Node:
    if qfp not in _TREES:
        _TREES[qfp] = _build(EXEC_GRAMMAR, qfp)
    return _TREES[qfp]


def _param_ok(kind: str, tok: str) -> bool:
    if kind == "<num>":
        return tok.isdigit() and int(tok) <= 512
    if kind == "<addr>":
        try:
            ipaddress.ip_address(tok)
            return True
        except ValueError:
            return False
    return True


def tokens(line: str) -> List[Tuple[str, int]]:
    return [(m.group(0), m.start()) for m in re.finditer(r"\S+", line)]


def parse_exec(line: str, priv: int, qfp: bool) -> Tuple[str, List[str]]:
    node = grammar_tree(qfp)
    words: List[str] = []
    toks = tokens(line)
    for i, (tok, pos) in enumerate(toks):
        low = tok.lower()
        visible = {k: n for k, n in node.kw.items() if n.priv <= priv}
        if low in visible:
            node = visible[low]
            words.append(low)
            continue
        hits = [k for k in visible if k.startswith(low)]
        if len(hits) == 1:
            node = visible[hits[0]]
            words.append(hits[0])
            continue
        if len(hits) > 1:
            raise CliError("ambiguous", pos)
        for kind, child in node.params.items():
            if child.priv <= priv and _param_ok(kind, tok):
                if kind == "<rest>":
                    return child.handler or "", words + [" ".join(tok_text for tok_text, _pos in toks[i:])]
                node = child
                words.append(tok)
                break
        else:
            raise CliError("invalid", pos)
    if node.handler is None:
        raise CliError("incomplete")
    return node.handler, words


def apply_pipe(text: str, pipe: str, offset: int) -> str:
    toks = tokens(pipe)
    if not toks:
        raise CliError("incomplete")
    word, pos = toks[0]
    hits = [p for p in PIPES if p.startswith(word.lower())]
    if len(hits) != 1:
        raise CliError("ambiguous" if hits else "invalid", offset + pos)
    kind = hits[0]
    arg = pipe[toks[1][1]:].rstrip() if len(toks) > 1 else ""
    if kind in ("include", "exclude", "begin", "section") and not arg:
        raise CliError("incomplete")
    try:
        rx = re.compile(arg) if arg else None
    except re.error:
        raise CliError("invalid", offset + toks[1][1])
    lines = text.split("\n")
    if kind == "include":
        return "\n".join(x for x in lines if rx.search(x))
    if kind == "exclude":
        return "\n".join(x for x in lines if not rx.search(x))
    if kind == "begin":
        for i, x in enumerate(lines):
            if rx.search(x):
                return "\n".join(lines[i:])
        return ""
    if kind == "section":
        return "\n".join(filter_section(lines, arg))
    if kind == "count":
        n = sum(1 for x in lines if (rx.search(x) if rx else True))
        return "Number of lines which match regexp = %d" % n
    raise CliError("invalid", offset + pos)
