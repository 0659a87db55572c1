"""The audit of a lab fleet against the Ansible floor, in the same run.

    python benchmarks/bench_audit.py [--routers 50] [--forks 50]

Floor: one cisco.ios.ios_command `show version` on every router (what any
network job costs). Audit: the netops.ipsec_spi.audit playbook (gather,
assess, report) on the same routers. Target: audit <= 1.5 x floor.
Each playbook runs twice, alternating, and the faster run counts.
"""
import argparse
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

FLOOR = """
- name: Floor
  hosts: all
  gather_facts: false
  tasks:
    - name: One command per router
      cisco.ios.ios_command:
        commands: [show version]
"""
TARGET = 1.5


def say(msg):
    sys.stderr.write("[bench_audit] %s\n" % msg)
    sys.stderr.flush()


def play(inventory, playbook, forks, extra=()):
    env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_PERSISTENT_COMMAND_TIMEOUT="120",
               ANSIBLE_DEPRECATION_WARNINGS="False")
    start = time.monotonic()
    proc = subprocess.run(["ansible-playbook", "-i", inventory, "-f", str(forks), playbook, *extra],
                          env=env, capture_output=True, text=True, check=False)
    took = time.monotonic() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-2000:])
        raise SystemExit("%s failed" % playbook)
    return took


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--routers", type=int, default=50)
    parser.add_argument("--forks", type=int, default=50)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="bench-audit-")
    scenario = os.path.join(work, "fleet.yml")
    with open(scenario, "w") as handle:
        yaml.safe_dump(generate(args.routers), handle)
    floor_pb = os.path.join(work, "floor.yml")
    with open(floor_pb, "w") as handle:
        handle.write(FLOOR)
    say("starting a %d-router lab" % args.routers)
    lab = start_lab(os.path.join(work, "lab"), scenario=scenario)
    try:
        floors, audits = [], []
        for attempt in (1, 2):
            say("run %d/2: floor (show version)" % attempt)
            floors.append(play(lab.inventory, floor_pb, args.forks))
            say("run %d/2: audit (netops.ipsec_spi.audit)" % attempt)
            audits.append(play(lab.inventory, "netops.ipsec_spi.audit", args.forks,
                               ["-e", "ipsec_spi_report_dir=%s" % os.path.join(work, "report"), "-e", "ipsec_spi_show_summary=false"]))
    finally:
        lab.stop()
    floor, audit = min(floors), min(audits)
    ratio = audit / floor
    print("%-46s %9s" % ("%d lab routers, forks %d" % (args.routers, args.forks), "wall s"))
    print("%-46s %9.1f   runs: %s" % ("floor: ios_command show version", floor, ", ".join("%.1f" % f for f in floors)))
    print("%-46s %9.1f   runs: %s" % ("audit: gather + assess + report", audit, ", ".join("%.1f" % a for a in audits)))
    print("%-46s %9.2fx  target <= %.1fx  %s" % ("audit / floor", ratio, TARGET, "PASS" if ratio <= TARGET else "FAIL"))
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
