# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The JSON cool-down state file of releases up to 0.1.0, read once to import it into the store.

After the import the file is left alone (never written, never read again): its cool-downs live on in
the store. A file that cannot be trusted is refused, naming it, as before: its cool-downs would be lost.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict

from ansible_collections.netops.ipsec_spi.plugins.module_utils.store.entries import StoreError, validate

DEFAULT_PATH = "~/.ansible/netops.ipsec_spi/clear-state.json"
MAX_BYTES = 64 * 1024 * 1024


def read_state_file(path: str, now: float) -> Dict[str, Dict[str, Any]]:
    """The validated entries of the old state file; a missing or blank file has none."""
    where = os.path.realpath(os.path.expanduser(path))
    try:
        with open(where, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return {}
    except IsADirectoryError:
        raise StoreError("%s is a directory, not the old cool-down state file" % where) from None
    except OSError as exc:
        raise StoreError("cannot read the old cool-down state %s to import it: %s" % (where, exc.strerror or exc)) from None
    if len(raw) > MAX_BYTES:
        raise StoreError("%s is larger than %d bytes: not a cool-down state" % (where, MAX_BYTES))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StoreError("%s is not UTF-8 text (byte %d): not a cool-down state; repair or remove it" % (where, exc.start)) from None
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        detail = "line %d column %d: %s" % (exc.lineno, exc.colno, exc.msg) if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise StoreError("%s is not valid JSON (%s); it is the old cool-down state, imported once into the store: "
                         "repair it, or remove it to forget its clears" % (where, detail)) from None
    return validate(data, now, "the old cool-down state %s (imported once into the store)" % where)
