# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: the invalid_spi event source under a forged-syslog flood (docs/eda.md, threat model).

    python benchmarks/bench_eda_flood.py [--seconds 10] [--rate 0] [--flows 100000]

* flood: forged INV_SPI datagrams (distinct flows on a real pair) from 127.0.0.1 to the running source for
  --seconds (--rate 0: as fast as one sender process can), while the "real" router (127.0.0.2, a mapped
  address) logs its desync once a second. Prints the datagrams/s offered and handled, and whether the real
  desync's event was raised (and how long after its second message).
* memory: tracemalloc of --flows worst-size flows against the documented bound (FLOW_BYTES per flow), and
  100,000 of them within the default max_bytes; exit 1 when either is over (this was an integration test,
  too slow for the test run; tests/unit/test_eda_security.py checks the same bound on 1,000 flows).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import runpy
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "unit"))

from bench_syslog import collection_path  # noqa: E402  pylint: disable=wrong-import-position

collection_path()

import test_eda_security as security  # noqa: E402  pylint: disable=wrong-import-position

PLUGIN = os.path.join(ROOT, "extensions", "eda", "plugins", "event_source", "invalid_spi.py")
_SENDER = r"""
import socket, sys, time
port, seconds, rate, body = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
start = time.perf_counter()
n = 0
while time.perf_counter() - start < seconds:
    n += 1
    spi = 0x40000000 + n
    text = "<188>%06d: hub: Nov 29 2026 18:01:00.123 UTC: " % (n % 1000000) + body.replace("SPIHEX", "%X" % spi).replace(
        "SPIDEC", str(spi))
    sock.sendto(text.encode(), ("127.0.0.1", port))
    if rate and n % 100 == 0:
        ahead = start + n / rate - time.perf_counter()
        if ahead > 0:
            time.sleep(ahead)
print(n, time.perf_counter() - start)
"""


def flood(seconds: float, rate: float) -> None:
    module = runpy.run_path(PLUGIN)
    hosts = dict(security.HOSTS, hub=dict(security.HOSTS["hub"], addresses=[security.HUB, "127.0.0.2"]))
    port = security._free_port()  # pylint: disable=protected-access
    body = security.BODY.format(dst=security.HUB, src=security.SPOKE, ifc="GigabitEthernet1", spi=0).replace(
        "spi=0x0(0)", "spi=0xSPIHEX(SPIDEC)")

    async def go() -> None:
        queue: "asyncio.Queue[dict]" = asyncio.Queue(1)
        source = module["Source"](queue, {"protocols": ["udp"], "port": port, "hosts": hosts, "min_arrival_span": 0.5})
        task = asyncio.ensure_future(source.run())
        while not source.servers:
            await asyncio.sleep(0.01)
        cpu0 = time.process_time()
        sender = await asyncio.create_subprocess_exec(sys.executable, "-c", _SENDER, str(port), str(seconds), str(rate),
                                                      body, stdout=subprocess.PIPE)
        router = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        router.bind(("127.0.0.2", 0))
        real_at = []
        got = None
        start = time.monotonic()
        minute = 1
        while time.monotonic() - start < seconds + 1 and got is None:
            if minute <= seconds and time.monotonic() - start >= minute - 0.5:
                router.sendto(security.msg(minute, seq=minute).encode(), ("127.0.0.1", port))
                real_at.append(time.monotonic())
                minute += 1
            try:
                event = await asyncio.wait_for(queue.get(), 0.05)
            except asyncio.TimeoutError:
                continue
            if event.get("ipsec_spi", {}).get("spi") == security.REAL_SPI:
                got = time.monotonic()
        out, _err = await sender.communicate()
        sent, took = out.split()
        cpu = time.process_time() - cpu0
        stats = source.tracker.snapshot()
        task.cancel()
        router.close()
        print("flood: %d forged datagrams in %.1f s offered (%.0f/s); source handled %d messages (%.0f/s), "
              "%.0f messages per CPU second; rate_limited %d, flows %d, evicted %d, bytes_estimate %d"
              % (int(sent), float(took), int(sent) / float(took), stats["messages"], stats["messages"] / float(took),
                 stats["messages"] / max(cpu, 1e-9), stats["rate_limited"], stats["flows"], stats["evicted"],
                 stats["bytes_estimate"]))
        if got is not None and len(real_at) >= 2:
            print("real desync: event raised %.2f s after its second message" % (got - real_at[1]))
        else:
            print("real desync: NO event (%d real messages sent)" % len(real_at))

    asyncio.run(go())


def memory(count: int) -> int:
    """The byte bound at full size (the unit test checks it on 1,000 flows): 0 when it holds, 1 when not."""
    try:
        used = security.worst_size_flows(count)
    except AssertionError as exc:
        print("memory: %d worst-size flows: OVER (the tracker's bytes_estimate is below what they take: %s)"
              % (count, exc))
        return 1
    bound = count * security.flows.FLOW_BYTES
    # The documented promise: 100,000 worst-size flows fit in the default max_bytes.
    over = used > bound or 100000 * security.flows.FLOW_BYTES > security.flows.DEFAULT_MAX_BYTES
    print("memory: %d worst-size flows take %.1f MiB (%.0f B/flow); bound %d B/flow, %.0f MiB for them; "
          "default max_bytes %.0f MiB  %s"
          % (count, used / 2 ** 20, used / count, security.flows.FLOW_BYTES, bound / 2 ** 20,
             security.flows.DEFAULT_MAX_BYTES / 2 ** 20, "OVER" if over else "OK"))
    return int(over)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--seconds", type=float, default=10, help="flood duration (0: no flood)")
    parser.add_argument("--rate", type=float, default=0, help="forged datagrams/s offered (0: as fast as possible)")
    parser.add_argument("--flows", type=int, default=100000, help="worst-size flows measured (0: none)")
    args = parser.parse_args()
    if args.seconds:
        flood(args.seconds, args.rate)
    return memory(args.flows) if args.flows else 0


if __name__ == "__main__":
    sys.exit(main())
