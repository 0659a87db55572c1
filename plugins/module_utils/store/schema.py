# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The store's schema, as migrations: one list, applied in order, from the first release on.

Never edit a released migration: append one. Both backends run the same statements (types both
SQLite and PostgreSQL accept). ``schema_version`` holds one row per migration applied; a store whose
highest version is above ``SCHEMA_VERSION`` was written by a newer collection and is refused.
"""

from __future__ import annotations

from typing import List, Tuple

MIGRATIONS: List[Tuple[int, str, List[str]]] = [
    (1, "clears (cool-down and budget claims), episodes and actions (history)", [
        "CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        # A clear is claimed (status 'claimed') in the same transaction that checks its cool-down and the
        # run's budget, before the command is sent; the record marks it 'cleared' or 'not_cleared'.
        """CREATE TABLE clears (
            run_id TEXT NOT NULL, host TEXT NOT NULL, peer TEXT NOT NULL, action TEXT NOT NULL,
            receiver TEXT, sender_addr TEXT, spi BIGINT, command TEXT NOT NULL DEFAULT '',
            claimed_at DOUBLE PRECISION NOT NULL, done_at DOUBLE PRECISION, status TEXT NOT NULL,
            PRIMARY KEY (run_id, host, peer))""",
        "CREATE INDEX clears_by_peer ON clears (host, peer, claimed_at)",
        "CREATE INDEX clears_by_pair ON clears (receiver, sender_addr, claimed_at)",
        "CREATE INDEX clears_by_time ON clears (claimed_at)",
        """CREATE TABLE episodes (
            receiver TEXT NOT NULL, sender TEXT, sender_addr TEXT NOT NULL, receiver_addr TEXT, tunnel TEXT,
            spi BIGINT NOT NULL, first_epoch DOUBLE PRECISION NOT NULL, last_epoch DOUBLE PRECISION NOT NULL,
            messages BIGINT NOT NULL, verdict TEXT, fixed_epoch DOUBLE PRECISION, source TEXT NOT NULL,
            run_id TEXT NOT NULL, PRIMARY KEY (receiver, sender_addr, spi))""",
        "CREATE INDEX episodes_by_last ON episodes (last_epoch)",
        """CREATE TABLE actions (
            run_id TEXT NOT NULL, receiver TEXT NOT NULL, peer TEXT NOT NULL, action TEXT NOT NULL,
            command TEXT, epoch DOUBLE PRECISION NOT NULL, outcome TEXT,
            PRIMARY KEY (run_id, receiver, peer, action))""",
        "CREATE INDEX actions_by_epoch ON actions (epoch)",
    ]),
]

SCHEMA_VERSION = MIGRATIONS[-1][0]
VERSION_TABLE = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL, what TEXT NOT NULL)"
