# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The capture applets' text, the capture file markers they write, and the install/remove config diff.

``capture_applet`` (receiver side) and ``twin_applet`` (sender side) return the applet
in the form ``show running-config`` prints it; ``applet_from_running`` reads one back
and ``config_commands`` gives the lines turning one into the other (docs/capture.md).
"""

from __future__ import annotations

from typing import List, Optional, Sequence

from ansible_collections.netops.ipsec_spi.plugins.module_utils import commands
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, maybe_addr

CAPTURE_FORMAT = 1
DEFAULT_NAME = "IPSEC_SPI_CAPTURE"
DEFAULT_TWIN_NAME = "IPSEC_SPI_TWIN"
DEFAULT_FILE = "ipsec_spi_capture.txt"
DEFAULT_TWIN_FILE = "ipsec_spi_twin.txt"
# The capture file format (parse.py reads it back).
BEGIN = "=== netops.ipsec_spi capture begin ==="
END = "=== netops.ipsec_spi capture end ==="
CMD_MARK = "--- command: "
MANAGED = "netops.ipsec_spi"


def _quote(text: str) -> str:
    if '"' in text or "\\" in text or "?" in text:
        raise ParseError("cannot put %r in an EEM string: quotes, backslashes and '?' are refused" % text)
    return '"%s"' % text


class _Body:
    """Actions with labels that sort as strings in the written order.

    IOS runs applet actions in ascending alphanumeric order of their labels, so
    `10` would run before `2`; fixed-width labels keep text order = run order.
    """

    def __init__(self) -> None:
        self.lines: List[str] = []

    def add(self, text: str) -> None:
        self.lines.append(" action %04d %s" % (10 * (len(self.lines) + 1), text))


def _check_common(name: str, file: str, max_bytes: int, min_free: int, maxrun: int) -> None:
    if not commands.is_plain_name(name):
        raise ParseError("applet name %r must be 1-64 letters, digits, '_', '.' or '-'" % (name,))
    if not commands.is_plain_name(file):
        raise ParseError("capture file %r must be a plain file name on flash: (letters, digits, '_', '.', '-')" % (file,))
    for label, value, low in (("max_bytes", max_bytes, 1024), ("min_free", min_free, 0), ("maxrun", maxrun, 5)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ParseError("%s must be an integer >= %d, not %r" % (label, low, value))


def _size_guard(body: _Body, name: str, file: str, max_bytes: int, min_free: int) -> None:
    # Checked before every capture, so the file overshoots its cap by one capture at most
    # and a nearly full flash is never written to.
    body.add("cli command %s" % _quote(commands.ENABLE))
    body.add('set size "0"')
    body.add("cli command %s" % _quote(commands.dir_flash_file(file)))
    body.add('regexp "rw- +([0-9]+) " "$_cli_result" _m size')
    body.add("if $size ge %d" % max_bytes)
    body.add('syslog priority warnings msg "%s: %s holds %d bytes or more, no further capture"' % (name, file, max_bytes))
    body.add("exit")
    body.add("end")
    body.add('set free "0"')
    body.add("cli command %s" % _quote(commands.DIR_FLASH_FREE))
    body.add('regexp "([0-9]+) bytes free" "$_cli_result" _m free')
    body.add("if $free lt %d" % min_free)
    body.add('syslog priority warnings msg "%s: less than %d bytes free on flash (or unreadable), capture skipped"'
             % (name, min_free))
    body.add("exit")
    body.add("end")


def src_filter(body: _Body, only: Optional[str]) -> None:
    """Take the sender out of the INV_SPI message; exit unless there is one (and it is ``only``, when given)."""
    body.add('regexp "srcaddr=([0-9A-Fa-f.:]+)" "$_syslog_msg" _m src')
    body.add('if $_regexp_result ne "1"')
    body.add("exit")
    body.add("end")
    if only is not None:
        body.add("if $src ne %s" % _quote(only))
        body.add("exit")
        body.add("end")


def _capture_command(body: _Body, command: str) -> None:
    body.add("cli command %s" % _quote(command))
    body.add("file puts fh %s" % _quote(CMD_MARK + command + " ---"))
    body.add('file puts fh "$_cli_result"')


def _open(body: _Body, name: str, file: str, kind: str) -> None:
    body.add("file open fh flash:%s a+" % file)
    body.add("file puts fh %s" % _quote(BEGIN))
    body.add("file puts fh %s" % _quote("format: %d" % CAPTURE_FORMAT))
    body.add("file puts fh %s" % _quote("applet: %s" % name))
    body.add("file puts fh %s" % _quote("kind: %s" % kind))
    body.add('file puts fh "epoch: $_event_pub_sec"')


def _close(body: _Body) -> None:
    body.add("file puts fh %s" % _quote(END))
    body.add("file close fh")


def capture_applet(name: str = DEFAULT_NAME, file: str = DEFAULT_FILE, max_bytes: int = 1048576,
                   min_free: int = 1048576, ratelimit: int = 60, maxrun: int = 120,
                   log_command: str = commands.CAPTURE_LOG, qfp: bool = True,
                   peer: Optional[str] = None) -> List[str]:
    """The receiver-side applet, as running-config lines (header, then body lines indented one space).

    Triggers on INV_SPI (any spelling), takes the sender address and SPI out of the
    message, and appends one capture block to ``flash:<file>``: the SA table with the
    sender, both IKE SA tables, the QFP IPsec drop table and the crypto log lines.
    ``peer`` scopes it to the messages of one sender (a recurring pair, docs/recurrence.md).
    """
    _check_common(name, file, max_bytes, min_free, maxrun)
    if isinstance(ratelimit, bool) or not isinstance(ratelimit, int) or ratelimit < 1:
        raise ParseError("ratelimit must be an integer >= 1 second, not %r" % (ratelimit,))
    if not isinstance(log_command, str) or not log_command.startswith("show logging"):
        raise ParseError("log_command must be a 'show logging ...' command, not %r" % (log_command,))
    only = None
    if peer is not None:
        only = maybe_addr(str(peer))
        if only is None or only != peer:
            raise ParseError("peer %r is not an IP address in canonical form" % (peer,))
    body = _Body()
    src_filter(body, only)
    body.add('set spi "unknown"')
    body.add('regexp "spi=(0x[0-9A-Fa-f]+)" "$_syslog_msg" _m spi')
    _size_guard(body, name, file, max_bytes, min_free)
    _open(body, name, file, "receiver")
    body.add('file puts fh "sender: $src"')
    body.add('file puts fh "spi: $spi"')
    body.add('file puts fh "message: $_syslog_msg"')
    _capture_command(body, commands.SHOW_CLOCK)
    _capture_command(body, commands.CAPTURE_SA_OF_TRIGGER)
    _capture_command(body, commands.ISAKMP_SA)
    _capture_command(body, commands.IKEV2_SA)
    if qfp:
        _capture_command(body, commands.QFP_IPSEC_DROPS)
    _capture_command(body, log_command)
    _close(body)
    return [
        "event manager applet %s authorization bypass" % name,
        " description %s: capture invalid-SPI evidence to flash:%s (managed by Ansible)" % (MANAGED, file),
        ' event syslog pattern "%s" ratelimit %d maxrun %d' % (commands.INV_SPI_EEM_PATTERN, ratelimit, maxrun),
    ] + body.lines


def twin_applet(peers: Sequence[str], name: str = DEFAULT_TWIN_NAME, file: str = DEFAULT_TWIN_FILE,
                interval: int = 60, max_bytes: int = 1048576, min_free: int = 1048576, maxrun: int = 60) -> List[str]:
    """The sender-side twin: every ``interval`` seconds, this router's SAs towards ``peers``.

    A router cannot see its peer's syslog, so the sender cannot be triggered by the
    receiver's message; a watchdog timer as short as IOS's one-a-minute INV_SPI rate
    limit gives a sender snapshot within one interval of every receiver capture.
    """
    _check_common(name, file, max_bytes, min_free, maxrun)
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 10:
        raise ParseError("interval must be an integer >= 10 seconds, not %r" % (interval,))
    addrs: List[str] = []
    for peer in peers or []:
        addr = maybe_addr(str(peer))
        if addr is None:
            raise ParseError("twin peer %r is not an IP address" % (peer,))
        if addr not in addrs:
            addrs.append(addr)
    if not addrs:
        raise ParseError("a twin applet needs at least one peer address to watch")
    body = _Body()
    _size_guard(body, name, file, max_bytes, min_free)
    _open(body, name, file, "twin")
    body.add("file puts fh %s" % _quote("peers: %s" % " ".join(addrs)))
    _capture_command(body, commands.SHOW_CLOCK)
    for addr in addrs:
        _capture_command(body, commands.capture_sa_of(addr))
    _capture_command(body, commands.ISAKMP_SA)
    _capture_command(body, commands.IKEV2_SA)
    _close(body)
    return [
        "event manager applet %s authorization bypass" % name,
        " description %s: sender-side SA snapshots to flash:%s (managed by Ansible)" % (MANAGED, file),
        " event timer watchdog time %d maxrun %d" % (interval, maxrun),
    ] + body.lines


# --------------------------------------------------------------------------------------------------
# Reading applets back (running-config) and the configuration to send
# --------------------------------------------------------------------------------------------------

def applet_from_running(text: Optional[str], name: str) -> Optional[List[str]]:
    """The lines of applet ``name`` in running-config text (header + body), or None.

    Works on the whole running-config and on ``| section`` extracts; the section
    filter is a regex, so ``IPSEC_SPI_CAPTURE2`` is told apart here.
    """
    found: Optional[List[str]] = None
    for raw in (text or "").splitlines():
        line = raw.rstrip()
        if not line or line.startswith("!"):
            if found is not None and line.startswith("!"):
                break
            continue
        if not line.startswith(" "):
            if found is not None:
                break
            words = line.split()
            if len(words) >= 4 and words[:3] == ["event", "manager", "applet"] and words[3] == name:
                found = [line]
            continue
        if found is not None:
            found.append(" " + line.strip())
    return found


def config_commands(before: Optional[List[str]], after: Optional[List[str]]) -> List[str]:
    """Configuration lines turning ``before`` into ``after`` (None: absent).

    A changed applet is removed and entered again: IOS keeps the old event and
    any action whose label is not re-entered, so a partial edit could leave a mix.
    """
    norm_before = [" ".join(line.split()) for line in before] if before else None
    norm_after = [" ".join(line.split()) for line in after] if after else None
    if norm_before == norm_after:
        return []
    commands_: List[str] = []
    if before:
        commands_.append("no " + " ".join(before[0].split()[:4]))
    if after:
        commands_.extend(line.strip() for line in after)
    return commands_
