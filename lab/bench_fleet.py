"""Scale check (not part of the test run): a generated fleet answering `show version` to Ansible.

    bench_fleet.py [--routers 200] [--forks 50] [--ssh-type libssh]

Generates the fleet (gen_fleet.py), starts it (labctl up), runs cisco.ios.ios_command `show version` on every
router at the given forks, and prints wall times and the lab process's peak memory (VmHWM) as JSON.
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
sys.path.insert(0, HERE)

from gen_fleet import generate  # noqa: E402
from labsim.client import start_lab  # noqa: E402

PLAY = """
- hosts: all
  gather_facts: false
  tasks:
    - cisco.ios.ios_command:
        commands: [show version]
"""


def vm(pid: int, key: str) -> int:
    with open("/proc/%d/status" % pid, "r", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--routers", type=int, default=200)
    parser.add_argument("--forks", type=int, default=50)
    parser.add_argument("--ssh-type", default="libssh", choices=["libssh", "paramiko"])
    args = parser.parse_args()
    import yaml

    work = tempfile.mkdtemp(prefix="lab-bench-", dir=os.path.join(ROOT, ".tmp"))
    scenario = os.path.join(work, "fleet.yml")
    with open(scenario, "w", encoding="utf-8") as handle:
        yaml.safe_dump(generate(args.routers), handle, sort_keys=False)
    t0 = time.monotonic()
    lab = start_lab(os.path.join(work, "lab"), scenario=scenario)
    t_up = time.monotonic() - t0
    pid = lab.ping()["pid"]
    rss_idle = vm(pid, "VmRSS")
    play = os.path.join(work, "play.yml")
    with open(play, "w", encoding="utf-8") as handle:
        handle.write(PLAY)
    env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_PERSISTENT_COMMAND_TIMEOUT="120",
               ANSIBLE_PERSISTENT_CONNECT_TIMEOUT="120", ANSIBLE_DEPRECATION_WARNINGS="False")
    t1 = time.monotonic()
    proc = subprocess.run(["ansible-playbook", "-i", lab.inventory, play, "-f", str(args.forks),
                           "-e", "ansible_network_cli_ssh_type=%s" % args.ssh_type],
                          env=env, capture_output=True, text=True, check=False)
    t_play = time.monotonic() - t1
    recap = [line for line in proc.stdout.splitlines() if "ok=" in line]
    ok = sum(1 for line in recap if "failed=0" in line and "unreachable=0" in line)
    peak = vm(pid, "VmHWM")
    answered = sum(1 for r in lab.routers() if "show version" in lab.commands(r["name"]))
    lab.stop()
    print(json.dumps({"routers": args.routers, "forks": args.forks, "ssh_type": args.ssh_type,
                      "lab_up_seconds": round(t_up, 2), "playbook_seconds": round(t_play, 2),
                      "hosts_ok": ok, "routers_that_answered": answered, "playbook_rc": proc.returncode,
                      "lab_rss_idle_mib": round(rss_idle / 1024, 1), "lab_peak_rss_mib": round(peak / 1024, 1)},
                     indent=2))
    return 0 if proc.returncode == 0 and ok == args.routers else 1


if __name__ == "__main__":
    sys.exit(main())
