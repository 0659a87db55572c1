# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Root-cause hints for a desync episode, from the facts already gathered on both ends.

Each hint is evidence with its data, never a verdict (docs/recurrence.md says why each one
points where it does and what data it needs). A hint whose data is missing is not guessed:
it is listed under ``unavailable`` with what it would need.
"""

from __future__ import annotations

import math
import re
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.assess import READY_STATES
from ansible_collections.netops.ipsec_spi.plugins.module_utils.codes import BUG_FF, spi_top_byte_ff
from ansible_collections.netops.ipsec_spi.plugins.module_utils.commands import COMMAND_OF
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, maybe_addr, spi_hex
from ansible_collections.netops.ipsec_spi.plugins.module_utils.history import CALENDAR_EPOCH, check_episode, duration_text

HINTS = ("reload", "rekey_race", "no_ike_sa", "dpd_missing", "lifetime_mismatch", "spi_top_byte_ff")
# "Shortly before": a reload within 30 min, an SA installed within 5 min of the first INV_SPI.
RELOAD_WINDOW = 1800.0
REKEY_WINDOW = 300.0
# Uptime is printed to the minute, clocks of two routers differ: allow this much on the far side.
SLACK = 90.0
IOS_DEFAULT_LIFETIME = 3600

_UPTIME_PART_RE = re.compile(r"([0-9]{1,5}) (year|week|day|hour|minute|second)s?")
_UNIT = {"year": 365 * 86400, "week": 7 * 86400, "day": 86400, "hour": 3600, "minute": 60, "second": 1}
_IKE_COMMANDS = (COMMAND_OF["isakmp_sa"], COMMAND_OF["ikev2_sa"])


def uptime_seconds(text: Any) -> Optional[int]:
    """``1 year, 2 weeks, 3 days, 4 hours, 5 minutes`` (show version) in seconds; None when not that."""
    if not isinstance(text, str) or not text:
        return None
    total = 0
    for part in text.split(", "):
        match = _UPTIME_PART_RE.fullmatch(part)
        if not match:
            return None
        total += int(match.group(1)) * _UNIT[match.group(2)]
    return total


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _clock(facts: Mapping[str, Any]) -> Optional[float]:
    epoch = _number(facts.get("device_epoch"))
    return epoch if epoch is not None and epoch >= CALENDAR_EPOCH else None


def _hint(name: str, end: str, message: str, **data: Any) -> Dict[str, Any]:
    return {"hint": name, "end": end, "message": message, "data": data}


def _gap(name: str, end: str, needs: str) -> Dict[str, Any]:
    return {"hint": name, "end": end, "needs": needs}


def _reload(end: str, host: Optional[str], facts: Optional[Mapping[str, Any]], first: float,
            window: float) -> Tuple[Optional[Dict[str, Any]], Optional[Dict[str, Any]]]:
    if facts is None:
        return None, _gap("reload", end, "the %s's facts (show version uptime and show clock) from this run" % end)
    uptime = uptime_seconds((facts.get("platform") or {}).get("uptime") if isinstance(facts.get("platform"), Mapping)
                            else None)
    clock = _clock(facts)
    if uptime is None or clock is None:
        return None, _gap("reload", end, "a parsed 'show version' uptime and a calendar 'show clock' on the %s" % end)
    reloaded = clock - uptime
    before = first - reloaded
    if -SLACK <= before <= window:
        return _hint("reload", end, "%s (%s) reloaded %s before the first INV_SPI: a reloaded end has lost its SAs "
                     "while the other may still send with the old ones" % (host or end, end, duration_text(max(before, 0))),
                     host=host, reload_epoch=reloaded, seconds_before=round(before, 1),
                     uptime=(facts.get("platform") or {}).get("uptime")), None
    return None, None


def _sa_of(facts: Mapping[str, Any], spi: int, peer: Optional[str]) -> Optional[Mapping[str, Any]]:
    for block in facts.get("ipsec_sas") or []:
        if not isinstance(block, Mapping):
            continue
        if peer is not None and maybe_addr(block.get("peer")) not in (peer, None):
            continue
        for sa in block.get("sas") or []:
            if isinstance(sa, Mapping) and sa.get("direction") == "outbound" and sa.get("spi") == spi:
                return sa
    return None


def _positive(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _lifetime(facts: Optional[Mapping[str, Any]], tunnel: Optional[str] = None,
              peer: Optional[str] = None) -> Optional[int]:
    """The IPsec SA lifetime of that end's tunnel of the pair: its crypto map entry's or IPsec profile's own
    ``set security-association lifetime seconds``, else the configured global one (None when the gathered
    inventory does not say: an older gather)."""
    inventory = facts.get("inventory") if isinstance(facts, Mapping) else None
    if not isinstance(inventory, Mapping) or "ipsec_lifetime_sec" not in inventory:
        return None
    own = {t.get("lifetime_sec") for t in _tunnels_of(inventory, tunnel, peer)}
    if len(own) == 1:
        (value,) = own
        if _positive(value):
            return value
    value = inventory["ipsec_lifetime_sec"]
    if value is None:
        return IOS_DEFAULT_LIFETIME
    return value if _positive(value) else None


def _tunnels_of(inventory: Mapping[str, Any], tunnel: Optional[str], peer: Optional[str]) -> List[Mapping[str, Any]]:
    """The tunnels of the pair on that end: by name, else by peer address; none when neither says."""
    tunnels = [t for t in inventory.get("tunnels") or [] if isinstance(t, Mapping)]
    return [t for t in tunnels if (tunnel is not None and t.get("name") == tunnel)
            or (peer is not None and peer in (t.get("peers") or []))]


def _rekey(host: Optional[str], facts: Optional[Mapping[str, Any]], episode: Mapping[str, Any],
           window: float) -> Tuple[Optional[Dict[str, Any]], Optional[Dict[str, Any]]]:
    name = "rekey_race"
    if facts is None:
        return None, _gap(name, "sender", "the sender's facts from this run (its SA table, clock and running-config)")
    sa = _sa_of(facts, episode["spi"], episode["receiver_addr"])
    lifetime = _lifetime(facts, peer=episode["receiver_addr"])
    clock = _clock(facts)
    remaining = sa.get("remaining_sec") if sa is not None else None
    if sa is None:
        return None, _gap(name, "sender", "the sender still holding outbound SA %s (it has re-keyed or been cleared "
                          "since)" % spi_hex(episode["spi"]))
    if not isinstance(remaining, int) or isinstance(remaining, bool) or lifetime is None or clock is None:
        return None, _gap(name, "sender", "the SA's remaining lifetime (sa timing), the configured lifetime "
                          "(running-config) and a calendar clock on the sender")
    age = lifetime - remaining
    if age < 0:
        return None, _gap(name, "sender", "a configured lifetime the SA obeys (%d s remain of the %d s configured "
                          "for its tunnel or globally)" % (remaining, lifetime))
    installed = clock - age
    before = episode["first_epoch"] - installed
    if -SLACK <= before <= window:
        return _hint(name, "sender", "the sender's outbound SA %s was installed %s before the first INV_SPI (SA age = "
                     "lifetime %d s - remaining %d s): a rekey race, the pattern of the field note's first known bug"
                     % (spi_hex(episode["spi"]), duration_text(max(before, 0)), lifetime, remaining),
                     host=host, spi=episode["spi"], installed_epoch=installed, seconds_before=round(before, 1),
                     lifetime_sec=lifetime, remaining_sec=remaining), None
    return None, None


Found = Tuple[Optional[Dict[str, Any]], Optional[Dict[str, Any]]]


def _no_ike_sa(facts: Optional[Mapping[str, Any]], sender_addr: str) -> Found:
    name = "no_ike_sa"
    commands = facts.get("commands") if isinstance(facts, Mapping) else None
    if facts is None or not isinstance(commands, list) or not any(c in commands for c in _IKE_COMMANDS) \
            or not isinstance(facts.get("ike_sas"), list):
        return None, _gap(name, "receiver", "the receiver's IKE SA tables (show crypto isakmp sa / ikev2 sa) from this run")
    states = [row.get("state") for row in facts["ike_sas"]
              if isinstance(row, Mapping) and maybe_addr(row.get("remote")) == sender_addr]
    if any(s in READY_STATES for s in states):
        return None, None
    what = "no IKE SA" if not states else "no ready IKE SA (%s)" % ", ".join(str(s) for s in states)
    return _hint(name, "receiver", "the receiver has %s with the sender %s: it cannot tell the sender that SPI is "
                 "invalid, the case invalid-spi-recovery exists for (IKEv1, static peers)" % (what, sender_addr),
                 sender_addr=sender_addr, states=states), None


def _versions(facts: Mapping[str, Any], tunnel: Optional[str], peer: Optional[str]) -> List[str]:
    inventory: Mapping[str, Any] = facts["inventory"] if isinstance(facts.get("inventory"), Mapping) else {}
    tunnels = [t for t in inventory.get("tunnels") or [] if isinstance(t, Mapping)]
    chosen = _tunnels_of(inventory, tunnel, peer)
    versions = {t.get("ike_version") for t in chosen or tunnels}
    return sorted(v for v in versions if v in ("ikev1", "ikev2"))


def _dpd(end: str, host: Optional[str], facts: Optional[Mapping[str, Any]], tunnel: Optional[str],
         peer: Optional[str]) -> Tuple[Optional[Dict[str, Any]], Optional[Dict[str, Any]]]:
    inventory = facts.get("inventory") if isinstance(facts, Mapping) else None
    dpd = inventory.get("dpd") if isinstance(inventory, Mapping) else None
    if not isinstance(dpd, Mapping):
        return None, _gap("dpd_missing", end, "the %s's running-config (DPD / keepalive lines)" % end)
    if facts is None:  # unreachable: dpd came from facts; keeps the type checker honest
        return None, _gap("dpd_missing", end, "the %s's running-config (DPD / keepalive lines)" % end)
    missing = [v for v in _versions(facts, tunnel, peer) if dpd.get(v) is not True]
    if not missing:
        return None, None
    return _hint("dpd_missing", end, "%s (%s) has no dead peer detection for %s: nothing ends a black hole before the "
                 "SA expires" % (host or end, end, ", ".join(v.upper() for v in missing)),
                 host=host, versions=missing), None


def pair_hints(episode: Any, receiver_facts: Any = None, sender_facts: Any = None,
               reload_window: float = RELOAD_WINDOW, rekey_window: float = REKEY_WINDOW) -> Dict[str, Any]:
    """The hints for one episode (an episode row, history.check_episode) from both ends' ``ipsec_spi`` facts.

    Returns ``{hints: [{hint, end, message, data}], unavailable: [{hint, end, needs}]}``; a hint appears only
    when its data supports it. ``sender_facts`` is None when the sender is not in the inventory or was not read.
    """
    ep = check_episode(episode, None, "episode")
    for label, facts in (("receiver_facts", receiver_facts), ("sender_facts", sender_facts)):
        if facts is not None and not isinstance(facts, Mapping):
            raise ParseError("%s must be the ipsec_spi facts (a mapping) or null, not %s" % (label, type(facts).__name__))
    for label, value in (("reload_window", reload_window), ("rekey_window", rekey_window)):
        if _number(value) is None or value < 0:
            raise ParseError("%s must be a number of seconds >= 0, not %r" % (label, value))
    found: List[Optional[Dict[str, Any]]] = []
    gaps: List[Optional[Dict[str, Any]]] = []

    def add(pair: Tuple[Optional[Dict[str, Any]], Optional[Dict[str, Any]]]) -> None:
        found.append(pair[0])
        gaps.append(pair[1])

    add(_reload("receiver", ep["receiver"], receiver_facts, ep["first_epoch"], float(reload_window)))
    add(_reload("sender", ep["sender"], sender_facts, ep["first_epoch"], float(reload_window)))
    add(_rekey(ep["sender"], sender_facts, ep, float(rekey_window)))
    add(_no_ike_sa(receiver_facts, ep["sender_addr"]))
    add(_dpd("receiver", ep["receiver"], receiver_facts, ep["tunnel"], ep["sender_addr"]))
    add(_dpd("sender", ep["sender"], sender_facts, None, ep["receiver_addr"]))
    ours = _lifetime(receiver_facts, ep["tunnel"], ep["sender_addr"])
    theirs = _lifetime(sender_facts, peer=ep["receiver_addr"])
    if ours is None or theirs is None:
        gaps.append(_gap("lifetime_mismatch", "both", "both ends' running-config (the IPsec SA lifetime of the pair's "
                         "tunnel, or the global one)"))
    elif ours != theirs:
        found.append(_hint("lifetime_mismatch", "both", "the IPsec SA lifetimes differ: %d s on the receiver, %d s on "
                           "the sender; the two ends re-key at different times" % (ours, theirs),
                           receiver_sec=ours, sender_sec=theirs))
    if spi_top_byte_ff(ep["spi"]):
        found.append(_hint("spi_top_byte_ff", "sender", "SPI %s starts with 0xFF: matches the symptom of %s (ESP "
                           "packets whose SPI starts with 0xFF dropped as invalid SPI); not a diagnosis"
                           % (spi_hex(ep["spi"]), BUG_FF), spi=ep["spi"], bug=BUG_FF))
    return {"hints": [h for h in found if h], "unavailable": [g for g in gaps if g]}


def recurring_hints(findings: Any, facts_by_host: Any, **windows: float) -> Dict[str, Dict[str, Any]]:
    """The hints of each RECURRING_DESYNC finding's latest episode, keyed ``receiver|sender_addr``.

    ``facts_by_host``: inventory host -> ``ipsec_spi`` facts of this run (a host may be missing).
    """
    if not isinstance(findings, list):
        raise ParseError("findings must be a list of RECURRING_DESYNC findings, not %s" % type(findings).__name__)
    if not isinstance(facts_by_host, Mapping):
        raise ParseError("facts_by_host must be a mapping host -> ipsec_spi facts, not %s" % type(facts_by_host).__name__)
    out: Dict[str, Dict[str, Any]] = {}
    for index, item in enumerate(findings):
        if not isinstance(item, Mapping) or item.get("code") != "RECURRING_DESYNC" \
                or not isinstance(item.get("latest"), Mapping):
            raise ParseError("findings[%d] is not a RECURRING_DESYNC finding (history.recurring)" % index)
        latest = item["latest"]
        episode = {"receiver": item.get("receiver"), "sender": latest.get("sender"), "sender_addr": item.get("sender_addr"),
                   "receiver_addr": latest.get("receiver_addr"), "tunnel": latest.get("tunnel"), "spi": latest.get("spi"),
                   "first_epoch": latest.get("first_epoch"), "last_epoch": latest.get("first_epoch"), "messages": 1,
                   "verdict": "confirmed", "fixed_epoch": None, "source": "audit", "run_id": "hints"}
        sender = latest.get("sender")
        out["%s|%s" % (item.get("receiver"), item.get("sender_addr"))] = pair_hints(
            episode, facts_by_host.get(item.get("receiver")), facts_by_host.get(sender) if sender else None, **windows)
    return out
