# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time our table parsers against their peers on the same text in the same run.

Inputs come from gen_tables.py (fixed seed): a QFP global drop table, the QFP
IPsec datapath drops table and a 200-peer ``show crypto ipsec sa detail``.
Peers: Cisco's genie parsers (when genie is installed, requirements-bench.txt)
and the ntc-templates TextFSM template for ``show crypto ipsec sa detail``.
Target: ours at least 10x faster than each peer.

Then the robustness part (issue 17): every table parser on each adversarial
input of about 1 MB from gen_tables.adversarial() must finish in under 1 s
(CPU time of this process, so load elsewhere does not count), and
``common.is_unsupported`` too. Exit status 1 when a target is missed, 0
otherwise; ``--adversarial-only`` skips the peer comparison.

``--before REF`` instead times the IKE, DMVPN, crypto session and IPsec SA
parsers on their unit-test fixtures (tests/unit/fixtures/<kind>/*.txt) as of
that git commit and in the working tree, each in a fresh interpreter,
alternately ``--rounds`` times (CPU time per pass over a kind's fixtures,
best of ``--runs``), and prints before, after and the ratio.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
COLLECTIONS = os.path.join(ROOT, ".tmp", "collections")
if os.path.isdir(COLLECTIONS) and COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)

import gen_tables  # noqa: E402

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, is_unsupported  # noqa: E402
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.dmvpn import parse_dmvpn  # noqa: E402
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ike import parse_ike_sas  # noqa: E402
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ipsec_sa import parse_ipsec_sas  # noqa: E402
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.session import parse_crypto_sessions  # noqa: E402
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.qfp import (  # noqa: E402
    parse_qfp_drops,
    parse_qfp_ipsec_drops,
)

TARGET = 10.0
ADVERSARIAL_LIMIT = 1.0  # CPU seconds per parser and 1 MB input


def adversarial() -> int:
    """Every table parser on every adversarial input; returns the number of misses."""
    parsers = {
        "ipsec_sas": parse_ipsec_sas, "ike_sas": parse_ike_sas, "crypto_sessions": parse_crypto_sessions,
        "dmvpn": parse_dmvpn, "qfp_drops": parse_qfp_drops, "qfp_ipsec_drops": parse_qfp_ipsec_drops,
        "is_unsupported": is_unsupported,
    }
    cases = gen_tables.adversarial()
    cases["is_unsupported"] = [case for case in cases["ipsec_sas"] if "blank" in case[0] or "unsupported" in case[0]]
    print()
    print("Adversarial inputs, about 1 MB each (target: < %.1f s CPU per call)" % ADVERSARIAL_LIMIT)
    print("%-16s %-38s %9s %9s %9s  %s" % ("parser", "input", "bytes", "cpu s", "problems", "verdict"))
    failed = 0
    for name, func in parsers.items():
        for case, text in cases[name]:
            problems: list = []
            gc.collect()
            start = time.process_time()
            try:
                func(text) if name == "is_unsupported" else func(text, problems)
                outcome = ""
            except ParseError as exc:
                outcome = " (refused: %s)" % str(exc)[:40]
            elapsed = time.process_time() - start
            verdict = "PASS" if elapsed < ADVERSARIAL_LIMIT else "FAIL"
            failed += verdict == "FAIL"
            print("%-16s %-38s %9d %9.3f %9d  %s%s"
                  % (name, case, len(text), elapsed, len(problems), verdict, outcome))
    return failed


def _batch(func, number: int) -> float:
    # As timeit does: no garbage collection inside a timed batch, for either side.
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _call in range(number):
            func()
        return (time.perf_counter() - start) / number
    finally:
        if gc_was_on:
            gc.enable()


def paired(ours, theirs, budget: float):
    """Best per-call seconds of ``ours`` and ``theirs``, measured in alternating batches.

    The machine is shared: alternating the two inside one time window keeps a
    burst of load elsewhere from landing on one side only.
    """
    ours()
    theirs()  # warm-up (lazy imports, regex caches)
    n_ours = max(1, int(budget / 10 / max(_batch(ours, 1), 1e-7)))
    n_theirs = max(1, int(budget / 10 / max(_batch(theirs, 1), 1e-7)))
    best_ours = best_theirs = float("inf")
    deadline = time.perf_counter() + budget
    rounds = 0
    while rounds < 3 or (time.perf_counter() < deadline and rounds < 7):
        best_ours = min(best_ours, _batch(ours, n_ours))
        best_theirs = min(best_theirs, _batch(theirs, n_theirs))
        rounds += 1
    return best_ours, best_theirs


def genie_parsers():
    try:
        from genie.conf.base import Device
    except Exception as exc:  # genie is optional; report and carry on
        print("genie not available (%s): genie rows skipped" % exc)
        return None
    device = Device("bench", os="iosxe")
    device.custom.setdefault("abstraction", {})["order"] = ["os"]

    def make(command):
        return lambda text: device.parse(command, output=text)

    return {
        "qfp_drops": make("show platform hardware qfp active statistics drop"),
        "qfp_ipsec_drops": make("show platform hardware qfp active feature ipsec datapath drops all"),
        "ipsec_sas": make("show crypto ipsec sa detail"),
    }


def textfsm_parser():
    try:
        import textfsm
        import ntc_templates
    except Exception as exc:
        print("textfsm / ntc_templates not available (%s): TextFSM row skipped" % exc)
        return None
    path = os.path.join(os.path.dirname(ntc_templates.__file__), "templates",
                        "cisco_ios_show_crypto_ipsec_sa_detail.textfsm")
    with open(path) as handle:
        template = handle.read()

    def parse(text):
        import io

        return textfsm.TextFSM(io.StringIO(template)).ParseText(text)

    return parse


def without_prompt(text: str) -> str:
    """The ntc template refuses the prompt line (netmiko strips it before TextFSM sees the text)."""
    first, _sep, rest = text.partition("\n")
    return rest if "#" in first else text


_FIXTURE_PROBE = r"""
import gc, glob, json, os, sys, time
sys.path.insert(0, sys.argv[1])
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.dmvpn import parse_dmvpn
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ike import parse_ike_sas
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ipsec_sa import parse_ipsec_sas
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.session import parse_crypto_sessions
import ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ike as where
kinds = {"ike": parse_ike_sas, "dmvpn": parse_dmvpn, "session": parse_crypto_sessions, "ipsec_sa": parse_ipsec_sas}
out = {"from": where.__file__}
for kind, func in kinds.items():
    texts = []
    for path in sorted(glob.glob(os.path.join(sys.argv[2], kind, "*.txt"))):
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        try:
            func(text)
        except ValueError:
            continue  # a fixture of refused output: the refusal is not what is timed
        texts.append(text)
    passes = max(1, 2000000 // sum(len(t) for t in texts))
    best = float("inf")
    gc.disable()
    for _unused in range(int(sys.argv[3])):
        cpu0 = time.process_time()
        for _pass in range(passes):
            for text in texts:
                func(text)
        best = min(best, (time.process_time() - cpu0) / passes)
    gc.enable()
    out[kind] = best
print(json.dumps(out))
"""


def before_after(ref: str, runs: int, rounds: int) -> int:
    """The fixtures' parse time as of ``ref`` and in the working tree, alternately in fresh interpreters."""
    import io
    import json
    import subprocess
    import tarfile
    import tempfile

    fixtures = os.path.join(ROOT, "tests", "unit", "fixtures")
    best = [{}, {}]
    with tempfile.TemporaryDirectory(prefix="bench-before-") as tmp:
        target = os.path.join(tmp, "ansible_collections", "netops", "ipsec_spi")
        os.makedirs(target)
        blob = subprocess.run(["git", "-C", ROOT, "archive", "--format=tar", ref, "plugins/module_utils"],
                              capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
            tar.extractall(target)
        for _round in range(rounds):
            for index, base in enumerate((tmp, COLLECTIONS)):
                env = dict(os.environ, PYTHONPATH=base)
                got = json.loads(subprocess.run([sys.executable, "-c", _FIXTURE_PROBE, base, fixtures, str(runs)],
                                                capture_output=True, text=True, check=True, env=env).stdout)
                if not got.pop("from").startswith(base):
                    raise RuntimeError("timed the wrong code")
                for kind, cpu in got.items():
                    best[index][kind] = min(cpu, best[index].get(kind, float("inf")))
    print("fixtures of tests/unit/fixtures, CPU per pass over a kind's files, best of %d runs x %d rounds"
          % (runs, rounds))
    print("%-10s %12s %12s %8s" % ("parser", ref, "working tree", "after/before"))
    for kind in best[0]:
        before, after = best[0][kind], best[1][kind]
        print("%-10s %9.1f us %9.1f us %8.2f" % (kind, before * 1e6, after * 1e6, after / before))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", type=int, default=200)
    parser.add_argument("--budget", type=float, default=1.5, help="seconds per measurement (about)")
    parser.add_argument("--adversarial-only", action="store_true", help="only the 1 MB adversarial inputs")
    parser.add_argument("--before", help="a git commit whose fixture parse times to compare with the working tree's")
    parser.add_argument("--runs", type=int, default=5, help="with --before: runs per interpreter")
    parser.add_argument("--rounds", type=int, default=3, help="with --before: alternating interpreter pairs")
    args = parser.parse_args()
    if args.before:
        return before_after(args.before, args.runs, args.rounds)
    if args.adversarial_only:
        return 1 if adversarial() else 0

    rng = random.Random(gen_tables.SEED)
    texts = {
        "qfp_drops": gen_tables.qfp_drop_table(rng),
        "qfp_ipsec_drops": gen_tables.qfp_ipsec_drop_table(rng),
        "ipsec_sas": gen_tables.ipsec_sa_detail(rng, args.peers),
    }
    ours = {"qfp_drops": parse_qfp_drops, "qfp_ipsec_drops": parse_qfp_ipsec_drops, "ipsec_sas": parse_ipsec_sas}
    peers = []
    genie = genie_parsers()
    if genie:
        peers += [(name, "genie", func) for name, func in genie.items()]
    fsm = textfsm_parser()
    if fsm:
        # Same text minus the prompt line, which the template refuses.
        peers.append(("ipsec_sas", "textfsm (ntc-templates)", lambda text: fsm(without_prompt(text))))

    # Sanity: every peer must read the same number of rows, or the timing compares unlike work.
    sas = parse_ipsec_sas(texts["ipsec_sas"])
    if fsm:
        rows = fsm(without_prompt(texts["ipsec_sas"]))
        print("input: %d ipsec sa blocks (ours), %d TextFSM rows, %d bytes"
              % (len(sas), len(rows), len(texts["ipsec_sas"])))

    print()
    print("%-16s %-24s %14s %14s %9s  %s" % ("table", "peer", "ours/call", "peer/call", "ratio", "target >= 10x"))
    failed = 0
    for name, label, func in peers:
        mine, theirs = paired(lambda n=name: ours[n](texts[n]), lambda f=func, n=name: f(texts[n]), args.budget)
        ratio = theirs / mine
        verdict = "PASS" if ratio >= TARGET else "FAIL"
        failed += verdict == "FAIL"
        print("%-16s %-24s %11.3f ms %11.3f ms %8.1fx  %s" % (name, label, mine * 1e3, theirs * 1e3, ratio, verdict))
    if not peers:
        for name in ours:
            mine, _same = paired(lambda n=name: ours[n](texts[n]), lambda n=name: ours[n](texts[n]), args.budget)
            print("%-16s %-24s %11.3f ms %14s %9s  %s" % (name, "(no peer)", mine * 1e3, "-", "-", "-"))
    failed += adversarial()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
