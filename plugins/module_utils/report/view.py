# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the Markdown, HTML and JUnit views share: safe text, labels, order, and which routers to detail.

Every string that came from a router is untrusted: each renderer escapes it for its format
(HTML entities, Markdown backslash escapes, XML via ElementTree), after clean_text has removed
the characters no format can hold.
"""

from __future__ import annotations

import datetime
import functools
import html
import re
from typing import Any, Dict, List, Mapping, Sequence, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import spi_hex
from ansible_collections.netops.ipsec_spi.plugins.module_utils.codes import (
    SEVERITIES,
    STATUS_COMPLIANT,
    STATUS_NON_COMPLIANT,
    STATUS_NOT_ASSESSED,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.model import MODE_APPLIED
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.values import int_or_none, natural_key, num_or_none

DEFAULT_TITLE = "IPsec invalid-SPI compliance report"

# Characters XML 1.0 forbids even as references; HTML treats them as parse errors.
_ILLEGAL_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: Any) -> str:
    """Any value as text that every output format can hold."""
    if value is None:
        return ""
    return _ILLEGAL_XML_RE.sub("\ufffd", str(value))


@functools.lru_cache(maxsize=16384)
def _h_short(text: str) -> str:
    return html.escape(_ILLEGAL_XML_RE.sub("\ufffd", text), quote=True)


def h(value: Any) -> str:
    """Escape for HTML (and SVG) text and attribute values."""
    # A large fleet's report repeats the same names, codes and addresses hundreds of thousands of
    # times; only short texts are remembered, which keeps the cache under 20 MB.
    if isinstance(value, str) and len(value) <= 128:
        return _h_short(value)
    return html.escape(clean_text(value), quote=True)


def spi_text(value: Any) -> str:
    spi = int_or_none(value)
    return spi_hex(spi) if spi is not None and spi >= 0 else clean_text(value)


def fmt_int(value: Any) -> str:
    number = int_or_none(value)
    return "{:,}".format(number) if number is not None else "n/a"


def fmt_duration(value: Any) -> str:
    """Seconds as a reader counts them: 45 s, 19 min 21 s, 3 h 05 min, 2 d 4 h."""
    seconds = num_or_none(value)
    if seconds is None or seconds < 0:
        return "n/a"
    total = int(round(seconds))
    if total < 60:
        return "%d s" % total
    if total < 3600:
        return "%d min %02d s" % (total // 60, total % 60)
    if total < 86400:
        return "%d h %02d min" % (total // 3600, total % 3600 // 60)
    return "{:,} d {} h".format(total // 86400, total % 86400 // 3600)


def fmt_time(value: Any) -> str:
    """An ISO 8601 time as a reader wants it (2026-11-29 17:40:00 UTC); anything else as given."""
    text = clean_text(value)
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def fmt_rate(value: Any) -> str:
    rate = num_or_none(value)
    if rate is None:
        return "n/a"
    return "{:,.1f}".format(rate) if rate >= 0.05 or rate == 0 else "{:.3f}".format(rate)


def drops_text(state: Mapping[str, Any]) -> str:
    """A drop counter and whether it still rises, from the reads this run made (pairs.drops_state)."""
    packets = state.get("packets")
    if packets is None:
        return "no counters"
    text = fmt_int(packets)
    if state.get("rising") is True:
        rise = "+%s, " % fmt_int(state["delta"]) if state.get("delta") is not None else ""
        text += " (%s%s pps: still rising)" % (rise, fmt_rate(state.get("rate_pps")))
    elif state.get("rising") is False:
        text += " (not rising between this run's two reads)"
    elif packets:
        text += " (read once: rising or not, unknown)"
    return text


def spi_label(spi: Any, spi_hex: Any = None) -> str:
    return clean_text(spi_hex) if spi_hex and int_or_none(spi) is None else spi_text(spi)


PAIR_VERDICT_LABEL = {"confirmed": "confirmed", "unverified": "unverified", "resolved": "resolved"}
SENDER_STATUS_LABEL = {
    "outside_inventory": "sender outside the inventory",
    "not_assessed": "sender not assessed in this run",
    "unknown": "sender unknown (may be a router not assessed)",
}


def pair_sender(pair: Mapping[str, Any]) -> str:
    """The sender by name when known, with its address."""
    if pair.get("sender"):
        return "%s (%s)" % (clean_text(pair["sender"]), clean_text(pair.get("sender_addr")))
    return clean_text(pair.get("sender_addr"))


def pair_action_lines(pair: Mapping[str, Any], dry_run: bool) -> List[Tuple[str, str]]:
    """(state, text) per action of a pair; state is planned, sent, failed, not sent or none."""
    out: List[Tuple[str, str]] = []
    for p in pair.get("performed") or []:
        if p.get("failed"):
            state = "failed"
        elif p.get("ran"):
            state = "sent"
        else:
            state = "not sent"
        text = "%s on %s: %s" % (clean_text(p.get("command")), clean_text(p.get("host")), clean_text(p.get("result")))
        if p.get("verified") is not None and p.get("ran"):
            text += ", verified" if p["verified"] else ", NOT verified"
        if p.get("message"):
            text += " (%s)" % clean_text(p["message"])
        if p.get("evidence"):
            text += "; " + "; ".join(clean_text(e) for e in p["evidence"])
        out.append((state, text))
    performed = {(p.get("host"), p.get("command")) for p in pair.get("performed") or []}
    for p in pair.get("planned") or []:
        if (p.get("host"), p.get("command")) in performed:
            continue
        text = "%s on %s" % (clean_text(p.get("command")), clean_text(p.get("host")))
        if p.get("opt_in"):
            text += " (opt-in %s)" % clean_text(p["opt_in"])
        text += " (dry run: not sent)" if dry_run else " (planned, not sent in this run)"
        out.append(("planned", text))
    if pair.get("knob_remedy") and out:
        out[0] = (out[0][0], out[0][1] + "; invalid-spi-recovery lets the receiver recover by itself")
    if not out:
        if pair.get("verdict") == "resolved":
            out.append(("none", "none needed: the desync has cleared"))
        elif pair.get("verdict") == "unverified" and pair.get("sender_status") in ("not_assessed", "unknown"):
            out.append(("none", "none: the pair was not read on both ends in this run "
                                "(ipsec_spi_clear_unverified would clear it on the receiver)"))
        else:
            out.append(("none", "none planned"))
    return out


def lines_of(value: Any) -> List[Any]:
    """Evidence as a list of lines, whether it came as a list or as one string."""
    return value if isinstance(value, list) else [value]


def waiver_reason(item: Mapping[str, Any]) -> Any:
    waiver = item.get("waiver")
    return waiver.get("reason") if isinstance(waiver, Mapping) else waiver


def mode_banner(report: Mapping[str, Any]) -> str:
    summary = report["summary"]
    if report["mode"] == MODE_APPLIED:
        failed = summary.get("failed_actions") or 0
        if not summary["performed_actions"] and not failed:
            return "APPLIED: nothing to change; no action was performed on any router"
        text = "APPLIED: %d action(s) performed on routers" % summary["performed_actions"]
        if failed:
            text += ", %d failed or not verified" % failed
        return text
    return "DRY RUN (%s): nothing was changed on any router; %d action(s) planned" % (
        report.get("mode_reason") or "no action was performed", summary["planned_actions"])


def read_text(router: Mapping[str, Any], mode: str) -> str:
    """Which read an applied remediation's report shows for this router: the after-check re-reads only
    the routers it changed and their pair partners, and the rest keep the first read."""
    if mode != MODE_APPLIED or not router.get("assessed"):
        return ""
    if (router.get("assessment") or {}).get("read_after_remediation") is True:
        return "read again after the remediation"
    return "first read (neither it nor a pair partner was changed, so not read again)"


STATUS_LABEL = {
    STATUS_COMPLIANT: "compliant",
    STATUS_NON_COMPLIANT: "non-compliant",
    STATUS_NOT_ASSESSED: "not assessed",
}
# Worst first: the routers a reader has to look at lead every table.
STATUS_ORDER = {STATUS_NOT_ASSESSED: 0, STATUS_NON_COMPLIANT: 1, STATUS_COMPLIANT: 2}


def routers_worst_first(report: Mapping[str, Any]) -> List[Dict[str, Any]]:
    return sorted(report["routers"], key=lambda r: (STATUS_ORDER[r["status"]], natural_key(r["host"])))


def severity_order(item: Mapping[str, Any]) -> Tuple[bool, int]:
    """Un-waived before waived, then error, warning, info."""
    severity = item.get("severity")
    return bool(item.get("waived")), SEVERITIES.index(severity) if severity in SEVERITIES else 9


def findings_in_order(findings: Sequence[Mapping[str, Any]]) -> List[Mapping[str, Any]]:
    return sorted(findings, key=severity_order)


def affected(router: Mapping[str, Any]) -> bool:
    """A router worth a section of its own: not compliant, or with anything else to read."""
    counts = router["counts"]
    return bool(router["status"] != STATUS_COMPLIANT or counts["warnings"] > 0 or counts["waived"] > 0
                or counts["planned_actions"] > 0 or counts["performed_actions"] > 0 or counts["skipped_actions"] > 0)


def flow_category(flow: Mapping[str, Any]) -> str:
    status = str(flow.get("status") or "")
    if status == "persistent":
        return "resolved" if flow.get("verdict") == "resolved" else "persistent"
    if status in ("transient", "foreign"):
        return status
    return "other"


def command_result(command: Mapping[str, Any], dry_run: bool) -> str:
    """What became of one command, in words: the same in every report format."""
    state = "failed" if command.get("failed") else command["state"]
    if state == "planned":
        return "dry run: not sent" if dry_run else "not sent in this run"
    result = clean_text(command.get("result"))
    if command.get("verified") is not None and command.get("ran"):
        result += ", verified" if command["verified"] else ", NOT verified"
    if command.get("message"):
        result += " (%s)" % clean_text(command["message"])
    return result
