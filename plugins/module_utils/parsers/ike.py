# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IKE SAs from ``show crypto isakmp sa [detail]`` and ``show crypto ikev2 sa [detail]``.

Which command produced the text is told line by line from the row shapes, so
both may even be concatenated:

* IKEv1: ``dst src state conn-id [slot] status [(deleted)] [word]`` rows (the
  trailing word some releases print is read past), or with ``detail``
  ``C-id Local Remote [I-VRF] Status Encr Hash Auth DH Lifetime [Cap.]`` rows;
  classic IOS prints IPv6 SAs one field per line (``dst:``, ``src:``,
  ``state: ... conn-id: ... status: ...``).
* IKEv2: ``Tunnel-id Local/port Remote/port fvrf/ivrf Status`` rows, or (IPv6
  and some releases) ``Tunnel-id fvrf/ivrf Status`` followed by ``Local addr/port``
  and ``Remote addr/port`` lines; ``detail`` adds indented attribute lines,
  among them ``Remote subnets:`` followed by one ``addr mask`` line each.

IKEv2 ``Local spi`` / ``Remote spi`` are 64-bit IKE SPIs: they are kept as hex
strings under ``ike_spi_local`` / ``ike_spi_remote`` and must never be compared
with ESP SPIs.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import (
    TableReader,
    TextInput,
    as_lines,
    check_supported,
    collapsed_lines,
    is_ascii_digits,
    problem,
    cached_addr as maybe_addr,
    remote_subnet_line,
)

# Applied to whitespace-collapsed lines; ASCII digit classes ("\\d" takes Arabic-Indic or fullwidth digits).
_AF_RE = re.compile(r"^(IPv4|IPv6) Crypto (ISAKMP|IKEv2) SA$", re.IGNORECASE)
# Older releases print a "slot" column between conn-id and status. Some print one more word after the
# status (``1004 ACTIVE VPN``), documented nowhere: read past, never guessed into a key (e.g. a VRF).
_V1_ROW_RE = re.compile(r"^(\S+) (\S+) ([A-Z][A-Z0-9_]*) ([0-9]+)(?: [0-9]+)? ([A-Z][A-Z_-]*)( ?\(deleted\))?"
                        r"(?: [A-Za-z0-9][A-Za-z0-9_.:/-]{0,63})?$")
_V1_DETAIL_ROW_RE = re.compile(r"^([0-9]+) (\S+) (\S+) (.*)$")
_LIFETIME_RE = re.compile(r"^[0-9]+:[0-9]+:[0-9]+$")
_ENGINE_RE = re.compile(r"^Engine-id:Conn-id = (\S+)$")
# "[^ /]+" before and after a "/": with "\S+" a token of many slashes made two repetitions meet at every
# slash (a 4 kB line of "a/a/a..." took 2.5 ms per pattern; 1 MB of them 2 s).
_V2_ROW_RE = re.compile(r"^([0-9]+) ([^ /]+)/([0-9]+) ([^ /]+)/([0-9]+) ([^ /]+)/([^ /]+) ([A-Z][A-Z_-]*)$")
_V2_SHORT_ROW_RE = re.compile(r"^([0-9]+) ([^ /]+)/([^ /]+) ([A-Z][A-Z_-]*)$")
# Classic IOS, IPv6 section: one SA over three lines.
_V1_MULTI_DST_RE = re.compile(r"^(dst|src): (\S+)$")
_V1_MULTI_STATE_RE = re.compile(r"^state: ([A-Z][A-Z0-9_]*) conn-id: ([0-9]+) status: ([A-Z][A-Z_-]*)( ?\(deleted\))?$")
_V2_END_RE = re.compile(r"^(Local|Remote) ([^ /]+)/([0-9]+)$")
_V2_SPI_RE = re.compile(r"^Local spi: ([0-9A-Fa-f]{1,16}) Remote spi: ([0-9A-Fa-f]{1,16})$")
_DPD_RE = re.compile(r"^DPD configured for ([0-9]+) seconds, retry ([0-9]+)")
_DPD_OFF_RE = re.compile(r"^DPD (?:disabled|not configured)")
_LIFE_RE = re.compile(r"^Life/Active Time: ([0-9]+)/([0-9]+) sec")
_SESSION_RE = re.compile(r"^CE id: ([0-9]+), Session-id: ([0-9]+)")
_ENCR_RE = re.compile(r"^Encr: ([^,]+), keysize: ([0-9]+), PRF: ([^,]+), Hash: ([^,]+), DH Grp:([0-9]+)")
_ID_RE = re.compile(r"^(Local|Remote) id: (.+)$")
_STATUS_DESC_RE = re.compile(r"^Status Description: (.+)$")
_INITIATOR_RE = re.compile(r"^Initiator of SA : (Yes|No)$")
_NAT_RE = re.compile(r"^NAT-T is (not )?detected")
_HEADER_RE = re.compile(
    r"^(?:dst src state conn-id (?:slot )?status|C-id Local Remote|Tunnel-id (?:Local|fvrf/ivrf)|Codes:|"
    r"Load for |Time source is |No time source|[A-Za-z]+ - |There are no |No IKE)",
    re.IGNORECASE,
)


def _ikev2(tunnel_id: str, af: Optional[str], lineno: int, **fields: Any) -> Dict[str, Any]:
    row = {
        "version": "ikev2", "af": af, "tunnel_id": int(tunnel_id), "local": None, "local_port": None,
        "remote": None, "remote_port": None, "fvrf": None, "ivrf": None, "state": None, "status": None,
        "dpd": None, "line": lineno,
    }
    row.update(fields)
    return row


def _vrf(value: str) -> Optional[str]:
    return None if value in ("none", "(none)", "") else value


def _resolve_ends(row: Dict[str, Any], local_set: Optional[set]) -> None:
    """Fill local/remote of an IKEv1 dst/src row when the router's own addresses are known.

    ``show crypto isakmp sa`` prints dst/src of the IKE exchange: which one is
    this router cannot be told from the row alone, so without ``local_addresses``
    both stay None rather than guessed.
    """
    if not local_set:
        return
    dst_local = row["dst"] in local_set
    src_local = row["src"] in local_set
    if dst_local and not src_local:
        row["local"], row["remote"] = row["dst"], row["src"]
    elif src_local and not dst_local:
        row["local"], row["remote"] = row["src"], row["dst"]


class _Reader(TableReader):
    """Where the parse is: the section's address family, the SA whose detail lines follow, and the
    IPv6 ISAKMP SA or the remote subnets list being read over several lines."""

    def __init__(self, problems: Optional[list], local_set: Optional[set]) -> None:
        super(_Reader, self).__init__("show crypto isakmp sa' or 'show crypto ikev2 sa", problems, _HEADER_RE)
        self.local_set = local_set
        self.rows: List[Dict[str, Any]] = []
        self.af: Optional[str] = None
        self.current: Optional[Dict[str, Any]] = None
        # An IPv6 ISAKMP SA being read over its dst/src/state lines: {"dst", "src", "line", "text", "bad"}.
        self.multi: Optional[Dict[str, Any]] = None
        # Inside "Remote subnets:" of an IKEv2 SA (detail): that SA.
        self.subnets: Optional[Dict[str, Any]] = None

    def add(self, row: Optional[Dict[str, Any]]) -> bool:
        self.current = row
        if row is not None:
            self.rows.append(row)
            self.recognised = True
        return True


# -- line handlers: each takes (reader, line number, raw line, collapsed line), True when the line was its --
def _multiline(r: _Reader, lineno: int, raw: str, line: str) -> bool:
    piece = line.startswith(_MULTI_STARTS)
    if r.multi is None and not piece:
        return False
    r.multi, row = _v1_multiline(r.multi, line, raw, lineno, r.af, r.problems)
    if row is not None:
        _resolve_ends(row, r.local_set)
        return r.add(row)
    return r.multi is not None or piece


def _af_header(r: _Reader, lineno: int, raw: str, line: str) -> bool:
    # "IPv4"/"IPv6" in any case: no other character folds to 'v' (IGNORECASE), so this skips no header
    match = _AF_RE.match(line) if line[2:3] in ("v", "V") else None
    if not match:
        return False
    r.af = "IPv4" if match.group(1).lower() == "ipv4" else "IPv6"
    r.current = None
    r.recognised = True
    return True


def _ikev2_row(r: _Reader, lineno: int, raw: str, line: str) -> bool:
    match = _V2_ROW_RE.match(line)
    if match:
        local, remote = maybe_addr(match.group(2)), maybe_addr(match.group(4))
        if local is None or remote is None:
            r.problem(lineno, "IKEv2 row with an unreadable address", raw)
            return r.add(None)
        return r.add(_ikev2(match.group(1), r.af, lineno, local=local, local_port=int(match.group(3)), remote=remote,
                            remote_port=int(match.group(5)), fvrf=_vrf(match.group(6)), ivrf=_vrf(match.group(7)),
                            state=match.group(8), status=match.group(8)))
    match = _V2_SHORT_ROW_RE.match(line)
    if match and maybe_addr(match.group(2)) is None:
        return r.add(_ikev2(match.group(1), r.af, lineno, fvrf=_vrf(match.group(2)), ivrf=_vrf(match.group(3)),
                            state=match.group(4), status=match.group(4)))
    return False


def _ikev1_row(r: _Reader, lineno: int, raw: str, line: str) -> bool:
    match = _V1_ROW_RE.match(line)
    if match:
        dst, src = maybe_addr(match.group(1)), maybe_addr(match.group(2))
        if dst is None or src is None:
            r.problem(lineno, "ISAKMP SA row with an unreadable address", raw)
            return r.add(None)
        row = {
            "version": "ikev1", "af": r.af, "dst": dst, "src": src, "local": None, "remote": None,
            "state": match.group(3), "conn_id": int(match.group(4)), "status": match.group(5),
            "deleted": bool(match.group(6)), "dpd": None, "line": lineno,
        }
        _resolve_ends(row, r.local_set)
        return r.add(row)
    if not line[0].isdecimal():
        return False
    match = _V1_DETAIL_ROW_RE.match(line)
    detail = _v1_detail(match, r.af, lineno) if match else None
    if detail is None:
        r.problem(lineno, "ISAKMP SA detail row not understood" if match else "IKE SA row not understood", raw)
    return r.add(detail)


def _row(r: _Reader, lineno: int, raw: str, line: str) -> bool:
    """A table row: it starts with a number (IKEv1 C-id, IKEv2 tunnel id) or an address (IKEv1 dst)."""
    first = line[0]
    if not (first.isdecimal() or (first in "abcdefABCDEF:" and ":" in line[:40])):
        return False
    return _ikev2_row(r, lineno, raw, line) or _ikev1_row(r, lineno, raw, line)


def _detail(r: _Reader, lineno: int, raw: str, line: str) -> bool:
    """An attribute line of the SA read last."""
    current = r.current
    if current is None:
        return False
    if current["version"] == "ikev1":
        match = _ENGINE_RE.match(line)
        if match:
            current["engine_conn_id"] = None if "?" in match.group(1) else match.group(1)
        return bool(match)
    if line == "Remote subnets:":
        r.subnets = current
        return True
    if _ikev2_detail(current, line):
        return True
    match = _V2_END_RE.match(line)
    if not match:
        return False
    addr = maybe_addr(match.group(2))
    if addr is None:
        r.problem(lineno, "IKEv2 %s address not understood" % match.group(1).lower(), raw)
        return True
    side = match.group(1).lower()
    current[side] = addr
    current[side + "_port"] = int(match.group(3))
    return True


# Tried in this order on every line (after _subnet and _multiline); a line none takes goes to TableReader.other.
_LINE_HANDLERS = (_af_header, _row, _detail)
_MULTI_STARTS = ("dst: ", "src: ", "state: ")


def parse_ike_sas(
    data: TextInput,
    problems: Optional[list] = None,
    local_addresses: Optional[Iterable[str]] = None,
) -> List[Dict[str, Any]]:
    """Parse ``show crypto isakmp sa [detail]`` or ``show crypto ikev2 sa [detail]``.

    Every row: ``version`` (``ikev1``/``ikev2``), ``af`` (``IPv4``/``IPv6`` when a
    section header says so), ``local``, ``remote`` (addresses, no port),
    ``state`` (IKEv1 ``QM_IDLE``, ``MM_NO_STATE``...; IKEv2 the status),
    ``status`` (as printed: ``ACTIVE``, ``READY``...), ``dpd`` (bool, None when not
    shown), ``line``.

    IKEv1 summary rows also have ``dst``, ``src``, ``conn_id``, ``deleted``;
    ``local``/``remote`` are only set there when ``local_addresses`` (this
    router's own addresses) tells which end is local. IKEv1 detail rows have
    ``conn_id``, ``ivrf``, ``encr``, ``hash``, ``auth``, ``dh_group``,
    ``lifetime``, ``capabilities``, ``engine_conn_id`` (no state is printed
    there, so ``state`` is None). IKEv2 rows have ``tunnel_id``,
    ``local_port``, ``remote_port``, ``fvrf``, ``ivrf`` and, with detail,
    ``ike_spi_local``/``ike_spi_remote`` (64-bit IKE SPIs as hex strings,
    never ESP SPIs), ``dpd_interval``, ``dpd_retry``, ``lifetime``,
    ``active_time``, ``session_id``, ``local_id``, ``remote_id``,
    ``status_description``, ``initiator``, ``nat_t``, ``encr``, ``prf``,
    ``hash``, ``dh_group``.
    """
    lines = as_lines(data, "ike_sas input")
    check_supported("\n".join(lines[:20]), "show crypto isakmp/ikev2 sa")
    local_set = None
    if local_addresses is not None:
        if isinstance(local_addresses, str):
            local_addresses = [local_addresses]
        local_set = {a for a in (maybe_addr(x) if isinstance(x, str) else None for x in local_addresses) if a}
    r = _Reader(problems, local_set)
    for lineno, raw, line in collapsed_lines(lines, problems):
        # The two multi-line readers only when one is open or the line starts one (most lines do not).
        if r.subnets is not None and remote_subnet_line(r, lineno, raw, line):
            continue
        if (r.multi is not None or line.startswith(_MULTI_STARTS)) and _multiline(r, lineno, raw, line):
            continue
        for handler in _LINE_HANDLERS:
            if handler(r, lineno, raw, line):
                break
        else:
            # Other detail lines (fragmentation, SGT...) carry nothing we use.
            r.other(lineno, line)
    if r.multi is not None:
        r.problem(r.multi["line"], "ISAKMP SA without its src and state lines", r.multi["text"])
    r.finish()
    return r.rows


def _v1_detail(match: "re.Match[str]", af: Optional[str], lineno: int) -> Optional[Dict[str, Any]]:
    local, remote = maybe_addr(match.group(2)), maybe_addr(match.group(3))
    if local is None or remote is None:
        return None
    rest = match.group(4).split(" ")
    # Anchor on the lifetime (hh:mm:ss): the I-VRF column before it may be empty.
    life = next((i for i, tok in enumerate(rest) if _LIFETIME_RE.match(tok)), None)
    if life is None or life < 5 or life > 6:
        return None
    status, encr, hash_, auth, dh = rest[life - 5:life]
    if not is_ascii_digits(dh):
        return None
    caps = "".join(rest[life + 1:])
    return {
        "version": "ikev1",
        "af": af,
        "conn_id": int(match.group(1)),
        "local": local,
        "remote": remote,
        "ivrf": rest[0] if life == 6 else None,
        "state": None,
        "status": status,
        "encr": encr,
        "hash": hash_,
        "auth": auth,
        "dh_group": int(dh),
        "lifetime": rest[life],
        "capabilities": caps,
        "dpd": "D" in caps,
        "engine_conn_id": None,
        "line": lineno,
    }


def _v1_multiline(multi: Optional[Dict[str, Any]], line: str, raw: str, lineno: int, af: Optional[str],
                  problems: Optional[list]) -> tuple:
    """One line of an IPv6 ISAKMP SA printed as ``dst:`` / ``src:`` / ``state:`` lines.

    Returns the SA still being read (or None) and the finished row (or None).
    An SA cut short, or a piece out of order, is reported once.
    """
    match = _V1_MULTI_DST_RE.match(line)
    kind = match.group(1) if match else ("state" if line.startswith("state: ") else None)
    expected = "dst" if multi is None else ("src" if "src" not in multi else "state")
    if kind != expected:
        if multi is not None:
            problem(problems, multi["line"], "ISAKMP SA without its src and state lines", multi["text"])
            if kind != "dst":
                return None, None
            multi = None
        elif kind is not None:
            problem(problems, lineno, "ISAKMP SA %s line without its dst line" % kind, raw)
            return None, None
        else:
            return None, None
    if match:
        if multi is None:
            multi = {"line": lineno, "text": raw, "bad": False}
        addr = maybe_addr(match.group(2))
        if addr is None and not multi["bad"]:
            problem(problems, lineno, "ISAKMP SA %s address not understood" % kind, raw)
            multi["bad"] = True
        multi[kind] = addr
        return multi, None
    if multi is None or multi["bad"]:
        return None, None
    state = _V1_MULTI_STATE_RE.match(line)
    if not state:
        problem(problems, lineno, "ISAKMP SA state line not understood", raw)
        return None, None
    return None, {
        "version": "ikev1", "af": af, "dst": multi["dst"], "src": multi["src"], "local": None, "remote": None,
        "state": state.group(1), "conn_id": int(state.group(2)), "status": state.group(3),
        "deleted": bool(state.group(4)), "dpd": None, "line": multi["line"],
    }


def _dpd(row: Dict[str, Any], match: "re.Match[str]") -> None:
    row["dpd_interval"] = int(match.group(1))
    row["dpd_retry"] = int(match.group(2))
    # "DPD configured for 0 seconds" is how IOS prints DPD switched off.
    row["dpd"] = row["dpd_interval"] > 0


def _encr(row: Dict[str, Any], match: "re.Match[str]") -> None:
    row.update(encr=match.group(1), keysize=int(match.group(2)), prf=match.group(3), hash=match.group(4),
               dh_group=int(match.group(5)))


def _ident(row: Dict[str, Any], match: "re.Match[str]") -> None:
    row[match.group(1).lower() + "_id"] = match.group(2)


# IKEv2 detail lines: first word -> (pattern, what the line sets on its SA), tried in this order.
_Apply = Callable[[Dict[str, Any], "re.Match[str]"], None]
_IKEV2_DETAIL: Dict[str, Tuple[Tuple["re.Pattern[str]", _Apply], ...]] = {
    "Local": (
        (_V2_SPI_RE, lambda row, m: row.update(ike_spi_local=m.group(1).upper(), ike_spi_remote=m.group(2).upper())),
        (_ID_RE, _ident),
    ),
    "Remote": ((_ID_RE, _ident),),
    "DPD": ((_DPD_RE, _dpd), (_DPD_OFF_RE, lambda row, m: row.update(dpd=False))),
    "Life/Active": ((_LIFE_RE, lambda row, m: row.update(lifetime=int(m.group(1)), active_time=int(m.group(2)))),),
    "CE": ((_SESSION_RE, lambda row, m: row.update(session_id=int(m.group(2)))),),
    "Encr:": ((_ENCR_RE, _encr),),
    "Status": ((_STATUS_DESC_RE, lambda row, m: row.update(status_description=m.group(1))),),
    "Initiator": ((_INITIATOR_RE, lambda row, m: row.update(initiator=m.group(1) == "Yes")),),
    "NAT-T": ((_NAT_RE, lambda row, m: row.update(nat_t=m.group(1) is None)),),
}


def _ikev2_detail(row: Dict[str, Any], line: str) -> bool:
    for pattern, apply in _IKEV2_DETAIL.get(line.split(" ", 1)[0], ()):
        match = pattern.match(line)
        if match:
            apply(row, match)
            return True
    return False
