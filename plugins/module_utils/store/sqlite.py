# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The embedded backend: one SQLite file, WAL, one writer at a time (``BEGIN IMMEDIATE``)."""

from __future__ import annotations

import os
import sqlite3
from typing import Any, Sequence, Tuple, Type

from ansible_collections.netops.ipsec_spi.plugins.module_utils.store.base import Store
from ansible_collections.netops.ipsec_spi.plugins.module_utils.store.entries import StoreError


def _existing_parent(directory: str) -> str:
    while directory and not os.path.exists(directory):
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return directory


class SqliteStore(Store):
    backend = "sqlite"

    def __init__(self, conn: Any, location: str, wait: float) -> None:
        super().__init__(conn, location)
        self.wait = wait

    def _driver_errors(self) -> Tuple[Type[BaseException], ...]:
        return (sqlite3.Error,)

    def _translate(self, exc: BaseException, doing: str) -> StoreError:
        text = str(exc)
        lower = text.lower()
        if "not a database" in lower or "malformed" in lower or "corrupt" in lower:
            why = ("is not a usable SQLite database (%s): it is corrupt or another kind of file; restore it from a "
                   "backup, or move it away to start an empty store (cool-downs are then forgotten)" % text)
        elif "readonly" in lower or "read-only" in lower:
            why = "is read-only (%s): the store must be writable before anything is cleared" % text
        elif "locked" in lower or "busy" in lower:
            why = ("stayed locked by another run for more than %.0f s (%s): another remediation is claiming clears; "
                   "let it finish and run again" % (self.wait, text))
        else:
            why = "failed (%s)" % text
        return StoreError("the store %s %s, while %s" % (self.location, why, doing))

    def _begin(self, keys: Sequence[str]) -> None:
        del keys  # one writer at a time for the whole file
        self.conn.execute("BEGIN IMMEDIATE")

    def _has_table(self, name: str) -> bool:
        return bool(self._rows("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)))


def open_sqlite(path: str, wait: float = 300.0, create: bool = True) -> SqliteStore:
    """Open (``create``: and create, directory 0700, file 0600) the store file; StoreError names it."""
    where = os.path.realpath(os.path.expanduser(path))
    directory = os.path.dirname(where)
    if os.path.isdir(where):
        raise StoreError("the store %s is a directory, not an SQLite file" % where)
    exists = os.path.exists(where)
    if create:
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise StoreError("cannot create the directory of the store %s: %s (%s)"
                             % (where, exc.strerror or exc, _existing_parent(directory))) from None
    elif not exists:
        parent = _existing_parent(directory)
        if not os.path.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
            raise StoreError("cannot create the store %s: %s is not a writable directory" % (where, parent))
    if exists and not os.access(where, os.R_OK):
        raise StoreError("the store %s cannot be read (permissions)" % where)
    uri = "file:%s?mode=%s" % (where.replace("?", "%3f").replace("#", "%23"), "rwc" if create else "ro")
    if not create and not exists:
        uri = "file::memory:"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=wait, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise StoreError("cannot open the store %s: %s" % (where, exc)) from None
    store = SqliteStore(conn, where, wait)
    if create and not exists:
        os.chmod(where, 0o600)
    with store._errors("opening it"):
        # The journal mode is a write: a read-only file keeps its own (and is refused at the first write).
        if create and os.access(where, os.W_OK):
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        # Reading the header here refuses a file that is no database before anything else.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
    return store
