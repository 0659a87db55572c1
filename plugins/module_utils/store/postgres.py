# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster backend: PostgreSQL through psycopg 3, advisory locks per pair and per run.

Two slices or two runs claiming the same pair serialise on that pair's lock (and slices sharing a run
id on the run's, for the budget); claims of unrelated pairs do not wait for each other. Locks are taken
in one global order (sorted lock numbers), so two claims never deadlock.
"""

from __future__ import annotations

import hashlib
from typing import Any, Sequence, Tuple, Type

from ansible_collections.netops.ipsec_spi.plugins.module_utils.store.base import Store, mask
from ansible_collections.netops.ipsec_spi.plugins.module_utils.store.entries import StoreError

INSTALL = ("pip install 'psycopg[binary]>=3.1' into the Python that runs ansible-playbook (the collection's "
           "execution environment carries it)")
# Namespace of our advisory locks' numbers, so they do not collide with another application's by accident.
_NAMESPACE = b"netops.ipsec_spi:"


def lock_number(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(_NAMESPACE + key.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


def _driver() -> Any:
    try:
        import psycopg  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise StoreError("the store is PostgreSQL, which needs the Python package psycopg (3.x), not installed: %s"
                         % INSTALL) from None
    return psycopg


class PostgresStore(Store):
    backend = "postgresql"
    placeholder = "%s"
    distinct = "IS DISTINCT FROM"
    least, greatest = "LEAST", "GREATEST"

    def __init__(self, conn: Any, location: str, secret: str, wait: float) -> None:
        super().__init__(conn, location)
        self.secret, self.wait = secret, wait

    def _driver_errors(self) -> Tuple[Type[BaseException], ...]:
        return (_driver().Error,)

    def _translate(self, exc: BaseException, doing: str) -> StoreError:
        text = _clean(exc, self.secret)
        if getattr(exc, "sqlstate", None) == "55P03":
            text = "another run held the pair's lock for more than %.0f s (%s); let it finish and run again" % (self.wait, text)
        elif getattr(exc, "sqlstate", None) == "25006":
            text = "the database is read-only (%s)" % text
        return StoreError("the store %s failed while %s: %s" % (self.location, doing, text))

    def _begin(self, keys: Sequence[str]) -> None:
        self.conn.execute("BEGIN")
        for number in sorted(set(lock_number(k) for k in keys)):
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (number,))

    def _has_table(self, name: str) -> bool:
        return bool(self._rows("SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = ?",
                               (name,)))


def _clean(exc: BaseException, secret: str) -> str:
    text = " ".join(str(exc).split())
    if secret:
        text = text.replace(secret, "***")
    return mask(text)[:600]


def open_postgres(url: str, wait: float = 300.0, connect_timeout: float = 10.0) -> PostgresStore:
    """Connect; StoreError names the store (password masked) and says what is wrong."""
    psycopg = _driver()
    secret = ""
    try:
        secret = psycopg.conninfo.conninfo_to_dict(url).get("password") or ""
    except psycopg.Error as exc:
        raise StoreError("the store %s is not a valid PostgreSQL URL: %s" % (mask(url), _clean(exc, ""))) from None
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(connect_timeout)),
                               application_name="netops.ipsec_spi")
    except psycopg.Error as exc:
        text = _clean(exc, secret)
        lower = text.lower()
        if "password authentication failed" in lower or "authentication failed" in lower or "no password supplied" in lower:
            why = "its credentials were refused"
        elif "does not exist" in lower:
            why = "its database or user does not exist"
        else:
            why = "it cannot be reached"
        raise StoreError("cannot connect to the store %s: %s (%s)" % (mask(url), why, text)) from None
    store = PostgresStore(conn, url, secret, wait)
    with store._errors("opening it"):
        conn.execute("SELECT set_config('lock_timeout', %s, false)", ("%dms" % int(wait * 1000),))
    return store
