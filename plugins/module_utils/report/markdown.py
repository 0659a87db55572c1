# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""report.md: a summary table, the router table, then one section per affected router.

Router text is made inert (md_escape, fenced blocks that the text cannot close), because a
Markdown renderer passes raw HTML and links through.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from ansible_collections.netops.ipsec_spi.plugins.module_utils.codes import SEVERITIES, SEVERITY
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.model import MODE_DRY_RUN
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.router import router_findings
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.view import (
    command_result,
    DEFAULT_TITLE,
    SENDER_STATUS_LABEL,
    STATUS_LABEL,
    affected,
    clean_text,
    drops_text,
    findings_in_order,
    fmt_duration,
    fmt_time,
    fmt_int,
    lines_of,
    mode_banner,
    pair_action_lines,
    pair_sender,
    read_text,
    routers_worst_first,
    spi_label,
    spi_text,
    waiver_reason,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.pairs import drops_state
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.recurrence import hint_lines, timeline_line

_MD_SPECIAL_RE = re.compile(r"([\\`*_\[\]{}|~#!])")
_MD_AUTOLINK_RE = re.compile(r"(?i)\b(https?|ftp)(:)(//)")
_MD_WWW_RE = re.compile(r"(?i)\b(www)(\.)")
# Block markers only count at the start of a line and before a space (or alone).
_MD_LEADING_RE = re.compile(r"^([ \t]*)([-+=]|[0-9]{1,9}[.)])(?=[ \t]|$)")
_MD_CODE_SAFE_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")
_MD_FENCE_RUN_RE = re.compile(r"`+|~+")


def md_escape(value: Any) -> str:
    """Router text as inert inline Markdown: no markup, no HTML, no autolinks, one line."""
    # A large fleet's report escapes the same names, addresses and states many thousands of times;
    # only short texts are remembered, which keeps the cache under 20 MB.
    text = clean_text(value)
    return _md_escape_cached(text) if len(text) <= 128 else _md_escape_text(text)


def _md_escape_text(text: str) -> str:
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")
    text = _MD_SPECIAL_RE.sub(r"\\\1", text)
    # Entities rather than backslashes: a Markdown renderer passes raw HTML through.
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_AUTOLINK_RE.sub(r"\1\\\2\3", text)
    text = _MD_WWW_RE.sub(r"\1\\\2", text)
    return _MD_LEADING_RE.sub(lambda m: m.group(1) + "\\" + m.group(2) if len(m.group(2)) == 1
                              else m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], text)


_md_escape_cached = functools.lru_cache(maxsize=16384)(_md_escape_text)


def md_code(value: Any) -> str:
    """Identifiers we define (finding codes, actions) as code spans; anything else escaped."""
    text = clean_text(value)
    return "`%s`" % text if _MD_CODE_SAFE_RE.match(text) else md_escape(text)


def _md_table(headers: Sequence[str], rows: Iterable[Sequence[str]], align: Optional[Sequence[str]] = None) -> List[str]:
    align = align or ["l"] * len(headers)
    lines = ["| " + " | ".join(headers) + " |",
             "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(cell if cell != "" else " " for cell in row) + " |")
    return lines


def _md_fence(lines: Sequence[Any]) -> List[str]:
    body = [clean_text(line).replace("\r", " ").replace("\n", " ") for line in lines]
    longest = max([len(run) for text in body for run in _MD_FENCE_RUN_RE.findall(text)] + [2])
    fence = "`" * (longest + 1)
    return [fence + "text"] + body + [fence]


def _md_list(values: Iterable[Any]) -> str:
    return ", ".join(md_escape(v) for v in values) or "-"


def render_markdown(report: Mapping[str, Any]) -> str:
    """report.md: a summary table, the router table, then one section per affected router."""
    summary = report["summary"]
    meta = report.get("meta") or {}
    out: List[str] = []
    out.append("# " + md_escape(meta.get("title") or DEFAULT_TITLE))
    out.append("")
    out.append("> **%s**" % md_escape(mode_banner(report)))
    out.append("")
    out.append("Generated %s by netops.ipsec_spi (report schema %s)." % (
        md_escape(report["generated_at"]), report["schema_version"]))
    out.append("")
    out.extend(_md_recurring(report))
    out.append("## Summary")
    out.append("")
    out.extend(_md_table(
        ["Routers", "Assessed", "Compliant", "Non-compliant", "Not assessed", "Confirmed desyncs",
         "Planned actions", "Performed actions", "Invalid-SPI drops"],
        [[fmt_int(summary["routers"]), fmt_int(summary["assessed"]), fmt_int(summary["compliant"]),
          fmt_int(summary["non_compliant"]), fmt_int(summary["unreachable"]), fmt_int(summary["confirmed_desyncs"]),
          fmt_int(summary["planned_actions"]),
          "%s (%s failed)" % (fmt_int(summary["performed_actions"]), fmt_int(summary["failed_actions"]))
          if summary["failed_actions"] else fmt_int(summary["performed_actions"]),
          fmt_int(summary["invalid_spi_packets"])]],
        ["r"] * 9))
    out.append("")
    out.extend(_md_pairs(report))
    out.extend(_md_commands(report))
    out.extend(_md_not_seen(report))
    if summary["findings_by_code"]:
        out.extend(_md_codes(report))

    out.append("## Routers")
    out.append("")
    routers = routers_worst_first(report)
    out.extend(_md_table(
        ["Router", "Status", "Platform", "Tunnels", "Desyncs", "Errors", "Warnings", "Drops", "Planned", "Performed"],
        [[md_escape(r["host"]), STATUS_LABEL[r["status"]], md_escape(r["platform"]) or "-",
          fmt_int(r["counts"]["tunnels"]), _desyncs(r["counts"]), fmt_int(r["counts"]["errors"]),
          fmt_int(r["counts"]["warnings"]), fmt_int(r["counts"]["invalid_spi_packets"]),
          fmt_int(r["counts"]["planned_actions"]), fmt_int(r["counts"]["performed_actions"])] for r in routers],
        ["l", "l", "l", "r", "r", "r", "r", "r", "r", "r"]))
    out.append("")

    details = [r for r in routers if affected(r) and r["assessed"]]
    if details:
        out.append("## Affected routers")
        out.append("")
        for router in details:
            out.extend(_md_router(router, report["mode"]))
    return "\n".join(out).rstrip("\n") + "\n"


def _desyncs(counts: Mapping[str, Any]) -> str:
    parts = []
    if counts["confirmed_desyncs"]:
        parts.append("%s receiving" % fmt_int(counts["confirmed_desyncs"]))
    if counts.get("stale_outbound_sas"):
        parts.append("%s sending (stale SA)" % fmt_int(counts["stale_outbound_sas"]))
    return ", ".join(parts) or "0"


def _md_recurring(report: Mapping[str, Any]) -> List[str]:
    section = report.get("recurring") or {}
    out = ["## Recurring pairs", ""]
    if not section.get("store_read"):
        return out + [md_escape(section.get("note") or "no history store was read"), ""]
    pairs = section.get("pairs") or []
    if not pairs:
        out += ["No pair desynced often enough to be recurring (%s)." % md_escape(_md_settings(section)), ""]
    else:
        rows = [[md_escape(p["receiver"]), md_escape(p["sender"] or p["sender_addr"]) +
                 (" (%s)" % md_escape(p["sender_addr"]) if p["sender"] else ""), md_escape(p["tunnel"] or "-"),
                 fmt_int(p["episodes"]), fmt_int(p["masked"]),
                 fmt_duration(p["mttr_seconds"]) if p["mttr_seconds"] is not None else "no verified fix",
                 "<br>".join(md_escape(line) for line in hint_lines(p)) or "-"] for p in pairs]
        out.extend(_md_table(["Receiver", "Sender", "Tunnel", "Episodes", "Masked (clears)", "MTTR", "Hints"], rows,
                             ["l", "l", "l", "r", "r", "r", "l"]))
        out.append("")
        if section.get("more_pairs"):
            out += ["%d more recurring pair(s) are in report.json." % section["more_pairs"], ""]
        for p in pairs:
            out.append("### %s \u2190 %s" % (md_escape(p["receiver"]), md_escape(p["sender_addr"])))
            out.append("")
            out.append(md_escape(p.get("message") or ""))
            out.append("")
            if p.get("timeline"):
                out.extend(_md_fence([timeline_line(item) for item in p["timeline"]]))
                out.append("")
            plan = p.get("debug_plan")
            if plan:
                out.append("Proposed (not executed): %s" % md_escape(plan.get("summary") or ""))
                out.append("")
    trend = section.get("trend") or []
    if trend:
        out.append("Fleet trend (per day: desyncs found / fixed / on recurring pairs / clears):")
        out.append("")
        out.extend(_md_table(["Day", "Found", "Fixed", "Recurring", "Clears"],
                             [[md_escape(r["day"]), fmt_int(r["found"]), fmt_int(r["fixed"]), fmt_int(r["recurring"]),
                               fmt_int(r["clears"])] for r in trend if any(r[k] for k in ("found", "fixed", "clears"))]
                             or [["-", "0", "0", "0", "0"]], ["l", "r", "r", "r", "r"]))
        out.append("")
    return out


def _md_settings(section: Mapping[str, Any]) -> str:
    settings = section.get("settings") or {}
    return "at least %s episodes in %s days" % (settings.get("min_episodes", "N"), settings.get("window_days", "W"))


def _md_pairs(report: Mapping[str, Any]) -> List[str]:
    pairs = report.get("pairs") or []
    out = ["## Black-holed pairs", ""]
    if not pairs:
        return out + ["No black-holed pair: no persistent INV_SPI flow in this run.", ""]
    dry_run = report["mode"] == MODE_DRY_RUN
    rows = []
    for p in pairs:
        verdict = md_escape(p["verdict"])
        if p["verdict"] == "unverified":
            label = SENDER_STATUS_LABEL.get(p.get("sender_status") or "", p.get("sender_status") or "")
            verdict += ": " + md_escape("%s: %s" % (label, p.get("why") or "") if label else p.get("why"))
        elif p["verdict"] == "resolved" and p.get("why"):
            verdict += ": " + md_escape(p["why"])
        actions = "<br>".join("**%s** %s" % (md_escape(state), md_escape(text))
                              for state, text in pair_action_lines(p, dry_run))
        rows.append([md_escape(p["receiver"]), md_escape(pair_sender(p)), md_escape(spi_label(p.get("spi"), p.get("spi_hex"))),
                     md_escape(fmt_time(p.get("first_seen")) or "-"), fmt_duration(p.get("span_seconds")), fmt_int(p.get("messages")),
                     verdict, md_escape(drops_text(p["receiver_drops"])), actions])
    out.extend(_md_table(["Receiver", "Sender", "SPI", "Since (first INV_SPI)", "For", "Messages", "Verdict",
                          "Receiver drops", "Action and result"], rows,
                         ["l", "l", "l", "l", "r", "r", "l", "l", "l"]))
    out.append("")
    return out


def _md_commands(report: Mapping[str, Any]) -> List[str]:
    routers = report.get("commands") or []
    if not routers:
        return []
    dry_run = report["mode"] == MODE_DRY_RUN
    rows = []
    for entry in routers:
        for c in entry["commands"]:
            state = "failed" if c.get("failed") else c["state"]
            result = command_result(c, dry_run)
            rows.append([md_escape(entry["host"]), md_escape(c.get("command")), md_escape(state), md_escape(result)])
    return ["## Commands per router", ""] + _md_table(["Router", "Command", "State", "Result"], rows) + [""]


MAX_NOT_TARGETED_NAMES = 200


def _md_not_seen(report: Mapping[str, Any]) -> List[str]:
    rows = report.get("not_seen") or []
    if not rows:
        return []
    view = report.get("view") or {}
    out = ["## Not seen in this run", ""]
    text = "Nothing below was read in this run: a desync towards one of these routers is unverified and gets no clear by default."
    if view.get("inventory") is not None:
        text += " This run assessed %s of %s routers of the inventory (%s targeted)." % (
            fmt_int(view.get("assessed")), fmt_int(view.get("inventory")), fmt_int(view.get("targeted")))
    out += [text, ""]
    targeted = [r for r in rows if r.get("targeted")]
    others = [r for r in rows if not r.get("targeted")]
    if targeted:
        out.extend(_md_table(["Router", "Kind", "Reason"],
                             [[md_escape(r["host"]), md_escape(r["kind"]), md_escape(r["reason"])] for r in targeted]))
        out.append("")
    if others:
        names = ", ".join(md_escape(r["host"]) for r in others[:MAX_NOT_TARGETED_NAMES])
        if len(others) > MAX_NOT_TARGETED_NAMES:
            names += " and %s more" % fmt_int(len(others) - MAX_NOT_TARGETED_NAMES)
        out += ["%s router(s), %s: %s" % (fmt_int(len(others)), md_escape(others[0]["reason"]), names), ""]
    return out


def _md_codes(report: Mapping[str, Any]) -> List[str]:
    summary = report["summary"]
    # The severity the findings carry (a code may be raised weaker than its default), else the code's.
    severity_of: Dict[str, str] = {}
    for router in report["routers"]:
        for f in router_findings(router):
            severity_of.setdefault(str(f.get("code")), str(f.get("severity")))
    for code in summary["findings_by_code"]:
        severity_of.setdefault(code, SEVERITY.get(code, ""))
    order = {s: i for i, s in enumerate(SEVERITIES)}
    codes = sorted(summary["findings_by_code"], key=lambda c: (order.get(severity_of[c], 9), c))
    out = ["### Findings by code", ""]
    out.extend(_md_table(
        ["Code", "Severity", "Findings", "Waived"],
        [[md_code(c), md_escape(severity_of[c]), str(summary["findings_by_code"][c]),
          str(summary["waived_by_code"].get(c, 0))] for c in codes],
        ["l", "l", "r", "r"]))
    out.append("")
    return out


def _md_router(router: Mapping[str, Any], mode: str) -> List[str]:
    a = router["assessment"] or {}
    out = ["### %s: %s" % (md_escape(router["host"]), STATUS_LABEL[router["status"]]), ""]
    out.extend(_md_facts(router, a, mode))
    out.extend(_md_tunnels(a.get("tunnels") or []))
    out.extend(_md_findings(a.get("findings") or []))
    out.extend(_md_flows(a.get("flows") or []))
    out.extend(_md_desync_evidence([d for d in a.get("desync") or [] if d.get("evidence")]))
    out.extend(_md_actions(router, mode))
    out.extend(_md_config_evidence([t for t in a.get("tunnels") or [] if t.get("evidence")]))
    if router.get("problems"):
        out.append("*Report notes:* " + "; ".join(md_escape(p) for p in router["problems"]))
        out.append("")
    return out


def _md_facts(router: Mapping[str, Any], a: Mapping[str, Any], mode: str) -> List[str]:
    """The router's one line of facts: platform, what was read, the knob, DPD, drops."""
    knob = a.get("knob") or {}
    dpd = a.get("dpd") or {}
    facts = []
    if router["platform"]:
        facts.append("platform " + md_escape(router["platform"]))
    if read_text(router, mode):
        facts.append(md_escape(read_text(router, mode)))
    if knob:
        state = knob.get("status") or ("present" if knob.get("present") else "absent")
        facts.append("invalid-spi-recovery %s" % md_escape(state))
    if dpd:
        facts.append("DPD " + ", ".join("%s %s" % (md_escape(k), "yes" if v else "no") for k, v in sorted(dpd.items())))
    if router["counts"]["invalid_spi_packets"] is not None:
        facts.append("invalid-SPI drops %s" % md_escape(drops_text(drops_state(a.get("drops")))))
    return ["- " + "; ".join(facts), ""] if facts else []


def _md_tunnels(tunnels: List[Mapping[str, Any]]) -> List[str]:
    if not tunnels:
        return []
    out = ["**Tunnels**", ""]
    out.extend(_md_table(
        ["Kind", "Name", "Interfaces", "Peers", "IKE", "Recovery", "Description"],
        [[md_escape(t.get("kind")), md_escape(t.get("name")), _md_list(t.get("interfaces") or []),
          _md_list(t.get("peers") or []), md_escape(t.get("ike_version")) or "-",
          md_escape(t.get("recovery")), md_escape(t.get("description") or "")] for t in tunnels]))
    out.append("")
    return out


def _md_findings(findings: List[Mapping[str, Any]]) -> List[str]:
    if not findings:
        return []
    out = ["**Findings**", ""]
    for f in findings_in_order(findings):
        line = "- **%s** %s: %s" % (md_escape(str(f.get("severity")).upper()), md_code(f.get("code")),
                                    md_escape(f.get("message")))
        if f.get("subject"):
            line += " (subject: %s)" % md_escape(f.get("subject"))
        if f.get("waived"):
            why = waiver_reason(f)
            line += " *waived%s*" % (": " + md_escape(why) if why else "")
        out.append(line)
    out.append("")
    return out


def _md_flows(flows: List[Mapping[str, Any]]) -> List[str]:
    if not flows:
        return []
    out = ["**INV_SPI flows**", ""]
    out.extend(_md_table(
        ["Source", "Destination", "SPI", "Messages", "Duration", "Status", "Verdict", "Sender"],
        [[md_escape(f.get("src")), md_escape(f.get("dst")), md_escape(spi_text(f.get("spi"))),
          fmt_int(f.get("count")), fmt_duration(f.get("span_seconds")) if f.get("span_seconds") is not None else "-",
          md_escape(f.get("status")), md_escape(f.get("verdict")) or "-", md_escape(f.get("sender")) or "-"]
         for f in flows],
        ["l", "l", "l", "r", "r", "l", "l", "l"]))
    out.append("")
    return out


def _md_desync_evidence(evidence: List[Mapping[str, Any]]) -> List[str]:
    if not evidence:
        return []
    out = ["**Desync evidence**", ""]
    for verdict in evidence:
        out.append("- %s from %s, SPI %s:" % (
            md_escape(verdict.get("verdict")), md_escape(verdict.get("sender") or verdict.get("sender_addr")),
            md_escape(spi_text(verdict.get("spi")))))
        out.append("")
        out.extend("  " + line for line in _md_fence(lines_of(verdict["evidence"])))
        out.append("")
    return out


def _md_config_evidence(tunnels: List[Mapping[str, Any]]) -> List[str]:
    if not tunnels:
        return []
    out = ["<details><summary>Configuration evidence</summary>", ""]
    for tunnel in tunnels:
        out.append("%s %s:" % (md_escape(tunnel.get("kind")), md_escape(tunnel.get("name"))))
        out.append("")
        out.extend(_md_fence(lines_of(tunnel["evidence"])))
        out.append("")
    out.append("</details>")
    out.append("")
    return out


def _md_actions(router: Mapping[str, Any], mode: str) -> List[str]:
    a = router["assessment"] or {}
    planned = a.get("planned_actions") or []
    performed = a.get("performed_actions") or []
    out: List[str] = []
    if planned:
        out.append("**Planned actions**%s" % (" (dry run: not sent)" if mode == MODE_DRY_RUN else ""))
        out.append("")
        out.extend(_md_table(
            ["Action", "On router", "Command", "Reason"],
            [[md_escape(p.get("action")), md_escape(p.get("host") or router["host"]), md_escape(p.get("command")),
              md_escape(p.get("reason"))] for p in planned]))
        out.append("")
    if performed:
        out.append("**Remediation results**")
        out.append("")
        out.extend(_md_table(
            ["Action", "On router", "Command", "Result", "Verified", "Message"],
            [[md_escape(p.get("action")), md_escape(p.get("host") or router["host"]), md_escape(p.get("command")),
              md_escape(p.get("result")), md_escape(p.get("verified")), md_escape(p.get("message") or "")]
             for p in performed]))
        out.append("")
    return out
