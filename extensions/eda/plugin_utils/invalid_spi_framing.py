# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Syslog transport framing for the invalid_spi event source: bytes on the wire -> message texts.

What a message *says* is the collection's syslog core's business (parsers/syslog.py: ``<PRI>``, relay
headers, sequence numbers, device stamps, the INV_SPI body). This module only cuts the wire into messages
and unwraps the one header layout the core does not read, RFC 5424's, into the RFC 3164-style relay
header it does read:

    <PRI>1 2026-11-29T18:00:01.123Z hub1 - - - [meta x="y"] %CRYPTO-4-RECVD_PKT_INV_SPI: ...
    -> <PRI>2026-11-29T18:00:01.123Z hub1 %CRYPTO-4-RECVD_PKT_INV_SPI: ...   (default host hub1)

* UDP (RFC 5426): one datagram is one message.
* TCP (RFC 6587): octet counting (``LEN SP MSG``) or non-transparent framing (each message ends with LF;
  CR LF and NUL are accepted as well). A frame that starts with digits followed by a space is octet
  counted; anything else runs to the next LF, so a line such as ``000123: *Nov 29 ...`` (an IOS sequence
  number, no PRI) is not mistaken for a count.

A datagram or an octet-counted frame with a line break (CR or LF) inside, not just at its end, is malformed:
the parser would read it as two lines, so one frame would pass the per-sender rate limit once for two
messages, and its second line would bring a header of its own. It is not a wrapped message either: IOS sends
each message whole; only ``show logging`` wraps, and a followed file's lines are read together for that.
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

# Larger than any router message (IOS caps a message well under 1 KB) yet small enough that one sender
# cannot make the source hold megabytes.
MAX_MESSAGE = 64 * 1024

_5424_RE = re.compile(r"<([0-9]{1,3})>([1-9][0-9]{0,2}) ")


class FrameError(ValueError):
    """Bytes that are not a syslog message; the text says what was wrong."""


def decode(data: bytes) -> str:
    """UTF-8 (RFC 5424 mandates it; IOS sends ASCII), undecodable bytes replaced, no BOM."""
    return data.decode("utf-8", errors="replace").replace("\ufeff", "")


def _field(text: str, pos: int, what: str) -> Tuple[str, int]:
    """One space-terminated RFC 5424 header field starting at pos; (value, position after the space)."""
    end = text.find(" ", pos)
    if end < 0:
        raise FrameError("RFC 5424 header ends before its %s" % what)
    value = text[pos:end]
    if not value or len(value) > 255:
        raise FrameError("RFC 5424 %s is empty or too long" % what)
    return value, end + 1


def _skip_structured_data(text: str, pos: int) -> int:
    """Position just after STRUCTURED-DATA (``-`` or ``[id k="v" ...]...``); FrameError when malformed."""
    if text.startswith("-", pos):
        return pos + 1
    if not text.startswith("[", pos):
        raise FrameError("RFC 5424 structured data must be '-' or start with '['")
    size = len(text)
    while pos < size and text[pos] == "[":
        pos += 1
        quoted = False
        while True:
            if pos >= size:
                raise FrameError("RFC 5424 structured data element is not closed")
            char = text[pos]
            if quoted:
                if char == "\\":
                    pos += 2
                    continue
                if char == '"':
                    quoted = False
            elif char == '"':
                quoted = True
            elif char == "]":
                pos += 1
                break
            pos += 1
    return pos


def to_core(message: str, peer: Optional[str]) -> Tuple[str, Optional[str]]:
    """(text for parsers.syslog.parse_events, default host) for one message.

    ``peer`` is the sending address (or None for a file): the host of a message that names none. RFC 5424
    messages are unwrapped (see the module doc); everything else goes to the core as it came.
    """
    match = _5424_RE.match(message)
    if match is None or not (message.startswith("-", match.end()) or message[match.end():match.end() + 4].isdigit()):
        return message, peer
    pri = match.group(1)
    stamp, pos = _field(message, match.end(), "TIMESTAMP")
    host, pos = _field(message, pos, "HOSTNAME")
    for what in ("APP-NAME", "PROCID", "MSGID"):
        _value, pos = _field(message, pos, what)
    pos = _skip_structured_data(message, pos)
    if pos < len(message) and message[pos] != " ":
        raise FrameError("RFC 5424 structured data is not followed by a space")
    body = message[pos + 1:].lstrip("\ufeff")
    named: Optional[str] = peer if host == "-" else host
    if stamp == "-" or named is None:
        return "<%s>%s" % (pri, body), named
    return "<%s>%s %s %s" % (pri, stamp, named, body), named


def one_message(data: bytes, what: str) -> str:
    """The message of one datagram or octet-counted frame, trailing line end / NUL dropped; "" when blank.

    FrameError when a line break is inside (see the module doc)."""
    text = decode(data).rstrip("\r\n\x00")
    if "\n" in text or "\r" in text:
        raise FrameError("line break inside %s: one %s is one message" % (what, what))
    return text if text.strip() else ""


def datagram_message(data: bytes) -> str:
    """The message of one UDP datagram ("" when blank); FrameError when it holds a line break."""
    return one_message(data, "a datagram")


class StreamDeframer(object):
    """Cuts a TCP byte stream into messages (RFC 6587), across reads of any size.

    ``feed(data)`` returns the complete messages so far. Malformed frames (an octet count over
    ``max_message``, a line longer than that) are skipped and counted in ``malformed``; ``fatal`` is set
    when the stream can no longer be trusted (a count of more than nine digits), and the caller should
    close the connection.
    """

    def __init__(self, max_message: int = MAX_MESSAGE) -> None:
        self.max_message = max_message
        self.buffer = bytearray()
        self.skip = 0              # bytes of an oversized octet-counted frame still to throw away
        self.discarding = False    # inside an over-long LF-framed line: drop up to its LF
        self.malformed = 0
        self.fatal: Optional[str] = None

    def feed(self, data: bytes) -> List[str]:
        out: List[str] = []
        buf = self.buffer
        buf += data
        size = len(buf)
        pos = 0  # consumed so far; the buffer is trimmed once at the end (no copy per message)
        while pos < size and self.fatal is None:
            if self.skip:
                cut = min(self.skip, size - pos)
                pos += cut
                self.skip -= cut
                continue
            if self.discarding:
                end = buf.find(b"\n", pos)
                if end < 0:
                    pos = size
                    break
                pos = end + 1
                self.discarding = False
                continue
            digits = 0
            while pos + digits < size and digits <= 9 and 48 <= buf[pos + digits] <= 57:
                digits += 1
            if digits:
                if digits > 9:
                    self.fatal = "octet count of more than nine digits"
                    self.malformed += 1
                    break
                if pos + digits == size:
                    break  # the count continues in the next read
                if buf[pos + digits] == 32:
                    count = int(buf[pos:pos + digits])
                    start = pos + digits + 1
                    if count > self.max_message or count == 0:
                        self.malformed += 1
                        pos = start
                        self.skip = count
                        continue
                    if size < start + count:
                        break  # wait for the rest of the frame
                    frame = bytes(buf[start:start + count])
                    pos = start + count
                    try:
                        text = one_message(frame, "an octet-counted frame")
                    except FrameError:
                        self.malformed += 1
                        continue
                    if text:
                        out.append(text)
                    continue
            end = buf.find(b"\n", pos)
            nul = buf.find(b"\x00", pos, end if end >= 0 else size)
            if nul >= 0:
                end = nul
            if end < 0:
                if size - pos > self.max_message:
                    self.malformed += 1
                    pos = size
                    self.discarding = True
                break
            if end - pos > self.max_message:
                self.malformed += 1
                pos = end + 1
                continue
            text = decode(bytes(buf[pos:end])).rstrip("\r")
            pos = end + 1
            if text.strip():
                out.append(text)
        del buf[:pos]
        return out
