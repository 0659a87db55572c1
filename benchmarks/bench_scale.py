"""Scale benchmark (make bench, never a test): the fleet-wide assessment from cached facts, and sliced gathers.

    bench_scale.py [--assess 1000,10000] [--lab 200] [--slices 1,2,4] [--skip-lab] [--skip-assess]

Part 1, the assessment alone, on N routers' facts in a jsonfile fact cache (generated from the lab's own
simulated routers: lab/gen_fleet.py scenario, device outputs from the simulated CLI, parsed by the collection):
- the core (assess_fleet) in Python, and the `netops.ipsec_spi.assess` playbook reading the cache, the way an
  AWX assess job does; printed per router, so it can be seen to stay linear (target: < 10 s for 10,000).

Part 2, sliced vs unsliced gather on a lab fleet (default 200 routers) in one run: N parallel
`ansible-playbook netops.ipsec_spi.gather --limit <slice>` (host i in slice i mod N, as AWX slices), one shared
jsonfile cache, then the assessment; wall time per N, per slice, and the ratio to N=1. On 2 cores the gain is
small: the figures are for extrapolating (docs/scale.md).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LAB = os.path.join(ROOT, "lab")
sys.path.insert(0, LAB)
DATA = os.path.join(HERE, "data")

from gen_fleet import generate  # noqa: E402  pylint: disable=wrong-import-position


def env(cache: str) -> Dict[str, str]:
    out = dict(os.environ, ANSIBLE_CACHE_PLUGIN="ansible.builtin.jsonfile", ANSIBLE_CACHE_PLUGIN_CONNECTION=cache,
               ANSIBLE_CACHE_PLUGIN_TIMEOUT="86400", ANSIBLE_NOCOLOR="1", ANSIBLE_HOST_KEY_CHECKING="False",
               ANSIBLE_DEPRECATION_WARNINGS="False", ANSIBLE_LOCALHOST_WARNING="False")
    return out


def lab_facts(n: int) -> Dict[str, Any]:
    """Every router's ipsec_spi facts for a generated n-router fleet (kept under benchmarks/data)."""
    path = os.path.join(DATA, "scale-facts-%d.json" % n)
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.commands import GATHER as COMMANDS
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.facts import build_facts
    from labsim.cli import Session
    from labsim.sim import Fleet
    fleet = Fleet(generate(n), speed=0.0)
    fleet.clock.advance(1800)
    facts = {}
    for name, router in fleet.routers.items():
        session = Session(fleet, router)
        session.priv = 15
        facts[name] = build_facts(name, {key: session.handle(cmd) for key, cmd in COMMANDS}, year=2026)
    os.makedirs(DATA, exist_ok=True)
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(facts, handle)
    os.replace(path + ".tmp", path)  # an interrupted run leaves no half file behind
    return facts


def write_cache(cache: str, facts: Dict[str, Any], run_id: str) -> None:
    os.makedirs(cache, exist_ok=True)
    now = time.time()
    for host, item in facts.items():
        stamped = dict(item, run_id=run_id, gathered_epoch=now, gathered_at="bench")
        # ansible-core 2.19's jsonfile layout (what a gather with fact caching writes): "s1_" + host,
        # the facts as a JSON string under __payload__.
        with open(os.path.join(cache, "s1_" + host), "w", encoding="utf-8") as handle:
            json.dump({"__payload__": json.dumps({"ipsec_spi": stamped})}, handle)


def write_inventory(path: str, hosts: List[str], extra: str = "") -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("[routers]\n")
        for host in hosts:
            handle.write("%s%s\n" % (host, extra))


def bench_assess(sizes: List[int]) -> List[Dict[str, Any]]:
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.assess import assess_fleet
    rows = []
    for n in sizes:
        t0 = time.perf_counter()
        facts = lab_facts(n)
        made = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = assess_fleet(facts)
        core = time.perf_counter() - t0
        work = tempfile.mkdtemp(prefix="bench-scale-")
        try:
            cache = os.path.join(work, "cache")
            write_cache(cache, facts, "bench-%d" % n)
            # A real assess job reads a cache written minutes earlier: let the write-back finish first,
            # or it competes with the run being measured (2-3 s on 10,000 files here).
            os.sync()
            inventory = os.path.join(work, "hosts.ini")
            write_inventory(inventory, sorted(facts), " ansible_connection=local")
            cmd = ["ansible-playbook", "-i", inventory, "netops.ipsec_spi.assess",
                   "-e", json.dumps({"ipsec_spi_facts_run_id": "bench-%d" % n, "ipsec_spi_show_summary": False,
                                     "ipsec_spi_report_dir": os.path.join(work, "report")})]
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, env=env(cache), capture_output=True, text=True, check=False)
            play = time.perf_counter() - t0
            if proc.returncode not in (0, 2):
                print(proc.stdout[-2000:], proc.stderr[-2000:], file=sys.stderr)
                raise SystemExit("assess playbook failed on %d routers" % n)
            with open(os.path.join(work, "report", "report.json"), encoding="utf-8") as handle:
                report = json.load(handle)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        row = {"routers": n, "facts_generated_s": round(made, 1), "assess_fleet_s": round(core, 3),
               "assess_playbook_s": round(play, 1), "playbook_ms_per_router": round(1000 * play / n, 2),
               "confirmed_desyncs": result["summary"]["confirmed_desyncs"],
               "report_assessed": report["summary"]["assessed"], "target_10k_under_10s": None}
        if n >= 10000:
            row["target_10k_under_10s"] = "PASS" if play < 10 else "MISS"
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def bench_slices(n: int, slice_counts: List[int]) -> List[Dict[str, Any]]:
    from labsim.client import start_lab, write_inventory as lab_inventory
    work = tempfile.mkdtemp(prefix="bench-slices-")
    scenario = os.path.join(work, "fleet.yml")
    import yaml
    with open(scenario, "w", encoding="utf-8") as handle:
        yaml.safe_dump(generate(n), handle)
    lab = start_lab(os.path.join(work, "lab"), scenario, speed=0.0)
    rows = []
    try:
        inventory = lab_inventory(lab)
        hosts = sorted(lab.ground_truth["routers"])
        base = None
        for count in slice_counts:
            cache = os.path.join(work, "cache-%d" % count)
            pending = {}
            t0 = time.perf_counter()
            for index in range(count):
                members = [h for i, h in enumerate(hosts) if i % count == index]
                cmd = ["ansible-playbook", "-i", inventory, "netops.ipsec_spi.gather", "--limit", ",".join(members),
                       "-f", "50", "-e", json.dumps({"ipsec_spi_run_id": "slices-%d" % count})]
                with open(os.path.join(work, "slice-%d-%d.log" % (count, index)), "w", encoding="utf-8") as log:
                    proc = subprocess.Popen(cmd, env=env(cache), stdout=log,  # pylint: disable=consider-using-with
                                            stderr=subprocess.STDOUT)
                pending[proc.pid] = (index, time.perf_counter(), proc)
            per_slice, cpu, codes = [0.0] * count, [0.0] * count, [0] * count
            # wait4: each slice's own end time and CPU time (its forks included), whichever ends first.
            while pending:
                pid, status, usage = os.wait4(-1, 0)
                if pid not in pending:
                    continue
                index, started, proc = pending.pop(pid)
                proc.returncode = codes[index] = os.waitstatus_to_exitcode(status)
                per_slice[index] = round(time.perf_counter() - started, 1)
                cpu[index] = round(usage.ru_utime + usage.ru_stime, 1)
            gather = time.perf_counter() - t0
            t1 = time.perf_counter()
            cmd = ["ansible-playbook", "-i", inventory, "netops.ipsec_spi.assess",
                   "-e", json.dumps({"ipsec_spi_facts_run_id": "slices-%d" % count, "ipsec_spi_show_summary": False,
                                     "ipsec_spi_report_dir": os.path.join(work, "report-%d" % count)})]
            subprocess.run(cmd, env=env(cache), capture_output=True, text=True, check=False)
            assess = time.perf_counter() - t1
            base = base or gather + assess
            with open(os.path.join(work, "report-%d" % count, "report.json"), encoding="utf-8") as handle:
                summary = json.load(handle)["summary"]
            row = {"routers": n, "slices": count, "gather_s": round(gather, 1), "per_slice_s": per_slice,
                   "per_slice_cpu_s": cpu, "slice_rc": codes, "assess_s": round(assess, 1),
                   "total_s": round(gather + assess, 1), "ratio_to_unsliced": round((gather + assess) / base, 2),
                   "assessed": summary["assessed"], "confirmed_desyncs": summary["confirmed_desyncs"]}
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        lab.stop()
        shutil.rmtree(work, ignore_errors=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--assess", default="1000,10000")
    parser.add_argument("--lab", type=int, default=200)
    parser.add_argument("--slices", default="1,2,4")
    parser.add_argument("--skip-lab", action="store_true")
    parser.add_argument("--skip-assess", action="store_true")
    args = parser.parse_args()
    if not args.skip_assess:
        bench_assess([int(x) for x in args.assess.split(",") if x])
    if not args.skip_lab:
        bench_slices(args.lab, [int(x) for x in args.slices.split(",") if x])
    return 0


if __name__ == "__main__":
    sys.exit(main())
