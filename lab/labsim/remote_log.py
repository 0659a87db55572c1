"""`logging host` for the lab's routers: what a router logs also goes out as a syslog datagram.

A router whose running-config has `logging host <address> [transport udp port N]` sends every message it
logs from then on (at or above `logging trap`, default informational) as one RFC 3164 UDP datagram, the way
IOS does:

    <PRI>000123: hub1: *Nov 29 18:00:01.123 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: decaps: ...

PRI is `logging facility` (default local7) * 8 + the message's severity; the origin (`hub1: `) is there only
with `logging origin-id hostname|ip|string TEXT`, after the sequence number as on IOS.  The lab only ever
sends to loopback collectors (127.0.0.0/8, ::1): `logging host` lines naming any other address (the scenario
addresses are documentation ranges) are kept in the config and never sent to.  `transport tcp` is not
simulated (such lines are listed as `unsupported` in the router's state).  The scenario's seeded history is
never sent: a real router does not replay its buffer to a collector configured later.
"""
from __future__ import annotations

import ipaddress
import re
import socket
import threading
from typing import Any, Dict, List, Optional, Tuple

FACILITIES = {"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7,
              "uucp": 8, "cron": 9, "sys9": 9, "sys10": 10, "sys11": 11, "sys12": 12, "sys13": 13, "sys14": 14,
              "local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20, "local5": 21, "local6": 22,
              "local7": 23}
LEVELS = {"emergencies": 0, "alerts": 1, "critical": 2, "errors": 3, "warnings": 4, "notifications": 5,
          "informational": 6, "debugging": 7}
DEFAULT_PORT = 514

_HOST_RE = re.compile(r"^logging host (?:ipv6 )?(\S+)((?: \S+)*)$")
_LEGACY_RE = re.compile(r"^logging ([0-9][0-9.]*|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)$")
_SEVERITY_RE = re.compile(r"%[A-Z][A-Z0-9_]*-([0-7])-[A-Z0-9_]+:")
_SEQ_RE = re.compile(r"^[0-9]{1,10}: ")


def _option(words: List[str], name: str) -> Optional[str]:
    for i, word in enumerate(words[:-1]):
        if word == name:
            return words[i + 1]
    return None


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


class Settings:
    """A router's logging destinations and format, read from its running-config."""

    def __init__(self, lines: List[str], hostname: str, address: str) -> None:
        self.destinations: List[Tuple[str, int]] = []
        self.unsupported: List[str] = []
        self.facility = FACILITIES["local7"]
        self.trap = LEVELS["informational"]
        self.origin: Optional[str] = None
        for line in lines:
            self._read(line, hostname, address)

    def _read(self, line: str, hostname: str, address: str) -> None:
        match = _HOST_RE.match(line) or _LEGACY_RE.match(line)
        if match is not None:
            words = (match.group(2) if match.lastindex and match.lastindex >= 2 else "").split()
            target = match.group(1)
            if "tcp" in words or not _loopback(target):
                self.unsupported.append(line)
                return
            port = _option(words, "port")
            self.destinations.append((target, int(port) if port and port.isdigit() else DEFAULT_PORT))
            return
        words = line.split()
        if words[:2] == ["logging", "facility"] and len(words) == 3 and words[2] in FACILITIES:
            self.facility = FACILITIES[words[2]]
        elif words[:2] == ["logging", "trap"] and len(words) == 3:
            level = words[2]
            self.trap = int(level) if level.isdigit() and int(level) < 8 else LEVELS.get(level, self.trap)
        elif words[:2] == ["logging", "origin-id"] and len(words) >= 3:
            kind = words[2]
            if kind == "hostname":
                self.origin = hostname
            elif kind == "ip":
                self.origin = address
            elif kind == "string" and len(words) >= 4:
                self.origin = " ".join(words[3:]).strip('"')


class RemoteLog:
    """Sends the fleet's log lines to the collectors each router's config names (one UDP socket per family)."""

    def __init__(self) -> None:
        self.settings: Dict[str, Settings] = {}
        self.sent: Dict[str, int] = {}
        self.errors: Dict[str, int] = {}
        self._sockets: Dict[int, socket.socket] = {}
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        """Whether any router has a collector (then the lab advances its clock in the background)."""
        return any(s.destinations for s in self.settings.values())

    def configure(self, router: Any) -> None:
        """Re-read a router's logging lines (at start and whenever it leaves configuration mode)."""
        lines = [n.text for n in router.config.root.children if n.text.startswith("logging ")]
        hostname = next((n.text.split(None, 1)[1] for n in router.config.root.children
                         if n.text.startswith("hostname ")), router.name)
        self.settings[router.name] = Settings(lines, hostname, router.spec.addr)

    def datagram(self, router: Any, line: str) -> Optional[bytes]:
        """The datagram for one log line, or None when `logging trap` filters it out."""
        settings = self.settings.get(router.name)
        if settings is None:
            return None
        match = _SEVERITY_RE.search(line)
        severity = int(match.group(1)) if match else LEVELS["notifications"]
        if severity > settings.trap:
            return None
        if settings.origin:
            seq = _SEQ_RE.match(line)
            cut = seq.end() if seq else 0
            line = line[:cut] + settings.origin + ": " + line[cut:]
        return ("<%d>%s" % (settings.facility * 8 + severity, line)).encode("utf-8")

    def send(self, router: Any, epoch: float, line: str) -> None:
        settings = self.settings.get(router.name)
        if settings is None or not settings.destinations:
            return
        data = self.datagram(router, line)
        if data is None:
            return
        for address, port in settings.destinations:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            try:
                with self._lock:
                    sock = self._sockets.get(family)
                    if sock is None:
                        sock = self._sockets[family] = socket.socket(family, socket.SOCK_DGRAM)
                    sock.sendto(data, (address, port))
                self.sent[router.name] = self.sent.get(router.name, 0) + 1
            except OSError:
                # A collector that is not listening yet is normal for UDP syslog: count it, go on.
                self.errors[router.name] = self.errors.get(router.name, 0) + 1

    def state(self, router: Any) -> Dict[str, Any]:
        settings = self.settings.get(router.name)
        return {
            "destinations": ["%s:%d" % d for d in (settings.destinations if settings else [])],
            "unsupported": list(settings.unsupported) if settings else [],
            "origin_id": settings.origin if settings else None,
            "sent": self.sent.get(router.name, 0),
            "errors": self.errors.get(router.name, 0),
        }

    def close(self) -> None:
        with self._lock:
            for sock in self._sockets.values():
                sock.close()
            self._sockets.clear()
