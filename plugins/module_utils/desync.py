# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cross-peer proof of an SPI desync (domain.md section 4, rule 1).

The receiver's log only says "someone sent me SPI X". The proof needs the
sender's view too: X must still be one of the sender's outbound SPIs towards
the receiver while the receiver has no inbound SA with X. Everything here is
one pass over the fleet to index it and one pass over the flows, so a
1,000-router fleet costs milliseconds, not a nested loop.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Set, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import (
    ParseError,
    maybe_addr,
    spi_hex,
)

CONFIRMED = "confirmed"
RESOLVED = "resolved"
UNVERIFIED = "unverified"


def sa_spis(sas: Iterable[Mapping[str, Any]], peer: Optional[str], direction: str) -> List[int]:
    """The SPI index of an SA table: SPIs of one direction, in table order, without repeats.

    Only the blocks facing ``peer`` (all blocks when peer is None). Outbound includes each
    block's ``current outbound spi``. The one index every judge of a desync uses.
    """
    out: List[int] = []
    seen: Set[int] = set()
    for sa in sas:
        if peer is not None and maybe_addr(str(sa.get("peer") or "")) != peer:
            continue
        values = list(sa.get(direction + "_spis") or ())
        if direction == "outbound":
            values.append(sa.get("current_outbound_spi"))
        for spi in values:
            if isinstance(spi, int) and spi not in seen:
                seen.add(spi)
                out.append(spi)
    return out


def outbound_towards(sas: Iterable[Mapping[str, Any]], towards: Optional[str]) -> List[int]:
    """A sender's outbound SPIs towards one receiver address.

    All its outbound SPIs when no block faces that address: the sender may show the receiver
    under another of its addresses. The assessment and the last-moment re-check both use this.
    """
    sas = list(sas)
    out = sa_spis(sas, towards, "outbound")
    if not out and towards is not None:
        out = sa_spis(sas, None, "outbound")
    return out


def judge(spi: int, receiver_inbound: Iterable[int], sender_outbound: Optional[Iterable[int]]) -> str:
    """The desync rule (domain.md 4.1), for a live read, a capture and the last-moment re-check alike.

    ``sender_outbound`` is None when the sender's side could not be read. CONFIRMED: the sender
    still sends with ``spi`` and the receiver lacks it. RESOLVED: the receiver has it now, or the
    sender no longer uses it. UNVERIFIED: the receiver lacks it and the sender was not read.
    """
    if spi in set(receiver_inbound):
        return RESOLVED
    if sender_outbound is None:
        return UNVERIFIED
    return CONFIRMED if spi in set(sender_outbound) else RESOLVED


def address_book(primary: Iterable[Tuple[Any, str]], secondary: Iterable[Tuple[Any, str]] = ()) -> Dict[str, str]:
    """Address -> the one router that owns it.

    ``primary`` pairs are the routers' own addresses; ``secondary`` ones (an SA's local
    address, a logged destination) only fill addresses no primary pair names. An address
    claimed by two routers (anycast, a lab copy) names no one: it cannot prove a sender.
    """
    book: Dict[str, str] = {}
    ambiguous: Set[str] = set()
    for pairs, fill_only in ((primary, False), (secondary, True)):
        claimed = set(book) if fill_only else set()
        for raw, host in pairs:
            addr = maybe_addr(str(raw)) if raw is not None else None
            if addr is None or addr in claimed:
                continue
            if addr in book and book[addr] != host:
                ambiguous.add(addr)
            book.setdefault(addr, host)
    for addr in ambiguous:
        book.pop(addr, None)
    return book


def check_host(host: str, data: Any) -> Tuple[List[str], List[Mapping[str, Any]], List[Mapping[str, Any]]]:
    """One router's correlation input, checked: ``(addresses, sas, flows)``, or ParseError naming what is wrong.

    Facts can come from an editable fact cache: a caller that must not lose the whole fleet to one router's
    (``assess.assess_fleet``) checks each router with this first.
    """
    if not isinstance(data, Mapping):
        raise ParseError("fleet[%r] must be a mapping with addresses, sas and flows, not %s" % (host, type(data).__name__))
    addresses = data.get("addresses") or []
    sas = data.get("sas") or []
    flows = data.get("flows") or []
    for key, value in (("addresses", addresses), ("sas", sas), ("flows", flows)):
        if not isinstance(value, (list, tuple)):
            raise ParseError("fleet[%r].%s must be a list, not %s" % (host, key, type(value).__name__))
    for index, item in enumerate(list(sas) + list(flows)):
        if not isinstance(item, Mapping):
            raise ParseError("fleet[%r]: SA/flow entry %d is %s, not a mapping" % (host, index + 1, type(item).__name__))
    for index, flow in enumerate(flows):
        spi = flow.get("spi")
        if (maybe_addr(flow.get("src")) is None or isinstance(spi, bool) or not isinstance(spi, int)
                or not 0 <= spi <= 0xFFFFFFFF):
            raise ParseError("fleet[%r]: flow %d lacks a valid src or spi: %r" % (host, index + 1, dict(flow)))
    return [a for a in (maybe_addr(str(a)) for a in addresses) if a], list(sas), list(flows)


def spi_desync(fleet: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """One verdict per (receiver, sender address, spi) seen in the fleet's INV_SPI flows.

    ``fleet`` maps an inventory host to ``{addresses, sas, flows}``: the
    router's own addresses, its ``ipsec_sas`` and its ``invalid_spi_flows``.
    """
    if not isinstance(fleet, Mapping):
        raise ParseError("fleet must be a mapping of host -> {addresses, sas, flows}, not %s" % type(fleet).__name__)

    checked: Dict[str, Tuple[List[str], List[Mapping[str, Any]], List[Mapping[str, Any]]]] = {}
    for host, data in fleet.items():
        checked[host] = check_host(str(host), data)
    owner = address_book(((addr, host) for host, (addrs, _s, _f) in checked.items() for addr in addrs),
                         ((sa.get("local_addr"), host) for host, (_a, sas, _f) in checked.items() for sa in sas))

    verdicts: Dict[Tuple[str, str, int], Dict[str, Any]] = {}
    for receiver, (_addrs, r_sas, flows) in checked.items():
        r_inbound_all: Optional[List[int]] = None
        for flow in flows:
            src = maybe_addr(flow.get("src")) or ""    # check_host proved both
            dst = maybe_addr(flow.get("dst"))
            spi = int(flow["spi"])
            key = (receiver, src, spi)
            if key in verdicts:
                continue
            if r_inbound_all is None:
                r_inbound_all = sa_spis(r_sas, None, "inbound")
            sender = owner.get(src) or None
            evidence: List[str] = []
            on_receiver = spi in r_inbound_all
            if sender is None or sender == receiver:
                sender = None
                verdict = judge(spi, r_inbound_all, None)
                evidence.append("sender %s is not a router of this inventory: its SAs cannot be read" % src)
                if on_receiver:
                    evidence.append("%s is now an inbound SPI on %s" % (spi_hex(spi), receiver))
                else:
                    evidence.append("%s is not among %s's inbound SPIs" % (spi_hex(spi), receiver))
            else:
                s_sas = checked[sender][1]
                s_outbound = outbound_towards(s_sas, dst if dst else None)
                verdict = judge(spi, r_inbound_all, s_outbound)
                evidence.append(
                    "%s %s among %s's outbound SPIs towards %s"
                    % (spi_hex(spi), "is" if spi in s_outbound else "is no longer", sender, dst or "the receiver")
                )
                evidence.append(
                    "%s %s %s's inbound SPIs"
                    % (spi_hex(spi), "is among" if on_receiver else "is absent from", receiver)
                )
            verdicts[key] = {
                "receiver": receiver,
                "sender": sender,
                "sender_addr": src,
                "receiver_addr": dst,
                "spi": spi,
                "spi_hex": spi_hex(spi),
                "status": flow.get("status"),
                "verdict": verdict,
                "evidence": evidence,
            }
    return list(verdicts.values())
