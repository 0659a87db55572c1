# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inline SVG plots of report.html: INV_SPI messages per flow over time, drop counters per router.

Plain SVG text, no library: the page must stay one self-contained file. Styling is by class
(html_assets.CSS), so the plots follow the page's colours.
"""

from __future__ import annotations

import datetime
import math
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.pairs import drops_state
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.values import (
    int_or_none,
    natural_key,
    num_or_none,
    utc_iso,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.view import fmt_int, flow_category, h, spi_text

TIMELINE_MAX_FLOWS = 40
DROPS_MAX_BARS = 30

_CATEGORY_LABEL = (
    ("persistent", "persistent (desync)"),
    ("resolved", "persistent, since resolved"),
    ("transient", "transient (rekey race)"),
    ("foreign", "foreign sender"),
    ("other", "unclassified"),
)
_CATEGORY_PRIORITY = {"persistent": 0, "foreign": 1, "resolved": 2, "transient": 3, "other": 4}


def _flow_key(src: Any, dst: Any, spi: Any) -> Tuple[str, str, Optional[int]]:
    return (str(src or ""), str(dst or ""), int_or_none(spi))


def timeline_rows(routers: Sequence[Mapping[str, Any]], with_host: bool) -> List[Dict[str, Any]]:
    """One row per flow with its messages' times; events of no known flow get a row of their own."""
    rows: List[Dict[str, Any]] = []
    for router in routers:
        a = router["assessment"] or {}
        by_key: Dict[Tuple[str, str, Optional[int]], Dict[str, Any]] = {}
        for flow in a.get("flows") or []:
            key = _flow_key(flow.get("src"), flow.get("dst"), flow.get("spi"))
            by_key[key] = {"host": router["host"], "flow": flow, "category": flow_category(flow), "points": []}
        for event in a.get("events") or []:
            epoch = num_or_none(event.get("epoch"))
            if epoch is None:
                continue
            key = _flow_key(event.get("src"), event.get("dst"), event.get("spi"))
            row = by_key.get(key)
            if row is None:
                row = by_key[key] = {"host": router["host"], "category": "other", "points": [],
                                     "flow": {"src": key[0], "dst": key[1], "spi": key[2]}}
            row["points"].append((epoch, event.get("time")))
        for row in by_key.values():
            if row["points"]:
                row["points"].sort(key=lambda p: p[0])
                row["with_host"] = with_host
                rows.append(row)
    rows.sort(key=lambda r: (_CATEGORY_PRIORITY[r["category"]], -len(r["points"]), natural_key(r["host"]),
                             r["flow"].get("src") or ""))
    return rows


LABEL_CHARS = 56


def flow_label(prefix: str, spi: str, limit: int = LABEL_CHARS) -> str:
    """A timeline row's label within ``limit`` characters: the SPI is never cut, the middle of the rest is."""
    name = "%s  %s" % (prefix, spi)
    if len(name) <= limit:
        return name
    room = max(8, limit - len(spi) - 3)
    head = (room + 1) // 2
    return "%s\u2026%s  %s" % (prefix[:head], prefix[len(prefix) - (room - head):], spi)


def _time_ticks(lo: float, hi: float) -> List[float]:
    span = hi - lo
    steps = [60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800]
    step = next((s for s in steps if span / s <= 7), 604800 * max(1, int(span / (604800 * 7)) + 1))
    first = math.ceil(lo / step) * step
    ticks: List[float] = []
    t = float(first)
    while t <= hi and len(ticks) < 12:
        ticks.append(t)
        t += step
    return ticks


def _tick_label(epoch: float, span: float) -> str:
    moment = datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)
    return moment.strftime("%d %b %H:%M" if span > 86400 else "%H:%M")


# The timeline's geometry: flow labels left of the plot, one band per flow row.
_LEFT, _RIGHT, _TOP, _ROW_H, _WIDTH = 360, 20, 14, 20, 980
_PLOT_W = _WIDTH - _LEFT - _RIGHT


def svg_timeline(rows: Sequence[Mapping[str, Any]], max_rows: int = TIMELINE_MAX_FLOWS, label: str = "") -> str:
    """INV_SPI messages per flow over time, one row per flow, coloured by flow status."""
    shown = list(rows[:max_rows])
    if not shown:
        return '<p class="muted">No INV_SPI messages were logged.</p>'
    lo, hi = _time_range(shown)

    def x(epoch: float) -> float:
        return _LEFT + (epoch - lo) / (hi - lo) * _PLOT_W

    height = _TOP + _ROW_H * len(shown) + 34
    title = h(label or "Timeline of INV_SPI messages per flow")
    parts = ['<svg class="timeline" role="img" viewBox="0 0 %d %d" width="100%%" preserveAspectRatio="xMinYMin meet" '
             'aria-label="%s">' % (_WIDTH, height, title), '<title>%s</title>' % title]
    parts.extend(_time_axis(lo, hi, x, _TOP + _ROW_H * len(shown) + 4))
    for index, row in enumerate(shown):
        parts.extend(_timeline_row(index, row, x))
    parts.append("</svg>")
    note = ""
    if len(rows) > len(shown):
        note = '<p class="muted">Showing %d of %d flows (persistent first).</p>' % (len(shown), len(rows))
    return "".join(parts) + _timeline_legend(shown) + note


def _time_range(shown: Sequence[Mapping[str, Any]]) -> Tuple[float, float]:
    """The plotted time range: the messages' own, at least a minute wide, with a margin either side."""
    epochs: List[float] = [p[0] for r in shown for p in r["points"]]
    lo, hi = min(epochs), max(epochs)
    if hi - lo < 60:
        lo, hi = lo - 30, hi + 30
    pad = (hi - lo) * 0.02
    return lo - pad, hi + pad


def _time_axis(lo: float, hi: float, x: Callable[[float], float], axis_y: int) -> List[str]:
    """The time ticks with their grid lines, and the axis under the rows."""
    parts = []
    for tick in _time_ticks(lo, hi):
        tx = x(tick)
        parts.append('<line class="grid" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>' % (tx, _TOP - 4, tx, axis_y))
        parts.append('<text class="tick" x="%.1f" y="%d" text-anchor="middle">%s</text>'
                     % (tx, axis_y + 16, h(_tick_label(tick, hi - lo))))
    parts.append('<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>' % (_LEFT, axis_y, _WIDTH - _RIGHT, axis_y))
    return parts


def _timeline_row(index: int, row: Mapping[str, Any], x: Callable[[float], float]) -> List[str]:
    """One flow's row: its label, a line from its first message to its last, and a dot per message (or cluster)."""
    y = _TOP + _ROW_H * index + _ROW_H / 2
    flow = row["flow"]
    spi = spi_text(flow.get("spi"))
    prefix = "%s \u2192 %s" % (flow.get("src"), flow.get("dst"))
    if row.get("with_host"):
        prefix = "%s: %s" % (row["host"], prefix)
    name = "%s  %s" % (prefix, spi)
    short = flow_label(prefix, spi)
    cat = row["category"]
    parts = []
    if index % 2 == 0:
        parts.append('<rect class="band" x="0" y="%.1f" width="%d" height="%d"/>' % (y - _ROW_H / 2, _WIDTH, _ROW_H))
    parts.append('<text class="flow-label" x="%d" y="%.1f"><title>%s</title>%s</text>'
                 % (_LEFT - 8, y + 4, h(name), h(short)))
    pts = row["points"]
    if len(pts) > 1:
        parts.append('<line class="span span-%s" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>'
                     % (cat, x(pts[0][0]), y, x(pts[-1][0]), y))
    for cluster in _clusters(pts, x):
        epoch, when = cluster[0]
        if len(cluster) == 1:
            tip = "%s  %s (%s)" % (when or utc_iso(epoch), name, cat)
        else:
            tip = "%d messages %s to %s  %s (%s)" % (len(cluster), when or utc_iso(epoch),
                                                     cluster[-1][1] or utc_iso(cluster[-1][0]), name, cat)
        parts.append('<circle class="pt pt-%s" cx="%.1f" cy="%.1f" r="4" data-epoch="%.3f" data-count="%d">'
                     '<title>%s</title></circle>' % (cat, x(epoch), y, epoch, len(cluster), h(tip)))
    return parts


def _clusters(pts: Sequence[Tuple[float, Any]], x: Callable[[float], float]) -> List[List[Tuple[float, Any]]]:
    """Messages closer than 2 px share one dot (its title says how many): a router can bring 500."""
    clusters: List[List[Tuple[float, Any]]] = []
    for point in pts:
        if clusters and x(point[0]) - x(clusters[-1][0][0]) < 2.0:
            clusters[-1].append(point)
        else:
            clusters.append([point])
    return clusters


def _timeline_legend(shown: Sequence[Mapping[str, Any]]) -> str:
    """The flow categories' colours: the three a reader looks for, and any other one the plot shows."""
    legend = ['<ul class="legend">']
    present = {r["category"] for r in shown}
    for cat, text in _CATEGORY_LABEL:
        if cat in present or cat in ("persistent", "transient", "foreign"):
            legend.append('<li><svg width="12" height="12" aria-hidden="true"><circle class="pt pt-%s" cx="6" cy="6" r="4.5"/>'
                          '</svg>%s</li>' % (cat, h(text)))
    legend.append("</ul>")
    return "".join(legend)


def svg_drops(routers: Sequence[Mapping[str, Any]], max_bars: int = DROPS_MAX_BARS) -> str:
    """Invalid-SPI drop counters per router, largest first."""
    data = [(r, r["counts"]["invalid_spi_packets"]) for r in routers
            if (r["counts"]["invalid_spi_packets"] or 0) > 0]
    unknown = sum(1 for r in routers if r["assessed"] and r["counts"]["invalid_spi_packets"] is None)
    if not data:
        text = "No invalid-SPI drops were counted on any router."
        if unknown:
            text += " %d router(s) have no drop counters (no QFP or the command failed)." % unknown
        return '<p class="muted">%s</p>' % h(text)
    data.sort(key=lambda item: (-item[1], natural_key(item[0]["host"])))
    shown = data[:max_bars]
    peak = max(value for _router, value in shown)
    left, right, top, bar_h, gap = 170, 150, 8, 16, 6
    width = 980
    plot_w = width - left - right
    height = top + (bar_h + gap) * len(shown) + 8
    parts = ['<svg class="drops" role="img" viewBox="0 0 %d %d" width="100%%" preserveAspectRatio="xMinYMin meet" '
             'aria-label="Invalid-SPI drop counters per router">' % (width, height),
             "<title>Invalid-SPI drop counters per router</title>"]
    for index, (router, value) in enumerate(shown):
        y = top + index * (bar_h + gap)
        w = max(2.0, value / peak * plot_w)
        cls = "bar bar-desync" if router["counts"]["confirmed_desyncs"] else "bar"
        host = router["host"] if len(router["host"]) <= 24 else router["host"][:23] + "\u2026"
        parts.append('<text class="bar-label" x="%d" y="%.1f">%s</text>' % (left - 8, y + bar_h - 4, h(host)))
        parts.append('<rect class="%s" x="%d" y="%d" width="%.1f" height="%d" data-value="%d">'
                     '<title>%s: %s invalid-SPI packets dropped</title></rect>'
                     % (cls, left, y, w, bar_h, value, h(router["host"]), fmt_int(value)))
        state = drops_state((router["assessment"] or {}).get("drops"))
        shown_value = fmt_int(value)
        if state["rising"] is True:
            shown_value += " (+%s)" % fmt_int(state["delta"]) if state["delta"] is not None else " (rising)"
        elif state["rising"] is False:
            shown_value += " (flat)"
        parts.append('<text class="bar-value" x="%.1f" y="%.1f">%s</text>'
                     % (left + w + 6, y + bar_h - 4, h(shown_value)))
    parts.append("</svg>")
    legend = ('<ul class="legend"><li><span class="swatch swatch-desync"></span>router with a confirmed desync</li>'
              '<li><span class="swatch swatch-bar"></span>other routers</li>'
              '<li>(+N): rose by N between this run&#39;s two reads; (flat): did not rise</li></ul>')
    notes = []
    if len(data) > len(shown):
        notes.append("Showing the %d largest of %d routers with drops." % (len(shown), len(data)))
    if unknown:
        notes.append("%d router(s) have no drop counters (no QFP or the command failed)." % unknown)
    note = "".join('<p class="muted">%s</p>' % h(n) for n in notes)
    return "".join(parts) + legend + note


TREND_SERIES = (("found", "desyncs found"), ("fixed", "fixed (verified)"), ("recurring", "on a recurring pair"))


def svg_trend(rows: Sequence[Mapping[str, Any]]) -> str:
    """Desyncs found, fixed and recurring per day over the retention window: three bars a day."""
    if not rows:
        return '<p class="muted">No trend: the history store holds no day in the window.</p>'
    peak = max([int_or_none(r.get(k)) or 0 for r in rows for k, _label in TREND_SERIES] + [1])
    left, right, top, plot_h = 44, 10, 10, 160
    width = 980
    slot = (width - left - right) / float(len(rows))
    bar_w = max(1.0, slot / 4.0)
    height = top + plot_h + 34
    base = top + plot_h
    label = "Desyncs found, fixed and on recurring pairs per day"
    parts = ['<svg class="trend" role="img" viewBox="0 0 %d %d" width="100%%" preserveAspectRatio="xMinYMin meet" '
             'aria-label="%s"><title>%s</title>' % (width, height, h(label), h(label))]
    for tick in sorted({0, peak // 2, peak}):
        y = base - tick / float(peak) * plot_h
        parts.append('<line class="grid" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>' % (left, y, width - right, y))
        parts.append('<text class="tick" x="%d" y="%.1f" text-anchor="end">%d</text>' % (left - 4, y + 4, tick))
    every = max(1, int(math.ceil(len(rows) / 10.0)))
    for index, row in enumerate(rows):
        x0 = left + index * slot + (slot - 3 * bar_w) / 2.0
        day = str(row.get("day"))
        for offset, (key, text) in enumerate(TREND_SERIES):
            value = int_or_none(row.get(key)) or 0
            if value:
                bh = value / float(peak) * plot_h
                parts.append('<rect class="tr-%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f" data-value="%d">'
                             '<title>%s: %d %s</title></rect>'
                             % (key, x0 + offset * bar_w, base - bh, bar_w, bh, value, h(day), value, h(text)))
        if index % every == 0:
            parts.append('<text class="tick" x="%.1f" y="%d" text-anchor="middle">%s</text>'
                         % (left + index * slot + slot / 2.0, base + 16, h(day[5:])))
    parts.append('<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/></svg>' % (left, base, width - right, base))
    legend = "".join('<li><span class="swatch swatch-%s"></span>%s</li>' % (key, h(text)) for key, text in TREND_SERIES)
    return "".join(parts) + '<ul class="legend">%s</ul>' % legend
