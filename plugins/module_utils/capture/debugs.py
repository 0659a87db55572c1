# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Obtain the debugs of a recurring pair: the proposed capture on both ends, and the opt-in debug applet.

The field note: when a desync recurs, obtain the ISAKMP and IPsec debugs on both tunnel end
points and address the root cause. ``debug_plan`` proposes (never executes) arming the capture
role's applets for that one peer on both ends and, only when the operator opts in, an applet
that turns conditional debugs on when the peer's INV_SPI message appears and off again after
a bounded time (docs/recurrence.md: the CPU risk, the bounded buffer). Every applet here
passes the capture safety gate (policy.py), which still refuses any other debug, clear or
configuration.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from ansible_collections.netops.ipsec_spi.plugins.module_utils import commands
from ansible_collections.netops.ipsec_spi.plugins.module_utils.capture.applet import (
    DEFAULT_FILE,
    DEFAULT_NAME,
    DEFAULT_TWIN_FILE,
    DEFAULT_TWIN_NAME,
    MANAGED,
    _Body,
    _capture_command,
    _check_common,
    _close,
    _open,
    _quote,
    _size_guard,
    src_filter,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, is_host_name, plain_addr

DEFAULT_DEBUG_NAME = "IPSEC_SPI_DEBUG"
DEFAULT_DEBUG_FILE = "ipsec_spi_debug.txt"
MIN_DURATION = 10
MAX_DURATION = 600
# The debug lines the applet copies from the logging buffer into its file.
DEBUG_LOG = "show logging | include ISAKMP|IPSEC|IKEV2|CRYPTO"
RISK = ("Debugs cost CPU on a production router. These are scoped to one peer (debug crypto condition peer), turned on "
        "only when that peer's INV_SPI message appears, turned off by their own 'no debug' after %d s, at most once "
        "every %d s; their output goes to the logging buffer (fixed size, circular) and is copied to a size-capped file "
        "on flash. Still: arm them in a change window, and only on routers with CPU headroom.")


def _debugs_for(ike: Optional[str]) -> List[str]:
    if ike not in (None, "ikev1", "ikev2"):
        raise ParseError("ike must be ikev1 or ikev2 (or null for both), not %r" % (ike,))
    ike_debugs = {"ikev1": ["debug crypto isakmp"], "ikev2": ["debug crypto ikev2"],
                  None: ["debug crypto isakmp", "debug crypto ikev2"]}[ike]
    return ike_debugs + ["debug crypto ipsec"]


def debug_applet(peer: Any, ike: Optional[str] = None, duration: int = 120, name: str = DEFAULT_DEBUG_NAME,
                 file: str = DEFAULT_DEBUG_FILE, max_bytes: int = 1048576, min_free: int = 1048576) -> List[str]:
    """The opt-in debug applet for one peer, as running-config lines.

    On an INV_SPI message from ``peer``: condition the crypto debugs on that peer, turn them on, wait
    ``duration`` seconds, turn each off by its own ``no debug``, remove the condition, then append the
    crypto lines of the logging buffer to ``flash:<file>`` behind the capture's size guard.
    """
    addr = plain_addr(peer)
    if addr is None or addr != peer:
        raise ParseError("peer %r is not an IP address in canonical form" % (peer,))
    if isinstance(duration, bool) or not isinstance(duration, int) or not MIN_DURATION <= duration <= MAX_DURATION:
        raise ParseError("duration must be an integer of %d to %d seconds, not %r" % (MIN_DURATION, MAX_DURATION, duration))
    maxrun = duration + 90
    _check_common(name, file, max_bytes, min_free, maxrun)
    family = "ipv6" if ":" in addr else "ipv4"
    condition = "debug crypto condition peer %s %s" % (family, addr)
    wanted = _debugs_for(ike)
    # Debugs on at most a quarter of the time, whatever the peer does.
    ratelimit = max(600, 4 * duration)
    body = _Body()
    src_filter(body, addr)
    body.add("cli command %s" % _quote(commands.ENABLE))
    body.add("cli command %s" % _quote(condition))
    for debug in wanted:
        body.add("cli command %s" % _quote(debug))
    body.add('syslog priority notifications msg "%s: conditional crypto debugs on for peer %s, %d s"'
             % (name, addr, duration))
    body.add("wait %d" % duration)
    for debug in reversed(wanted):
        body.add("cli command %s" % _quote("no " + debug))
    body.add("cli command %s" % _quote("no " + condition))
    body.add('syslog priority notifications msg "%s: conditional crypto debugs off for peer %s"' % (name, addr))
    _size_guard(body, name, file, max_bytes, min_free)
    _open(body, name, file, "debug")
    body.add("file puts fh %s" % _quote("peer: %s" % addr))
    _capture_command(body, commands.SHOW_CLOCK)
    _capture_command(body, DEBUG_LOG)
    _close(body)
    return [
        "event manager applet %s authorization bypass" % name,
        " description %s: opt-in crypto debugs for peer %s on INV_SPI (managed by Ansible)" % (MANAGED, addr),
        ' event syslog pattern "%s" ratelimit %d maxrun %d' % (commands.INV_SPI_EEM_PATTERN, ratelimit, maxrun),
    ] + body.lines


def debug_plan(finding: Any, debugs: bool = False, duration: int = 120, ike: Optional[str] = None) -> Dict[str, Any]:
    """The proposed (not executed) capture for a RECURRING_DESYNC finding (history.recurring), both ends.

    The receiver arms the capture applet scoped to the sender's address; the sender (when it is an
    inventory router) arms the twin applet watching the receiver's address. With ``debugs`` (the
    operator's opt-in) the receiver also gets the debug applet. The sender sees no INV_SPI of its own,
    so no applet can turn debugs on there at the moment it matters.
    """
    if not isinstance(finding, Mapping) or finding.get("code") != "RECURRING_DESYNC":
        raise ParseError("debug_plan: the input is not a RECURRING_DESYNC finding (history.recurring)")
    receiver, sender_addr = finding.get("receiver"), plain_addr(finding.get("sender_addr"))
    latest: Mapping[str, Any] = finding["latest"] if isinstance(finding.get("latest"), Mapping) else {}
    sender = finding.get("sender") or latest.get("sender")
    receiver_addr = plain_addr(latest.get("receiver_addr"))
    if not is_host_name(receiver) or sender_addr is None:
        raise ParseError("debug_plan: the finding names no receiver host and sender address")
    if not isinstance(debugs, bool):
        raise ParseError("debug_plan: debugs (the opt-in) must be true or false, not %r" % (debugs,))
    receiver_end: Dict[str, Any] = {
        "host": receiver, "role": "receiver", "capture_applet": DEFAULT_NAME, "capture_file": DEFAULT_FILE,
        "peer": sender_addr, "twin_peers": [],
        "debug_applet": debug_applet(sender_addr, ike, duration) if debugs else None,
        "debug_note": None if debugs else "debugs not requested (ipsec_spi_capture_debugs: true opts in)",
    }
    ends = [receiver_end]
    if is_host_name(sender):
        ends.append({
            "host": sender, "role": "sender", "capture_applet": DEFAULT_TWIN_NAME, "capture_file": DEFAULT_TWIN_FILE,
            "peer": receiver_addr, "twin_peers": [receiver_addr] if receiver_addr else [],
            "debug_applet": None,
            "debug_note": ("no trigger: the sender logs no INV_SPI of its own, so no applet there can turn debugs on "
                           "when it matters; its side of the exchange is in the receiver's conditional debugs "
                           "(the peer condition covers both directions of that peer's IKE and IPsec)"),
        })
    hosts = ", ".join(str(e["host"]) for e in ends)
    summary = ("arm the capture role on %s for this pair only (receiver capture scoped to %s%s)%s" % (
        hosts, sender_addr, ", sender twin watching %s" % receiver_addr if len(ends) > 1 and receiver_addr else "",
        "; with conditional ISAKMP/IPsec debugs for %s on %s, %d s per INV_SPI" % (sender_addr, receiver, duration)
        if debugs else "; conditional debugs need the operator to opt in (CPU risk: docs/recurrence.md)"))
    # What the operator runs: the capture role reads the plan back from the report (docs/recurrence.md).
    summary += ("; to arm it, run the capture role with ipsec_spi_capture_recurring set to this report.json%s"
                % (" and ipsec_spi_capture_debugs: true" if debugs else ""))
    return {"pair": {"receiver": receiver, "sender_addr": sender_addr}, "executed": False, "debugs": debugs,
            "summary": summary, "risk": RISK % (duration, max(600, 4 * duration)) if debugs else None, "ends": ends}
