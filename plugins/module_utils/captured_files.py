# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Command outputs from a folder of captured files, for ``ipsec_spi_source: files``.

The answer has the shape a live gather has (GATHER key -> text, None when not
captured), so facts.build_facts reads files and routers alike. The file names are
commands.FILE_NAMES: ``<key>.txt`` or the command with underscores.
"""

from __future__ import annotations

import os
from typing import Dict, Optional

from ansible_collections.netops.ipsec_spi.plugins.module_utils.commands import FILE_NAMES
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError
from ansible_collections.netops.ipsec_spi.plugins.module_utils.device import session_error


def read_capture_dir(path: str) -> Dict[str, Optional[str]]:
    """Outputs from a folder of captured command outputs (one file per command).

    ParseError when the folder does not exist or holds none of the expected
    files (an empty gather would read as a router with nothing configured), or
    when a file holds a failed session's message instead of the router's output.
    """
    if not isinstance(path, str) or not path:
        raise ParseError("a capture folder path is required, not %r" % (path,))
    if not os.path.isdir(path):
        raise ParseError("capture folder %s does not exist" % path)
    outputs: Dict[str, Optional[str]] = {}
    for key, names in FILE_NAMES.items():
        outputs[key] = None
        for name in names:
            candidate = os.path.join(path, name)
            if os.path.isfile(candidate):
                try:
                    with open(candidate, "rb") as handle:
                        outputs[key] = handle.read().decode("utf-8", errors="replace")
                except OSError as exc:
                    raise ParseError("capture file %s cannot be read: %s" % (candidate, exc.strerror or exc)) from None
                if session_error(outputs[key]):
                    raise ParseError("capture file %s holds a failed session's message, not the router's output: %s"
                                     % (candidate, (outputs[key] or "").strip()[:200]))
                break
    if all(v is None for v in outputs.values()):
        raise ParseError(
            "capture folder %s holds none of the expected files (%s)"
            % (path, ", ".join(names[0] for names in FILE_NAMES.values()))
        )
    return outputs
