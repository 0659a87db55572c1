# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Opening the store for a run: every refusal happens here, before the first clear.

A real run creates or migrates the schema, proves the store writable, imports the old JSON state
file once, and prunes by retention. Check mode changes nothing: it reads what is there (the old file's
cool-downs too, when not imported yet) so the dry run skips what a real run would.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Iterable, Optional, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.store import open_store
from ansible_collections.netops.ipsec_spi.plugins.module_utils.store.base import Store
from ansible_collections.netops.ipsec_spi.plugins.module_utils.store.entries import StoreError
from ansible_collections.netops.ipsec_spi.plugins.module_utils.store.legacy import read_state_file

DAY = 86400.0
SHOWN = 10


def _legacy(legacy: Optional[str], now: float) -> Tuple[str, Dict[str, Dict[str, Any]]]:
    if not legacy:
        return "", {}
    where = os.path.realpath(os.path.expanduser(legacy))
    return where, read_state_file(where, now) if os.path.exists(where) else {}


def open_for_run(location: str, now: float, cooldown: float, run_id: str = "", check: bool = False,
                 legacy: Optional[str] = None, retention_days: float = 90.0, wait: float = 300.0,
                 hosts: Optional[Iterable[str]] = None) -> Dict[str, Any]:
    """The store checked for this run, and what the plan needs from it (a bounded cool-down view)."""
    if retention_days * DAY < cooldown:
        raise StoreError("the retention (%g days) is shorter than the cool-down (%.0f s): a clear would be forgotten "
                         "while its peer is still in its cool-down" % (retention_days, cooldown))
    store = open_store(location, wait=wait, create=not check)
    try:
        out: Dict[str, Any] = {"store": store.location, "backend": store.backend, "imported": None, "pruned": 0}
        if check:
            ready = store.readable()
            entries = store.cooldowns(now, cooldown, run_id) if ready else {}
            if not ready or store.meta("legacy_import") is None:
                source, old = _legacy(legacy, now)
                for key, entry in old.items():
                    if now - entry["time"] < cooldown and key not in entries:
                        entries[key] = dict(entry, status="cleared")
            count, shown = store.open_claims(run_id, SHOWN) if ready else (0, [])
        else:
            out.update(store.prepare(now))
            if store.meta("legacy_import") is None:
                source, old = _legacy(legacy, now)
                if source and os.path.exists(source):
                    out["imported"] = {"file": source, "entries": store.import_entries(old, source, now)}
            if retention_days > 0:
                out["pruned"] = store.prune(now - retention_days * DAY)
            entries = store.cooldowns(now, cooldown, run_id)
            count, shown = store.open_claims(run_id, SHOWN)
    finally:
        store.close()
    if hosts is not None:
        keep = set(hosts)
        entries = {k: v for k, v in entries.items() if k.split("|", 1)[0] in keep or v.get("receiver") in keep
                   or v.get("run_id") == run_id}
    out.update(state=entries, open_claims={"count": count, "shown": shown})
    return out


def describe_open_claims(found: Dict[str, Any]) -> Optional[str]:
    if not found.get("count"):
        return None
    shown = ", ".join("%s|%s by run %s" % (c["host"], c["peer"], c["run_id"] or "?") for c in found["shown"])
    return ("%d clear(s) claimed by other runs were never recorded (those runs are still clearing, or stopped "
            "between a clear and its record): %s%s. They count as cleared until their cool-down ends"
            % (found["count"], shown, " ..." if found["count"] > len(found["shown"]) else ""))


__all__ = ["open_for_run", "describe_open_claims", "Store"]
