# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every command the collection sends to a router.

One home: the gather (facts), the cli_parse sub-plugin, the EEM capture applet and the
remediation all take their command strings from here, so a command changes in one place
(which parser reads each answer is routes.py). Nothing here talks to a device.

Safety rules that live here on purpose (docs/domain.md):
- the QFP ``... clear`` variants are never sent: they destroy the evidence;
- a clear names exactly one peer; there is no builder for a global clear.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, Optional

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, plain_addr

KNOB_COMMAND = "crypto isakmp invalid-spi-recovery"
# Reads back only the knob's line: `| include` keeps the answer small on routers with large configs.
KNOB_READ = "show running-config | include invalid-spi-recovery"

# The three spellings of the mnemonic seen in the field (domain notes, section 1).
INV_SPI_MNEMONICS = ("RECVD_PKT_INV_SPI", "RECV_PKT_INV_SPI", "RECV_D_PKT_INV_SPI")
# `PKT_INV_SPI` matches all three: the device filters its buffer, only INV_SPI lines cross the wire.
LOG_INV_SPI = "show logging | include PKT_INV_SPI"
# An EEM `event syslog pattern` (POSIX regex on the device) for the same three spellings.
INV_SPI_EEM_PATTERN = "CRYPTO-[0-7]-(RECVD|RECV|RECV_D)_PKT_INV_SPI"

SHOW_VERSION = "show version"
SHOW_CLOCK = "show clock"
SHOW_RUNNING = "show running-config"
QFP_DROPS = "show platform hardware qfp active statistics drop"
QFP_IPSEC_DROPS = "show platform hardware qfp active feature ipsec datapath drops all"
IPSEC_SA = "show crypto ipsec sa"
ISAKMP_SA = "show crypto isakmp sa"
IKEV2_SA = "show crypto ikev2 sa"
SESSION_DETAIL = "show crypto session detail"
DMVPN = "show dmvpn"

# What spi_facts gathers, in order: (key, command). The key names the facts and the captured file.
GATHER = [
    ("version", SHOW_VERSION),
    ("clock", SHOW_CLOCK),
    ("running_config", SHOW_RUNNING),
    ("logging", LOG_INV_SPI),
    ("qfp_drops", QFP_DROPS),
    ("qfp_ipsec_drops", QFP_IPSEC_DROPS),
    ("ipsec_sa", IPSEC_SA),
    ("isakmp_sa", ISAKMP_SA),
    ("ikev2_sa", IKEV2_SA),
    ("session", SESSION_DETAIL),
    ("dmvpn", DMVPN),
]
COMMAND_OF = dict(GATHER)
# Without these an assessment would be guesswork: a router that rejects one is
# not assessed (unlike the QFP tables, IKEv2 or DMVPN, which platforms may lack).
ESSENTIAL = ("running_config", "logging", "ipsec_sa")
# Read twice, `ipsec_spi_poll_interval` apart, for a drop rate.
POLL_KEYS = ("qfp_drops", "qfp_ipsec_drops")

# Captured files: <dir>/<host>/<key>.txt, or the command with spaces as
# underscores (show_crypto_ipsec_sa.txt), whichever exists.
FILE_NAMES = {key: (key + ".txt", re.sub(r"[^A-Za-z0-9]+", "_", cmd).strip("_") + ".txt") for key, cmd in GATHER}
FILE_NAMES["logging"] = ("logging.txt", "show_logging.txt")

# The EEM capture applet's commands (capture role).
CAPTURE_LOG = "show logging | include CRYPTO|IKEV2|INVALID_SYNTAX"
CAPTURE_SA_OF_TRIGGER = IPSEC_SA + " peer $src"
ENABLE = "enable"
DIR_FLASH = "dir flash:"
DIR_FLASH_FREE = "dir flash: | include bytes free"

# An applet or flash file name goes into a command line: no spaces, pipes, paths or newlines.
_PLAIN_NAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def capture_sa_of(peer: str) -> str:
    """The SA table towards one peer, as the twin applet captures it."""
    return "%s peer %s" % (IPSEC_SA, _peer(peer))


def is_plain_name(name: Any) -> bool:
    """1-64 letters, digits, '_', '.' or '-': safe as an applet name or a file name on flash:."""
    # fullmatch: with match and `$`, a trailing newline would pass and start a second command.
    return isinstance(name, str) and bool(_PLAIN_NAME_RE.fullmatch(name))


def _plain(name: Any, what: str) -> str:
    if not is_plain_name(name):
        raise ParseError("%s %r must be 1-64 letters, digits, '_', '.' or '-'" % (what, name))
    return name


def applet_section(name: str) -> str:
    """The running-config section of one EEM applet."""
    return "show running-config | section event manager applet %s" % _plain(name, "applet name")


def dir_flash_file(name: str) -> str:
    return "%s%s" % (DIR_FLASH, _plain(name, "file name"))


def more_flash_file(name: str) -> str:
    return "more flash:%s" % _plain(name, "file name")


def delete_flash_file(name: str) -> str:
    """Deletes one named file; there is no builder for a wildcard or a directory."""
    return "delete /force flash:%s" % _plain(name, "file name")


# --------------------------------------------------------------------------------------------------
# Changes. Builders return the exact line sent; the remediation records the action it came
# from beside it, so a result is matched to its action by identity, never by re-parsing text.
# --------------------------------------------------------------------------------------------------

def _peer(peer: Any) -> str:
    # Exactly an address: no blank, newline or IPv6 scope id (``fe80::1%x\nclear crypto sa``) rides along.
    addr = plain_addr(peer)
    if addr is None:
        raise ParseError("a clear needs one peer address, not %r" % (peer,))
    # 0.0.0.0 / :: read as "any peer": the one address that must never reach a clear.
    if addr in ("0.0.0.0", "::"):
        raise ParseError("a clear needs one peer address, not the unspecified address %s" % addr)
    return addr


_VRF_RE = re.compile(r"[A-Za-z0-9_.:-]{1,32}")


def _vrf(vrf: Optional[str]) -> Optional[str]:
    if vrf in (None, ""):
        return None
    if not isinstance(vrf, str) or not _VRF_RE.fullmatch(vrf):
        raise ParseError("a VRF name is 1-32 letters, digits or _.:-, not %r" % (vrf,))
    return vrf


def clear_sa_command(peer: Any, vrf: Optional[str] = None) -> str:
    """``clear crypto sa peer [vrf V] X``: the IPsec SAs with one peer; the IKE SA stays."""
    vrf = _vrf(vrf)
    return "clear crypto sa peer %s%s" % ("vrf %s " % vrf if vrf else "", _peer(peer))


def clear_session_command(peer: Any, fvrf: Optional[str] = None) -> str:
    """``clear crypto session remote X [fvrf V]``: IKE and IPsec SAs with one remote peer."""
    fvrf = _vrf(fvrf)
    return "clear crypto session remote %s%s" % (_peer(peer), " fvrf %s" % fvrf if fvrf else "")


CLEAR_BUILDERS: Dict[str, Callable[..., str]] = {"sa": clear_sa_command, "session": clear_session_command}
CLEAR_SCOPE_OF_ACTION = {"clear_sa": "sa", "clear_session": "session"}


# Every line sent to a router is one line of printable ASCII: the last guard (device.run) against a value
# that slipped past a builder and would start a second command on the router.
_ONE_LINE_RE = re.compile(r"[\x20-\x7e]{1,512}")


def check_line(command: Any) -> str:
    """``command`` when it is one printable line, else ParseError naming it."""
    if not isinstance(command, str) or not _ONE_LINE_RE.fullmatch(command):
        raise ParseError("refusing to send %r: a command is one line of printable characters" % (command,))
    return command
