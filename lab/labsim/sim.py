"""The fleet's state and its simulation: virtual clock, SAs per peer pair, desyncs, logs and counters.

Time is simulated.  Everything is advanced lazily by Fleet.sync() to the virtual clock's now, in simulated
time order per flow, so advancing the clock by an hour gives the same result as waiting for it.
"""
from __future__ import annotations

import datetime
import random
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

from .build import SUPPORTED_KINDS, LinkSpec, RouterSpec, ScenarioError, Tunnel, build_config, build_links
from .configtree import ConfigTree
from .eem import EEM_STEP, Engine, Flash

RATE_LIMIT = 60.0          # IOS logs RECVD_PKT_INV_SPI at most once a minute per flow
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

    @property
    def knob(self) -> bool:
        return self.config.has_line("crypto isakmp invalid-spi-recovery")

    @property
    def qfp_capable(self) -> bool:
        return bool(self.spec.plat["qfp"])

    def emit(self, epoch: float, text: str) -> None:
        self.seq += 1
        self.logged_total += 1
        line = fmt_ts(epoch, self.spec.log_style, self.seq) + text
        self.log.append((epoch, line))
        if len(self.log) > LOG_KEEP:
            del self.log[: len(self.log) - LOG_KEEP]
        if self.eem_hook is not None:
            self.eem_hook(self, epoch, line)


def inv_spi_text(dst: str, spi: int, src: str, iface: str) -> str:
    return ("%%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for destaddr=%s, prot=50, "
            "spi=0x%X(%d), srcaddr=%s, input interface=%s" % (dst, spi, spi, src, iface))


def _parse_time(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime.datetime):
        dt = value
    else:
        dt = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return dt.timestamp()


class Fleet:
    def __init__(self, scenario: Dict[str, Any], speed: float = 60.0, base_port: Optional[int] = None) -> None:
        self.scenario = scenario
        self.lock = threading.RLock()
        self.rng = random.Random(int(scenario.get("seed", 1)))
        start = _parse_time(scenario.get("start", "2026-11-29T18:00:00Z"))
        self.clock = VirtualClock(start, speed)
        creds = scenario.get("credentials") or {}
        defaults = {"username": creds.get("username", "netops"), "password": creds.get("password", "Lab-Pass-1"),
                    "enable": creds.get("enable", "Lab-Enable-1")}
        self.specs: Dict[str, RouterSpec] = {}
        for i, (name, rspec) in enumerate(scenario["routers"].items()):
            self.specs[str(name)] = RouterSpec(str(name), rspec or {}, i + 1, defaults)
        port = int(base_port or scenario.get("base_port", 0) or 0)
        self.routers: Dict[str, Router] = {}
        boot = start - 17 * 86400 - 4 * 3600 - 5 * 60
        for i, (name, rspec) in enumerate(self.specs.items()):
            rport = int(rspec.spec.get("port", port + i if port else 0))
            self.routers[name] = Router(rspec, rport, build_config(rspec, self.specs), boot)
        self.by_addr = {r.spec.addr: r for r in self.routers.values()}
        self.links: List[Link] = []
        pps = float(scenario.get("pps", 20))
        for i, ls in enumerate(build_links(self.specs)):
            link = Link(i, ls, float((ls.a.spec.get("pps") or pps)))
            self.links.append(link)
        self.foreign: List[ForeignFlow] = []
        self.last_sync = start
        self.eem = Engine(self)
        self._init_state(start)
        for r in self.routers.values():
            self.eem.config_changed(r, start)
            r.eem_hook = self.eem.on_log

    # ----- set-up -------------------------------------------------------------------------------------
    def new_spi(self) -> int:
        while True:
            spi = self.rng.getrandbits(32)
            if 0x100 <= spi < 0xFF000000:
                return spi

    def _establish(self, link: Link, at: float) -> None:
        s1, s2 = self.new_spi(), self.new_spi()
        link.a.spi_out = link.b.spi_in = s1
        link.b.spi_out = link.a.spi_in = s2
        for side in (link.a, link.b):
            side.sa_since = at
            side.encaps = side.decaps = 0.0
            side.ike = "QM_IDLE" if link.ike == "ikev1" else "READY"
            side.ike_since = at
            side.conn_id = 1000 + self.rng.randint(1, 8999)
        link.a.ike_initiator = True
        link.b.ike_initiator = False
        link.desync = None
        link.last_sync = at

    def _init_state(self, start: float) -> None:
        sc = self.scenario
        for link in self.links:
            age = 600 + self.rng.randint(0, 2400)
            self._establish(link, start - age)
            # Pre-fill counters so a healthy pair has been passing traffic for a while.
            for side in (link.a, link.b):
                side.encaps = side.decaps = link.pps * age
            link.last_sync = start
            for side, tun in ((link.a, link.spec.a), (link.b, link.spec.b)):
                if tun is not None and tun.spi_in:
                    other = link.other(side)
                    side.spi_in = other.spi_out = int(tun.spi_in)
        va: Dict[str, int] = {}
        for link in self.links:
            for side in (link.a, link.b):
                if side.tunnel is not None and side.tunnel.kind == "dvti":
                    va[side.router] = va.get(side.router, 0) + 1
                    side.va_index = va[side.router]
        for i, d in enumerate(sc.get("desync") or []):
            self._init_desync(d, i, start)
        for f in sc.get("foreign") or []:
            self._init_foreign(f, start)
        for h in sc.get("history") or []:
            self._init_history(h, start)
        for r in self.routers.values():
            r.log.sort(key=lambda item: item[0])
            self._renumber(r)

    def _renumber(self, r: Router) -> None:
        lines = []
        for i, (epoch, text) in enumerate(r.log, start=1):
            body = text.split(": %", 1)[1] if ": %" in text else text
            lines.append((epoch, fmt_ts(epoch, r.spec.log_style, i) + "%" + body))
        r.log = lines
        r.seq = len(lines)
        r.logged_total = len(lines)

    def find_link(self, x: str, y: str) -> Link:
        for link in self.links:
            names = {link.a.router, link.b.router, link.a.addr, link.b.addr}
            if x in names and y in names:
                return link
        raise ScenarioError("no peer pair between %s and %s" % (x, y))

    def _init_desync(self, d: Dict[str, Any], i: int, start: float) -> None:
        link = self.find_link(str(d["sender"]), str(d["receiver"]))
        recv_is_a = str(d["receiver"]) in (link.a.router, link.a.addr)
        receiver, sender = (link.a, link.b) if recv_is_a else (link.b, link.a)
        if receiver.router is None:
            raise ScenarioError("desync %s->%s: the receiver must be a lab router" % (d["sender"], d["receiver"]))
        since = float(d.get("since", 300))
        mode = d.get("mode", "lost")
        if mode not in ("lost", "replaced"):
            raise ScenarioError("desync %s->%s: mode must be lost or replaced" % (d["sender"], d["receiver"]))
        if d.get("spi"):
            sender.spi_out = int(d["spi"])
        # A fraction of a second per pair keeps the timestamps from looking machine-made.
        desync = Desync("b" if recv_is_a else "a", start - since + 0.137 * (i + 1) + 0.011 * link.index, mode)
        if mode == "lost":
            receiver.spi_in = receiver.spi_out = None
        else:
            receiver.spi_in, receiver.spi_out = self.new_spi(), self.new_spi()
            receiver.sa_since = start - since
        receiver.encaps = receiver.decaps = 0.0
        receiver.ike = None
        link.desync = desync
        link.last_sync = start - since
        # Seed the history the receiver logged so far, and let the counters catch up to now.
        self._advance_link(link, start)

    def _init_foreign(self, f: Dict[str, Any], start: float) -> None:
        recv = self.routers[str(f["receiver"])]
        flow = ForeignFlow(recv.name, str(f["src"]), int(f.get("spi", self.new_spi())), bool(f.get("live", False)),
                           float(f.get("pps", 2)))
        ago = [float(x) for x in (f.get("ago") or [240, 120])]
        for a in sorted(ago, reverse=True):
            self._log_inv(recv, start - a + 0.421, flow.src, flow.spi)
            self._drop(recv, flow.pps * 30)
            flow.last_log = start - a + 0.421
        self.foreign.append(flow)

    def _init_history(self, h: Dict[str, Any], start: float) -> None:
        r = self.routers[str(h["router"])]
        at = start - float(h.get("ago", 600)) + 0.263
        if h.get("inv_spi_from"):
            src = str(h["inv_spi_from"])
            src_addr = self.specs[src].addr if src in self.specs else src
            self._log_inv(r, at, src_addr, int(h["spi"]))
        else:
            r.emit(at, str(h["text"]))

    # ----- simulation ---------------------------------------------------------------------------------
    def _iface_for(self, side: Side) -> str:
        return self.specs[side.router].wan_if if side.router else "GigabitEthernet1"

    def _log_inv(self, r: Router, at: float, src: str, spi: int) -> None:
        r.emit(at, inv_spi_text(r.spec.addr, spi, src, r.spec.wan_if))

    def _drop(self, r: Router, pkts: float) -> None:
        if pkts <= 0:
            return
        r.qfp["IpsecInput"][0] += pkts
        r.qfp["IpsecInput"][1] += pkts * AVG_PKT
        r.ipsec_drops["IN_US_V4_PKT_SA_NOT_FOUND_SPI"] += pkts

    def _recover_at(self, link: Link) -> Optional[float]:
        d = link.desync
        assert d is not None
        receiver = link.a if d.sender == "b" else link.b
        rr = self.routers[receiver.router]
        if link.ike != "ikev1":
            return None
        if receiver.ike is not None:
            return max(d.start, receiver.ike_since) + DELETE_NOTIFY_DELAY
        kind = receiver.tunnel.kind if receiver.tunnel is not None else None
        if rr.knob_since is not None and kind in SUPPORTED_KINDS:
            return max(d.start, rr.knob_since) + KNOB_RECOVERY_DELAY
        return None

    def _advance_link(self, link: Link, now: float) -> None:
        dt = now - link.last_sync
        if dt <= 0:
            return
        if link.desync is None:
            for s, r in ((link.a, link.b), (link.b, link.a)):
                if s.has_sa() and r.has_sa() and s.spi_out == r.spi_in:
                    s.encaps += link.pps * dt
                    r.decaps += link.pps * dt
            link.last_sync = now
            return
        d = link.desync
        sender, receiver = (link.b, link.a) if d.sender == "b" else (link.a, link.b)
        rr = self.routers[receiver.router]
        rec = self._recover_at(link)
        until = min(now, rec) if rec is not None else now
        step = max(0.0, until - link.last_sync)
        sender.encaps += link.pps * step
        self._drop(rr, link.pps * step)
        # The first dropped packet logs at once; further ones only after the rate limit has passed.
        t = d.start if d.last_log is None else d.last_log + RATE_LIMIT + (d.jitter_i % 7) * 0.37
        if until - t > LOG_KEEP * RATE_LIMIT:
            skip = int((until - t) // RATE_LIMIT) - LOG_KEEP
            t += skip * RATE_LIMIT
            rr.seq += skip
        while t <= until:
            self._log_inv(rr, t, sender.addr, sender.spi_out or 0)
            d.last_log = t
            d.jitter_i += 1
            t = t + RATE_LIMIT + (d.jitter_i % 7) * 0.37
        link.last_sync = until
        if rec is not None and rec <= now:
            self._resync(link, rec, reason="recovery")
            self._advance_link(link, now)

    def _advance_foreign(self, flow: ForeignFlow, now: float, last: float) -> None:
        if not flow.live:
            return
        r = self.routers[flow.receiver]
        self._drop(r, flow.pps * max(0.0, now - last))
        t = (flow.last_log or last) + RATE_LIMIT
        while t <= now:
            self._log_inv(r, t, flow.src, flow.spi)
            flow.last_log = t
            t += RATE_LIMIT

    def sync(self) -> float:
        with self.lock:
            now = self.clock.now()
            if now <= self.last_sync:
                return self.last_sync
            if not self.eem.active:
                for link in self.links:
                    self._advance_link(link, now)
                for flow in self.foreign:
                    self._advance_foreign(flow, now, self.last_sync)
                self.last_sync = now
                return now
            # With applets configured, time moves in small steps so that each applet runs with the
            # fleet as it was when its message was logged (or its timer fired).
            t = self.last_sync
            while t < now:
                t2 = min(now, t + EEM_STEP)
                for link in self.links:
                    self._advance_link(link, t2)
                for flow in self.foreign:
                    self._advance_foreign(flow, t2, t)
                self.last_sync = t2
                self.eem.dispatch(t2)
                t = t2
            return now

    def _resync(self, link: Link, at: float, reason: str) -> None:
        desynced = link.desync is not None
        self._establish(link, at)
        for side in (link.a, link.b):
            if side.router is None:
                continue
            r = self.routers[side.router]
            if desynced or reason != "recovery":
                r.emit(at + 0.5, "%%CRYPTO-5-SESSION_STATUS: Crypto tunnel v2 is UP.  Peer %s:500       Id: %s"
                       % (side.peer_addr, side.peer_addr))

    # ----- actions from the CLI -----------------------------------------------------------------------
    def links_of(self, router: str) -> List[Tuple[Link, Side]]:
        out = []
        for link in self.links:
            side = link.side_of(router)
            if side is not None:
                out.append((link, side))
        return out

    def clear(self, router: str, peer: Optional[str]) -> int:
        """clear crypto sa [peer X] / clear crypto session [remote X]: the pair(s) re-key with new SPIs."""
        with self.lock:
            now = self.sync()
            n = 0
            for link, side in self.links_of(router):
                if peer is None or side.peer_addr == peer:
                    self._resync(link, now, reason="clear")
                    n += 1
            return n

    def config_changed(self, router: str) -> None:
        with self.lock:
            r = self.routers[router]
            now = self.clock.now()
            if r.knob and r.knob_since is None:
                r.knob_since = now
            elif not r.knob:
                r.knob_since = None
            self.eem.config_changed(r, now)

    # ----- views --------------------------------------------------------------------------------------
    def desyncs(self) -> List[Dict[str, Any]]:
        out = []
        for link in self.links:
            if link.desync is None:
                continue
            sender, receiver = (link.b, link.a) if link.desync.sender == "b" else (link.a, link.b)
            out.append({"receiver": receiver.router, "receiver_addr": receiver.addr, "sender": sender.router,
                        "sender_addr": sender.addr, "spi": sender.spi_out, "since": link.desync.start,
                        "mode": link.desync.mode})
        return out

    def state(self, name: str) -> Dict[str, Any]:
        from .render import running_config  # local: render imports this module
        with self.lock:
            now = self.sync()
            r = self.routers[name]
            sas = []
            for link, side in self.links_of(name):
                sas.append({"peer": side.peer_addr, "peer_router": link.other(side).router, "local": side.addr,
                            "kind": side.tunnel.kind if side.tunnel else None,
                            "tunnel": side.tunnel.name if side.tunnel else None, "ike_version": link.ike,
                            "ike_sa": side.ike, "outbound_spi": side.spi_out, "inbound_spi": side.spi_in,
                            "pkts_encaps": int(side.encaps), "pkts_decaps": int(side.decaps),
                            "desynced": link.desync is not None,
                            "desync_role": (None if link.desync is None else
                                            ("sender" if (link.desync.sender == "a") == (side is link.a) else "receiver"))})
            return {
                "name": name, "port": r.port, "address": r.spec.addr, "platform": r.spec.platform,
                "qfp": r.qfp_capable, "knob": r.knob, "running_config": running_config(self, r, now),
                "sas": sas,
                "counters": {"qfp_drops": {k: {"packets": int(v[0]), "octets": int(v[1])} for k, v in r.qfp.items()},
                             "ipsec_drops": {k: int(v) for k, v in r.ipsec_drops.items()}},
                "log": [line for _epoch, line in r.log],
                "history": list(r.history), "connections": list(r.connections[-200:]),
                "fault": dict(r.fault), "clock": {"now": now, "speed": self.clock.speed},
                "flash": r.flash.state(), "eem_runs": list(r.eem_runs),
            }
