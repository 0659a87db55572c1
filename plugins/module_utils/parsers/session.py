# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``show crypto session [detail]``: one crypto session per ``Interface:`` block.

Used to know a router's peers (domain notes, section 4 rule 3): a session's
``Peer:`` is a peer the router talks to, whatever the configuration says.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Optional

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import (
    TableReader,
    TextInput,
    as_lines,
    check_supported,
    collapsed_lines,
    cached_addr as maybe_addr,
    remote_subnet_line,
)

_INTERFACE_RE = re.compile(r"^Interface: (\S+)$")
# Applied to whitespace-collapsed lines. ASCII digit classes: "\d" takes Arabic-Indic or fullwidth digits.
_PEER_RE = re.compile(r"^Peer: (\S+) port ([0-9]+)(?: fvrf: (\S+))?(?: ivrf: (\S+))?$")
_STATUS_RE = re.compile(r"^Session status: (\S+)$")
_IKE_SA_RE = re.compile(r"^(IKEv1|IKEv2|IKE) SA: local ([^ /]+)/([0-9]+) remote ([^ /]+)/([0-9]+) (\S+)$")
# IPv6 addresses make the line too long: the remote end and the status go on the next line.
_IKE_SA_LOCAL_RE = re.compile(r"^(IKEv1|IKEv2|IKE) SA: local ([^ /]+)/([0-9]+)$")
_IKE_SA_REMOTE_RE = re.compile(r"^remote ([^ /]+)/([0-9]+) (\S+)$")
_CAPS_RE = re.compile(r"^Capabilities:(\S*)(?: connid:([0-9]+))?(?: lifetime:(\S+))?$")
_FLOW_RE = re.compile(r"^IPSEC FLOW: (.+)$")
_ACTIVE_RE = re.compile(r"^Active SAs: ([0-9]+), origin: (.+)$")
# The lifetime is not always two numbers ("KB Vol Rekey Disabled/3060"): it must not cost the counters.
_INBOUND_RE = re.compile(r"^Inbound: #pkts dec'ed ([0-9]+) drop ([0-9]+)(?: life \(KB/Sec\) .+)?$")
_OUTBOUND_RE = re.compile(r"^Outbound: #pkts enc'ed ([0-9]+) drop ([0-9]+)(?: life \(KB/Sec\) .+)?$")
_VERSIONS = {"IKEv1": "ikev1", "IKEv2": "ikev2"}
_SIMPLE_KEYS = {
    "Profile": "profile",
    "Uptime": "uptime",
    "Phase1_id": "phase1_id",
    "Desc": "description",
    "Session ID": "session_id",
}
_PREAMBLE_RE = re.compile(
    r"^(?:Crypto session current status|Code: |[A-Z] - |Load for |Time source is |No time source)"
)


def _none(value: str) -> Optional[str]:
    return None if value in ("(none)", "none", "") else value


def _ike_sa(version: str, local: str, local_port: str, remote: str, remote_port: str, status: str) -> Dict[str, Any]:
    return {
        "version": _VERSIONS.get(version), "local": local, "local_port": int(local_port),
        "remote": remote, "remote_port": int(remote_port),
        "status": status, "capabilities": None, "conn_id": None, "lifetime": None,
    }


class _Reader(TableReader):
    """Where the parse is: the session being read, an IKE SA line waiting for its wrapped remote end,
    the IKE SA whose remote subnets follow."""

    def __init__(self, problems: Optional[list]) -> None:
        super(_Reader, self).__init__("show crypto session", problems, _PREAMBLE_RE)
        self.sessions: List[Dict[str, Any]] = []
        self.current: Dict[str, Any] = {}
        # An IKE SA line whose remote end wrapped onto the next line: (line number, text, version, local, port).
        self.wrapped: Optional[tuple] = None
        # Inside "Remote subnets:": the IKE SA the value lines belong to (or {} when there is none).
        self.subnets: Optional[Dict[str, Any]] = None


# -- handlers of the lines inside a session: (reader, line number, raw line, collapsed line, keyword) --------
def _simple(r: _Reader, lineno: int, raw: str, line: str, key: str) -> None:
    if line.startswith(key + ": ") and key != "Session ID":
        r.current[_SIMPLE_KEYS[key]] = _none(line[len(key) + 2:].strip())


def _status(r: _Reader, lineno: int, raw: str, line: str, key: str) -> None:
    match = _STATUS_RE.match(line)
    if match:
        r.current["status"] = match.group(1)
    else:
        r.problem(lineno, "unreadable session status", raw)


def _peer(r: _Reader, lineno: int, raw: str, line: str, key: str) -> None:
    match = _PEER_RE.match(line)
    addr = maybe_addr(match.group(1)) if match else None
    if match is None or addr is None:
        r.problem(lineno, "unreadable peer line", raw)
        return
    r.current.update(peer=addr, peer_port=int(match.group(2)), fvrf=_none(match.group(3) or ""),
                     ivrf=_none(match.group(4) or ""))


def _ike_sa_line(r: _Reader, lineno: int, raw: str, line: str, key: str) -> None:
    match = _IKE_SA_RE.match(line)
    local = maybe_addr(match.group(2)) if match else None
    remote = maybe_addr(match.group(4)) if match else None
    if match is not None and local is not None and remote is not None:
        r.current["ike_sas"].append(_ike_sa(match.group(1), local, match.group(3), remote, match.group(5),
                                            match.group(6)))
        return
    match = _IKE_SA_LOCAL_RE.match(line)
    local = maybe_addr(match.group(2)) if match else None
    if match is not None and local is not None:
        r.wrapped = (lineno, raw, match.group(1), local, match.group(3))
    else:
        r.problem(lineno, "unreadable IKE SA line", raw)


def _remote_subnets(r: _Reader, lineno: int, raw: str, line: str, key: str) -> None:
    if line == "Remote subnets:":
        r.subnets = r.current["ike_sas"][-1] if r.current["ike_sas"] else {}


def _capabilities(r: _Reader, lineno: int, raw: str, line: str, key: str) -> None:
    match = _CAPS_RE.match(line)
    if match and r.current["ike_sas"]:
        r.current["ike_sas"][-1].update(capabilities=_none(match.group(1)), lifetime=match.group(3),
                                        conn_id=int(match.group(2)) if match.group(2) else None)
    else:
        r.problem(lineno, "unreadable IKE SA capabilities line", raw)


def _flow(r: _Reader, lineno: int, raw: str, line: str, key: str) -> None:
    match = _FLOW_RE.match(line)
    r.current["flows"].append({
        "flow": match.group(1).strip() if match else "", "active_sas": None, "origin": None,
        "pkts_decrypted": None, "drops_in": None, "pkts_encrypted": None, "drops_out": None,
    })


def _active(r: _Reader, lineno: int, raw: str, line: str, key: str) -> None:
    match = _ACTIVE_RE.match(line)
    if match and r.current["flows"]:
        flow = r.current["flows"][-1]
        flow["active_sas"] = int(match.group(1))
        flow["origin"] = match.group(2).strip()
        r.current["active_sas"] += flow["active_sas"]
    else:
        r.problem(lineno, "unreadable Active SAs line", raw)


def _counters(r: _Reader, lineno: int, raw: str, line: str, key: str) -> None:
    inbound = key == "Inbound"
    match = (_INBOUND_RE if inbound else _OUTBOUND_RE).match(line)
    if match and r.current["flows"]:
        flow = r.current["flows"][-1]
        if inbound:
            flow["pkts_decrypted"], flow["drops_in"] = int(match.group(1)), int(match.group(2))
        else:
            flow["pkts_encrypted"], flow["drops_out"] = int(match.group(1)), int(match.group(2))
    else:
        r.problem(lineno, "unreadable %s counters" % ("inbound" if inbound else "outbound"), raw)


# The text before a line's first ':' -> its handler. Other lines inside a session (e.g. "Desc" variants,
# IPv6 headers) carry nothing we use.
_HANDLERS: Dict[str, Callable[[_Reader, int, str, str, str], None]] = dict(
    {key: _simple for key in _SIMPLE_KEYS},
    **{"Session status": _status, "Peer": _peer, "IKEv1 SA": _ike_sa_line, "IKEv2 SA": _ike_sa_line,
       "IKE SA": _ike_sa_line, "Remote subnets": _remote_subnets, "Capabilities": _capabilities,
       "IPSEC FLOW": _flow, "Active SAs": _active, "Inbound": _counters, "Outbound": _counters})


def _continued(r: _Reader, lineno: int, raw: str, line: str) -> bool:
    """Lines that continue the one before: an IKE SA's wrapped remote end, a remote subnet."""
    if r.wrapped is not None:
        wrapped, r.wrapped = r.wrapped, None
        match = _IKE_SA_REMOTE_RE.match(line)
        remote = maybe_addr(match.group(1)) if match else None
        if match is not None and remote is not None and r.current:
            r.current["ike_sas"].append(_ike_sa(wrapped[2], wrapped[3], wrapped[4], remote, match.group(2),
                                                match.group(3)))
            return True
        r.problem(wrapped[0], "IKE SA without its remote line", wrapped[1])
    return remote_subnet_line(r, lineno, raw, line)


def _session_line(r: _Reader, lineno: int, raw: str, line: str) -> None:
    key, colon, _rest = line.partition(":")
    handler = _HANDLERS.get(key) if colon else None
    if handler is not None and (handler is not _ike_sa_line or " SA: local " in line[:16]):
        handler(r, lineno, raw, line, key)
    elif " SA: local " in line[:16]:
        _ike_sa_line(r, lineno, raw, line, key)
    elif line.startswith("remote ") and _IKE_SA_REMOTE_RE.match(line):
        r.problem(lineno, "IKE SA remote line without its local line", raw)


def parse_crypto_sessions(data: TextInput, problems: Optional[list] = None) -> List[Dict[str, Any]]:
    """Parse ``show crypto session [detail]``.

    One dict per ``Interface:`` block: ``interface``, ``profile``, ``uptime``,
    ``status`` (``UP-ACTIVE``, ``UP-IDLE``, ``UP-NO-IKE``, ``DOWN``,
    ``DOWN-NEGOTIATING``...), ``peer`` (address), ``peer_port``, ``fvrf``,
    ``ivrf``, ``phase1_id``, ``description``, ``ike_sas`` (list of ``version``,
    ``local``, ``local_port``, ``remote``, ``remote_port``, ``status``,
    ``capabilities``, ``conn_id``, ``lifetime``), ``flows`` (list of ``flow``
    (the ACL entry as printed), ``active_sas``, ``origin``, ``pkts_decrypted``,
    ``pkts_encrypted``, ``drops_in``, ``drops_out``) and ``active_sas`` (sum
    over the flows), ``line``.
    """
    lines = as_lines(data, "crypto_sessions input")
    check_supported("\n".join(lines[:20]), "show crypto session")
    r = _Reader(problems)
    for lineno, raw, line in collapsed_lines(lines, problems):
        # most lines continue nothing: look only when a wrapped SA or a subnets list is open
        if (r.wrapped is not None or r.subnets is not None) and _continued(r, lineno, raw, line):
            continue
        match = _INTERFACE_RE.match(line)
        if match:
            r.current = {
                "interface": match.group(1), "profile": None, "uptime": None, "status": None,
                "peer": None, "peer_port": None, "fvrf": None, "ivrf": None, "phase1_id": None,
                "description": None, "ike_sas": [], "flows": [], "active_sas": 0, "line": lineno,
            }
            r.sessions.append(r.current)
            r.recognised = True
        elif r.current:
            _session_line(r, lineno, raw, line)
        else:
            r.other(lineno, line)
    if r.wrapped is not None:
        r.problem(r.wrapped[0], "IKE SA without its remote line", r.wrapped[1])
    r.finish()
    return r.sessions
