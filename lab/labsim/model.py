"""The lab's state objects: virtual clock, routers, the two sides of a peer pair, desyncs, foreign flows.

Plain data with the few rules that belong to one object (a router's log buffer, a side's SAs).  The
simulation that moves them (labsim.sim.Fleet) and the show commands that print them (labsim.render) both
import this module; neither imports the other.
"""
from __future__ import annotations

import datetime
import threading
import time
from typing import Any, Dict, List, Optional, Protocol, Tuple

from .build import LinkSpec, RouterSpec, Tunnel
from .configtree import ConfigTree
from .flash import Flash

RATE_LIMIT = 60.0          # IOS logs RECVD_PKT_INV_SPI at most once a minute per flow
# A desync's messages come RATE_LIMIT plus a little jitter apart: (i % 7) * JITTER for its i-th message, so any
# seven in a row span exactly JITTER_CYCLE and a long stretch can be skipped a cycle at a time.
JITTER = 0.37
JITTER_CYCLE = 7 * RATE_LIMIT + 21 * JITTER
KNOB_RECOVERY_DELAY = 75.0  # simulated seconds for invalid-spi-recovery to re-key (a minute or two)
DELETE_NOTIFY_DELAY = 20.0  # an existing IKEv1 SA carries a DELETE notify almost at once
AVG_PKT = 148
# The routers say `logging buffered 102400`: about 500 lines of ~200 bytes, circular
# like IOS. A lab left running for hours must not grow answers no router would give.
LOG_KEEP = 500


class VirtualClock:
    def __init__(self, start: float, speed: float) -> None:
        self.start = start
        self.speed = float(speed)
        self._base_real = time.monotonic()
        self._base_sim = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._base_sim + (time.monotonic() - self._base_real) * self.speed

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._base_sim += float(seconds)
        return self.now()

    def set_speed(self, speed: float) -> None:
        with self._lock:
            now_real = time.monotonic()
            self._base_sim += (now_real - self._base_real) * self.speed
            self._base_real = now_real
            self.speed = float(speed)


def fmt_ts(epoch: float, style: str, seq: int) -> str:
    dt = datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)
    ms = "%03d" % (dt.microsecond // 1000)
    mon = dt.strftime("%b")
    day = "%2d" % dt.day
    hms = dt.strftime("%H:%M:%S")
    if style == "sequence":
        return "%06d: *%s %s %s.%s UTC: " % (seq, mon, day, hms, ms)
    if style == "ntp_year":
        return "%06d: %s %s %d %s.%s UTC: " % (seq, mon, day, dt.year, hms, ms)
    return "%s %s %s.%s UTC: " % (mon, day, hms, ms)


class Side:
    """One end of a peer pair, as that router sees it."""

    def __init__(self, router: Optional[str], addr: str, tunnel: Optional[Tunnel], peer_addr: str) -> None:
        self.router = router
        self.addr = addr
        self.tunnel = tunnel
        self.peer_addr = peer_addr
        self.spi_out: Optional[int] = None
        self.spi_in: Optional[int] = None
        self.sa_since = 0.0
        self.encaps = 0.0
        self.decaps = 0.0
        self.ike: Optional[str] = None   # None, or the IKE state (QM_IDLE / READY)
        self.ike_since = 0.0
        self.ike_initiator = False
        self.conn_id = 0
        self.va_index = 0

    def has_sa(self) -> bool:
        return self.spi_out is not None and self.spi_in is not None


class Desync:
    def __init__(self, sender: str, start: float, mode: str) -> None:
        self.sender = sender            # 'a' or 'b'
        self.start = start
        self.mode = mode
        self.last_log: Optional[float] = None
        self.jitter_i = 0


class Link:
    def __init__(self, index: int, spec: LinkSpec, pps: float) -> None:
        self.index = index
        self.spec = spec
        self.ike = spec.ike
        self.a = Side(spec.a.router.name, spec.a_addr, spec.a, spec.b_addr)
        self.b = Side(spec.b_name, spec.b_addr, spec.b, spec.a_addr)
        self.pps = pps
        self.desync: Optional[Desync] = None
        self.last_sync = 0.0

    def side_of(self, router: str) -> Optional[Side]:
        if self.a.router == router:
            return self.a
        if self.b.router == router:
            return self.b
        return None

    def other(self, side: Side) -> Side:
        return self.b if side is self.a else self.a


class ForeignFlow:
    def __init__(self, receiver: str, src: str, spi: int, live: bool, pps: float) -> None:
        self.receiver = receiver
        self.src = src
        self.spi = spi
        self.live = live
        self.pps = pps
        self.last_log: Optional[float] = None


class Router:
    def __init__(self, spec: RouterSpec, port: int, config: List[str], boot: float) -> None:
        self.name = spec.name
        self.spec = spec
        self.port = port
        self.config = ConfigTree(config)
        self.startup = ConfigTree(config)
        self.boot = boot
        self.log: List[Tuple[float, str]] = []
        self.seq = 0
        self.logged_total = 0
        self.history: List[Dict[str, Any]] = []
        self.connections: List[Dict[str, Any]] = []
        self.fault: Dict[str, Any] = {"kind": "none"}
        self.qfp = {"IpsecInput": [0.0, 0.0], "Ipv4NoRoute": [37.0, 2442.0], "Ipv4NoAdj": [4.0, 296.0]}
        self.ipsec_drops = {"IN_US_V4_PKT_SA_NOT_FOUND_SPI": 0.0, "IN_TRANS_V4_IPSEC_PKT_NOT_FOUND_SPI": 0.0,
                            "IN_US_V6_PKT_SA_NOT_FOUND_SPI": 0.0}
        self.knob_since: Optional[float] = boot if self.knob else None
        self.last_change: Optional[Tuple[float, str]] = None
        self.flash = Flash(boot)
        self.eem_runs: List[Dict[str, Any]] = []
        # Set once the scenario's history is in place: EEM applets see only what is logged afterwards.
        self.eem_hook: Any = None
        # Set once the history is in place too: `logging host` collectors get only what is logged afterwards.
        self.remote_hook: Any = None

    @property
    def knob(self) -> bool:
        return self.config.has_line("crypto isakmp invalid-spi-recovery")

    @property
    def qfp_capable(self) -> bool:
        return bool(self.spec.plat["qfp"])

    def logged_unseen(self, count: int) -> None:
        """Messages logged that scrolled out of the buffer before anyone could read them: numbers only."""
        self.seq += count
        self.logged_total += count

    def emit(self, epoch: float, text: str) -> None:
        self.seq += 1
        self.logged_total += 1
        line = fmt_ts(epoch, self.spec.log_style, self.seq) + text
        self.log.append((epoch, line))
        if len(self.log) > LOG_KEEP:
            del self.log[: len(self.log) - LOG_KEEP]
        if self.eem_hook is not None:
            self.eem_hook(self, epoch, line)
        if self.remote_hook is not None:
            self.remote_hook(self, epoch, line)


def inv_spi_text(dst: str, spi: int, src: str, iface: str) -> str:
    return ("%%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for destaddr=%s, prot=50, "
            "spi=0x%X(%d), srcaddr=%s, input interface=%s" % (dst, spi, spi, src, iface))


class FleetView(Protocol):
    """What the show commands read from the fleet (labsim.sim.Fleet provides it)."""

    specs: Dict[str, RouterSpec]

    def links_of(self, router: str) -> List[Tuple[Link, Side]]:
        ...
