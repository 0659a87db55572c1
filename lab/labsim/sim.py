"""The fleet's state and its simulation: virtual clock, SAs per peer pair, desyncs, logs and counters.

Time is simulated.  Everything is advanced lazily by Fleet.sync() to the virtual clock's now, in simulated
time order per flow, so advancing the clock by an hour gives the same result as waiting for it.
"""
from __future__ import annotations

import datetime
import random
import threading
from typing import Any, Dict, List, Optional, Tuple

from .build import SUPPORTED_KINDS, RouterSpec, ScenarioError, build_config, build_links
from .eem import EEM_STEP, Engine
from .remote_log import RemoteLog
from .model import (AVG_PKT, DELETE_NOTIFY_DELAY, JITTER, JITTER_CYCLE, KNOB_RECOVERY_DELAY, LOG_KEEP, RATE_LIMIT,
                    Desync, ForeignFlow, Link, Router, Side, VirtualClock, fmt_ts, inv_spi_text)


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
        # While flows are advanced, what they log waits here to be written in time order across flows.
        self._pending: Optional[List[Tuple[float, int, Router, str]]] = None
        self.eem = Engine(self)
        self.remote_log = RemoteLog()
        self._init_state(start)
        for r in self.routers.values():
            self.eem.config_changed(r, start)
            r.eem_hook = self.eem.on_log
            self.remote_log.configure(r)
            r.remote_hook = self.remote_log.send
        self.injected = 0

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

    def _emit(self, r: Router, at: float, text: str) -> None:
        if self._pending is None:
            r.emit(at, text)
        else:
            self._pending.append((at, len(self._pending), r, text))

    def _log_inv(self, r: Router, at: float, src: str, spi: int) -> None:
        self._emit(r, at, inv_spi_text(r.spec.addr, spi, src, r.spec.wan_if))

    def _advance_all(self, now: float, last: float) -> None:
        """Every flow to `now`; the messages of all flows then go to the buffers in time order.

        Each flow logs at most its newest LOG_KEEP messages of a long stretch (the rest is counted in the
        sequence numbers only); merged in time order the buffer keeps the newest LOG_KEEP of all flows, as a
        router that had been running all along would.  One flow after the other would leave only the last.
        """
        self._pending = []
        try:
            for link in self.links:
                self._advance_link(link, now)
            for flow in self.foreign:
                self._advance_foreign(flow, now, last)
        finally:
            pending, self._pending = self._pending, None
        for at, _order, r, text in sorted(pending, key=lambda item: (item[0], item[1])):
            r.emit(at, text)

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
        t = d.start if d.last_log is None else d.last_log + RATE_LIMIT + (d.jitter_i % 7) * JITTER
        # Whole jitter cycles only, so the messages kept are at the very times waiting would have logged them.
        cycles = int((until - t - LOG_KEEP * (RATE_LIMIT + 6 * JITTER)) // JITTER_CYCLE)
        if cycles > 0:
            t += cycles * JITTER_CYCLE
            d.jitter_i += 7 * cycles
            rr.logged_unseen(7 * cycles)
        while t <= until:
            self._log_inv(rr, t, sender.addr, sender.spi_out or 0)
            d.last_log = t
            d.jitter_i += 1
            t = t + RATE_LIMIT + (d.jitter_i % 7) * JITTER
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
        skip = int((now - t) // RATE_LIMIT) - LOG_KEEP
        if skip > 0:
            t += skip * RATE_LIMIT
            r.logged_unseen(skip)
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
                self._advance_all(now, self.last_sync)
                self.last_sync = now
                return now
            # With applets configured, time moves in small steps so that each applet runs with the
            # fleet as it was when its message was logged (or its timer fired).
            t = self.last_sync
            while t < now:
                t2 = min(now, t + EEM_STEP)
                self._advance_all(t2, t)
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
            # A routine rekey or recovery of a healthy pair logs nothing; bringing a broken pair back does.
            if desynced or reason not in ("recovery", "rekey"):
                self._emit(r, at + 0.5, "%%CRYPTO-5-SESSION_STATUS: Crypto tunnel v2 is UP.  Peer %s:500       Id: %s"
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
            self.remote_log.configure(r)

    # ----- events injected at run time (control channel: tests, demos) -------------------------------
    def start_desync(self, sender: str, receiver: str, mode: str = "lost") -> Dict[str, Any]:
        """Knock a healthy pair out of sync now, as a scenario's `desync:` entry does at start."""
        with self.lock:
            now = self.sync()
            link = self.find_link(sender, receiver)
            if link.desync is not None:
                raise ScenarioError("%s and %s are already out of sync" % (sender, receiver))
            self.injected += 1
            self._init_desync({"sender": sender, "receiver": receiver, "since": 0, "mode": mode},
                              len(self.scenario.get("desync") or []) + self.injected, now)
            return next(d for d in self.desyncs() if d["since"] == link.desync.start)

    def rekey(self, x: str, y: str) -> Dict[str, Any]:
        """The pair re-keys now: new SPIs both ways, SAs installed now (an out-of-sync pair is healed, as a rekey
        or a renegotiation after DPD heals it). With start_desync it makes the same pair desync again, each time
        with a new SPI: a new episode, as the month scenario's nights do."""
        with self.lock:
            now = self.sync()
            link = self.find_link(x, y)
            self._resync(link, now, reason="rekey")
            return {"sa_since": now, "spi_out": {side.router or side.addr: side.spi_out for side in (link.a, link.b)}}

    def log_inv_spi(self, receiver: str, src: str, spi: int) -> float:
        """One INV_SPI message on `receiver` now, from `src` (router name or address): a transient."""
        with self.lock:
            now = self.sync()
            r = self.routers[receiver]
            src_addr = self.specs[src].addr if src in self.specs else src
            self._log_inv(r, now, src_addr, int(spi))
            self._drop(r, 1)
            return now

    def add_foreign(self, receiver: str, src: str, spi: int, live: bool = True, pps: float = 2.0) -> float:
        """A sender that is no peer starts hitting `receiver` now (live: once a minute from then on)."""
        with self.lock:
            now = self.sync()
            if receiver not in self.routers:
                raise ScenarioError("no router %r" % receiver)
            flow = ForeignFlow(receiver, src, int(spi), live, pps)
            self._log_inv(self.routers[receiver], now, src, flow.spi)
            flow.last_log = now
            self.foreign.append(flow)
            return now

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
