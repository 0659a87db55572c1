# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Following a syslog server's file, rotation-safe, for the invalid_spi event source.

Polling (not inotify) so that it behaves the same on every platform and inside containers. Rotation by
rename (logrotate's default, rsyslog's ``$outchannel``) is seen as a new inode (or the file gone): the new
file is read from its start, and the old one is read on as long as it grows, because the server writes into
it until it is told to reopen (logrotate's ``postrotate`` HUP). Rotation by ``copytruncate`` is seen as the
file getting shorter than what was read: reading starts again at 0. A missing file (between rotation and
re-creation, or not there yet) is waited for.

Only whole lines are returned. The text after the last line end of a file that is left (rotated away and no
longer growing, truncated, removed) is a line cut mid-write (``spi=0x1DB7`` of ``spi=0x1DB73BBB``): it is
counted in ``cut`` / ``cut_bytes`` and never parsed, as the archive reader does with a corrupt file's tail
(plugins/module_utils/parsers/syslog ``scan_stream(cut=...)``, which reads a whole stream and so does not fit
a follower that returns lines as they come).
"""

from __future__ import annotations

import os
from typing import Any, List, Optional, Tuple

from ansible_collections.netops.ipsec_spi.extensions.eda.plugin_utils.invalid_spi_framing import (
    MAX_MESSAGE,
    decode,
)

# Bytes read per poll at most, so a large backlog is taken in slices and the event loop keeps turning.
READ_PER_POLL = 4 * 1024 * 1024


class _Reader(object):
    """One open file: its whole lines, with the unfinished last one kept back."""

    def __init__(self, handle: Any, max_line: int) -> None:
        self.handle = handle
        stat = os.fstat(handle.fileno())
        self.ident: Tuple[int, int] = (stat.st_dev, stat.st_ino)
        self.max_line = max_line
        self.pending = b""
        self.discarding = False  # inside an over-long line: drop up to its line end
        self.malformed = 0

    def read(self) -> Tuple[List[str], int]:
        """(whole lines since the last read, bytes read)."""
        out: List[str] = []
        data = self.handle.read(READ_PER_POLL)
        if not data:
            return out, 0
        parts = (self.pending + data).split(b"\n")
        rest = parts.pop()
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
        return out, len(data)

    def drop_pending(self) -> int:
        """Forget the unfinished last line (the file was left or truncated); its size."""
        size = len(self.pending)
        self.pending = b""
        self.discarding = False
        return size

    def close(self) -> None:
        self.handle.close()


class FileFollower(object):
    """``poll()`` returns the whole lines added since the last poll (an unfinished last line waits)."""

    def __init__(self, path: str, from_beginning: bool = False, max_line: int = MAX_MESSAGE) -> None:
        self.path = path
        self.from_beginning = from_beginning
        self.max_line = max_line
        self.current: Optional[_Reader] = None
        self.old: Optional[_Reader] = None  # the file rotated away, read while it still grows
        self.first = True
        self.malformed = 0
        self.rotations = 0
        self.cut = 0        # unfinished last lines of files left behind, never parsed
        self.cut_bytes = 0

    def _open(self, at_end: bool) -> bool:
        try:
            handle = open(self.path, "rb")  # pylint: disable=consider-using-with  # kept open across polls
        except OSError:
            return False
        if at_end:
            handle.seek(0, os.SEEK_END)
        self.current = _Reader(handle, self.max_line)
        return True

    def _cut(self, reader: _Reader) -> None:
        size = reader.drop_pending()
        if size:
            self.cut += 1
            self.cut_bytes += size

    def _retire(self, reader: Optional[_Reader]) -> None:
        if reader is not None:
            self._cut(reader)
            self.malformed += reader.malformed
            reader.close()

    def close(self) -> None:
        """Stop following (the source stops): an unfinished line now is no cut one, only unread."""
        for reader in (self.old, self.current):
            if reader is not None:
                reader.close()
        self.old = self.current = None

    def poll(self) -> List[str]:
        lines: List[str] = []
        if self.old is not None:
            more, size = self.old.read()
            lines.extend(more)
            self.malformed += self.old.malformed
            self.old.malformed = 0
            if not size:  # no longer written to: what is left of its last line never will be
                self._retire(self.old)
                self.old = None
        try:
            stat = os.stat(self.path)
        except OSError:
            stat = None
        current = self.current
        if current is None:
            if stat is None:
                self.first = False
                return lines
            # Only the file found at start begins at its end; one that appears later is new: all of it.
            if not self._open(at_end=self.first and not self.from_beginning):
                return lines
            self.first = False
        elif stat is None or (stat.st_dev, stat.st_ino) != current.ident:
            lines.extend(current.read()[0])
            self._retire(self.old)  # rotated twice within a poll: the older one is done
            self.old, self.current = current, None
            self.rotations += 1
            if stat is None or not self._open(at_end=False):
                return lines
        elif stat.st_size < current.handle.tell():
            current.handle.seek(0)
            self._cut(current)  # the rest of that line went into the copy
            self.rotations += 1
        reader = self.current
        if reader is not None:
            lines.extend(reader.read()[0])
            self.malformed += reader.malformed
            reader.malformed = 0
        return lines
