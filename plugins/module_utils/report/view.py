# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the Markdown, HTML and JUnit views share: safe text, labels, order, and which routers to detail.

Every string that came from a router is untrusted: each renderer escapes it for its format
(HTML entities, Markdown backslash escapes, XML via ElementTree), after clean_text has removed
the characters no format can hold.
"""

from __future__ import annotations

import functools
import html
import re
from typing import Any, Dict, List, Mapping, Sequence, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.codes import (
    SEVERITIES,
    STATUS_COMPLIANT,
    STATUS_NON_COMPLIANT,
    STATUS_NOT_ASSESSED,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.model import MODE_APPLIED
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.values import int_or_none, natural_key

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
    return "0x%08X" % spi if spi is not None and spi >= 0 else clean_text(value)


def fmt_int(value: Any) -> str:
    number = int_or_none(value)
    return "{:,}".format(number) if number is not None else "n/a"


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
        text = "APPLIED: %d action(s) performed on routers" % summary["performed_actions"]
        if failed:
            text += ", %d failed or not verified" % failed
        return text
    return "DRY RUN (%s): nothing was changed on any router; %d action(s) planned" % (
        report.get("mode_reason") or "no action was performed", summary["planned_actions"])


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
