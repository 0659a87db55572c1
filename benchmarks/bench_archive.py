# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: a syslog server's archive of 10,000,000 lines in 10 rotated files, half gzip.

    python benchmarks/bench_archive.py [--lines 10000000] [--files 10] [--small 1000000]

Generates the archive if missing (benchmarks/data/, git-ignored; gen_syslog.py
--rotate: every file starts with the last 200 lines of the one before, which
must count once), then in fresh child processes, one per archive:

* ours:  archive.read_archive (every file streamed, duplicates across files
         dropped, events into per-host buckets) and then the flows of every
         host, one host at a time (archive_hosts.iter_host_flows), counted;
         checked against the generator's truth (events, overlap duplicates,
         flows, no problem);
* peer:  ``grep -c RECVD_PKT_INV_SPI`` on the plain files and ``gzip -dc | grep -c``
         on the compressed ones (the shell floor: it only counts lines);
* memory: the child's peak RSS (resource.getrusage ru_maxrss), for the big
         archive and for a small one (--small lines) made the same way, to show
         it does not grow with the archive.

Times are the child's CPU seconds (user + sys); wall time beside them.
Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

TARGET_RSS = 100 * 1024 * 1024

_CHILD = r"""
import json, os, resource, sys, tempfile, time
from collections import Counter
from ansible_collections.netops.ipsec_spi.plugins.module_utils.archive import read_archive
from ansible_collections.netops.ipsec_spi.plugins.module_utils.archive_hosts import iter_host_flows
wall0 = time.perf_counter()
statuses = Counter()
with tempfile.TemporaryDirectory(dir=sys.argv[3]) as folder:
    summary = read_archive(sys.argv[1], folder, year=int(sys.argv[2]))
    read_wall = time.perf_counter() - wall0
    read_usage = resource.getrusage(resource.RUSAGE_SELF)
    for flows in iter_host_flows(folder, summary):
        statuses.update(f["status"] for f in flows)
    bucket_bytes = sum(os.path.getsize(os.path.join(folder, n)) for n in os.listdir(folder))
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "lines": summary["lines"], "events": summary["events"], "duplicates": summary["duplicates"],
    "problems": summary["problem_count"], "flows": sum(statuses.values()), "statuses": dict(statuses),
    "files": [[os.path.basename(f["path"]), f["compression"], f["lines"]] for f in summary["files"]],
    "read_cpu": read_usage.ru_utime + read_usage.ru_stime, "read_wall": read_wall,
    "read_maxrss": read_usage.ru_maxrss * 1024,
    "cpu": usage.ru_utime + usage.ru_stime, "wall": time.perf_counter() - wall0,
    "maxrss": usage.ru_maxrss * 1024, "bucket_bytes": bucket_bytes}))
"""


def say(message: str) -> None:
    sys.stderr.write("[bench_archive] %s\n" % message)
    sys.stderr.flush()


def ensure_archive(lines: int, files: int) -> str:
    path = os.path.join(HERE, "data", "archive-%d-%d" % (lines, files))
    if not (os.path.isdir(path) and os.path.exists(path + ".truth.json")):
        say("generating %s (%d lines in %d rotated files, seeded; takes a while)..." % (path, lines, files))
        shutil.rmtree(path, ignore_errors=True)
        import gen_syslog
        gen_syslog.main(["--lines", str(lines), "--rotate", str(files), "--out", path])
    return path


def run_child(path: str) -> dict:
    # A fresh interpreter: ru_maxrss is then this reading's alone (plus the interpreter's).
    from bench_syslog import collection_path

    collection_path()
    out = subprocess.run([sys.executable, "-c", _CHILD, path, "2024", os.path.join(HERE, "data")],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def run_peer(path: str) -> tuple:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall0 = time.perf_counter()
    count = 0
    for name in sorted(os.listdir(path)):
        full = os.path.join(path, name)
        if name.endswith(".gz"):
            command = "gzip -dc '%s' | grep -c RECVD_PKT_INV_SPI" % full
        else:
            command = "grep -c RECVD_PKT_INV_SPI '%s'" % full
        count += int(subprocess.run(command, shell=True, capture_output=True, text=True, check=False).stdout or 0)
    wall = time.perf_counter() - wall0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall, count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--lines", type=int, default=10000000)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--small", type=int, default=1000000)
    args = parser.parse_args(argv)

    big = ensure_archive(args.lines, args.files)
    small = ensure_archive(args.small, args.files)
    with open(big + ".truth.json") as handle:
        truth = json.load(handle)
    size = sum(os.path.getsize(os.path.join(big, n)) for n in os.listdir(big))

    say("ours on the small archive (%d lines), for its memory..." % args.small)
    small_run = run_child(small)
    say("ours on %s..." % big)
    ours = run_child(big)
    say("grep -c / gzip -dc | grep -c on every file...")
    peer_cpu, peer_wall, peer_count = run_peer(big)

    correct = (ours["events"], ours["duplicates"], ours["flows"], ours["problems"]) == (
        truth["inv_events"], truth["overlap_duplicates"], truth["flows"], 0)
    rate = ours["lines"] / ours["cpu"]
    results = [
        ("peak RSS <= %d MB" % (TARGET_RSS // (1024 * 1024)), ours["maxrss"] <= TARGET_RSS),
        ("result matches the generator's truth", correct),
    ]
    print("")
    print("archive benchmark: %s, %d files (%s), %d lines, %.1f MB on disk, %d invalid-SPI events" % (
        os.path.relpath(big, ROOT), len(ours["files"]),
        " ".join(f[0] for f in ours["files"]), ours["lines"], size / 1e6,
        truth["inv_events"]))
    print("")
    print("%-52s %9s %9s %14s %10s" % ("run", "cpu s", "wall s", "lines/s (cpu)", "peak RSS"))
    print("-" * 100)
    rows = [
        ("ours: read the archive (streamed, deduplicated)", ours["read_cpu"], ours["read_wall"],
         ours["lines"] / ours["read_cpu"], "%.1f MB" % (ours["read_maxrss"] / 1e6)),
        ("ours: read + every host's flows", ours["cpu"], ours["wall"], rate, "%.1f MB" % (ours["maxrss"] / 1e6)),
        ("grep -c / gzip -dc | grep -c (counts lines only)", peer_cpu, peer_wall, ours["lines"] / peer_cpu, "-"),
        ("ours on the small archive (%d lines)" % small_run["lines"], small_run["cpu"], small_run["wall"],
         small_run["lines"] / small_run["cpu"], "%.1f MB" % (small_run["maxrss"] / 1e6)),
    ]
    for name, cpu, wall, per_s, rss in rows:
        print("%-52s %9.2f %9.2f %14s %10s" % (name, cpu, wall, "{:,.0f}".format(per_s), rss))
    print("")
    print("ours: %d events, %d dropped as copies from the file before (truth %d), %d flows %s, %d problems; "
          "truth: %d events, %d flows" % (ours["events"], ours["duplicates"], truth["overlap_duplicates"],
                                          ours["flows"], ours["statuses"], ours["problems"], truth["inv_events"],
                                          truth["flows"]))
    print("ours vs grep: %.1fx grep's CPU time (grep counted %d lines of one spelling)" % (
        ours["cpu"] / peer_cpu, peer_count))
    print("work folder (per-host buckets, removed after): %.1f MB" % (ours["bucket_bytes"] / 1e6))
    print("peak RSS: %.1f MB for %d lines, %.1f MB for %d lines" % (
        small_run["maxrss"] / 1e6, small_run["lines"], ours["maxrss"] / 1e6, ours["lines"]))
    print("")
    print("%-44s %s" % ("target", "result"))
    print("-" * 60)
    details = ["%.1f MB" % (ours["maxrss"] / 1e6), "events/duplicates/flows match" if correct else "MISMATCH"]
    for (name, ok), detail in zip(results, details):
        print("%-44s %s  (%s)" % (name, "PASS" if ok else "FAIL", detail))
    print("%-44s %s" % ("throughput (no target)", "{:,.0f} lines/s".format(rate)))
    return 0 if all(ok for _name, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
