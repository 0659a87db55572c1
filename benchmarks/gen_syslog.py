# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generate a realistic syslog-server file of IOS / IOS XE messages (seeded, reproducible).

    python benchmarks/gen_syslog.py --lines 1000000 --out benchmarks/data/syslog-1m.log
    python benchmarks/gen_syslog.py --lines 10000000 --rotate 10 --out benchmarks/data/archive-10m

With --rotate N the same stream is cut into a syslog server's rotated set in
the folder --out: messages.N-1 (oldest) ... messages.1, messages, every other
file gzip-compressed (messages.9.gz, messages.7.gz, ...), and each file
starting with the last --overlap lines of the one before (as a copytruncate
rotation can leave them): a reader must count those lines once. The truth
goes to FOLDER.truth.json, beside the folder.

About 5% of the lines are %CRYPTO-4-RECVD_PKT_INV_SPI (all three spellings),
the rest is everyday IOS noise (LINEPROTO, LINK, SYS, OSPF, BGP, other CRYPTO,
DMVPN, SEC). Header forms are mixed the way a syslog server's files are: RFC
3164 relay headers with host names or IPs, RFC 3339 relay stamps, <PRI>, one
or two message numbers, origin host names, '*' and '.' clocks, years before
or after the month, time zones, uptime stamps. Some invalid-SPI messages
arrive twice through a second relay, and some are wrapped onto two lines.

Next to the file, PATH.truth.json holds what a correct parser must find
(written by construction, not by parsing), so the benchmark can check the
result as well as time it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MNEMONICS = ("RECVD_PKT_INV_SPI", "RECVD_PKT_INV_SPI", "RECVD_PKT_INV_SPI", "RECV_PKT_INV_SPI", "RECV_D_PKT_INV_SPI")
ZONES = (("UTC", 0), ("AEST", 600), ("METDST", 120), ("EST", -300), ("UTC+07:30", 450), ("", 0))
INTERFACES = ("GigabitEthernet1", "GigabitEthernet0/0/0", "Tunnel100", "TenGigabitEthernet0/1/0", "Dialer1")
START = 1725148800  # 2024-09-01T00:00:00Z


def _noise(rng: random.Random) -> str:
    kind = rng.randrange(10)
    ifc = rng.choice(("GigabitEthernet0/0/%d" % rng.randrange(4), "Tunnel%d" % rng.randrange(100, 110),
                      "TenGigabitEthernet0/1/%d" % rng.randrange(8)))
    if kind == 0:
        return "%%LINEPROTO-5-UPDOWN: Line protocol on Interface %s, changed state to %s" % (
            ifc, rng.choice(("up", "down")))
    if kind == 1:
        return "%%LINK-3-UPDOWN: Interface %s, changed state to %s" % (ifc, rng.choice(("up", "down")))
    if kind == 2:
        return "%%SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.9.%d.%d)" % (
            rng.randrange(256), rng.randrange(256))
    if kind == 3:
        return "%%OSPF-5-ADJCHG: Process 1, Nbr 10.255.%d.%d on %s from LOADING to FULL, Loading Done" % (
            rng.randrange(256), rng.randrange(256), ifc)
    if kind == 4:
        return "%%BGP-5-ADJCHANGE: neighbor 172.16.%d.%d Up" % (rng.randrange(256), rng.randrange(256))
    if kind == 5:
        return "%%CRYPTO-5-SESSION_STATUS: Crypto tunnel is UP  .  Peer 198.51.100.%d:500       Id: 198.51.100.%d" % (
            rng.randrange(256), rng.randrange(256))
    if kind == 6:
        return "%CRYPTO-6-ISAKMP_ON_OFF: ISAKMP is ON"
    if kind == 7:
        return "%%DMVPN-5-NHRP_NHS_UP: %s: Next Hop Server : (Tunnel: 10.0.0.1 NBMA: 192.0.2.1 ) for (Tunnel: 10.0.%d.%d NBMA: 203.0.113.%d) is UP" % (
            ifc, rng.randrange(256), rng.randrange(256), rng.randrange(256))
    if kind == 8:
        return "%%SEC-6-IPACCESSLOGP: list OUTSIDE-IN denied tcp 203.0.113.%d(%d) -> 192.0.2.%d(22), 1 packet" % (
            rng.randrange(256), rng.randrange(1024, 65535), rng.randrange(256))
    return "%%CRYPTO-4-IKMP_NO_SA: IKE message from 198.51.100.%d has no SA and is not an initialization offer" % (
        rng.randrange(256))


class Device(object):
    """One router: its header style, clock, sequence counter and peers."""

    def __init__(self, rng: random.Random, index: int) -> None:
        self.name = "%s-%d" % (rng.choice(("hub", "spoke", "edge", "dc")), index)
        self.fqdn = self.name + ".example.net"
        self.ip = "10.20.%d.%d" % (index // 250, index % 250 + 1)
        self.style = index % 6
        self.zone, self.zone_min = ZONES[index % len(ZONES)]
        self.mark = ("", "", "", "*", ".")[index % 5]
        self.year_pos = index % 3  # 0 none, 1 before month, 2 after day
        self.msec = index % 4 != 0
        self.uptime = index % 11 == 7
        self.boot = START - rng.randrange(86400, 86400 * 900)
        self.counter = rng.randrange(1, 500000)
        self.seq = rng.randrange(1, 500000)
        self.v6 = index % 9 == 4
        self.relay_host = (self.fqdn, self.ip, self.name)[index % 3]
        # what differs between IOS releases and configurations, fixed per device
        self.mnemonic = MNEMONICS[index % len(MNEMONICS)]
        self.spi_form = index % 6
        self.interface = INTERFACES[index % len(INTERFACES)] if index % 5 < 3 else None
        self.ah = index % 29 == 3
        # what a parser must report as host: the origin name when the message carries one
        self.parsed_host = self.name if self.style in (1, 2) else self.relay_host
        if self.v6:
            self.addr = "2001:db8:%x::1" % (index + 1)
            self.peers = ["2001:db8:%x::%x" % (rng.randrange(1, 4096), rng.randrange(1, 65535)) for _unused in range(6)]
        else:
            self.addr = "192.0.2.%d" % (index % 250 + 1)
            self.peers = ["198.51.100.%d" % rng.randrange(1, 255) for _unused in range(6)]

    def stamp(self, now: float) -> str:
        if self.uptime:
            up = int(now - self.boot)
            days, rest = divmod(up, 86400)
            if days == 0:
                return "%02d:%02d:%02d" % (rest // 3600, rest % 3600 // 60, rest % 60)
            if days < 7:
                return "%dd%02dh" % (days, rest // 3600)
            if days < 365:
                return "%dw%dd" % (days // 7, days % 7)
            return "%dy%dw" % (days // 365, days % 365 // 7)
        local = now + self.zone_min * 60
        tm = time.gmtime(local)
        clock = "%02d:%02d:%02d" % (tm.tm_hour, tm.tm_min, tm.tm_sec)
        if self.msec:
            clock += ".%03d" % (int(local * 1000) % 1000)
        day = "%s %2d" % (MONTHS[tm.tm_mon - 1], tm.tm_mday)
        if self.year_pos == 1:
            day = "%d %s" % (tm.tm_year, day)
        elif self.year_pos == 2:
            day = "%s %d" % (day, tm.tm_year)
        text = "%s%s %s" % (self.mark, day, clock)
        if self.zone:
            text += " " + self.zone
        return text

    def device_part(self, now: float, message: str) -> str:
        """Everything after the relay header; bumps the counters."""
        self.counter += 1
        self.seq += 1
        stamp = self.stamp(now)
        style = self.style
        if style == 0:
            return "%d: %06d: %s: %s" % (self.counter, self.seq, stamp, message)
        if style == 1:
            return "%d: %s: %s: %s" % (self.counter, self.name, stamp, message)
        if style == 2:
            return "%d: %s: %06d: %s: %s" % (self.counter, self.name, self.seq, stamp, message)
        if style == 3:
            return "%06d: %s: %s" % (self.seq, stamp, message)
        if style == 4:
            return "%s: %s" % (stamp, message)
        return "%d: %s: %s" % (self.counter, stamp, message)


def relay_header(rng: random.Random, dev: Device, now: float, relay: int) -> str:
    """How one syslog server writes the sender in front of the message.

    Each relay names a device the same way (its reverse DNS, IP or name), but
    relays differ in stamp format, receive time and <PRI>.
    """
    tm = time.gmtime(now + relay * 0.4)
    form = (dev.style + relay) % 3
    if form == 0:
        return "%s %2d %02d:%02d:%02d %s " % (
            MONTHS[tm.tm_mon - 1], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, dev.relay_host)
    if form == 1:
        return "%04d-%02d-%02dT%02d:%02d:%02d.%06d+00:00 %s " % (
            tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, rng.randrange(1000000),
            dev.relay_host)
    return "<%d>%s %2d %02d:%02d:%02d %s " % (
        rng.choice((187, 188, 189)), MONTHS[tm.tm_mon - 1], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
        dev.relay_host)


def spi_text(form: int, spi: int) -> str:
    """The SPI as one IOS release prints it (a device always uses the same form)."""
    if form <= 2:
        return "0x%X(%d)" % (spi, spi)
    if form == 3:
        return "0x%x" % spi
    if form == 4:
        return "0x%X" % spi
    return "%X" % spi


def generate(lines: int, out, seed: int = 20240902, inv_share: float = 0.05) -> dict:
    """Write ``lines`` lines to the text file ``out``; return the truth."""
    rng = random.Random(seed)
    devices = [Device(rng, i) for i in range(60)]
    # Flows: (device, src, spi, persistent?) ; persistent ones repeat every minute.
    flows = []
    for dev in devices:
        for peer in dev.peers[:3]:
            flows.append([dev, peer, rng.randrange(0x10000000, 0xFFFFFFFF), rng.random() < 0.5, 0.0])
        flows.append([dev, "203.0.113.%d" % rng.randrange(1, 255) if not dev.v6 else "2001:db8:bad::%x" % rng.randrange(1, 999),
                      rng.randrange(0x1000, 0xFFFFFFFF), False, 0.0])
    truth = {"lines": 0, "inv_messages": 0, "inv_events": 0, "duplicates": 0, "wrapped": 0, "distinct": 0,
             "seed": seed}
    flow_keys = set()
    now = float(START)
    written = 0
    buf = []
    step = 300000.0 / max(lines, 1)  # the whole file covers about 3.5 days
    while written < lines:
        now += rng.random() * step * 2
        dev = devices[rng.randrange(len(devices))]
        flow = flows[rng.randrange(len(flows))] if rng.random() < inv_share else None
        if flow is not None and now - flow[4] < 60:
            # IOS rate-limits the message to one a minute; pick another flow
            flow = min(flows, key=lambda f: f[4])
            if now - flow[4] < 60:
                flow = None
        if flow is not None:
            flow[4] = now
            if not flow[3] and rng.random() < 0.7:
                # a transient flow's SPI changes: rekey race, one message per SPI
                flow[2] = rng.randrange(0x1000, 0xFFFFFFFF)
            dev, src, spi = flow[0], flow[1], flow[2]
            body = "%%CRYPTO-4-%s: decaps: rec'd IPSEC packet has invalid spi for destaddr=%s, prot=%d, spi=%s, srcaddr=%s" % (
                dev.mnemonic, dev.addr, 51 if dev.ah else 50, spi_text(dev.spi_form, spi), src)
            if dev.interface:
                body += ", input interface=%s" % dev.interface
            device_part = dev.device_part(now, body)
            copies = 2 if rng.random() < 0.08 else 1
            for relay in range(copies):
                line = relay_header(rng, dev, now, relay) + device_part
                if relay == 0 and rng.random() < 0.03:
                    first, _sep, second = line.partition(" destaddr=")
                    buf.append(first + "\n")
                    buf.append("destaddr=" + second + "\n")
                    written += 2
                    truth["wrapped"] += 1
                else:
                    buf.append(line + "\n")
                    written += 1
                truth["inv_events"] += 1
            truth["inv_messages"] += 1
            flow_keys.add((dev.parsed_host, src, spi))
            truth["duplicates"] += copies - 1
            # Without a sequence number and with an uptime of whole hours,
            # a relayed copy cannot be told from a repeat: it stays.
            truth["distinct"] += copies if (dev.style == 4 and dev.uptime) else 1
        else:
            buf.append(relay_header(rng, dev, now, 0) + dev.device_part(now, _noise(rng)) + "\n")
            written += 1
        if len(buf) >= 20000:
            out.write("".join(buf))
            buf = []
    out.write("".join(buf))
    truth["lines"] = written
    truth["flows"] = len(flow_keys)
    return truth


def rotate(stream_path: str, folder: str, files: int, lines: int, overlap: int, truth: dict) -> None:
    """Cut the generated stream into a rotated, half-compressed file set in ``folder`` (oldest first)."""
    import gzip
    from collections import deque

    per_file = -(-lines // files)
    names = ["messages" + ("" if n == 0 else ".%d" % n) for n in range(files - 1, -1, -1)]
    truth["files"] = []
    truth["overlap_duplicates"] = 0
    tail: list = []
    with open(stream_path, encoding="ascii") as stream:
        for position, name in enumerate(names):
            compressed = position % 2 == 0
            path = os.path.join(folder, name + (".gz" if compressed else ""))
            out = gzip.open(path, "wt", encoding="ascii", newline="\n") if compressed else open(
                path, "w", encoding="ascii", newline="\n")
            recent: deque = deque(tail, maxlen=max(overlap, 1))
            with out:
                out.write("".join(tail))
                # a wrapped message's second line has no mnemonic: its copy counts as a line only
                truth["overlap_duplicates"] += sum(1 for line in tail if "PKT_INV_SPI" in line)
                written = len(tail)
                chunk: list = []
                line = ""
                count = 0
                # never end a file between a wrapped message's two lines
                while count < per_file or ("PKT_INV_SPI" in line and "destaddr=" not in line):
                    line = stream.readline()
                    if not line:
                        break
                    chunk.append(line)
                    recent.append(line)
                    count += 1
                    if len(chunk) >= 20000:
                        out.write("".join(chunk))
                        chunk = []
                out.write("".join(chunk))
                written += count
            last = list(recent) if overlap else []
            # the next file starts with whole messages, never with a wrapped message's second line
            while last and last[0].startswith("destaddr="):
                last = last[1:]
            tail = last if position < files - 1 else []
            truth["files"].append({"name": os.path.basename(path), "lines": written, "gzip": compressed})
    truth["archive_lines"] = sum(f["lines"] for f in truth["files"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--lines", type=int, default=1000000)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=20240902)
    parser.add_argument("--rotate", type=int, default=0, help="cut into this many rotated files in the folder --out")
    parser.add_argument("--overlap", type=int, default=200, help="lines each rotated file repeats from the one before")
    args = parser.parse_args(argv)
    if args.rotate:
        os.makedirs(args.out, exist_ok=True)
        stream_path = os.path.join(args.out, ".stream.tmp")
        with open(stream_path, "w", encoding="ascii", newline="\n") as out:
            truth = generate(args.lines, out, args.seed)
        rotate(stream_path, args.out, args.rotate, truth["lines"], args.overlap, truth)
        os.remove(stream_path)
        with open(args.out.rstrip("/") + ".truth.json", "w") as out:
            json.dump(truth, out, indent=1, sort_keys=True)
        sys.stderr.write("wrote %s: %d files, %d lines, %d invalid-SPI events (+%d repeated by the overlaps)\n" % (
            args.out, args.rotate, truth["archive_lines"], truth["inv_events"], truth["overlap_duplicates"]))
        return 0
    directory = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(directory, exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="ascii", newline="\n") as out:
        truth = generate(args.lines, out, args.seed)
    os.replace(tmp, args.out)
    with open(args.out + ".truth.json", "w") as out:
        json.dump(truth, out, indent=1, sort_keys=True)
    sys.stderr.write("wrote %s: %d lines, %d bytes, %d invalid-SPI events\n" % (
        args.out, truth["lines"], os.path.getsize(args.out), truth["inv_events"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
