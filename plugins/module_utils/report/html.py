# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""report.html: one self-contained page (inline CSS, SVG and JS; nothing fetched).

Every router string goes through view.h; the Content-Security-Policy (html_assets.CSP) allows
only the page's own script, so a missed escape still cannot run code.
"""

from __future__ import annotations

from typing import Any, Iterable, List, Mapping, Sequence, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.html_assets import CSP, CSS, JS
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.model import MODE_DRY_RUN
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.router import action_failed, action_ran
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.recurrence import hint_lines, timeline_line
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.svg import svg_drops, svg_timeline, svg_trend, timeline_rows
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.view import (
    command_result,
    DEFAULT_TITLE,
    STATUS_LABEL,
    STATUS_ORDER,
    SENDER_STATUS_LABEL,
    clean_text,
    drops_text,
    findings_in_order,
    fmt_duration,
    fmt_time,
    fmt_int,
    h,
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


def _pill(status: str) -> str:
    return '<span class="pill s-%s">%s</span>' % (h(status), h(STATUS_LABEL.get(status, status)))


def _html_list(values: Any) -> str:
    if not isinstance(values, list):
        values = [values] if values else []
    return h(", ".join(clean_text(v) for v in values)) or '<span class="muted">-</span>'


def _html_table(headers: Sequence[Tuple[str, str]], rows: Iterable[Sequence[str]]) -> str:
    head = "".join('<th class="%s">%s</th>' % (cls, h(text)) for text, cls in headers)
    body = []
    for row in rows:
        body.append("<tr>" + "".join('<td class="%s">%s</td>' % (headers[i][1], cell)
                                     for i, cell in enumerate(row)) + "</tr>")
    return "<table><thead><tr>%s</tr></thead><tbody>%s</tbody></table>" % (head, "".join(body))


def _pre(lines: Any) -> str:
    return "<pre>%s</pre>" % h("\n".join(clean_text(e) for e in lines_of(lines)))


def _plural(count: int, word: str) -> str:
    return "%d %s%s" % (count, word, "" if count == 1 else "s")


def _summary_line(router: Mapping[str, Any]) -> str:
    counts = router["counts"]
    bits = []
    if counts["confirmed_desyncs"]:
        bits.append(_plural(counts["confirmed_desyncs"], "confirmed desync"))
    if counts.get("stale_outbound_sas"):
        bits.append(_plural(counts["stale_outbound_sas"], "stale outbound SA"))
    if counts["errors"]:
        bits.append(_plural(counts["errors"], "error"))
    if counts["warnings"]:
        bits.append(_plural(counts["warnings"], "warning"))
    for key, text in (("waived", "waived"), ("planned_actions", "planned"), ("performed_actions", "performed"),
                      ("skipped_actions", "not run")):
        if counts[key]:
            bits.append("%d %s" % (counts[key], text))
    if not router["assessed"]:
        bits.append(clean_text(router.get("reason")))
    return " \u00b7 ".join(bits)


def _facts(router: Mapping[str, Any], mode: str) -> List[Tuple[str, str]]:
    a = router["assessment"] or {}
    facts = []
    if router["platform"]:
        facts.append(("Platform", h(router["platform"])))
    if a.get("assessed_at") or a.get("source"):
        facts.append(("Assessed", h("%s (%s)" % (a.get("assessed_at") or "?", a.get("source") or "?"))))
    if read_text(router, mode):
        facts.append(("Read", h(read_text(router, mode))))
    if not router["assessed"]:
        facts.append(("Not assessed", h("%s: %s" % (router.get("error_kind"), router.get("reason")))))
    knob = a.get("knob") or {}
    if knob:
        facts.append(("invalid-spi-recovery", h("%s (configured: %s, relevant: %s)" % (
            knob.get("status") or "?", "yes" if knob.get("present") else "no",
            "yes" if knob.get("relevant") else "no"))))
    dpd = a.get("dpd") or {}
    if dpd:
        facts.append(("Dead peer detection", h(", ".join("%s %s" % (k, "yes" if v else "no")
                                                         for k, v in sorted(dpd.items())))))
    drops = a.get("drops") or {}
    if drops:
        text = drops_text(drops_state(drops)) + " packets"
        if drops.get("available") is False:
            text = "not available on this platform"
        facts.append(("Invalid-SPI drops", h(text)))
    if a.get("unsupported_commands"):
        facts.append(("Unsupported commands", _html_list(a.get("unsupported_commands"))))
    return facts


def _findings(findings: Sequence[Mapping[str, Any]]) -> str:
    out = ['<h3>Findings</h3><ul class="findings">']
    for f in findings_in_order(findings):
        waived = ""
        if f.get("waived"):
            why = waiver_reason(f)
            waived = ' <span class="pill waived">waived%s</span>' % (": " + h(why) if why else "")
        subject = ' <span class="muted">(%s)</span>' % h(f.get("subject")) if f.get("subject") else ""
        out.append('<li%s><span class="pill sev-%s">%s</span><span class="code">%s</span>%s%s%s</li>'
                   % (' class="is-waived"' if f.get("waived") else "", h(f.get("severity")),
                      h(f.get("severity")), h(f.get("code")), h(f.get("message")), subject, waived))
    out.append("</ul>")
    return "".join(out)


def _actions(router: Mapping[str, Any], mode: str) -> str:
    a = router["assessment"] or {}
    out = []
    planned = a.get("planned_actions") or []
    if planned:
        out.append("<h3>Planned actions%s</h3>" % (" (dry run: not sent)" if mode == MODE_DRY_RUN else ""))
        out.append(_html_table(
            [("Action", ""), ("On router", ""), ("Command", ""), ("Reason", "")],
            [[h(p.get("action")), h(p.get("host") or router["host"]), "<code>%s</code>" % h(p.get("command")),
              h(p.get("reason"))] for p in planned]))
    performed = a.get("performed_actions") or []
    if performed:
        out.append("<h3>Remediation results</h3>")
        out.append(_html_table(
            [("Action", ""), ("On router", ""), ("Command", ""), ("Result", ""), ("Verified", ""), ("Message", "")],
            [[h(p.get("action")), h(p.get("host") or router["host"]), "<code>%s</code>" % h(p.get("command")),
              '<span class="pill %s">%s</span>' % (
                  "sev-error" if action_failed(p) else "s-compliant" if action_ran(p) else "waived", h(p.get("result"))),
              h(p.get("verified")), h(p.get("message") or "")] for p in performed]))
    return "".join(out)


def _html_router(router: Mapping[str, Any], index: int, mode: str) -> str:
    a = router["assessment"] or {}
    out = ['<details class="router" id="r-%d" data-host="%s"><summary><span class="host">%s</span>%s'
           '<span class="meta">%s</span></summary><div class="body">'
           % (index, h(router["host"]), h(router["host"]), _pill(router["status"]), h(_summary_line(router)))]
    facts = _facts(router, mode)
    if facts:
        out.append('<dl class="facts">%s</dl>' % "".join("<dt>%s</dt><dd>%s</dd>" % (h(k), v) for k, v in facts))

    tunnels = a.get("tunnels") or []
    if tunnels:
        out.append("<h3>Tunnels</h3>")
        out.append(_html_table(
            [("Kind", ""), ("Name", ""), ("Interfaces", ""), ("Peers", ""), ("IKE", ""), ("Recovery", ""),
             ("Reason", ""), ("Description", "")],
            [[h(t.get("kind")), h(t.get("name")), _html_list(t.get("interfaces")), _html_list(t.get("peers")),
              h(t.get("ike_version") or "-"), h(t.get("recovery")), h(t.get("reason")),
              h(t.get("description") or "")] for t in tunnels]))

    if a.get("findings"):
        out.append(_findings(a["findings"]))

    flows = a.get("flows") or []
    if flows:
        out.append("<h3>INV_SPI flows</h3>")
        out.append(_html_table(
            [("Source", ""), ("Destination", ""), ("SPI", ""), ("Messages", "num"), ("Duration", "num"),
             ("First seen", ""), ("Last seen", ""), ("Status", ""), ("Verdict", ""), ("Sender", "")],
            [[h(f.get("src")), h(f.get("dst")), "<code>%s</code>" % h(spi_text(f.get("spi"))), h(fmt_int(f.get("count"))),
              h(fmt_duration(f.get("span_seconds")) if f.get("span_seconds") is not None else "-"), h(f.get("first_seen") or ""),
              h(f.get("last_seen") or ""), h(f.get("status")), h(f.get("verdict") or "-"), h(f.get("sender") or "-")]
             for f in flows]))
        rows = timeline_rows([router], with_host=False)
        if rows:
            out.append(svg_timeline(rows, label="INV_SPI messages per flow on %s" % router["host"]))

    desync = [d for d in a.get("desync") or [] if d.get("evidence")]
    if desync:
        out.append("<h3>Desync evidence</h3>")
        for d in desync:
            out.append("<p>%s</p>%s" % (
                h("%s: %s (%s) sends SPI %s to %s" % (d.get("verdict"), d.get("sender") or "unknown sender",
                                                      d.get("sender_addr"), spi_text(d.get("spi")),
                                                      d.get("receiver_addr"))),
                _pre(d["evidence"])))

    out.append(_actions(router, mode))

    evidence = [t for t in tunnels if t.get("evidence")]
    if evidence:
        out.append("<h3>Configuration evidence</h3>")
        for t in evidence:
            out.append(_pre(t["evidence"]))
    unparsed = a.get("unparsed") or []
    if unparsed:
        out.append('<p class="muted">%d line(s) of device output were not understood (see report.json).</p>'
                   % len(unparsed))
    if router.get("problems"):
        out.append('<p class="muted">Report notes: %s</p>' % h("; ".join(router["problems"])))
    out.append("</div></details>")
    return "".join(out)


def _desync_cell(counts: Mapping[str, Any]) -> str:
    """Both halves of a black hole: confirmed as the receiver, stale outbound SAs as the sender."""
    parts = []
    if counts["confirmed_desyncs"]:
        parts.append("%s receiving" % fmt_int(counts["confirmed_desyncs"]))
    if counts.get("stale_outbound_sas"):
        parts.append("%s sending (stale SA)" % fmt_int(counts["stale_outbound_sas"]))
    return ", ".join(parts) or "0"


_STATE_PILL = {"sent": "s-compliant", "failed": "sev-error", "planned": "sev-warning", "not sent": "waived",
               "none": "waived"}


def _recurring_section(report: Mapping[str, Any]) -> str:
    section = report.get("recurring") or {}
    out = ['<section aria-labelledby="h-recurring" id="recurring"><h2 id="h-recurring">Recurring pairs</h2>']
    if not section.get("store_read"):
        out.append('<p class="muted">%s</p></section>' % h(section.get("note") or "no history store was read"))
        return "".join(out)
    pairs = section.get("pairs") or []
    if not pairs:
        out.append('<p class="muted">No pair desynced often enough to be recurring.</p>')
    else:
        out.append('<p class="muted">Pairs that desynced again and again: every clear only masked it. The hints are '
                   'evidence from both ends, never a verdict (docs/recurrence.md).</p>')
        rows = []
        for p in pairs:
            sender = p["sender"] + " (" + p["sender_addr"] + ")" if p["sender"] else p["sender_addr"]
            rows.append([h(p["receiver"]), h(sender), h(p["tunnel"] or "-"), fmt_int(p["episodes"]), fmt_int(p["masked"]),
                         h(fmt_duration(p["mttr_seconds"]) if p["mttr_seconds"] is not None else "no verified fix"),
                         "<br>".join(h(line) for line in hint_lines(p)) or '<span class="muted">-</span>'])
        out.append(_html_table([("Receiver", ""), ("Sender", ""), ("Tunnel", ""), ("Episodes", "num"),
                                ("Masked (clears)", "num"), ("MTTR", "num"), ("Hints", "")], rows))
        for p in pairs:
            out.append('<details class="recurring-pair"><summary>%s \u2190 %s: %s episodes</summary><p>%s</p>%s%s</details>'
                       % (h(p["receiver"]), h(p["sender_addr"]), fmt_int(p["episodes"]), h(p.get("message") or ""),
                          _pre([timeline_line(item) for item in p.get("timeline") or []]) if p.get("timeline") else "",
                          '<p>Proposed, not executed: %s</p>' % h((p.get("debug_plan") or {}).get("summary") or "")
                          if p.get("debug_plan") else ""))
    out.append('<h3>Fleet trend</h3>%s</section>' % svg_trend(section.get("trend") or []))
    return "".join(out)


def _pairs_section(report: Mapping[str, Any]) -> str:
    pairs = report.get("pairs") or []
    dry_run = report["mode"] == MODE_DRY_RUN
    intro = ('<p class="muted">One row per INV_SPI desync: the receiver drops the sender&#39;s packets because the '
             'sender still encrypts with an SPI the receiver no longer has. Since: the first INV_SPI message; for: '
             'first to last message. Drops: the receiver&#39;s invalid-SPI counter and whether it rose between '
             'this run&#39;s two reads.</p>')
    if not pairs:
        body = '<p class="muted">No black-holed pair: no persistent INV_SPI flow in this run.</p>'
    else:
        rows = []
        for p in pairs:
            verdict = '<span class="pill %s">%s</span>' % (
                {"confirmed": "sev-error", "unverified": "sev-warning"}.get(p["verdict"], "s-compliant"), h(p["verdict"]))
            if p["verdict"] == "unverified":
                label = SENDER_STATUS_LABEL.get(p.get("sender_status") or "", p.get("sender_status") or "")
                verdict += '<div class="why">%s</div>' % h("%s: %s" % (label, p.get("why") or "") if label else p.get("why"))
            elif p["verdict"] == "resolved" and p.get("why"):
                verdict += '<div class="why">%s</div>' % h(p["why"])
            sender = h(pair_sender(p))
            if p.get("sender_assessed"):
                sender += '<div class="why">stale outbound SA on %s</div>' % h(p["sender"]) if p["verdict"] == "confirmed" else ""
            actions = "".join('<div class="act"><span class="pill %s">%s</span> %s</div>' % (
                _STATE_PILL.get(state, "waived"), h(state), h(text)) for state, text in pair_action_lines(p, dry_run))
            rows.append([h(p["receiver"]) + ('<div class="why">%s</div>' % h(p["receiver_addr"]) if p.get("receiver_addr") else ""),
                         sender, "<code>%s</code>" % h(spi_label(p.get("spi"), p.get("spi_hex"))),
                         h(fmt_time(p.get("first_seen")) or "-"), h(fmt_duration(p.get("span_seconds"))), h(fmt_int(p.get("messages"))),
                         verdict, h(drops_text(p["receiver_drops"])), actions])
        body = _html_table([("Receiver", ""), ("Sender", ""), ("SPI", ""), ("Since (first INV_SPI)", ""),
                            ("For", "num"), ("Messages", "num"), ("Verdict", ""), ("Receiver drops", ""),
                            ("Action and result", "")], rows)
    return ('<section aria-labelledby="h-pairs" id="pairs"><h2 id="h-pairs">Black-holed pairs</h2>%s%s</section>'
            % (intro, body))


def _commands_section(report: Mapping[str, Any]) -> str:
    routers = report.get("commands") or []
    if not routers:
        return ""
    dry_run = report["mode"] == MODE_DRY_RUN
    rows = []
    for entry in routers:
        for c in entry["commands"]:
            state = c["state"]
            if c.get("failed"):
                state = "failed"
            result = command_result(c, dry_run)
            rows.append([h(entry["host"]), "<code>%s</code>" % h(c.get("command")),
                         '<span class="pill %s">%s</span>' % (_STATE_PILL.get(state, "waived"), h(state)),
                         h(result), h(c.get("reason") or "")])
    return ('<section aria-labelledby="h-commands"><h2 id="h-commands">Commands per router</h2>%s</section>'
            % _html_table([("Router", ""), ("Command", ""), ("State", ""), ("Result", ""), ("Why", "")], rows))


MAX_NOT_TARGETED_NAMES = 200


def _not_seen_section(report: Mapping[str, Any]) -> str:
    rows = report.get("not_seen") or []
    if not rows:
        return ""
    view = report.get("view") or {}
    counts = ""
    if view.get("inventory") is not None:
        counts = " This run assessed %s of %s routers of the inventory (%s targeted)." % (
            fmt_int(view.get("assessed")), fmt_int(view.get("inventory")), fmt_int(view.get("targeted")))
    targeted = [r for r in rows if r.get("targeted")]
    others = [r for r in rows if not r.get("targeted")]
    out = ['<section aria-labelledby="h-not-seen" id="not-seen"><h2 id="h-not-seen">Not seen in this run</h2>',
           '<p class="muted">%s</p>' % h("Nothing below was read in this run: a desync towards one of these routers is "
                                         "unverified, and gets no clear by default." + counts)]
    if targeted:
        out.append(_html_table([("Router", ""), ("Kind", ""), ("Reason", "")],
                               [[h(r["host"]), h(r["kind"]), h(r["reason"])] for r in targeted]))
    if others:
        names = ", ".join(r["host"] for r in others[:MAX_NOT_TARGETED_NAMES])
        if len(others) > MAX_NOT_TARGETED_NAMES:
            names += " and %s more" % fmt_int(len(others) - MAX_NOT_TARGETED_NAMES)
        out.append("<p>%s</p>" % h("%s router(s), %s: %s" % (fmt_int(len(others)), others[0]["reason"], names)))
    out.append("</section>")
    return "".join(out)


def _router_table(routers: Sequence[Mapping[str, Any]], index_of: Mapping[int, int]) -> str:
    cols = [("Router", "text", ""), ("Status", "num", ""), ("Platform", "text", ""), ("Tunnels", "num", "num"),
            ("Desyncs", "num", "num"), ("Errors", "num", "num"), ("Warnings", "num", "num"),
            ("Drops", "num", "num"), ("Planned", "num", "num"), ("Performed", "num", "num")]
    head = "".join('<th scope="col" data-type="%s" aria-sort="none" class="%s"><button type="button">%s</button></th>'
                   % (t, cls, h(name)) for name, t, cls in cols)
    rows = []
    for r in routers:
        c = r["counts"]
        drops = c["invalid_spi_packets"]
        # (shown, data-sort) per column; the script sorts by data-sort.
        cells = [
            ('<a href="#r-%d">%s</a>' % (index_of[id(r)], h(r["host"])), h(r["host"])),
            (_pill(r["status"]), str(STATUS_ORDER[r["status"]])),
            (h(r["platform"]) or '<span class="muted">-</span>', h(r["platform"])),
            (h(fmt_int(c["tunnels"])), str(c["tunnels"])),
            (h(_desync_cell(c)), str(c["confirmed_desyncs"] + c.get("stale_outbound_sas", 0))),
        ] + [(h(fmt_int(c[key])), str(c[key])) for key in ("errors", "warnings")] + [
            (h(fmt_int(drops)), str(drops) if drops is not None else "-1"),
        ] + [(h(fmt_int(c[key])), str(c[key])) for key in ("planned_actions", "performed_actions")]
        rows.append('<tr data-host="%s">%s</tr>' % (h(r["host"]), "".join(
            '<td class="%s" data-sort="%s">%s</td>' % (cols[i][2], sort, shown)
            for i, (shown, sort) in enumerate(cells))))
    return ('<section aria-labelledby="h-routers"><h2 id="h-routers">Routers</h2>'
            '<div class="toolbar"><input id="router-filter" type="search" placeholder="Filter routers by name" '
            'aria-label="Filter routers by name"><button type="button" id="expand-all">Expand all details</button>'
            '<button type="button" id="collapse-all">Collapse all</button>'
            '<span id="sort-status" class="muted" aria-live="polite"></span></div>'
            '<table id="router-table"><thead><tr>%s</tr></thead><tbody>%s</tbody></table></section>'
            % (head, "".join(rows)))


def render_html(report: Mapping[str, Any]) -> str:
    """report.html: one self-contained page (inline CSS, SVG and JS; nothing fetched)."""
    summary = report["summary"]
    meta = report.get("meta") or {}
    routers = routers_worst_first(report)
    # Anchors follow report.json's order, so a link to a router stays the same when its status changes.
    index_of = {id(r): i for i, r in enumerate(report["routers"])}
    title = clean_text(meta.get("title") or DEFAULT_TITLE)

    pairs_open = summary.get("black_holed_pairs", 0)
    cards = [
        ("Black-holed pairs", pairs_open, "bad" if pairs_open else ""),
        ("Routers", summary["routers"], ""),
        ("Compliant", summary["compliant"], "ok"),
        ("Non-compliant", summary["non_compliant"], "bad" if summary["non_compliant"] else ""),
        ("Not assessed", summary["unreachable"], "na" if summary["unreachable"] else ""),
        ("Confirmed desyncs", summary["confirmed_desyncs"], "bad" if summary["confirmed_desyncs"] else ""),
        ("Planned actions", summary["planned_actions"], "warn" if summary["planned_actions"] else ""),
        ("Performed actions", summary["performed_actions"], "bad" if summary["failed_actions"] else ""),
        ("Invalid-SPI drops", fmt_int(summary["invalid_spi_packets"]), ""),
    ]
    out = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
           '<meta http-equiv="Content-Security-Policy" content="%s">' % CSP,
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           '<meta name="generator" content="netops.ipsec_spi report v%d">' % report["schema_version"],
           "<title>%s</title><style>%s</style></head><body>" % (h(title), CSS)]
    out.append('<header class="top"><h1>%s</h1><p>Generated %s \u00b7 netops.ipsec_spi%s</p></header><main>' % (
        h(title), h(report["generated_at"]),
        h(" %s" % meta["collection_version"]) if meta.get("collection_version") else ""))
    banner_detail = ("Planned commands below were not sent." if report["mode"] == MODE_DRY_RUN
                     else "The actions listed under each router were carried out and verified where possible.")
    out.append('<div class="banner %s" role="status" id="mode-banner">%s<small>%s</small></div>'
               % (h(report["mode"]), h(mode_banner(report)), h(banner_detail)))
    out.append(_recurring_section(report))
    out.append('<div class="cards">%s</div>' % "".join(
        '<div class="card %s"><div class="n">%s</div><div class="l">%s</div></div>'
        % (cls, h(n if isinstance(n, str) else fmt_int(n)), h(label)) for label, n, cls in cards))
    out.append(_pairs_section(report))
    out.append(_commands_section(report))
    out.append(_not_seen_section(report))
    out.append(_router_table(routers, index_of))
    out.append('<section aria-labelledby="h-timeline"><h2 id="h-timeline">INV_SPI messages per flow</h2>'
               '<p class="muted">Each row is one flow (sender \u2192 receiver, SPI); each dot one '
               '%%CRYPTO-4-RECVD_PKT_INV_SPI message (times in UTC). The message is rate-limited to one per '
               'minute, so a row of dots spanning minutes is a persistent desync.</p>%s</section>'
               % svg_timeline(timeline_rows(routers, with_host=True),
                              label="Timeline of INV_SPI messages per flow, fleet-wide"))
    out.append('<section aria-labelledby="h-drops"><h2 id="h-drops">Invalid-SPI drop counters</h2>'
               '<p class="muted">QFP invalid-SPI drops per router (IN_*_NOT_FOUND_SPI, else IpsecInput), as read '
               'during the assessment: a cumulative counter. Whether it still rises shows only when the run reads it '
               'twice (ipsec_spi_poll_interval; after a clear, the remediation polls the receiver twice).</p>%s</section>'
               % svg_drops(routers))

    out.append('<section aria-labelledby="h-details"><h2 id="h-details">Router details</h2>')
    for r in routers:
        out.append(_html_router(r, index_of[id(r)], report["mode"]))
    out.append("</section>")
    out.append('<footer>netops.ipsec_spi fleet report \u00b7 schema v%d \u00b7 %s</footer></main>'
               % (report["schema_version"], h(report["generated_at"])))
    out.append("<script>%s</script></body></html>\n" % JS)
    return "".join(out)
