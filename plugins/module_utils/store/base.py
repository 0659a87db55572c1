# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What both backends share: the SQL of claims, outcomes and history, written once.

A backend supplies the connection, its placeholder and null-safe comparison, how a write transaction
starts (SQLite: ``BEGIN IMMEDIATE``, one writer at a time; PostgreSQL: advisory locks per pair and per
run) and how a driver error becomes a StoreError naming the store.
"""

from __future__ import annotations

import contextlib
import math
import re
import time
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Type

from ansible_collections.netops.ipsec_spi.plugins.module_utils.store.entries import StoreError
from ansible_collections.netops.ipsec_spi.plugins.module_utils.store.schema import MIGRATIONS, SCHEMA_VERSION, VERSION_TABLE

# Statuses of a claim. A 'claimed' row is a clear that may have been sent: it counts for the cool-down
# and the budget like a clear made, until the cool-down ends (a run killed between the clear and its
# record leaves one behind; it is shown, never cleared again within the cool-down).
CLAIMED, CLEARED, NOT_CLEARED = "claimed", "cleared", "not_cleared"
COUNTED = (CLAIMED, CLEARED)
CLEAR_FIELDS = ("run_id", "host", "peer", "action", "receiver", "sender_addr", "spi", "command", "claimed_at", "done_at", "status")
EPISODE_FIELDS = ("receiver", "sender", "sender_addr", "receiver_addr", "tunnel", "spi", "first_epoch", "last_epoch",
                  "messages", "verdict", "fixed_epoch", "source", "run_id")
ACTION_FIELDS = ("run_id", "receiver", "peer", "action", "command", "epoch", "outcome")
SOURCES = ("audit", "remediate", "eda", "capture", "fleet")
ACTION_NAMES = ("clear_sa", "clear_session", "enable_recovery")
OUTCOMES = ("fixed", "still_broken", "not_verified", "failed", "claimed", None)
# Routers named in one query at most (a batch); more are filtered after reading.
MAX_FILTER = 500

_PASSWORD_IN_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^:/@?#]*:)(.*)(@)", re.S)
_PASSWORD_PARAM = re.compile(r"(password=)[^&\s]*", re.I)


def mask(text: Any) -> str:
    """``text`` with any URL password (user:PASSWORD@ or password=...) replaced by ***."""
    return _PASSWORD_PARAM.sub(r"\1***", _PASSWORD_IN_URL.sub(r"\1***\3", str(text)))


def _str(row: Mapping[str, Any], name: str, where: str, optional: bool = False) -> Optional[str]:
    value = row.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value or len(value) > 1024:
        raise StoreError("%s: %s must be a non-empty string%s, got %r" % (where, name, " or null" if optional else "", value))
    return value


def _num(row: Mapping[str, Any], name: str, where: str, optional: bool = False, integer: bool = False) -> Any:
    value: Any = row.get(name)
    if value is None and optional:
        return None
    want = "an integer" if integer else "a finite number"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and isinstance(value, float)):
        raise StoreError("%s: %s must be %s, got %r" % (where, name, want, value))
    if integer:
        if not 0 <= value < 2 ** 63:
            raise StoreError("%s: %s is out of range: %r" % (where, name, value))
        return int(value)
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise StoreError("%s: %s must be %s, got %s" % (where, name, want, str(value)[:40]))
    return number


def _choice(row: Mapping[str, Any], name: str, where: str, choices: Sequence[Any]) -> Any:
    value = row.get(name)
    if value not in choices:
        raise StoreError("%s: %s must be one of %s, got %r" % (where, name, ", ".join(str(c) for c in choices), value))
    return value


def episode_row(row: Any, index: int) -> Tuple[Any, ...]:
    where = "episode %d" % index
    if not isinstance(row, Mapping):
        raise StoreError("%s is %s, expected a mapping" % (where, type(row).__name__))
    first, last = _num(row, "first_epoch", where), _num(row, "last_epoch", where)
    if first > last:
        raise StoreError("%s: first_epoch %.0f is after last_epoch %.0f" % (where, first, last))
    return (_str(row, "receiver", where), _str(row, "sender", where, True), _str(row, "sender_addr", where),
            _str(row, "receiver_addr", where, True), _str(row, "tunnel", where, True), _num(row, "spi", where, integer=True),
            first, last, _num(row, "messages", where, integer=True), _str(row, "verdict", where, True),
            _num(row, "fixed_epoch", where, True), _choice(row, "source", where, SOURCES), _str(row, "run_id", where))


def action_row(row: Any, index: int) -> Tuple[Any, ...]:
    where = "action %d" % index
    if not isinstance(row, Mapping):
        raise StoreError("%s is %s, expected a mapping" % (where, type(row).__name__))
    action = _choice(row, "action", where, ACTION_NAMES)
    # The knob has no peer. It is stored as "" (a NULL would make every copy distinct under the unique key,
    # and the same run's knob would be recorded twice) and read back as None.
    peer = _str(row, "peer", where, optional=action == "enable_recovery") or ""
    return (_str(row, "run_id", where), _str(row, "receiver", where), peer,
            action, _str(row, "command", where, True), _num(row, "epoch", where),
            _choice(row, "outcome", where, OUTCOMES))


class Store:
    """One open store. ``location`` is what the user gave, password masked: safe in any message."""

    backend = "?"
    placeholder = "?"
    distinct = "IS NOT"
    least, greatest = "min", "max"

    def __init__(self, conn: Any, location: str) -> None:
        self.conn = conn
        self.location = mask(location)

    # -- what each backend provides ------------------------------------------------------------------

    def _translate(self, exc: BaseException, doing: str) -> StoreError:
        raise NotImplementedError

    def _driver_errors(self) -> Tuple[Type[BaseException], ...]:
        raise NotImplementedError

    def _begin(self, keys: Sequence[str]) -> None:
        """Start a write transaction that holds ``keys`` (pairs, runs) until it ends."""
        raise NotImplementedError

    def _has_table(self, name: str) -> bool:
        raise NotImplementedError

    # -- plumbing -------------------------------------------------------------------------------------

    def _sql(self, text: str) -> str:
        return text if self.placeholder == "?" else text.replace("?", self.placeholder)

    def _run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(self._sql(sql), tuple(params))

    def _many(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        cur = self.conn.cursor()
        try:
            cur.executemany(self._sql(sql), rows)
            return max(cur.rowcount, 0)
        finally:
            cur.close()

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> List[Tuple[Any, ...]]:
        return [tuple(r) for r in self._run(sql, params).fetchall()]

    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except StoreError:
            raise
        except self._driver_errors() as exc:
            raise self._translate(exc, doing) from None

    @contextlib.contextmanager
    def _write(self, doing: str, keys: Sequence[str] = ()) -> Iterator[None]:
        with self._errors(doing):
            self._begin(keys)
            try:
                yield
            except BaseException:
                with contextlib.suppress(Exception):
                    self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- schema ---------------------------------------------------------------------------------------

    def version(self) -> int:
        """The schema version of the store: 0 when it has none yet."""
        with self._errors("reading its schema version"):
            if not self._has_table("schema_version"):
                return 0
            rows = self._rows("SELECT max(version) FROM schema_version")
        return int(rows[0][0] or 0)

    def _refuse_newer(self, found: int) -> None:
        if found > SCHEMA_VERSION:
            raise StoreError("the store %s has schema version %d, newer than this collection understands (%d): it was "
                             "written by a newer netops.ipsec_spi; upgrade the collection (nothing was changed)"
                             % (self.location, found, SCHEMA_VERSION))

    def prepare(self, now: Optional[float] = None) -> Dict[str, Any]:
        """Bring the schema up to date and prove the store writable, before anything is sent."""
        now = time.time() if now is None else now
        self._refuse_newer(self.version())
        applied = []
        with self._write("preparing its schema", ["schema"]):
            self.conn.execute(VERSION_TABLE)
            found = int(self._rows("SELECT max(version) FROM schema_version")[0][0] or 0)
            self._refuse_newer(found)
            for version, what, statements in MIGRATIONS:
                if version <= found:
                    continue
                for statement in statements:
                    self.conn.execute(statement)
                self._run("INSERT INTO schema_version (version, applied_at, what) VALUES (?, ?, ?)", (version, now, what))
                applied.append(version)
            # A real write on every open: a read-only store is refused here, not after a clear.
            self._run("INSERT INTO store_meta (key, value) VALUES ('opened_at', ?) "
                      "ON CONFLICT (key) DO UPDATE SET value = excluded.value", ("%.3f" % now,))
        return {"schema_version": SCHEMA_VERSION, "migrated": applied}

    def readable(self) -> bool:
        """True when the store has this code's schema (check mode reads it, never migrates it)."""
        found = self.version()
        self._refuse_newer(found)
        return found == SCHEMA_VERSION

    def meta(self, key: str) -> Optional[str]:
        with self._errors("reading its metadata"):
            rows = self._rows("SELECT value FROM store_meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    # -- cool-down and budget -------------------------------------------------------------------------

    def _entries(self, now: float, cooldown: float, run_id: str,
                 routers: Optional[Sequence[str]] = None) -> Dict[str, Dict[str, Any]]:
        """Claims holding a cool-down, and this run's; ``routers``: only those cleared on or towards them."""
        window, params = "claimed_at > ?", [now - cooldown]  # type: str, List[Any]
        if routers is not None and len(routers) <= MAX_FILTER:
            marks = ", ".join("?" * len(routers))
            window += " AND (host IN (%s) OR receiver IN (%s))" % (marks, marks) if routers else " AND 1 = 0"
            params += list(routers) * 2
        if run_id:
            window = "(%s) OR run_id = ?" % window
            params.append(run_id)
        rows = self._rows("SELECT run_id, host, peer, action, receiver, sender_addr, spi, command, claimed_at, status "
                          "FROM clears WHERE status IN (?, ?) AND (%s) ORDER BY claimed_at" % window,
                          [CLAIMED, CLEARED] + params)
        out: Dict[str, Dict[str, Any]] = {}
        for run, host, peer, action, receiver, sender_addr, spi, command, claimed_at, status in rows:
            key = "%s|%s" % (host, peer)
            # This run's own entry wins (the budget and "already cleared in this run"), else the latest.
            if key in out and out[key]["run_id"] == run_id and run != run_id:
                continue
            out[key] = {"time": float(claimed_at), "run_id": run, "action": action, "receiver": receiver,
                        "sender_addr": sender_addr, "spi": spi, "command": command, "status": status}
        return out

    def cooldowns(self, now: float, cooldown: float, run_id: str = "") -> Dict[str, Dict[str, Any]]:
        """The clears that still hold a cool-down, and this run's: bounded by one cool-down's clears."""
        with self._errors("reading the cool-downs"):
            return self._entries(now, cooldown, run_id)

    def claim(self, run_id: str, cooldown: float, keys: Sequence[str],
              decide: Callable[[Dict[str, Dict[str, Any]], float], Tuple[Any, List[Mapping[str, Any]]]],
              routers: Optional[Sequence[str]] = None) -> Any:
        """Decide and claim clears in one transaction holding ``keys``; returns what ``decide`` returned.

        ``decide`` gets the cool-down entries as seen under the lock and the time once the lock is held
        (a run that waited for another must not judge that run's claims as from the future), and returns
        (result, claims). ``routers`` (the batch's routers and their pairs' receivers) limits what is read. Each
        claim (host, peer, action, receiver, sender_addr, spi, command) is written before the transaction
        ends, so it is durable before any clear is sent.
        """
        with self._write("claiming clears", keys):
            now = time.time()
            result, claims = decide(self._entries(now, cooldown, run_id, routers), now)
            for claim in claims:
                self._run("INSERT INTO clears (run_id, host, peer, action, receiver, sender_addr, spi, command, "
                          "claimed_at, done_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?) "
                          "ON CONFLICT (run_id, host, peer) DO UPDATE SET action = excluded.action, "
                          "receiver = excluded.receiver, sender_addr = excluded.sender_addr, spi = excluded.spi, "
                          "command = excluded.command, claimed_at = excluded.claimed_at, done_at = NULL, "
                          "status = excluded.status WHERE clears.status = ?",
                          (run_id, str(claim["host"]), str(claim["peer"]), str(claim.get("action") or ""),
                           claim.get("receiver"), claim.get("sender_addr"), claim.get("spi"),
                           str(claim.get("command") or ""), now, CLAIMED, NOT_CLEARED))
        return result

    def finish(self, run_id: str, outcomes: Sequence[Tuple[str, str, bool]], now: float) -> List[Tuple[str, str]]:
        """Mark this run's claims cleared or not; returns the (host, peer) that had no open claim."""
        missing = []
        with self._write("recording the clears"):
            for host, peer, cleared in outcomes:
                cur = self._run("UPDATE clears SET status = ?, done_at = ? WHERE run_id = ? AND host = ? AND peer = ? "
                                "AND status = ?", (CLEARED if cleared else NOT_CLEARED, now, run_id, host, peer, CLAIMED))
                if cur.rowcount != 1:
                    missing.append((host, peer))
        return missing

    def run_clears(self, run_id: str, limit: int = 1000) -> List[Dict[str, Any]]:
        """What one run claimed and cleared, oldest first (at most ``limit``)."""
        with self._errors("listing a run's clears"):
            rows = self._rows("SELECT %s FROM clears WHERE run_id = ? ORDER BY claimed_at, host, peer LIMIT ?"
                              % ", ".join(CLEAR_FIELDS), (run_id, int(limit)))
        return [dict(zip(CLEAR_FIELDS, r)) for r in rows]

    def open_claims(self, run_id: str = "", limit: int = 10) -> Tuple[int, List[Dict[str, Any]]]:
        """Claims never recorded by other runs (still running, or stopped between a clear and its record)."""
        with self._errors("listing unfinished claims"):
            count = int(self._rows("SELECT count(*) FROM clears WHERE status = ? AND run_id <> ?", (CLAIMED, run_id))[0][0])
            rows = self._rows("SELECT %s FROM clears WHERE status = ? AND run_id <> ? ORDER BY claimed_at DESC LIMIT ?"
                              % ", ".join(CLEAR_FIELDS), (CLAIMED, run_id, int(limit)))
        return count, [dict(zip(CLEAR_FIELDS, r)) for r in rows]

    def import_entries(self, entries: Mapping[str, Mapping[str, Any]], source: str, now: float) -> Optional[int]:
        """Import validated cool-down entries once (the JSON state file); None when already imported."""
        with self._write("importing the old cool-down state", ["legacy"]):
            if self._rows("SELECT value FROM store_meta WHERE key = 'legacy_import'"):
                return None
            for key, entry in sorted(entries.items()):
                host, peer = key.split("|", 1)
                spi = entry.get("spi")
                self._run("INSERT INTO clears (run_id, host, peer, action, receiver, sender_addr, spi, command, "
                          "claimed_at, done_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                          "ON CONFLICT (run_id, host, peer) DO NOTHING",
                          (str(entry.get("run_id") or "imported"), host, peer, "imported", entry.get("receiver"),
                           entry.get("sender_addr"), spi if isinstance(spi, int) and not isinstance(spi, bool) else None,
                           str(entry.get("command") or ""), entry["time"], entry["time"], CLEARED))
            self._run("INSERT INTO store_meta (key, value) VALUES ('legacy_import', ?)",
                      ("%d entries from %s at %.0f" % (len(entries), source, now),))
        return len(entries)

    # -- history (docs: store-contract) ---------------------------------------------------------------

    def _upsert(self, table: str, fields: Sequence[str], key: Sequence[str], updates: Mapping[str, str]) -> str:
        sets = ", ".join("%s = %s" % (col, expr) for col, expr in updates.items())
        changed = " OR ".join("%s.%s %s (%s)" % (table, col, self.distinct, expr) for col, expr in updates.items())
        return ("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO UPDATE SET %s WHERE %s"
                % (table, ", ".join(fields), ", ".join("?" * len(fields)), ", ".join(key), sets, changed))

    def record_episodes(self, rows: Sequence[Mapping[str, Any]]) -> int:
        values = [episode_row(row, i) for i, row in enumerate(rows)]
        newer = "excluded.last_epoch >= episodes.last_epoch"

        def pick(col: str) -> str:
            return ("CASE WHEN %s THEN COALESCE(excluded.%s, episodes.%s) ELSE COALESCE(episodes.%s, excluded.%s) END"
                    % (newer, col, col, col, col))

        updates = {"first_epoch": "%s(episodes.first_epoch, excluded.first_epoch)" % self.least,
                   "last_epoch": "%s(episodes.last_epoch, excluded.last_epoch)" % self.greatest,
                   "messages": "%s(episodes.messages, excluded.messages)" % self.greatest}
        for col in ("verdict", "sender", "receiver_addr", "tunnel", "fixed_epoch", "source", "run_id"):
            updates[col] = pick(col)
        sql = self._upsert("episodes", EPISODE_FIELDS, ("receiver", "sender_addr", "spi"), updates)
        with self._write("recording episodes"):
            return self._many(sql, values) if values else 0

    def episodes(self, since_epoch: float, receiver: Optional[str] = None, sender_addr: Optional[str] = None) -> List[Dict[str, Any]]:
        sql = "SELECT %s FROM episodes WHERE last_epoch >= ?" % ", ".join(EPISODE_FIELDS)
        params: List[Any] = [float(since_epoch)]
        for col, value in (("receiver", receiver), ("sender_addr", sender_addr)):
            if value is not None:
                sql += " AND %s = ?" % col
                params.append(value)
        with self._errors("reading episodes"):
            rows = self._rows(sql + " ORDER BY receiver, sender_addr, first_epoch", params)
        return [dict(zip(EPISODE_FIELDS, r)) for r in rows]

    def record_actions(self, rows: Sequence[Mapping[str, Any]]) -> int:
        values = [action_row(row, i) for i, row in enumerate(rows)]
        updates = {"command": "COALESCE(excluded.command, actions.command)", "epoch": "excluded.epoch",
                   "outcome": "COALESCE(excluded.outcome, actions.outcome)"}
        sql = self._upsert("actions", ACTION_FIELDS, ("run_id", "receiver", "peer", "action"), updates)
        with self._write("recording actions"):
            return self._many(sql, values) if values else 0

    def actions(self, since_epoch: float, receiver: Optional[str] = None, peer: Optional[str] = None) -> List[Dict[str, Any]]:
        sql = "SELECT %s FROM actions WHERE epoch >= ?" % ", ".join(ACTION_FIELDS)
        params: List[Any] = [float(since_epoch)]
        for col, value in (("receiver", receiver), ("peer", peer)):
            if value is not None:
                sql += " AND %s = ?" % col
                params.append(value)
        with self._errors("reading actions"):
            rows = self._rows(sql + " ORDER BY epoch, run_id, receiver, peer, action", params)
        return [dict(zip(ACTION_FIELDS, r), peer=r[ACTION_FIELDS.index("peer")] or None) for r in rows]

    def prune(self, before_epoch: float) -> int:
        """Retention: forget episodes, actions and clears last seen before ``before_epoch``."""
        before = float(before_epoch)
        deleted = 0
        with self._write("pruning old records"):
            for sql in ("DELETE FROM episodes WHERE last_epoch < ?", "DELETE FROM actions WHERE epoch < ?",
                        "DELETE FROM clears WHERE claimed_at < ?"):
                deleted += max(self._run(sql, (before,)).rowcount, 0)
        return deleted
