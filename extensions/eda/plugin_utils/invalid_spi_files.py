# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Following a syslog server's file, rotation-safe, for the invalid_spi event source.

Polling (not inotify) so that it behaves the same on every platform and inside containers. Rotation by
rename (logrotate's default, rsyslog's ``$outchannel``) is seen as a new inode: the rest of the old file
is read to its end first, then the new file from its start. Rotation by ``copytruncate`` is seen as the
file getting shorter than what was read: reading starts again at 0. A missing file (between rotation
and re-creation, or not there yet) is waited for.
"""

from __future__ import annotations

import os
from typing import List, Optional, Tuple

from ansible_collections.netops.ipsec_spi.extensions.eda.plugin_utils.invalid_spi_framing import (
    MAX_MESSAGE,
    decode,
)

# Bytes read per poll at most, so a large backlog is taken in slices and the event loop keeps turning.
READ_PER_POLL = 4 * 1024 * 1024


class FileFollower(object):
    """``poll()`` returns the complete lines added since the last poll (partial last lines wait)."""

    def __init__(self, path: str, from_beginning: bool = False, max_line: int = MAX_MESSAGE) -> None:
        self.path = path
        self.from_beginning = from_beginning
        self.max_line = max_line
        self.handle = None  # type: Optional[object]
        self.ident: Optional[Tuple[int, int]] = None
        self.pending = b""
        self.discarding = False
        self.first = True
        self.malformed = 0
        self.rotations = 0

    def _open(self, at_end: bool) -> bool:
        try:
            handle = open(self.path, "rb")  # pylint: disable=consider-using-with  # kept open across polls
        except OSError:
            return False
        stat = os.fstat(handle.fileno())
        self.handle, self.ident = handle, (stat.st_dev, stat.st_ino)
        if at_end:
            handle.seek(0, os.SEEK_END)
        self.pending = b""
        self.discarding = False
        return True

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()  # type: ignore[attr-defined]
            self.handle = None

    def poll(self) -> List[str]:
        lines: List[str] = []
        try:
            stat = os.stat(self.path)
        except OSError:
            stat = None
        if self.handle is None:
            if stat is None:
                self.first = False
                return lines
            # Only the file found at start begins at its end; one that appears later is new: all of it.
            if not self._open(at_end=self.first and not self.from_beginning):
                return lines
            self.first = False
        elif stat is None or (stat.st_dev, stat.st_ino) != self.ident:
            lines.extend(self._drain(final=True))
            self.close()
            self.rotations += 1
            if stat is None or not self._open(at_end=False):
                return lines
        elif stat.st_size < self.handle.tell():  # type: ignore[attr-defined]
            self.handle.seek(0)  # type: ignore[attr-defined]
            self.pending = b""
            self.rotations += 1
        lines.extend(self._drain(final=False))
        return lines

    def _drain(self, final: bool) -> List[str]:
        out: List[str] = []
        data = self.handle.read(READ_PER_POLL) if self.handle is not None else b""  # type: ignore[attr-defined]
        if not data and not (final and self.pending):
            return out
        data = self.pending + data
        parts = data.split(b"\n")
        rest = b"" if final else parts.pop()
        for raw in parts:
            if self.discarding:
                self.discarding = False  # this part ends an over-long line already thrown away
                continue
            if len(raw) > self.max_line:
                self.malformed += 1
                continue
            text = decode(raw).rstrip("\r")
            if text.strip():
                out.append(text)
        if len(rest) > self.max_line:
            if not (self.discarding and not parts):
                self.malformed += 1
            rest = b""
            self.discarding = True
        self.pending = rest
        return out
