# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What remediation remembers between runs: claims of clears (cool-down, budget) and history.

``open_store(location)``: a path is the embedded SQLite store (the default), ``postgresql://...`` the
cluster one. Pure Python, no Ansible imports: the ``store`` action plugin is the thin wrapper.
"""

from __future__ import annotations

import os
import re

from ansible_collections.netops.ipsec_spi.plugins.module_utils.store.base import CLAIMED, CLEARED, NOT_CLEARED, Store, mask
from ansible_collections.netops.ipsec_spi.plugins.module_utils.store.entries import StoreError, validate
from ansible_collections.netops.ipsec_spi.plugins.module_utils.store.schema import SCHEMA_VERSION

DEFAULT_LOCATION = "~/.ansible/netops.ipsec_spi/store.sqlite3"
ENV = "IPSEC_SPI_STORE"
_URL = re.compile(r"postgres(?:ql)?://.*", re.S)


def is_postgres(location: str) -> bool:
    return bool(_URL.fullmatch(location.strip()))


def open_store(location: str, wait: float = 300.0, create: bool = True, opened: bool = False) -> Store:
    """The store at ``location``; ``create`` False (check mode) creates nothing on disk.

    ``opened``: this run opened (and prepared) it before; a store without its schema now was removed or
    replaced since, and is refused rather than started afresh without the run's claims.
    """
    if not isinstance(location, str) or not location.strip():
        raise StoreError("the store location is empty: give a file path or a postgresql:// URL (%s)" % ENV)
    if is_postgres(location):
        from ansible_collections.netops.ipsec_spi.plugins.module_utils.store.postgres import open_postgres  # pylint: disable=import-outside-toplevel
        store: Store = open_postgres(location.strip(), wait=wait)
    elif "://" in location:
        raise StoreError("the store %s is neither a file path nor a postgresql:// URL" % mask(location))
    else:
        from ansible_collections.netops.ipsec_spi.plugins.module_utils.store.sqlite import open_sqlite  # pylint: disable=import-outside-toplevel
        path = os.path.expanduser(location)
        if opened and not os.path.exists(path):
            raise StoreError("the store %s is gone: it was removed since this run opened it, so no clear is made"
                             % os.path.realpath(path))
        store = open_sqlite(path, wait=wait, create=create)
    if opened and not store.readable():
        store.close()
        raise StoreError("the store %s has no schema: it was replaced since this run opened it, so no clear is made"
                         % store.location)
    return store


__all__ = ["open_store", "Store", "StoreError", "mask", "validate", "is_postgres", "DEFAULT_LOCATION", "ENV",
           "SCHEMA_VERSION", "CLAIMED", "CLEARED", "NOT_CLEARED"]
