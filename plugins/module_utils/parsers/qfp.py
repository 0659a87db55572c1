# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""QFP drop counters of IOS XE platforms (ASR 1000, Catalyst 8000, C8000V, ISR 4000).

Two commands:

* ``show platform hardware qfp active statistics drop`` (whole, or an
  ``| inc Ipsec`` / ``| exclude _0_`` extract): rows ``Name  Packets  Octets``.
  Only non-zero rows are printed, so a missing row means 0.
* ``show platform hardware qfp active feature ipsec datapath drops [all]``:
  rows ``DropType  Name  Packets``. The drop-type numbers change between
  releases, so results are keyed on the name.

Classic IOS has no QFP and rejects both commands with ``% Invalid input
detected``: that raises UnsupportedCommand, which callers treat as "not
available" rather than as an error.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import (
    MAX_LINE,
    TextInput,
    UnsupportedCommand,
    as_lines,
    is_unsupported,
    not_this_output,
    problem,
)

# Lines that may precede or follow a table: the prompt with the command,
# the CPU-load and clock preambles some capture tools add.
_NOISE_RE = re.compile(
    r"^[ \t]*(?:[^ \t#>]*[#>]|Load for |Time source is |No time source|-{3,}[ \t]*$|={3,}[ \t]*$)"
)

# ASCII digit classes: "\d" also takes Arabic-Indic or fullwidth digits, which int() then reads.
_DROP_ROW_RE = re.compile(r"^[ \t]*([A-Za-z][A-Za-z0-9_]*)[ \t]+([0-9]+)[ \t]+([0-9]+)[ \t]*$")
_DROP_HEADER_OR_ZERO_RE = re.compile(
    r"^[ \t]*(?:Global Drop Stats[ \t]+Packets[ \t]+Octets[ \t]*$|The Global drop stats were all zero)",
    re.IGNORECASE)
# Starts like a drop row (an identifier, then a number) but may be damaged. A digit here is any
# Unicode one on purpose (\d): such a row is reported as damaged, never read.
_DROP_ROWISH_RE = re.compile(r"^[ \t]*[A-Za-z][A-Za-z0-9_]*[ \t]+[-+]?\d")

_IPSEC_ROW_RE = re.compile(r"^[ \t]*([0-9]+)[ \t]+([A-Za-z][A-Za-z0-9_]*)[ \t]+([0-9]+)[ \t]*$")
_IPSEC_HEADER_RE = re.compile(r"^[ \t]*Drop[ \t]+Type[ \t]+Name[ \t]+Packets[ \t]*$", re.IGNORECASE)
_IPSEC_ROWISH_RE = re.compile(r"^[ \t]*\d+[ \t]+[A-Za-z_]")


def _unsupported(text_lines: List[str], command: str) -> None:
    text = "\n".join(text_lines[:20])
    if is_unsupported(text):
        first = next((line.strip() for line in text_lines if line.strip().startswith("%")), "")
        raise UnsupportedCommand(
            "device does not support this command (%s): %s" % (command, first[:120])
        )


def _parse_table(data: TextInput, what: str, command: str, problems: Optional[list], row_re: Any, header_re: Any,
                 rowish_re: Any, rowish_reason: str, row: Callable[[Any], Tuple[str, Dict[str, int]]]) -> Dict[str, Dict[str, int]]:
    """The loop both QFP tables share: rows by name, headers and noise skipped,
    row-like lines that do not parse reported, another command's output refused."""
    lines = as_lines(data, what)
    _unsupported(lines, command)
    result: Dict[str, Dict[str, int]] = {}
    recognised = False
    first_unknown = None
    for lineno, line in enumerate(lines, 1):
        if len(line) > MAX_LINE:
            problem(problems, lineno, "line of %d characters is too long for a drop table row" % len(line), line)
            continue
        match = row_re.match(line)
        if match:
            name, values = row(match)
            if name in result:
                problem(problems, lineno, "drop %s printed twice; the first row is kept" % name, line)
            else:
                result[name] = values
            recognised = True
            continue
        if not line.strip() or _NOISE_RE.match(line):
            continue
        if header_re.match(line):
            recognised = True
            continue
        if rowish_re.match(line):
            problem(problems, lineno, rowish_reason, line)
            recognised = True
            continue
        if first_unknown is None:
            first_unknown = (lineno, line)
    if not recognised and first_unknown is not None:
        raise not_this_output(command, first_unknown[0], first_unknown[1].strip())
    return result


def parse_qfp_drops(data: TextInput, problems: Optional[list] = None) -> Dict[str, Dict[str, int]]:
    """Parse ``show platform hardware qfp active statistics drop``.

    Returns ``{drop name: {"packets": int, "octets": int}}``; ``{}`` when the
    device printed "The Global drop stats were all zero" or an extract matched
    no row. Absent rows are zero, so callers use ``.get(name, {}).get("packets", 0)``.
    """
    return _parse_table(
        data, "qfp_drops input", "show platform hardware qfp active statistics drop", problems,
        _DROP_ROW_RE, _DROP_HEADER_OR_ZERO_RE, _DROP_ROWISH_RE, "drop row without a name, packets and octets",
        lambda m: (m.group(1), {"packets": int(m.group(2)), "octets": int(m.group(3))}))


def parse_qfp_ipsec_drops(data: TextInput, problems: Optional[list] = None) -> Dict[str, Dict[str, int]]:
    """Parse ``show platform hardware qfp active feature ipsec datapath drops [all]``.

    Returns ``{drop name: {"drop_type": int, "packets": int}}``. Keyed on the
    name: the drop-type numbers differ between IOS XE releases. Works on the
    whole table and on ``| in SPI`` extracts (rows only).
    """
    return _parse_table(
        data, "qfp_ipsec_drops input", "show platform hardware qfp active feature ipsec datapath drops", problems,
        _IPSEC_ROW_RE, _IPSEC_HEADER_RE, _IPSEC_ROWISH_RE, "drop row without a drop type, name and packets",
        lambda m: (m.group(2), {"drop_type": int(m.group(1)), "packets": int(m.group(3))}))
