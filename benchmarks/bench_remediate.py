"""What remediation costs against the audit, on a generated lab fleet, in the same run (issue 26).

    python benchmarks/bench_remediate.py [--routers 200] [--ks 2,10,40] [--forks 50] [--baseline REF [--baseline-ks 10]]

For each k (about k desyncs in a fresh lab of --routers routers) it times, on the same lab:
  audit           netops.ipsec_spi.audit
  check           netops.ipsec_spi.remediate --check         target <= 1.2 x audit
  remediate       netops.ipsec_spi.remediate with k actions  target: audit + a cost that grows with k
  nothing         netops.ipsec_spi.remediate again (nothing left to do)   target <= 1.2 x audit
and prints the time of each play (gather, assess/plan, change plays, after-check, report).
--baseline REF runs the same steps with the collection as it was at git REF (a worktree under .tmp/), on a
lab of its own built from the same scenario, so before and after are measured in one run.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "lab"))

from gen_fleet import generate  # noqa: E402
from labsim.client import start_lab  # noqa: E402

import yaml  # noqa: E402


def say(msg):
    sys.stderr.write("[bench_remediate] %s\n" % msg)
    sys.stderr.flush()


def collections_for(ref, work):
    """An ANSIBLE_COLLECTIONS_PATH holding the collection at ``ref`` (None: this checkout)."""
    if ref is None:
        return os.environ["ANSIBLE_COLLECTIONS_PATH"]
    tree = os.path.join(work, "baseline-src")
    subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", tree, ref], check=True,
                   capture_output=True)
    path = os.path.join(work, "baseline-collections")
    os.makedirs(os.path.join(path, "ansible_collections", "netops"))
    os.symlink(tree, os.path.join(path, "ansible_collections", "netops", "ipsec_spi"))
    return path


def play(inventory, playbook, collections, forks, extra, check=False):
    env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_PERSISTENT_COMMAND_TIMEOUT="120",
               ANSIBLE_DEPRECATION_WARNINGS="False", ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_COLLECTIONS_PATH=collections)
    cmd = ["ansible-playbook", "-i", inventory, "-f", str(forks), playbook, "-e", json.dumps(extra)]
    if check:
        cmd.append("--check")
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    took = time.monotonic() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-2000:])
        raise SystemExit("%s failed (rc %d)" % (playbook, proc.returncode))
    data = json.loads(proc.stdout[proc.stdout.index("{"):])
    plays = []
    for item in data.get("plays", []):
        duration = item["play"].get("duration") or {}
        plays.append((item["play"]["name"], _seconds(duration)))
    return took, plays


def _seconds(duration):
    from datetime import datetime

    try:
        start = datetime.fromisoformat(duration["start"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(duration["end"].replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None
    return (end - start).total_seconds()


def measure(label, scenario, collections, args, work):
    lab = start_lab(os.path.join(work, "lab-%s" % label), scenario=scenario, speed=60)
    try:
        common = {"ipsec_spi_report_dir": os.path.join(work, "reports-%s" % label), "ipsec_spi_verify_delay": 3,
                  "ipsec_spi_max_clears": 1000, "ipsec_spi_show_summary": False}
        env_state = os.path.join(work, "store-%s.sqlite3" % label)
        os.environ["IPSEC_SPI_STORE"] = env_state
        # A --baseline from before the store kept its cool-downs in a JSON file: give it its own too.
        os.environ["IPSEC_SPI_STATE_FILE"] = env_state + ".json"
        actions = len(lab.ground_truth["actions"])
        out = {"actions": actions}
        for step, playbook, check in (("audit", "netops.ipsec_spi.audit", False),
                                      ("check", "netops.ipsec_spi.remediate", True),
                                      ("remediate", "netops.ipsec_spi.remediate", False),
                                      ("nothing", "netops.ipsec_spi.remediate", False)):
            took, plays = play(lab.inventory, playbook, collections, args.forks, common, check=check)
            out[step] = (took, plays)
            say("%-10s %-9s %6.1f s  %s" % (label, step, took, ", ".join(
                "%s %.1f" % (name.split(" ")[0], s) for name, s in plays if s is not None)))
        return out
    finally:
        lab.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--routers", type=int, default=200)
    parser.add_argument("--ks", default="2,10,40")
    parser.add_argument("--forks", type=int, default=50)
    parser.add_argument("--baseline", default=None, help="git ref to compare with (e.g. HEAD~5)")
    parser.add_argument("--baseline-ks", default=None,
                        help="the k values the baseline runs for (default: all of --ks); each costs four fleet runs")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="bench-remediate-", dir=os.path.join(ROOT, ".tmp"))
    variants = [("now", None)] + ([("before", args.baseline)] if args.baseline else [])
    collections = {name: collections_for(ref, work) for name, ref in variants}
    rows = []
    for k in [int(x) for x in args.ks.split(",")]:
        scenario = os.path.join(work, "fleet-k%d.yml" % k)
        with open(scenario, "w", encoding="utf-8") as handle:
            yaml.safe_dump(generate(args.routers, desync_every=max(1, args.routers // k)), handle)
        for name, _ref in variants:
            if name == "before" and args.baseline_ks and str(k) not in args.baseline_ks.split(","):
                continue
            result = measure("%s-k%d" % (name, k), scenario, collections[name], args, work)
            rows.append((name, k, result))
    print("\n%d routers, forks %d (seconds; ratio to the audit of the same lab)" % (args.routers, args.forks))
    print("| version | k desyncs | actions | audit | check | ratio | remediate | remediate - audit | nothing | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, k, r in rows:
        audit = r["audit"][0]
        print("| %s | %d | %d | %.1f | %.1f | %.2fx | %.1f | %.1f | %.1f | %.2fx |" % (
            name, k, r["actions"], audit, r["check"][0], r["check"][0] / audit, r["remediate"][0],
            r["remediate"][0] - audit, r["nothing"][0], r["nothing"][0] / audit))
    print("\nPer play (seconds):")
    for name, k, r in rows:
        for step in ("check", "remediate", "nothing"):
            print("%s k=%d %s: %s" % (name, k, step, "; ".join("%s %.1f" % (p, s) for p, s in r[step][1] if s is not None)))
    if args.baseline:
        subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", os.path.join(work, "baseline-src")],
                       check=False, capture_output=True)


if __name__ == "__main__":
    main()
