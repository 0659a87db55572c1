# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``show crypto session [detail]``: one crypto session per ``Interface:`` block.

Used to know a router's peers (domain notes, section 4 rule 3): a session's
``Peer:`` is a peer the router talks to, whatever the configuration says.
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
    cached_subnet_prefix as subnet_prefix,
)

MAX_LINE = 4096

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
_PROMPT_RE = re.compile(r"^[A-Za-z0-9._()-]+[#>] ?(?:(?:sh|show)\b|$)", re.IGNORECASE)
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
    if is_unsupported("\n".join(lines[:20])):
        raise UnsupportedCommand("device does not support this command (show crypto session)")
    sessions: List[Dict[str, Any]] = []
    current: Optional[Dict[str, Any]] = None
    first_unknown = None
    recognised = False
    # An IKE SA line whose remote end wrapped onto the next line: (line number, text, version, local, port).
    wrapped: Optional[tuple] = None
    # Inside "Remote subnets:": the IKE SA the value lines belong to (or {} when there is none).
    subnets: Optional[Dict[str, Any]] = None
    for lineno, raw, line in collapsed_lines(lines, problems, MAX_LINE):
        if wrapped is not None:
            match = _IKE_SA_REMOTE_RE.match(line)
            remote = maybe_addr(match.group(1)) if match else None
            if match is not None and remote is not None and current is not None:
                current["ike_sas"].append(_ike_sa(wrapped[2], wrapped[3], wrapped[4], remote, match.group(2),
                                                  match.group(3)))
                wrapped = None
                continue
            problem(problems, wrapped[0], "IKE SA without its remote line", wrapped[1])
            wrapped = None
        if subnets is not None:
            prefix = subnet_prefix(line)
            if prefix is not None:
                subnets.setdefault("remote_subnets", []).append(prefix)
                continue
            first = line.split(" ", 1)[0]
            if maybe_addr(first.split("/", 1)[0]) is not None:
                problem(problems, lineno, "unreadable remote subnet", raw)
                continue
            subnets = None
        match = _INTERFACE_RE.match(line)
        if match:
            current = {
                "interface": match.group(1), "profile": None, "uptime": None, "status": None,
                "peer": None, "peer_port": None, "fvrf": None, "ivrf": None, "phase1_id": None,
                "description": None, "ike_sas": [], "flows": [], "active_sas": 0, "line": lineno,
            }
            sessions.append(current)
            recognised = True
            continue
        if current is None:
            if _PREAMBLE_RE.match(line):
                recognised = True
            elif not _PROMPT_RE.match(line) and first_unknown is None:
                first_unknown = (lineno, line)
            continue
        key, sep, value = line.partition(": ")
        if sep and key in _SIMPLE_KEYS:
            field = _SIMPLE_KEYS[key]
            value = value.strip()
            if field == "session_id":
                continue
            current[field] = _none(value)
            continue
        if line.startswith("Session status:"):
            match = _STATUS_RE.match(line)
            if match:
                current["status"] = match.group(1)
            else:
                problem(problems, lineno, "unreadable session status", raw)
            continue
        if line.startswith("Peer:"):
            match = _PEER_RE.match(line)
            addr = maybe_addr(match.group(1)) if match else None
            if match is None or addr is None:
                problem(problems, lineno, "unreadable peer line", raw)
                continue
            current["peer"] = addr
            current["peer_port"] = int(match.group(2))
            current["fvrf"] = _none(match.group(3) or "")
            current["ivrf"] = _none(match.group(4) or "")
            continue
        if " SA: local " in line[:16]:
            match = _IKE_SA_RE.match(line)
            local = maybe_addr(match.group(2)) if match else None
            remote = maybe_addr(match.group(4)) if match else None
            if match is not None and local is not None and remote is not None:
                current["ike_sas"].append(_ike_sa(match.group(1), local, match.group(3), remote, match.group(5),
                                                  match.group(6)))
                continue
            match = _IKE_SA_LOCAL_RE.match(line)
            local = maybe_addr(match.group(2)) if match else None
            if match is not None and local is not None:
                wrapped = (lineno, raw, match.group(1), local, match.group(3))
            else:
                problem(problems, lineno, "unreadable IKE SA line", raw)
            continue
        if line.startswith("remote ") and _IKE_SA_REMOTE_RE.match(line):
            problem(problems, lineno, "IKE SA remote line without its local line", raw)
            continue
        if line == "Remote subnets:":
            subnets = current["ike_sas"][-1] if current["ike_sas"] else {}
            continue
        if line.startswith("Capabilities:"):
            match = _CAPS_RE.match(line)
            if match and current["ike_sas"]:
                sa = current["ike_sas"][-1]
                sa["capabilities"] = _none(match.group(1))
                sa["conn_id"] = int(match.group(2)) if match.group(2) else None
                sa["lifetime"] = match.group(3)
            else:
                problem(problems, lineno, "unreadable IKE SA capabilities line", raw)
            continue
        if line.startswith("IPSEC FLOW:"):
            match = _FLOW_RE.match(line)
            current["flows"].append({
                "flow": match.group(1).strip() if match else "", "active_sas": None, "origin": None,
                "pkts_decrypted": None, "drops_in": None, "pkts_encrypted": None, "drops_out": None,
            })
            continue
        if line.startswith("Active SAs:"):
            match = _ACTIVE_RE.match(line)
            if match and current["flows"]:
                flow = current["flows"][-1]
                flow["active_sas"] = int(match.group(1))
                flow["origin"] = match.group(2).strip()
                current["active_sas"] += flow["active_sas"]
            else:
                problem(problems, lineno, "unreadable Active SAs line", raw)
            continue
        if line.startswith("Inbound:") or line.startswith("Outbound:"):
            inbound = line.startswith("Inbound:")
            match = (_INBOUND_RE if inbound else _OUTBOUND_RE).match(line)
            if match and current["flows"]:
                flow = current["flows"][-1]
                if inbound:
                    flow["pkts_decrypted"], flow["drops_in"] = int(match.group(1)), int(match.group(2))
                else:
                    flow["pkts_encrypted"], flow["drops_out"] = int(match.group(1)), int(match.group(2))
            else:
                problem(problems, lineno, "unreadable %s counters" % ("inbound" if inbound else "outbound"), raw)
            continue
        # Anything else inside a session (e.g. "Desc" variants, IPv6 headers) is not used.
    if wrapped is not None:
        problem(problems, wrapped[0], "IKE SA without its remote line", wrapped[1])
    if not recognised and first_unknown is not None:
        raise ParseError(
            "input is not 'show crypto session' output: line %d: %r" % (first_unknown[0], first_unknown[1][:80])
        )
    return sessions
