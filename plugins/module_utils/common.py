# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers of the IOS parsing core.

Pure Python, no Ansible imports: every parser raises ParseError (a ValueError)
with a message that says what was wrong and where; the thin Ansible wrappers
turn it into AnsibleFilterError / fail_json naming the plugin.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from typing import Any, Iterable, Iterator, List, Optional, Tuple, Union

# A real router's output never comes near this; past it we refuse rather than
# risk minutes of work on something that is not device output.
MAX_INPUT_CHARS = 256 * 1024 * 1024

TextInput = Union[str, bytes, Iterable[str], None]


class ParseError(ValueError):
    """Input the parser cannot accept. The message names what and where."""


def as_text(data: TextInput, what: str = "input") -> str:
    """Return ``data`` as one string.

    Accepts a string, UTF-8 bytes, or a list/tuple of lines (as Ansible's
    ``stdout_lines`` gives). ``None`` is treated as empty output. Anything else
    is refused with a ParseError naming the type received.
    """
    if data is None:
        return ""
    if isinstance(data, bytes):
        data = data.decode("utf-8", errors="replace")
    if isinstance(data, str):
        text = data
    elif isinstance(data, (list, tuple)):
        for index, item in enumerate(data):
            if not isinstance(item, str):
                raise ParseError(
                    "%s must be a string or a list of strings; item %d is %s"
                    % (what, index + 1, type(item).__name__)
                )
        text = "\n".join(data)
    else:
        raise ParseError(
            "%s must be a string or a list of strings, not %s" % (what, type(data).__name__)
        )
    if len(text) > MAX_INPUT_CHARS:
        raise ParseError("%s is %d characters, more than the %d accepted" % (what, len(text), MAX_INPUT_CHARS))
    return text


def as_lines(data: TextInput, what: str = "input") -> List[str]:
    """Return ``data`` split into lines, without line terminators."""
    if isinstance(data, (list, tuple)) and all(isinstance(item, str) for item in data):
        lines: List[str] = []
        for item in data:
            # A list item may itself hold several lines (e.g. a module's stdout).
            lines.extend(item.splitlines() or [""])
        return lines
    return as_text(data, what).splitlines()


# An SPI as IOS prints it, with two groups: the hex digits and the decimal in parentheses (or None); read
# with spi_value. Embedded as it is in larger patterns (the syslog body) so that there is one grammar.
# ASCII classes only: "\d" (and str.isdecimal / int()) also take Arabic-Indic or fullwidth digits.
SPI_GRAMMAR = r"(?:0[xX])?[ \t]*([0-9A-Fa-f]{1,8})[ \t]*(?:\([ \t]*([0-9]{1,10})[ \t]*\))?"
_SPI_RE = re.compile(SPI_GRAMMAR)


def is_ascii_digits(text: str) -> bool:
    """True for a non-empty run of ASCII 0-9 only.

    ``str.isdecimal()`` and ``int()`` accept any Unicode decimal digit
    (``"\u0665\u0660"`` is 50 to them); device output never has those, so a
    field that does is damaged and must not be read as a number.
    """
    return text.isascii() and text.isdecimal()


def parse_spi(text: str) -> int:
    """Parse an ESP/AH SPI as IOS prints it and return it as an int.

    Accepts ``0xB761863E(3076621886)``, ``0x44A4038``, ``0x bb0ed02`` and a
    bare ``3A4AAE22``. When a decimal is given in parentheses it must agree
    with the hex; a disagreement is a ParseError (the line is corrupt).
    """
    if not isinstance(text, str):
        raise ParseError("SPI must be a string, not %s" % type(text).__name__)
    match = _SPI_RE.fullmatch(text.strip())
    if not match:
        if not text.isascii() and any(c.isdigit() for c in text if not c.isascii()):
            raise ParseError("not an SPI (digits must be ASCII): %r" % text[:80])
        raise ParseError("not an SPI: %r" % text[:80])
    return spi_value(match.group(1), match.group(2))


def spi_value(hex_digits: str, decimal: Optional[str]) -> int:
    """The SPI of SPI_GRAMMAR's two groups: when the decimal is given it must agree with the hex."""
    value = int(hex_digits, 16)
    if decimal is not None and int(decimal) != value:
        raise ParseError("SPI hex and decimal disagree: 0x%X is %d, the line says %s" % (value, value, decimal))
    return value


def spi_hex(value: int) -> str:
    """The canonical spelling of an SPI in our output."""
    return "0x%08X" % value


# A dotted quad already in canonical form (no leading zeros, each octet <= 255) is its own
# canonical form: ipaddress costs microseconds per call, and a fleet has hundreds of thousands.
_CANONICAL_V4_RE = re.compile(r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])")


# What an address may be spelled with. ipaddress also accepts an IPv6 scope id (``fe80::1%<anything>``,
# newlines included) and keeps it in str(): a value that ends up in a command must never carry one.
_ADDR_CHARS_RE = re.compile(r"[0-9A-Fa-f:.]{2,45}")


def _plain_addr(text: str, strip: bool = True) -> Optional[str]:
    if _CANONICAL_V4_RE.fullmatch(text):
        return text
    if strip:
        # Device output: a token may keep the blanks or the CR around it; the result never does.
        text = text.strip()
    if not _ADDR_CHARS_RE.fullmatch(text):
        return None
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def normalize_addr(text: str) -> str:
    """Return an IPv4/IPv6 address in canonical form (IPv6 compressed, lower case).

    Raises ParseError for anything that is not a plain address (a scope id, a newline or any other
    character an address does not have included).
    """
    addr = _plain_addr(text) if isinstance(text, str) else None
    if addr is None:
        raise ParseError("not an IP address: %r" % (text[:80] if isinstance(text, str) else text,))
    return addr


def maybe_addr(text: Optional[str]) -> Optional[str]:
    """Like normalize_addr, but returns None for None or a non-address."""
    if not isinstance(text, str):
        return None
    return _plain_addr(text)


def plain_addr(value: Any) -> Optional[str]:
    """The canonical form of ``value`` when it is exactly an address, else None.

    For values that reach a command or a decision from a task argument, plan, cache or event: nothing
    is stripped, so a blank, a newline or a scope id makes it no address at all.
    """
    if not isinstance(value, str):
        return None
    return _plain_addr(value, strip=False)


# An inventory host name as the collection accepts it anywhere a name reaches an Ansible variable, a
# --limit or a path: no pattern characters (``,:*!&[]``), no braces, no blanks, and never ``all``.
_HOST_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}")
_HOST_PATTERN_WORDS = frozenset(("all", "ungrouped", "localhost"))


def is_host_name(value: Any) -> bool:
    """True for a plain inventory host name (see ``_HOST_NAME_RE``); false for ``all`` and patterns."""
    return (isinstance(value, str) and bool(_HOST_NAME_RE.fullmatch(value))
            and value.lower() not in _HOST_PATTERN_WORDS)


_SUBNET_RE = re.compile(r"^([0-9A-Fa-f.:]+)(?: ([0-9.]+)|/([0-9]{1,3}))$")


def subnet_prefix(text: str) -> Optional[str]:
    """``10.0.0.0 255.0.0.0`` or ``2001:db8::/64`` (as IOS lists remote subnets) as a canonical
    prefix string (``10.0.0.0/8``); None when it is not one (e.g. a non-contiguous mask)."""
    match = _SUBNET_RE.match(" ".join(text.split()))
    if not match:
        return None
    try:
        return str(ipaddress.ip_network("%s/%s" % (match.group(1), match.group(2) or match.group(3)), strict=False))
    except ValueError:
        return None


# The same few addresses recur on every row and block: parsing them with ipaddress dominated the time of
# the table parsers on large outputs (about 10 us an IPv6 address). Results are immutable strings.
cached_addr = functools.lru_cache(maxsize=8192)(maybe_addr)
cached_subnet_prefix = functools.lru_cache(maxsize=4096)(subnet_prefix)


def remote_subnet_line(reader: Any, lineno: int, raw: str, line: str) -> bool:
    """One line of an IKEv2 SA's "Remote subnets:" list (show crypto ikev2 sa detail, show crypto session
    detail), added to ``reader.subnets``; the list ends at the first line that is no address."""
    if reader.subnets is None:
        return False
    prefix = cached_subnet_prefix(line)
    if prefix is not None:
        reader.subnets.setdefault("remote_subnets", []).append(prefix)
        return True
    if maybe_addr(line.split(" ", 1)[0].split("/", 1)[0]) is not None:
        reader.problem(lineno, "unreadable remote subnet", raw)
        return True
    reader.subnets = None
    return False


class UnsupportedCommand(ParseError):
    """The device answered that it does not know the command (e.g. QFP commands on classic IOS)."""


# "[ \t\r]*", not "\s*": under MULTILINE "\s" also eats newlines, so every line start of a run of
# blank lines re-scanned the whole run (40 kB of newlines took 16 s).
_UNSUPPORTED_RE = re.compile(
    r"^[ \t\r]*% (?:Invalid input detected|Incomplete command|Unrecognized command|Ambiguous command)",
    re.MULTILINE,
)


def is_unsupported(text: str) -> bool:
    """True when IOS rejected the command itself rather than printing an (empty) table."""
    return bool(_UNSUPPORTED_RE.search(text or ""))


# -- the table parsers' toolkit --------------------------------------------------------------------------
# No IOS table line comes near this; a longer line is reported, never given to an expression.
MAX_LINE = 4096

# A CLI prompt, alone or with the command typed after it (``hub#show crypto ipsec sa``).
_PROMPT_RE = re.compile(r"^[A-Za-z0-9._()-]+[#>] ?(?:(?:sh|show)\b|$)", re.IGNORECASE)


def check_supported(head: str, command: str) -> None:
    """UnsupportedCommand when the device rejected ``command`` itself (``head``: the output's first lines)."""
    if is_unsupported(head):
        raise UnsupportedCommand("device does not support this command (%s)" % command)


def not_this_output(command: str, lineno: int, line: str) -> ParseError:
    """The refusal of a text that is another command's output (names the first line not ours)."""
    return ParseError("input is not '%s' output: line %d is not part of it: %r" % (command, lineno, line[:80]))


class TableReader(object):
    """What every table parser tracks besides its rows: the problems, and whether the text is ours.

    A parser hands each line none of its handlers took to ``other``; ``finish`` then refuses a text
    in which no line was ours (``header_re`` lines and rows count as ours; prompts and ``noise_re``
    lines are neutral), naming its first foreign line.
    """

    def __init__(self, command: str, problems: Optional[list], header_re: Any = None, noise_re: Any = None) -> None:
        self.command = command
        self.problems = problems
        self.header_re = header_re
        self.noise_re = noise_re
        self.recognised = False
        self.first_unknown: Optional[Tuple[int, str]] = None

    def problem(self, lineno: int, reason: str, text: str) -> None:
        problem(self.problems, lineno, reason, text)

    def other(self, lineno: int, line: str) -> None:
        if self.recognised:
            return  # the text is ours: what else it holds no longer matters
        if self.header_re is not None and self.header_re.match(line):
            self.recognised = True
        elif self.first_unknown is None and not _PROMPT_RE.match(line) and not (
                self.noise_re is not None and self.noise_re.match(line)):
            self.first_unknown = (lineno, line)

    def finish(self) -> None:
        if not self.recognised and self.first_unknown is not None:
            raise not_this_output(self.command, self.first_unknown[0], self.first_unknown[1])


def collapsed_lines(lines: Iterable[str], problems: Optional[list], max_line: int = MAX_LINE) -> Iterator[Tuple[int, str, str]]:
    """(line number, raw line, line with its whitespace collapsed) of every non-blank table line.

    The table parsers never depend on indentation or on how many blanks separate columns;
    an over-long line is reported (not parsed: it is no line of these tables).
    """
    for lineno, raw in enumerate(lines, 1):
        if len(raw) > max_line:
            problem(problems, lineno, "line of %d characters is too long for this output" % len(raw), raw)
            continue
        line = " ".join(raw.split())
        if line:
            yield lineno, raw, line


def problem(problems: Optional[list], line: int, reason: str, text: str) -> None:
    """Record a line the parser saw as relevant but could not read.

    Parsers take an optional ``problems`` list; callers that pass one get
    ``{line, reason, text}`` entries (text cut to 200 characters) so the
    filter can warn and spi_facts can put them into facts.
    """
    if problems is not None:
        problems.append({"line": line, "reason": reason, "text": text[:200]})


# Jinja's delimiters. The fleet plan travels as an AWX artifact into the next job's extra variables, which
# Ansible templates: a string from a router or a log must never carry one there.
_TEMPLATE_MARKS = ("{{", "{%", "{#", "}}", "%}", "#}")


def has_template_marks(text: str) -> bool:
    return any(mark in text for mark in _TEMPLATE_MARKS)


def inert(value: Any) -> Any:
    """``value`` with every string's Jinja delimiters broken apart (``{{`` -> ``{ {``), deep."""
    if isinstance(value, str):
        if not has_template_marks(value):
            return value
        for mark in _TEMPLATE_MARKS:
            value = value.replace(mark, mark[0] + " " + mark[1])
        return value
    if isinstance(value, dict):
        return {inert(k): inert(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [inert(v) for v in value]
    return value
