# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Desync history: the rows a run records, and what the rows read back say (docs/recurrence.md).

Pure functions around the history part of the store (the store itself lives elsewhere and is never
imported here): ``episode_rows`` / ``action_rows`` build the rows a run records from the
assessments; ``recurring``, ``timeline`` and ``trend`` read rows back. Rows read back from a
database are untrusted: every field is checked and a bad one is a ParseError naming the row and
the field, never a traceback.

A pair is (receiver, sender address): the receiver is the inventory router that logged INV_SPI,
the sender address the ``srcaddr`` of the messages. An action row names the pair the same way:
``receiver`` the desync's receiver, ``peer`` the pair's sender address (whichever end the command
ran on; the command says which). ``enable_recovery`` names the router it configured as receiver and
no peer: it concerns every sender of that router.
"""

from __future__ import annotations

import datetime
import functools
import math
import re
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.codes import finding
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, is_host_name, plain_addr, spi_hex

SOURCES = ("audit", "remediate", "eda", "capture", "fleet")
ACTIONS = ("clear_sa", "clear_session", "enable_recovery")
OUTCOMES = ("fixed", "still_broken", "not_verified", "failed", "claimed")
# An INV_SPI flow seen once is most likely a rekey race (domain.md 1): recorded, never counted as a black hole.
TRANSIENT = "transient"
EPISODE_STATUSES = ("persistent", "transient")
# An epoch before 2000-01-01 is a device uptime (the clock was not set), not a calendar time.
CALENDAR_EPOCH = 946684800.0
DAY = 86400.0
# A black hole logs INV_SPI every minute while it lasts: one whose last message is older than this has ended.
ACTIVE = 3600.0
MAX_DAYS = 3660
DEFAULT_MIN_EPISODES = 3
DEFAULT_WINDOW_DAYS = 30

_RUN_ID_RE = re.compile(r"[A-Za-z0-9_.:@+-]{1,128}")
_TUNNEL_RE = re.compile(r"[A-Za-z0-9_./:@+ -]{1,128}")
_VERDICT_RE = re.compile(r"[a-z_]{1,32}")
_COMMAND_RE = re.compile(r"[A-Za-z0-9_.:/ -]{1,256}")

EPISODE_FIELDS = ("receiver", "sender", "sender_addr", "receiver_addr", "tunnel", "spi", "first_epoch", "last_epoch",
                  "messages", "verdict", "fixed_epoch", "source", "run_id")
ACTION_FIELDS = ("run_id", "receiver", "peer", "action", "command", "epoch", "outcome")

Pair = Tuple[str, str]


# --------------------------------------------------------------------------------------------------
# Field checks: every one names where and what
# --------------------------------------------------------------------------------------------------

class _Where:
    """Where a field is, spelled out only for an error message (rows are checked by the ten thousand)."""

    __slots__ = ("what", "index", "field")

    def __init__(self, what: str, index: Optional[int], field: str) -> None:
        self.what, self.index, self.field = what, index, field

    def __str__(self) -> str:
        if self.index is None:
            return "%s: %s" % (self.what, self.field)
        return "%s row %d: %s" % (self.what, self.index, self.field)


Where = Any  # a str, or a _Where spelled out on error


def _epoch(value: Any, where: Where, optional: bool = False) -> Optional[float]:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ParseError("%s must be a finite number of seconds since the epoch >= 0%s, not %r"
                         % (where, " or null" if optional else "", value))
    return float(value)


def _text(value: Any, pattern: "re.Pattern[str]", where: Where, optional: bool = False) -> Optional[str]:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ParseError("%s must be %s, not %r" % (where, "a plain text (%s)" % pattern.pattern + (" or null" if optional else ""),
                                                    value if not isinstance(value, str) else value[:80]))
    return value


def _host(value: Any, where: Where, optional: bool = False) -> Optional[str]:
    if value is None and optional:
        return None
    if not is_host_name(value):
        raise ParseError("%s must be an inventory host name%s, not %r"
                         % (where, " or null" if optional else "", value if not isinstance(value, str) else value[:80]))
    return str(value)


@functools.lru_cache(maxsize=65536)
def _canonical(value: str) -> Optional[str]:
    # Rows read back repeat the same few thousand addresses: parse each once.
    return plain_addr(value)


def _addr(value: Any, where: Where, optional: bool = False) -> Optional[str]:
    if value is None and optional:
        return None
    addr = _canonical(value) if isinstance(value, str) else None
    if addr is None:
        raise ParseError("%s must be an IP address%s, not %r"
                         % (where, " or null" if optional else "", value if not isinstance(value, str) else value[:80]))
    return addr


def _int(value: Any, where: Where, low: int, high: Optional[int] = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        raise ParseError("%s must be an integer %s, not %r"
                         % (where, ">= %d" % low if high is None else "in %d..%d" % (low, high), value))
    return value


def _choice(value: Any, choices: Sequence[str], where: Where, optional: bool = False) -> Optional[str]:
    if value is None and optional:
        return None
    if value not in choices:
        raise ParseError("%s must be one of %s%s, not %r" % (where, ", ".join(choices), " or null" if optional else "",
                                                             value))
    return str(value)


def _rows(rows: Any, what: str) -> List[Mapping[str, Any]]:
    if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, (list, tuple)):
        raise ParseError("%s must be a list of rows, not %s" % (what, type(rows).__name__))
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise ParseError("%s row %d must be a mapping, not %s" % (what, index, type(row).__name__))
    return list(rows)


def _number_ok(value: Any) -> bool:
    return type(value) in (float, int) and math.isfinite(value) and value >= 0  # pylint: disable=unidiomatic-typecheck


def _fast_episode(row: Any) -> Optional[Dict[str, Any]]:
    """The row as check_episode returns it when every field is already valid and canonical, else None.

    The common case in one pass; anything unusual goes through the field-by-field check for its message."""
    if type(row) is not dict:  # pylint: disable=unidiomatic-typecheck
        return None
    get: Any = row.get
    spi, first, last, fixed, messages = get("spi"), get("first_epoch"), get("last_epoch"), get("fixed_epoch"), get("messages")
    sender, receiver_addr, tunnel = get("sender"), get("receiver_addr"), get("tunnel")
    sender_addr, verdict, run_id = get("sender_addr"), get("verdict"), get("run_id")
    # type() on purpose: a bool is an int subclass and is not a valid SPI or count.
    if not (type(spi) is int and 0 <= spi <= 0xFFFFFFFF and type(messages) is int and messages >= 1  # noqa: E721 pylint: disable=unidiomatic-typecheck
            and _number_ok(first) and _number_ok(last) and last >= first
            and (fixed is None or (_number_ok(fixed) and fixed >= first))
            and get("source") in SOURCES and is_host_name(get("receiver"))
            and (sender is None or is_host_name(sender))
            and isinstance(sender_addr, str) and _canonical(sender_addr) == sender_addr
            and (receiver_addr is None or (isinstance(receiver_addr, str) and _canonical(receiver_addr) == receiver_addr))
            and (tunnel is None or (isinstance(tunnel, str) and _TUNNEL_RE.fullmatch(tunnel)))
            and isinstance(verdict, str) and _VERDICT_RE.fullmatch(verdict)
            and isinstance(run_id, str) and _RUN_ID_RE.fullmatch(run_id)):
        return None
    return {"receiver": get("receiver"), "sender": sender, "sender_addr": sender_addr, "receiver_addr": receiver_addr,
            "tunnel": tunnel, "spi": spi, "first_epoch": float(first), "last_epoch": float(last), "messages": messages,
            "verdict": verdict, "fixed_epoch": None if fixed is None else float(fixed), "source": get("source"),
            "run_id": run_id}


def check_episode(row: Any, index: Optional[int] = None, what: str = "episodes") -> Dict[str, Any]:
    """One episode row, checked field by field and normalised (addresses canonical, epochs floats)."""
    fast = _fast_episode(row)
    if fast is not None:
        return fast
    if not isinstance(row, dict) and not isinstance(row, Mapping):
        raise ParseError("%s row %s must be a mapping, not %s" % (what, index, type(row).__name__))

    def at(field: str) -> _Where:
        return _Where(what, index, field)

    out: Dict[str, Any] = {
        "receiver": _host(row.get("receiver"), at("receiver")),
        "sender": _host(row.get("sender"), at("sender"), optional=True),
        "sender_addr": _addr(row.get("sender_addr"), at("sender_addr")),
        "receiver_addr": _addr(row.get("receiver_addr"), at("receiver_addr"), optional=True),
        "tunnel": _text(row.get("tunnel"), _TUNNEL_RE, at("tunnel"), optional=True),
        "spi": _int(row.get("spi"), at("spi"), 0, 0xFFFFFFFF),
        "first_epoch": _epoch(row.get("first_epoch"), at("first_epoch")),
        "last_epoch": _epoch(row.get("last_epoch"), at("last_epoch")),
        "messages": _int(row.get("messages"), at("messages"), 1),
        "verdict": _text(row.get("verdict"), _VERDICT_RE, at("verdict")),
        "fixed_epoch": _epoch(row.get("fixed_epoch"), at("fixed_epoch"), optional=True),
        "source": _choice(row.get("source"), SOURCES, at("source")),
        "run_id": _text(row.get("run_id"), _RUN_ID_RE, at("run_id")),
    }
    if out["last_epoch"] < out["first_epoch"]:
        raise ParseError("%s is before first_epoch (%s < %s)" % (at("last_epoch"), out["last_epoch"], out["first_epoch"]))
    if out["fixed_epoch"] is not None and out["fixed_epoch"] < out["first_epoch"]:
        raise ParseError("%s is before first_epoch (%s < %s)" % (at("fixed_epoch"), out["fixed_epoch"], out["first_epoch"]))
    return out


def check_action(row: Any, index: Optional[int] = None, what: str = "actions") -> Dict[str, Any]:
    """One action row, checked field by field and normalised."""
    if not isinstance(row, dict) and not isinstance(row, Mapping):
        raise ParseError("%s row %s must be a mapping, not %s" % (what, index, type(row).__name__))

    def at(field: str) -> _Where:
        return _Where(what, index, field)

    action = _choice(row.get("action"), ACTIONS, at("action"))
    return {
        "run_id": _text(row.get("run_id"), _RUN_ID_RE, at("run_id")),
        "receiver": _host(row.get("receiver"), at("receiver")),
        "peer": _addr(row.get("peer"), at("peer"), optional=action == "enable_recovery"),
        "action": action,
        "command": _text(row.get("command"), _COMMAND_RE, at("command")),
        "epoch": _epoch(row.get("epoch"), at("epoch")),
        "outcome": _choice(row.get("outcome"), OUTCOMES, at("outcome"), optional=True),
    }


class _CheckedEpisodes(list):
    """What check_episodes returned: the functions that take episodes do not check these again."""


class _CheckedActions(list):
    """What check_actions returned: the functions that take actions do not check these again."""


def check_episodes(rows: Any) -> List[Dict[str, Any]]:
    # A run reads the window once and hands it to recurring, trend and a timeline per recurring pair:
    # checking 30 nights of rows once, not once per pair (issue 28's 2-second budget for 10,000 routers).
    if isinstance(rows, _CheckedEpisodes):
        return rows
    return _CheckedEpisodes(check_episode(row, i) for i, row in enumerate(_rows(rows, "episodes")))


def check_actions(rows: Any) -> List[Dict[str, Any]]:
    if isinstance(rows, _CheckedActions):
        return rows
    return _CheckedActions(check_action(row, i) for i, row in enumerate(_rows(rows, "actions")))


# --------------------------------------------------------------------------------------------------
# What a run records
# --------------------------------------------------------------------------------------------------

def _assessment_list(assessments: Any) -> List[Tuple[str, Mapping[str, Any]]]:
    if isinstance(assessments, Mapping):
        items = list(assessments.items())
    elif isinstance(assessments, (list, tuple)):
        items = [(a.get("host") if isinstance(a, Mapping) else None, a) for a in assessments]
    else:
        raise ParseError("assessments must be a mapping host -> ipsec_spi_assessment, not %s" % type(assessments).__name__)
    out: List[Tuple[str, Mapping[str, Any]]] = []
    for host, assessment in items:
        if assessment is None or (isinstance(assessment, Mapping) and not assessment):
            continue  # a router without an assessment (unreachable) recorded nothing
        if not isinstance(assessment, Mapping):
            raise ParseError("assessment of %r must be a mapping, not %s" % (host, type(assessment).__name__))
        out.append((str(_host(host, "assessments: host")), assessment))
    return out


def _run(run_epoch: Any, run_id: Any) -> Tuple[float, str]:
    epoch = _epoch(run_epoch, "run_epoch")
    if epoch is None or epoch < CALENDAR_EPOCH:
        raise ParseError("run_epoch must be a calendar time (seconds since 1970, after 2000), not %r" % (run_epoch,))
    return epoch, str(_text(run_id, _RUN_ID_RE, "run_id"))


def _calendar(value: Any, fallback: float) -> float:
    """A flow's epoch when it is a calendar time; an uptime stamp or none dates the flow by the run."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value < CALENDAR_EPOCH:
        return fallback
    return float(value)


def _fixed(fixes: Mapping[Tuple[str, str, int], bool], key: Tuple[str, str, int], when: float,
           first: float) -> Optional[float]:
    return when if key in fixes and when >= first else None


def _tunnel_of(assessment: Mapping[str, Any], src: str, spi: int) -> Optional[str]:
    for item in assessment.get("findings") or []:
        if isinstance(item, Mapping) and item.get("spi") == spi and item.get("subject") == src \
                and isinstance(item.get("tunnel"), str):
            return item["tunnel"]
    for tunnel in assessment.get("tunnels") or []:
        if isinstance(tunnel, Mapping) and src in (tunnel.get("peers") or []) and isinstance(tunnel.get("name"), str):
            return tunnel["name"]
    return None


def _verified_fixes(assessments: Sequence[Tuple[str, Mapping[str, Any]]]) -> Dict[Tuple[str, str, int], bool]:
    """(receiver, sender address, spi) of every clear done and verified in this run (on either end)."""
    fixed: Dict[Tuple[str, str, int], bool] = {}
    for _host_name, assessment in assessments:
        for action in assessment.get("performed_actions") or []:
            if not isinstance(action, Mapping) or action.get("action") not in ("clear_sa", "clear_session"):
                continue
            if action.get("result") == "done" and action.get("verified") is True:
                addr = plain_addr(action.get("sender_addr"))
                if addr and isinstance(action.get("spi"), int):
                    fixed[(str(action.get("receiver")), addr, action["spi"])] = True
    return fixed


def episode_rows(assessments: Any, run_epoch: Any, source: Any, run_id: Any,
                 clocks: Optional[Mapping[str, Any]] = None) -> List[Dict[str, Any]]:
    """The episode rows of one run (store-contract.md): one per (receiver, sender address, SPI).

    From every assessed router's INV_SPI flows that are ``persistent`` or ``transient`` (a foreign
    sender is a scan, not a pair). ``verdict`` is the flow's desync verdict (``transient`` for a
    single message); ``fixed_epoch`` is when a clear for that very SPI was done and verified in this run:
    the receiver's clock as this run read it (``clocks``: host -> the device's epoch), the clock that dated
    the episode's messages, else ``run_epoch``. A flow dated by uptime only is dated by ``run_epoch``.
    """
    epoch, rid = _run(run_epoch, run_id)
    clocks = clocks if isinstance(clocks, Mapping) else {}
    src_name = _choice(source, SOURCES, "source")
    items = _assessment_list(assessments)
    fixes = _verified_fixes(items)
    rows: Dict[Tuple[str, str, int], Dict[str, Any]] = {}
    for host, assessment in items:
        if not assessment.get("assessed"):
            continue
        flows = assessment.get("flows") or []
        if not isinstance(flows, list):
            raise ParseError("assessment of %s: flows must be a list" % host)
        for index, flow in enumerate(flows):
            where = "assessment of %s: flows[%d]" % (host, index)
            if not isinstance(flow, Mapping):
                raise ParseError("%s must be a mapping" % where)
            status = flow.get("status")
            if status not in EPISODE_STATUSES:
                continue
            src = str(_addr(flow.get("src"), where + ".src"))
            spi = _int(flow.get("spi"), where + ".spi", 0, 0xFFFFFFFF)
            count = _int(flow.get("count"), where + ".count", 1)
            first = _calendar(flow.get("first_epoch"), epoch)
            last = max(_calendar(flow.get("last_epoch"), epoch), first)
            verdict = str(_text(TRANSIENT if status == TRANSIENT else (flow.get("verdict") or status), _VERDICT_RE,
                                where + ".verdict"))
            row: Dict[str, Any] = {
                "receiver": host, "sender": _host(flow.get("sender"), where + ".sender", optional=True),
                "sender_addr": src, "receiver_addr": _addr(flow.get("dst"), where + ".dst", optional=True),
                "tunnel": _tunnel_of(assessment, src, spi), "spi": spi, "first_epoch": first, "last_epoch": last,
                "messages": count, "verdict": verdict,
                "fixed_epoch": _fixed(fixes, (host, src, spi), _calendar(clocks.get(host), epoch), first),
                "source": src_name, "run_id": rid,
            }
            if row["tunnel"] is not None and not _TUNNEL_RE.fullmatch(row["tunnel"]):
                row["tunnel"] = None
            key = (host, src, spi)
            seen = rows.get(key)
            if seen is None:
                rows[key] = row
            else:  # the same flow to two of the receiver's addresses: one episode
                seen["first_epoch"] = min(seen["first_epoch"], first)
                seen["last_epoch"] = max(seen["last_epoch"], last)
                seen["messages"] = max(seen["messages"], count)
    return [rows[k] for k in sorted(rows)]


def merge_rows(by_key: Dict[Tuple[str, str, int], Dict[str, Any]], rows: Iterable[Mapping[str, Any]]) -> None:
    """The store's upsert of episode rows (store-contract.md), on a dict keyed (receiver, sender address, SPI):
    first = min, last = max, messages = max, a newer non-null field wins. What a replayed month (the lab's
    nights, the generated fleet of the tests) keeps without a store."""
    for row in rows:
        key = (row["receiver"], row["sender_addr"], row["spi"])
        old = by_key.get(key)
        if old is None:
            by_key[key] = dict(row)
            continue
        old["first_epoch"] = min(old["first_epoch"], row["first_epoch"])
        old["last_epoch"] = max(old["last_epoch"], row["last_epoch"])
        old["messages"] = max(old["messages"], row["messages"])
        for field in ("verdict", "sender", "receiver_addr", "tunnel", "fixed_epoch"):
            if row[field] is not None:
                old[field] = row[field]


def _outcome(action: Mapping[str, Any]) -> Optional[str]:
    result = action.get("result")
    if result == "failed":
        return "failed"
    if result != "done":
        return None
    if action.get("action") == "enable_knob":
        # The knob's check reads the configuration, not the pair: it says nothing of a fix.
        return "not_verified"
    verified = action.get("verified")
    return "fixed" if verified is True else "still_broken" if verified is False else "not_verified"


def action_rows(assessments: Any, run_epoch: Any, run_id: Any) -> List[Dict[str, Any]]:
    """The action rows of one run from each router's ``performed_actions`` (spi_verify_remediation's output).

    Only what was sent (done or failed) is recorded: a skipped or check-mode action changed nothing.
    """
    epoch, rid = _run(run_epoch, run_id)
    rows: Dict[Tuple[str, Optional[str], str], Dict[str, Any]] = {}
    for host, assessment in _assessment_list(assessments):
        performed = assessment.get("performed_actions") or []
        if not isinstance(performed, list):
            raise ParseError("assessment of %s: performed_actions must be a list" % host)
        for index, action in enumerate(performed):
            where = "assessment of %s: performed_actions[%d]" % (host, index)
            if not isinstance(action, Mapping):
                raise ParseError("%s must be a mapping" % where)
            outcome = _outcome(action)
            if outcome is None:
                continue
            kind = action.get("action")
            receiver: str
            peer: Optional[str]
            if kind == "enable_knob":
                receiver, peer, name = host, None, "enable_recovery"
            elif kind in ("clear_sa", "clear_session"):
                receiver = str(_host(action.get("receiver"), where + ".receiver"))
                peer = _addr(action.get("sender_addr"), where + ".sender_addr")
                name = str(kind)
            else:
                raise ParseError("%s.action must be enable_knob, clear_sa or clear_session, not %r" % (where, kind))
            row = {"run_id": rid, "receiver": receiver, "peer": peer, "action": name,
                   "command": _text(action.get("command"), _COMMAND_RE, where + ".command"),
                   "epoch": epoch, "outcome": outcome}
            rows[(receiver, peer, name)] = row
    return [rows[k] for k in sorted(rows, key=lambda k: (k[0], k[1] or "", k[2]))]


# --------------------------------------------------------------------------------------------------
# What the rows say
# --------------------------------------------------------------------------------------------------

def _now(now: Any) -> float:
    value = _epoch(now, "now")
    if value is None:
        raise ParseError("now must be seconds since the epoch, not %r" % (now,))
    return value


def _window(min_episodes: Any, window_days: Any) -> Tuple[int, float]:
    n = _int(min_episodes, "min_episodes", 2)
    if isinstance(window_days, bool) or not isinstance(window_days, (int, float)) or not math.isfinite(window_days) \
            or not 0 < window_days <= MAX_DAYS:
        raise ParseError("window_days must be a number of days in (0, %d], not %r" % (MAX_DAYS, window_days))
    return n, float(window_days)


def duration_text(seconds: Optional[float]) -> str:
    if seconds is None:
        return "unknown"
    seconds = int(round(seconds))
    if seconds < 120:
        return "%d s" % seconds
    if seconds < 7200:
        return "%d min" % (seconds // 60)
    if seconds < 2 * DAY:
        return "%.1f h" % (seconds / 3600.0)
    return "%.1f d" % (seconds / DAY)


def iso(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).replace(microsecond=0).isoformat().replace(
        "+00:00", "Z")


def _black_hole(episode: Mapping[str, Any], now: float) -> Dict[str, Any]:
    """How long one black hole lasted: to its verified fix (the MTTR), else to its last message."""
    if episode["fixed_epoch"] is not None:
        return {"ended": "verified_fix", "seconds": episode["fixed_epoch"] - episode["first_epoch"]}
    if episode["verdict"] == "resolved" or episode["last_epoch"] < now - ACTIVE:
        # No verified fix: the messages stopped (expiry, DPD, a clear not verified). At least this long.
        return {"ended": "messages_stopped", "seconds": episode["last_epoch"] - episode["first_epoch"]}
    return {"ended": "ongoing", "seconds": now - episode["first_epoch"]}


def _how_ended(ended: str) -> str:
    return "" if ended == "verified_fix" else " (%s)" % ended.replace("_", " ")


def _pairs(episodes: List[Dict[str, Any]], since: float) -> Dict[Pair, List[Dict[str, Any]]]:
    out: Dict[Pair, List[Dict[str, Any]]] = {}
    for ep in episodes:
        if ep["verdict"] == TRANSIENT or ep["last_epoch"] < since:
            continue
        out.setdefault((ep["receiver"], ep["sender_addr"]), []).append(ep)
    for eps in out.values():
        eps.sort(key=lambda e: (e["first_epoch"], e["spi"]))
    return out


def _masks(actions: List[Dict[str, Any]], pair: Pair, since: float) -> List[Dict[str, Any]]:
    """The clears of this pair (and knob changes on its receiver) in the window: each one masked it."""
    return sorted((a for a in actions if a["epoch"] >= since and a["receiver"] == pair[0]
                   and (a["peer"] == pair[1] or a["action"] == "enable_recovery")),
                  key=lambda a: (a["epoch"], a["action"]))


def recurring(episodes: Any, actions: Any, min_episodes: Any = DEFAULT_MIN_EPISODES,
              window_days: Any = DEFAULT_WINDOW_DAYS, now: Any = None) -> List[Dict[str, Any]]:
    """A ``RECURRING_DESYNC`` finding per pair with at least ``min_episodes`` black holes in the last
    ``window_days`` days before ``now`` (transient flows are not black holes and do not count).

    Each finding carries the pair, its episodes (when, SPI, how long, how it ended), how often it was
    masked (clears and knob changes, with outcomes) and the MTTR (mean of first INV_SPI to verified fix).
    """
    if now is None:
        raise ParseError("recurring: now (the epoch to count the window back from) is required")
    n, days = _window(min_episodes, window_days)
    at = _now(now)
    eps = check_episodes(episodes)
    acts = check_actions(actions)
    since = at - days * DAY
    out = []
    for pair, pair_eps in sorted(_pairs(eps, since).items()):
        if len(pair_eps) < n:
            continue
        masks = _masks(acts, pair, since)
        holes = []
        for ep in pair_eps:
            hole = _black_hole(ep, at)
            holes.append({"first_epoch": ep["first_epoch"], "first": iso(ep["first_epoch"]), "spi": ep["spi"],
                          "spi_hex": spi_hex(ep["spi"]), "verdict": ep["verdict"], "fixed_epoch": ep["fixed_epoch"],
                          "seconds": round(hole["seconds"], 1), "ended": hole["ended"]})
        fixes = [h["seconds"] for h in holes if h["ended"] == "verified_fix"]
        mttr = round(sum(fixes) / len(fixes), 1) if fixes else None
        clears = [m for m in masks if m["action"] != "enable_recovery" and m["outcome"] != "failed"]
        by_outcome: Dict[str, int] = {}
        for m in masks:
            by_outcome[m["outcome"] or "unknown"] = by_outcome.get(m["outcome"] or "unknown", 0) + 1
        last = pair_eps[-1]
        senders = sorted({e["sender"] for e in pair_eps if e["sender"]})
        tunnels = sorted({e["tunnel"] for e in pair_eps if e["tunnel"]})
        tunnel = next((e["tunnel"] for e in reversed(pair_eps) if e["tunnel"]), None)
        outcomes = ", ".join("%d %s" % (v, k.replace("_", " ")) for k, v in sorted(by_outcome.items()))
        lasted = ", ".join(duration_text(h["seconds"]) + _how_ended(h["ended"]) for h in holes[-10:])
        if len(holes) > 10:
            lasted += " (last 10)"
        mttr_text = ("MTTR %s (first INV_SPI to verified fix)" % duration_text(mttr) if mttr is not None
                     else "no fix was verified")
        message = ("%s <- %s%s desynced %d times in %g days (%s to %s); masked %d time(s) by a clear%s; black holes "
                   "lasted %s; %s. Clears and invalid-spi-recovery only mask it: obtain the ISAKMP and IPsec debugs "
                   "on both ends and address the root cause"
                   % (pair[0], pair[1], " (%s)" % tunnel if tunnel else "", len(pair_eps), days,
                      iso(pair_eps[0]["first_epoch"]), iso(last["first_epoch"]), len(clears),
                      " (%s)" % outcomes if outcomes else "", lasted, mttr_text))
        out.append(finding(
            "RECURRING_DESYNC", message, pair[1], receiver=pair[0], sender_addr=pair[1],
            sender=senders[-1] if senders else None, tunnel=tunnel, tunnels=tunnels, episodes=len(pair_eps),
            window_days=days, min_episodes=n, first_epoch=pair_eps[0]["first_epoch"],
            last_epoch=max(e["last_epoch"] for e in pair_eps), masked=len(clears), outcomes=by_outcome,
            black_holes=holes, mttr_seconds=mttr,
            actions=[{"epoch": m["epoch"], "action": m["action"], "command": m["command"], "outcome": m["outcome"],
                      "run_id": m["run_id"]} for m in masks],
            latest={"spi": last["spi"], "first_epoch": last["first_epoch"], "receiver_addr": last["receiver_addr"],
                    "sender": last["sender"], "tunnel": last["tunnel"]}))
    out.sort(key=lambda f: (-f["episodes"], f["receiver"], f["sender_addr"]))
    return out


def _pair_of(pair: Any) -> Pair:
    if isinstance(pair, Mapping):
        receiver, sender_addr = pair.get("receiver"), pair.get("sender_addr")
    elif isinstance(pair, (list, tuple)) and len(pair) == 2:
        receiver, sender_addr = pair
    else:
        raise ParseError("pair must be {receiver, sender_addr} or (receiver, sender_addr), not %r" % (pair,))
    return str(_host(receiver, "pair.receiver")), str(_addr(sender_addr, "pair.sender_addr"))


def timeline(pair: Any, episodes: Any, actions: Any) -> List[Dict[str, Any]]:
    """One pair's history in time order: each episode (start, end, SPI, verdict, fix) and each action on it."""
    receiver, sender_addr = _pair_of(pair)
    out: List[Dict[str, Any]] = []
    for ep in check_episodes(episodes):
        if (ep["receiver"], ep["sender_addr"]) != (receiver, sender_addr):
            continue
        out.append({"epoch": ep["first_epoch"], "time": iso(ep["first_epoch"]), "kind": "episode", "spi": ep["spi"],
                    "spi_hex": spi_hex(ep["spi"]), "verdict": ep["verdict"], "messages": ep["messages"],
                    "last_epoch": ep["last_epoch"], "fixed_epoch": ep["fixed_epoch"], "tunnel": ep["tunnel"],
                    "source": ep["source"], "run_id": ep["run_id"]})
    for act in check_actions(actions):
        if act["receiver"] != receiver or (act["peer"] != sender_addr and act["action"] != "enable_recovery"):
            continue
        out.append({"epoch": act["epoch"], "time": iso(act["epoch"]), "kind": "action", "action": act["action"],
                    "command": act["command"], "outcome": act["outcome"], "run_id": act["run_id"]})
    out.sort(key=lambda e: (e["epoch"], 0 if e["kind"] == "episode" else 1))
    return out


def _day(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).date().isoformat()


def trend(episodes: Any, actions: Any, days: Any, now: Any, min_episodes: Any = DEFAULT_MIN_EPISODES,
          window_days: Any = DEFAULT_WINDOW_DAYS) -> List[Dict[str, Any]]:
    """Per UTC day of the last ``days`` days: desyncs ``found`` (black holes that started), ``fixed``
    (verified fixes) and ``recurring`` (black holes that started on a pair that had at least
    ``min_episodes`` - 1 others in the ``window_days`` before), plus ``clears`` sent that day."""
    span = _int(days, "days", 1, MAX_DAYS)
    n, wdays = _window(min_episodes, window_days)
    at = _now(now)
    eps = check_episodes(episodes)
    acts = check_actions(actions)
    first_day = datetime.datetime.fromtimestamp(at, datetime.timezone.utc).date() - datetime.timedelta(days=span - 1)
    rows = {(first_day + datetime.timedelta(days=i)).isoformat(): {"found": 0, "fixed": 0, "recurring": 0, "clears": 0}
            for i in range(span)}
    starts: Dict[Pair, List[float]] = {}
    for ep in eps:
        if ep["verdict"] != TRANSIENT:
            starts.setdefault((ep["receiver"], ep["sender_addr"]), []).append(ep["first_epoch"])
    for values in starts.values():
        values.sort()
    for pair_starts in starts.values():
        for i, start in enumerate(pair_starts):
            row = rows.get(_day(start))
            if row is None:
                continue
            row["found"] += 1
            before = [s for s in pair_starts[:i] if s >= start - wdays * DAY]
            if len(before) >= n - 1:
                row["recurring"] += 1
    for ep in eps:
        if ep["fixed_epoch"] is not None and _day(ep["fixed_epoch"]) in rows:
            rows[_day(ep["fixed_epoch"])]["fixed"] += 1
    for act in acts:
        if act["action"] != "enable_recovery" and act["outcome"] != "failed" and _day(act["epoch"]) in rows:
            rows[_day(act["epoch"])]["clears"] += 1
    return [dict(day=day, **counts) for day, counts in sorted(rows.items())]


def pairs_of(findings: Iterable[Mapping[str, Any]]) -> List[Pair]:
    """The (receiver, sender address) of each RECURRING_DESYNC finding, in order."""
    return [(str(f["receiver"]), str(f["sender_addr"])) for f in findings if f.get("code") == "RECURRING_DESYNC"]
