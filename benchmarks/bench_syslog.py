# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: invalid-SPI parsing of a 1,000,000-line syslog-server file.

    python benchmarks/bench_syslog.py [--lines 1000000] [--textfsm-lines 20000] [--runs 3] [--before GIT-REF]

Generates the file if missing (benchmarks/data/, git-ignored; see gen_syslog.py),
then in one run on the same file:

* ours:    parse_events + build_flows on the text in memory (best of --runs),
           checked against the generator's truth (events, distinct messages, flows);
* stream:  the same from the open file, read in chunks (one run);
* grep:    ``grep -c RECVD_PKT_INV_SPI FILE`` (best of --runs);
* TextFSM: ntc-templates' cisco_ios_show_logging run with textfsm on the first
           --textfsm-lines lines, extrapolated per line (it is far too slow for
           the whole file; the output says so);
* memory:  peak RSS (ru_maxrss) of a fresh interpreter that parses the file
           (streamed) and builds the flows;
* before:  with --before REF, the collection's parser and flows as of that git
           commit, and the working tree's, each timed the same way in a fresh
           interpreter on the same file (the before/after of docs/benchmarks.md);
* adversarial: 1 MB inputs made to be slow (long headers, many shapes, the
           mnemonic repeated, salvage on every line, other scripts' digits),
           each of which must parse in under a second.

Times are CPU seconds of one core (process_time; for grep, the child's user+sys
from getrusage) so that other load on the machine does not distort the ratios;
wall times are shown beside them. Progress goes to stderr, the table to stdout.
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

TARGET_LINES_PER_S = 2000000
TARGET_ADVERSARIAL_S = 1.0
TARGET_GREP_RATIO = 10.0
TARGET_TEXTFSM_RATIO = 25.0
MEM_FACTOR, MEM_EXTRA = 1.5, 50 * 1024 * 1024

_MEMORY_PROBE = r"""
import resource, sys
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog import parse_events
from ansible_collections.netops.ipsec_spi.plugins.module_utils.flows import build_flows
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with open(sys.argv[1], encoding="utf-8", errors="replace") as handle:
    events = parse_events(handle, year=int(sys.argv[2]))
flows = build_flows(events)
with open("/proc/self/status") as status:
    hwm = [int(line.split()[1]) for line in status if line.startswith("VmHWM:")] or [0]
print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, hwm[0], len(events), len(flows))
"""


_TIMING_PROBE = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog import parse_events
from ansible_collections.netops.ipsec_spi.plugins.module_utils.flows import build_flows
import ansible_collections.netops.ipsec_spi.plugins.module_utils.flows as where
with open(sys.argv[2], encoding="utf-8") as handle:
    text = handle.read()
best = float("inf")
for _unused in range(int(sys.argv[4])):
    cpu0 = time.process_time()
    events = parse_events(text, year=int(sys.argv[3]))
    flows = build_flows(events)
    best = min(best, time.process_time() - cpu0)
    del events, flows
print(json.dumps({"cpu": best, "from": where.__file__}))
"""

BODY = "decaps: rec'd IPSEC packet has invalid spi for destaddr=10.10.1.2, prot=50, spi=0x1DB73BBB(498547643), srcaddr=10.1.1.1"


def adversarial_inputs():
    """(name, text) of about 1 MB each, made to find slow paths."""
    mb = 1024 * 1024
    anchor = "%CRYPTO-4-RECVD_PKT_INV_SPI: "

    def fill(make):
        parts, size, n = [], 0, 0
        while size < mb:
            line = make(n)
            parts.append(line)
            size += len(line) + 1
            n += 1
        return "\n".join(parts)

    return [
        ("mnemonic repeated on one line", ("%CRYPTO-4-RECVD_PKT_INV_SPI" * (mb // 27 + 1))[:mb]),
        ("1 MB header of message numbers", "1:" * (mb // 2) + " " + anchor + BODY),
        ("570-character headers of digits and colons",
         fill(lambda n: ("1:" * 299)[:565 - len(str(n))] + str(n) + " " + anchor + BODY)),
        ("a new header shape on every line",
         fill(lambda n: "Sep  2 13:31:00 " + "h" * (n % 200 + 1) + "x" * (n // 200 % 50) + " 1: " + anchor + BODY)),
        ("an unknown layer on every line (salvage)",
         fill(lambda n: "<189>Sep  2 13:31:00 relay [%s] 000%d: Sep  2 13:31:%02d.1 UTC: " % ("x=y " * (n % 40), n, n % 60)
              + anchor + BODY)),
        ("stamp-like noise before the anchor", fill(lambda n: ("Sep 2 13:31:00 " * 35)[: 560 - n % 40] + anchor + BODY)),
        ("other scripts' digits everywhere",
         fill(lambda n: "\uff10\uff10\uff10%d: Sep  2 13:27:\uff15\uff17.\u0663 UTC: " % n + anchor
              + BODY.replace("50", "\u0665\u0660"))),
        ("bodies of repeated keys", fill(lambda n: "Sep  2 13:00:00: " + anchor + "destaddr=" * 60 + str(n))),
        ("wrapped first lines only", fill(lambda n: "Sep  2 13:00:%02d: " % (n % 60) + anchor + "decaps: rec'd IPSEC packet has invalid spi for")),
        ("blank lines", "\n" * mb),
    ]


def run_adversarial(parse_events):
    out = []
    for name, text in adversarial_inputs():
        problems = []
        cpu0 = time.process_time()
        parse_events(text, year=2024, problems=problems)
        out.append((name, len(text), time.process_time() - cpu0, len(problems)))
    return out


def before_after(ref: str, path: str, year: int, runs: int):
    """(before cpu, after cpu) of parse_events + build_flows: the commit ``ref`` and the working tree, alike."""
    import tarfile
    import tempfile

    results = []
    with tempfile.TemporaryDirectory(prefix="bench-before-") as tmp:
        target = os.path.join(tmp, "ansible_collections", "netops", "ipsec_spi")
        os.makedirs(target)
        blob = subprocess.run(["git", "-C", ROOT, "archive", "--format=tar", ref, "plugins/module_utils"],
                              capture_output=True, check=True).stdout
        with tarfile.open(fileobj=__import__("io").BytesIO(blob)) as tar:
            tar.extractall(target)
        for base in (tmp, os.path.join(ROOT, ".tmp", "collections")):
            env = dict(os.environ, PYTHONPATH=base)
            out = subprocess.run([sys.executable, "-c", _TIMING_PROBE, base, path, str(year), str(runs)],
                                 capture_output=True, text=True, check=True, env=env).stdout
            results.append(json.loads(out))
    for result, want in zip(results, ("bench-before-", os.path.join(".tmp", "collections"))):
        if want not in result["from"]:
            raise RuntimeError("timed the wrong code: %s" % result["from"])
    return results[0]["cpu"], results[1]["cpu"]


def say(message: str) -> None:
    sys.stderr.write("[bench_syslog] %s\n" % message)
    sys.stderr.flush()


def collection_path() -> None:
    """Make ansible_collections.netops.ipsec_spi importable (as scripts/env.sh or tests/conftest.py do)."""
    link_root = os.path.join(ROOT, ".tmp", "collections")
    link = os.path.join(link_root, "ansible_collections", "netops", "ipsec_spi")
    if not os.path.exists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(ROOT, link)
    if link_root not in sys.path:
        sys.path.insert(0, link_root)
    os.environ["PYTHONPATH"] = link_root + os.pathsep + os.environ.get("PYTHONPATH", "")


def ensure_file(lines: int) -> str:
    path = os.path.join(HERE, "data", "syslog-%d.log" % lines)
    if not (os.path.exists(path) and os.path.exists(path + ".truth.json")):
        say("generating %s (%d lines, seeded)..." % (path, lines))
        import gen_syslog
        gen_syslog.main(["--lines", str(lines), "--out", path])
    return path


def timed(func, runs: int):
    """(best cpu, best wall, last result) over runs."""
    best_cpu = best_wall = float("inf")
    result = None
    for _unused in range(runs):
        result = None
        wall0, cpu0 = time.perf_counter(), time.process_time()
        result = func()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        best_cpu, best_wall = min(best_cpu, cpu), min(best_wall, wall)
    return best_cpu, best_wall, result


def run_grep(path: str, runs: int):
    grep = shutil.which("grep")
    best_cpu = best_wall = float("inf")
    out = ""
    for _unused in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall0 = time.perf_counter()
        out = subprocess.run([grep, "-c", "RECVD_PKT_INV_SPI", path], capture_output=True, text=True, check=False).stdout
        wall = time.perf_counter() - wall0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best_cpu, best_wall = min(best_cpu, cpu), min(best_wall, wall)
    return best_cpu, best_wall, int(out.strip() or 0)


def run_textfsm(path: str, lines: int):
    import textfsm
    import ntc_templates

    template = os.path.join(os.path.dirname(ntc_templates.__file__), "templates", "cisco_ios_show_logging.textfsm")
    with open(path, encoding="utf-8") as handle:
        prefix = "".join(handle.readline() for _unused in range(lines))
    taken = prefix.count("\n")

    def parse():
        with open(template) as tmpl:
            fsm = textfsm.TextFSM(tmpl)
        return fsm.ParseText(prefix)

    cpu, wall, records = timed(parse, 1)
    return cpu, wall, taken, len(records), template


def memory_peak(path: str, year: int):
    out = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, path, str(year)], capture_output=True, text=True,
                         check=True).stdout.split()
    before, peak, hwm, events, flows = (int(x) for x in out)
    # ru_maxrss and VmHWM are in KiB on Linux
    return before * 1024, peak * 1024, hwm * 1024, events, flows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--lines", type=int, default=1000000)
    parser.add_argument("--textfsm-lines", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", help="a git commit whose parser and flows to time beside the working tree's")
    args = parser.parse_args(argv)

    collection_path()
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.flows import build_flows, dedupe_events
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog import parse_events

    path = ensure_file(args.lines)
    with open(path + ".truth.json") as handle:
        truth = json.load(handle)
    size = os.path.getsize(path)
    year = 2024  # the generator's year: results must not depend on today's date

    # First, while this process is small: on Linux a child's ru_maxrss starts
    # from its parent's RSS at fork time.
    say("peak memory of a fresh interpreter parsing the file (streamed)...")
    mem_base, mem_peak, mem_hwm, mem_events, mem_flows = memory_peak(path, year)
    mem_limit = MEM_FACTOR * size + MEM_EXTRA

    say("reading %s (%.1f MB)..." % (path, size / 1e6))
    wall0, cpu0 = time.perf_counter(), time.process_time()
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    read_cpu, read_wall = time.process_time() - cpu0, time.perf_counter() - wall0
    lines = text.count("\n")

    say("ours: parse_events + build_flows, best of %d..." % args.runs)
    problems = []

    def ours():
        del problems[:]
        events = parse_events(text, year=year, problems=problems)
        return events, build_flows(events)

    our_cpu, our_wall, (events, flows) = timed(ours, args.runs)
    distinct = len(dedupe_events(events))
    correct = (len(events), distinct, len(flows), len(problems)) == (
        truth["inv_events"], truth["distinct"], truth["flows"], 0)
    del text

    say("ours, streamed from the file...")

    def streamed():
        with open(path, encoding="utf-8") as handle:
            got = parse_events(handle, year=year)
        return got, build_flows(got)

    stream_cpu, stream_wall, (s_events, s_flows) = timed(streamed, 1)
    stream_same = s_events == events and s_flows == flows
    del s_events, s_flows

    say("grep -c RECVD_PKT_INV_SPI, best of %d..." % args.runs)
    grep_cpu, grep_wall, grep_count = run_grep(path, args.runs)

    say("TextFSM (ntc-templates cisco_ios_show_logging) on the first %d lines..." % args.textfsm_lines)
    fsm_cpu, fsm_wall, fsm_lines, fsm_records, template = run_textfsm(path, args.textfsm_lines)
    fsm_cpu_full = fsm_cpu / fsm_lines * lines
    fsm_wall_full = fsm_wall / fsm_lines * lines

    before = None
    if args.before:
        say("before/after: %s and the working tree, each in a fresh interpreter, best of %d..." % (
            args.before, args.runs))
        before = before_after(args.before, path, year, args.runs)

    say("adversarial 1 MB inputs...")
    adversarial = run_adversarial(parse_events)
    slowest = max(adversarial, key=lambda row: row[2])

    rate = lines / our_cpu
    grep_ratio = our_cpu / grep_cpu
    fsm_ratio = fsm_cpu_full / our_cpu
    results = [
        ("throughput >= %d lines/s" % TARGET_LINES_PER_S, rate >= TARGET_LINES_PER_S),
        ("within %.0fx of grep -c" % TARGET_GREP_RATIO, grep_ratio <= TARGET_GREP_RATIO),
        (">= %.0fx faster than TextFSM" % TARGET_TEXTFSM_RATIO, fsm_ratio >= TARGET_TEXTFSM_RATIO),
        ("peak memory <= 1.5 x file + 50 MB", mem_peak <= mem_limit),
        ("result matches the generator's truth", correct and stream_same and (mem_events, mem_flows) == (
            len(events), len(flows))),
        ("every 1 MB adversarial input < %.0f s" % TARGET_ADVERSARIAL_S, slowest[2] < TARGET_ADVERSARIAL_S),
    ]

    print("")
    print("syslog benchmark: %s, %d lines, %.1f MB, %d invalid-SPI events (%d duplicates, %d wrapped)" % (
        os.path.relpath(path, ROOT), lines, size / 1e6, truth["inv_events"], truth["duplicates"], truth["wrapped"]))
    print("")
    print("%-44s %10s %10s %14s %10s" % ("run", "cpu s", "wall s", "lines/s (cpu)", "vs ours"))
    print("-" * 92)
    rows = [
        ("ours: parse_events + build_flows (in memory)", our_cpu, our_wall, lines / our_cpu, 1.0),
        ("ours: same, streamed from the file", stream_cpu, stream_wall, lines / stream_cpu, stream_cpu / our_cpu),
        ("(reading the file into a str, not counted)", read_cpu, read_wall, lines / max(read_cpu, 1e-9),
         read_cpu / our_cpu),
        ("grep -c RECVD_PKT_INV_SPI", grep_cpu, grep_wall, lines / grep_cpu, grep_cpu / our_cpu),
        ("TextFSM cisco_ios_show_logging (extrapolated)", fsm_cpu_full, fsm_wall_full, lines / fsm_cpu_full,
         fsm_cpu_full / our_cpu),
    ]
    for name, cpu, wall, per_s, ratio in rows:
        print("%-44s %10.3f %10.3f %14s %9.2fx" % (name, cpu, wall, "{:,.0f}".format(per_s), ratio))
    print("")
    print("ours: %d events, %d distinct messages, %d flows, %d problems; truth: %d events, %d distinct, %d flows" % (
        len(events), distinct, len(flows), len(problems), truth["inv_events"], truth["distinct"], truth["flows"]))
    print("streamed result identical to in-memory result: %s" % stream_same)
    print("grep -c counted %d lines (one spelling only; %d events in all spellings)" % (grep_count, len(events)))
    print("TextFSM: measured on the first %d lines (%.3f s cpu), extrapolated per line to %d lines; it returned %d "
          "records (%s), since the template does not know relay headers or the other layers" % (
              fsm_lines, fsm_cpu, lines, fsm_records, os.path.basename(template)))
    print("memory: peak RSS (ru_maxrss) %.1f MB, VmHWM %.1f MB (interpreter and imports %.1f MB) for a %.1f MB "
          "file read in chunks; limit %.1f MB" % (mem_peak / 1e6, mem_hwm / 1e6, mem_base / 1e6, size / 1e6,
                                                  mem_limit / 1e6))
    if before is not None:
        print("before/after (%s vs the working tree, fresh interpreters): %.3f s -> %.3f s cpu, %s -> %s lines/s, "
              "%.2fx faster" % (args.before, before[0], before[1], "{:,.0f}".format(lines / before[0]),
                                "{:,.0f}".format(lines / before[1]), before[0] / before[1]))
    print("")
    print("%-52s %10s %10s %9s" % ("adversarial input", "chars", "cpu s", "problems"))
    print("-" * 86)
    for name, size, cpu, count in adversarial:
        print("%-52s %10d %10.3f %9d" % (name, size, cpu, count))
    print("")
    print("%-44s %s" % ("target", "result"))
    print("-" * 60)
    details = [
        "{:,.0f} lines/s".format(rate),
        "%.2fx grep's time" % grep_ratio,
        "%.0fx faster" % fsm_ratio,
        "%.1f MB <= %.1f MB" % (mem_peak / 1e6, mem_limit / 1e6),
        "events/distinct/flows match" if correct else "MISMATCH",
        "slowest: %s, %.3f s" % (slowest[0], slowest[2]),
    ]
    for (name, ok), detail in zip(results, details):
        print("%-44s %s  (%s)" % (name, "PASS" if ok else "FAIL", detail))
    return 0 if all(ok for _name, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
