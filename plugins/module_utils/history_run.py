# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run's history step (issue 28): record what the run saw and did, read the window back from the
store, and say which pairs keep desyncing, with their timelines, root-cause hints and the proposed capture.

Pure Python: the store is passed in (store.open_store), so the same step runs on SQLite and PostgreSQL and
its unit tests use a real SQLite file. The store action (``step: history``) is the thin wrapper.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, List, Mapping, Optional

from ansible_collections.netops.ipsec_spi.plugins.module_utils import history, hints
from ansible_collections.netops.ipsec_spi.plugins.module_utils.capture.debugs import debug_plan
from ansible_collections.netops.ipsec_spi.plugins.module_utils.codes import compile_waivers, finding, fleet_summary, settle
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError
from ansible_collections.netops.ipsec_spi.plugins.module_utils.store import open_store

DAY = 86400.0
DEFAULTS = {"min_episodes": history.DEFAULT_MIN_EPISODES, "window_days": history.DEFAULT_WINDOW_DAYS,
            "trend_days": history.DEFAULT_WINDOW_DAYS, "debugs": False}


def settings_of(given: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """The recurrence settings, defaults filled in; a wrong type or range is refused, naming the setting."""
    out = dict(DEFAULTS)
    for key, value in (given or {}).items():
        if key not in DEFAULTS:
            raise ParseError("history setting %r is unknown (known: %s)" % (key, ", ".join(sorted(DEFAULTS))))
        if key == "debugs":
            if not isinstance(value, bool):
                raise ParseError("history setting debugs must be true or false, not %r" % (value,))
        elif isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3650:
            raise ParseError("history setting %s must be a whole number from 1 to 3650, not %r" % (key, value))
        out[key] = value
    return out


def key_of(item: Mapping[str, Any]) -> str:
    return "%s|%s" % (item["receiver"], item["sender_addr"])


def record_and_read(store: Any, assessments: Mapping[str, Any], now: float, source: str, run_id: str,
                    facts_by_host: Mapping[str, Any], settings: Optional[Mapping[str, Any]] = None,
                    record_actions: bool = False, record: bool = True) -> Dict[str, Any]:
    """Record this run's episodes (and, after a remediation, its actions), then evaluate the window.

    ``record`` False (check mode) writes nothing: the window is read as it is.

    The result is what the report role takes as ``ipsec_spi_report_history``; its size follows the
    recurring pairs and the trend's days, never the store's size.
    """
    conf = settings_of(settings)
    clocks = {h: f.get("device_epoch") for h, f in facts_by_host.items() if isinstance(f, Mapping)}
    episodes = history.episode_rows(assessments, now, source, run_id, clocks)
    actions = history.action_rows(assessments, now, run_id) if record_actions else []
    recorded = {"episodes": store.record_episodes(episodes) if episodes and record else 0,
                "actions": store.record_actions(actions) if actions and record else 0}
    since = now - max(conf["window_days"], conf["trend_days"]) * DAY
    eps, acts = history.check_episodes(store.episodes(since)), history.check_actions(store.actions(since))
    found = history.recurring(eps, acts, conf["min_episodes"], conf["window_days"], now)
    needed = {h for f in found for h in (f.get("receiver"), f.get("sender")) if h}
    return {
        "findings": found,
        "timelines": {key_of(f): history.timeline(f, eps, acts) for f in found},
        "hints": hints.recurring_hints(found, {h: facts_by_host[h] for h in needed if h in facts_by_host}),
        "debug_plans": {key_of(f): debug_plan(f, debugs=conf["debugs"]) for f in found},
        "trend": history.trend(eps, acts, conf["trend_days"], now, conf["min_episodes"], conf["window_days"]),
        "settings": conf,
        "recorded": recorded,
    }


def step(location: str, assessments: Mapping[str, Any], now: float, source: str, run_id: str,
         facts_by_host: Mapping[str, Any], settings: Optional[Mapping[str, Any]] = None, waivers: Any = None,
         record_actions: bool = False, check: bool = False, wait: float = 300.0) -> Dict[str, Any]:
    """The whole history step of a run, on the store at ``location``: record, read the window back, and add each
    recurring pair's finding to its receiver's assessment. Every caller runs this one function (the store action's
    ``step: history`` for the check role and the remediation, fleet_assess for the AWX slice controller), so a
    sliced audit records and reads exactly as an unsliced one.

    Returns ``{history, history_rows, assessments (only those changed), summary (None when none changed)}``.
    ``check`` (check mode) writes nothing and creates no store; a store not there yet reads as no history.
    """
    with open_store(location, wait=wait, create=not check) as store:
        if check and not store.readable():
            return {"history": {}, "history_rows": {"episodes": 0, "actions": 0}, "assessments": {}, "summary": None}
        if not check:
            store.prepare(now)
        out = record_and_read(store, assessments, now, source, run_id or "run", facts_by_host, settings,
                              record_actions=record_actions, record=not check)
    changed = with_recurring(assessments, out["findings"], waivers or [],
                             datetime.datetime.fromtimestamp(now, datetime.timezone.utc).date())
    recorded = out.pop("recorded")
    return {"history": out, "history_rows": recorded, "assessments": changed,
            "summary": summary_with(assessments, changed) if changed else None}


def with_recurring(assessments: Mapping[str, Any], found: List[Mapping[str, Any]], waivers: Any,
                   today: datetime.date) -> Dict[str, Dict[str, Any]]:
    """The receivers' assessments with a RECURRING_DESYNC finding each recurring pair adds (only those
    that change), settled again under the waivers: a recurring pair makes its receiver non-compliant."""
    compiled = compile_waivers(waivers)
    changed: Dict[str, Dict[str, Any]] = {}
    for item in found:
        host = str(item.get("receiver"))
        base = changed.get(host) or assessments.get(host)
        if not isinstance(base, Mapping) or not base.get("assessed"):
            continue
        copy = dict(base)
        copy["findings"] = list(copy.get("findings") or []) + [finding(
            "RECURRING_DESYNC", item["message"], item["sender_addr"], receiver=host, sender_addr=item["sender_addr"],
            episodes=item["episodes"], window_days=item["window_days"])]
        changed[host] = settle(copy, compiled, today)
    return changed


def summary_with(assessments: Mapping[str, Any], changed: Mapping[str, Any]) -> Dict[str, Any]:
    return fleet_summary({h: changed.get(h, a) for h, a in assessments.items() if isinstance(a, Mapping)})
