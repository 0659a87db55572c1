# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: the Event-Driven Ansible loop (extensions/eda) and its invalid_spi event source.

    python benchmarks/bench_eda.py [--lines 200000] [--udp 50000] [--flows 100000] [--trials 3] [--no-lab]

In one run:

* throughput: a generated syslog stream (gen_syslog.py: 5% INV_SPI among everyday IOS noise, mixed
  headers, duplicates) fed message by message to the source's tracker on one core (CPU seconds), against
  the batch path on the same lines (parse_events over the whole text + build_flows, what the audit does);
  then the same stream as UDP datagrams from another process at --udp-rate to the running source
  (messages handled per CPU second of the source, and how many were lost);
* memory: tracemalloc of the tracker holding --flows distinct flows, against build_flows' list for the
  same flows;
* loop latency on the lab (lab/scenarios/eda.yml, real ansible-rulebook): from the second INV_SPI
  message of a new desync (the source raises its event on it) to the remediation's `clear crypto sa peer`
  reaching the router, against a direct `ansible-playbook netops.ipsec_spi.remediate --limit hub,spoke`
  started by hand at the same moment of a desync. Needs Java 17.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import json
import os
import re
import runpy
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LAB = os.path.join(ROOT, "lab")
sys.path.insert(0, HERE)
sys.path.insert(0, LAB)

import gen_syslog  # noqa: E402  pylint: disable=wrong-import-position
from bench_syslog import collection_path  # noqa: E402  pylint: disable=wrong-import-position

collection_path()

from ansible_collections.netops.ipsec_spi.plugins.module_utils.flows import build_flows  # noqa: E402
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog import parse_events  # noqa: E402
from ansible_collections.netops.ipsec_spi.extensions.eda.plugin_utils import invalid_spi_flows as flows  # noqa: E402

PLUGIN = os.path.join(ROOT, "extensions", "eda", "plugins", "event_source", "invalid_spi.py")
# The generated stream names its routers in the messages and has no peer map: the opt-in that takes them as
# inventory names, and no rate limit (a throughput measurement, not a flood; bench_eda_flood.py is that).
UNLIMITED = {"source_rate": 1e12, "source_burst": 1e12, "new_flow_rate": 1e12, "new_flow_burst": 1e12,
             "min_arrival_span": 0}


def new_tracker(**kwargs: object) -> "flows.FlowTracker":
    return flows.FlowTracker(hostmap=flows.HostMap(None, None, trust_message_hosts=True), **dict(UNLIMITED, **kwargs))


BODY = ("%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for destaddr=198.51.100.1, "
        "prot=50, spi=0x{spi:08X}({spi}), srcaddr=10.{a}.{b}.{c}, input interface=GigabitEthernet1")

_SENDER = r"""
import socket, sys, time
port, path, rate = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
lines = open(path, encoding="utf-8").read().split("\n")
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
start = time.perf_counter()
for n, line in enumerate(lines, 1):
    sock.sendto(line.encode(), ("127.0.0.1", port))
    if n % 100 == 0:  # a steady feed at the offered rate
        ahead = start + n / rate - time.perf_counter()
        if ahead > 0:
            time.sleep(ahead)
print(len(lines), time.perf_counter() - start)
"""


def say(message: str) -> None:
    sys.stderr.write("[bench_eda] %s\n" % message)
    sys.stderr.flush()


def stream(lines: int) -> list:
    out = io.StringIO()
    gen_syslog.generate(lines, out)
    return [x for x in out.getvalue().split("\n") if x]


def bench_throughput(lines: list) -> dict:
    inv = sum(1 for x in lines if "PKT_INV_SPI" in x)
    tracker = new_tracker()
    gc.collect()
    cpu = time.process_time()
    for line in lines:
        tracker.message(line, "10.0.0.1", "bench", 0.0)
    live_cpu = time.process_time() - cpu
    files_tracker = new_tracker()
    cpu = time.process_time()
    for start in range(0, len(lines), 5000):  # a file follower's polls
        files_tracker.lines(lines[start:start + 5000], "bench", 0.0)
    file_cpu = time.process_time() - cpu
    text = "\n".join(lines)
    cpu = time.process_time()
    batch = build_flows(parse_events(text))
    batch_cpu = time.process_time() - cpu
    stats = tracker.snapshot()
    return {"messages": len(lines), "inv_spi_share": round(inv / len(lines), 4), "live_cpu_s": round(live_cpu, 3),
            "live_msgs_per_s": int(len(lines) / live_cpu), "batch_cpu_s": round(batch_cpu, 3),
            "batch_msgs_per_s": int(len(lines) / batch_cpu), "live_flows": stats["flows"], "batch_flows": len(batch),
            "file_cpu_s": round(file_cpu, 3), "file_msgs_per_s": int(len(lines) / file_cpu),
            "file_flows": files_tracker.snapshot()["flows"],
            "malformed": stats["malformed"], "duplicates": stats["duplicates"]}


def bench_udp(lines: list, rate: float) -> dict:
    module = runpy.run_path(PLUGIN)
    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as handle:
        handle.write("\n".join(lines))
        path = handle.name

    async def go() -> dict:
        queue: asyncio.Queue = asyncio.Queue()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        source = module["Source"](queue, dict(UNLIMITED, port=port, protocols=["udp"], trust_message_hosts=True))
        task = asyncio.ensure_future(source.run())
        while not source.servers:
            await asyncio.sleep(0.01)
        cpu, wall = time.process_time(), time.perf_counter()
        proc = await asyncio.create_subprocess_exec(sys.executable, "-c", _SENDER, str(port), path, str(rate),
                                                    stdout=asyncio.subprocess.PIPE)
        out, _stderr = await proc.communicate()
        last, idle = -1, 0
        while idle < 5:  # until nothing more arrives for half a second
            await asyncio.sleep(0.1)
            seen = source.tracker.stats["messages"]
            idle = idle + 1 if seen == last else 0
            last = seen
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall - 0.5
        task.cancel()
        sent, send_s = out.split()
        return {"offered_per_s": int(rate), "sent": int(sent), "handled": last, "lost": int(sent) - last, "source_cpu_s": round(cpu, 3),
                "handled_per_cpu_s": int(last / cpu), "sender_wall_s": round(float(send_s), 2),
                "events": source.tracker.stats["events"]}

    try:
        return asyncio.run(go())
    finally:
        os.unlink(path)


def bench_memory(count: int) -> dict:
    messages = ["<188>%06d: hub: *Nov 29 18:%02d:00.123 UTC: %s" % (i % 999999, i % 60,
                BODY.format(spi=0x10000 + i, a=(i >> 16) & 255, b=(i >> 8) & 255, c=i & 255)) for i in range(count)]
    events = parse_events("\n".join(messages))
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracker = new_tracker(max_flows=count)
    for message in messages:
        tracker.message(message, None, "bench", 0.0)
    ours = tracemalloc.get_traced_memory()[0] - base
    assert len(tracker.flows) == count, len(tracker.flows)
    del tracker
    gc.collect()
    base = tracemalloc.get_traced_memory()[0]
    batch = build_flows(events)
    theirs = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    assert len(batch) == count
    return {"flows": count, "tracker_mib": round(ours / 2 ** 20, 1), "bytes_per_flow": int(ours / count),
            "build_flows_mib": round(theirs / 2 ** 20, 1)}


def _clear_time(lab, router: str, before: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        clears = [h for h in lab.history(router) if h["command"].startswith("clear crypto sa peer")]
        if len(clears) > before:
            return time.time()
        time.sleep(0.05)
    raise RuntimeError("no clear on %s within %ss" % (router, timeout))


def _event_times(output: str) -> list:
    stamps = re.findall(r"^(\S+ \S+) - netops.ipsec_spi.invalid_spi - INFO - invalid_spi: persistent flow", output, re.M)
    return [datetime.strptime(s, "%Y-%m-%d %H:%M:%S,%f").timestamp() for s in stamps]


def bench_loop(trials: int) -> dict:
    import eda_loop  # pylint: disable=import-outside-toplevel
    from labsim.client import start_lab  # pylint: disable=import-outside-toplevel

    problem = eda_loop.java_problem()
    if problem:
        return {"skipped": problem}
    work = tempfile.mkdtemp(prefix="bench-eda-")
    lab = start_lab(os.path.join(work, "lab"), scenario=os.path.join(LAB, "scenarios", "eda.yml"), speed=60)
    state = os.path.join(work, "store.sqlite3")
    env = {"IPSEC_SPI_STORE": state}
    rulebook = None
    try:
        eda_loop.write_peer_map(lab.inventory, os.path.join(work, "peer_map.json"), env)
        port = eda_loop.free_port()
        rulebook = eda_loop.Rulebook("netops.ipsec_spi.invalid_spi_remediate", lab.inventory, work, port,
                                     {"ipsec_spi_eda_peer_map": os.path.join(work, "peer_map.json"),
                                      "ipsec_spi_eda_min_arrival_span": 0.5}, env)  # the lab's clock runs 60x
        rulebook.wait_listening()
        eda_loop.point_syslog(lab, port)
        loop_s = []
        for trial in range(trials):
            if os.path.exists(state):
                os.unlink(state)  # each trial is a first clear, not one held back by the cool-down
            before = len(eda_loop.clears(lab, "hub"))
            runs = rulebook.runs_finished()
            lab.start_desync("hub", "spoke")
            cleared = _clear_time(lab, "hub", before, 180)
            event = _event_times(rulebook.output())[trial]
            loop_s.append(cleared - event)
            eda_loop.wait_for(lambda: rulebook.runs_finished() > runs, 180)
            say("loop trial %d: %.1f s from the second message to the clear" % (trial + 1, loop_s[-1]))
        direct_s = []
        for trial in range(trials):
            if os.path.exists(state):
                os.unlink(state)
            before = len(eda_loop.clears(lab, "hub"))
            lab.start_desync("hub", "spoke")
            time.sleep(1.2)  # the second message, a simulated minute later
            start = time.time()
            proc = subprocess.Popen(["ansible-playbook", "-i", lab.inventory, "netops.ipsec_spi.remediate",  # pylint: disable=consider-using-with
                                     "--limit", "hub,spoke", "-e", "ipsec_spi_write_report=false"],
                                    env=eda_loop.ansible_env(env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            direct_s.append(_clear_time(lab, "hub", before, 180) - start)
            proc.wait(300)
            say("direct trial %d: %.1f s from ansible-playbook to the clear" % (trial + 1, direct_s[-1]))
        return {"trials": trials, "loop_median_s": round(statistics.median(loop_s), 1),
                "loop_s": [round(x, 1) for x in loop_s], "direct_playbook_median_s": round(statistics.median(direct_s), 1),
                "ratio_loop_vs_direct": round(statistics.median(loop_s) / statistics.median(direct_s), 2)}
    finally:
        if rulebook is not None:
            rulebook.stop()
        lab.stop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--lines", type=int, default=200000)
    parser.add_argument("--udp", type=int, default=50000)
    parser.add_argument("--udp-rate", type=float, default=10000, help="datagrams per second offered")
    parser.add_argument("--flows", type=int, default=100000)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--no-lab", action="store_true")
    args = parser.parse_args(argv)
    say("generating %d lines" % args.lines)
    lines = stream(args.lines)
    results = {"throughput": bench_throughput(lines)}
    t = results["throughput"]
    print("throughput  %d messages (%.1f%% INV_SPI), one core: per message (network) %d msg/s, file polls %d msg/s,"
          " batch (parse_events+build_flows) %d msg/s; per message/batch %.2fx, file/batch %.2fx;"
          " flows %d per message, %d file, %d batch" % (
              t["messages"], 100 * t["inv_spi_share"], t["live_msgs_per_s"], t["file_msgs_per_s"], t["batch_msgs_per_s"],
              t["live_msgs_per_s"] / t["batch_msgs_per_s"], t["file_msgs_per_s"] / t["batch_msgs_per_s"],
              t["live_flows"], t["file_flows"], t["batch_flows"]))
    results["udp"] = bench_udp(lines[:args.udp], args.udp_rate)
    u = results["udp"]
    print("udp         %d datagrams offered at %d/s from another process: %d handled (%d lost), %d msg per source"
          " CPU second" % (u["sent"], u["offered_per_s"], u["handled"], u["lost"], u["handled_per_cpu_s"]))
    results["memory"] = bench_memory(args.flows)
    m = results["memory"]
    print("memory      %d flows: tracker %.1f MiB (%d B/flow), build_flows' list %.1f MiB; ratio %.2fx" % (
        m["flows"], m["tracker_mib"], m["bytes_per_flow"], m["build_flows_mib"], m["tracker_mib"] / m["build_flows_mib"]))
    if not args.no_lab:
        results["loop"] = bench_loop(args.trials)
        lp = results["loop"]
        if "skipped" in lp:
            print("loop        skipped: %s" % lp["skipped"])
        else:
            print("loop        second message -> clear: median %.1f s %s; direct ansible-playbook -> clear: median %.1f s;"
                  " loop/direct %.2fx" % (lp["loop_median_s"], lp["loop_s"], lp["direct_playbook_median_s"],
                                          lp["ratio_loop_vs_direct"]))
    print(json.dumps(results, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
