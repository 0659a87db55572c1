"""Fixtures for integration tests against the lab (lab/): simulated IOS / IOS XE routers on real SSH.

- `lab` (session): the default scenario, shared by every test of the session (of the xdist worker), its clock
  stopped (speed 0) so what it shows never depends on how long earlier tests took.  Treat it as read-only: a
  test that changes router state (config, clears, faults, clock jumps) takes its own from `lab_factory`.
- `lab_factory` (session): `lab_factory(scenario=None, speed=60.0)` starts a private lab; all are
  stopped at the end of the session.
- `run_playbook` (session): runs ansible-playbook with the lab's environment and returns a
  PlaybookResult (rc, per-task per-host results from the JSON callback, raw output).
- `ansible_env(extra)`: the environment for any ansible command against a lab.

Every lab object is a labsim.client.LabClient: .inventory, .state(router), .advance(seconds),
.fault(router, kind, match=None, delay=None), .history(router), .commands(router), .ground_truth,
.desyncs(), .cli(router, [commands]), .routers().
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from typing import Any, Dict, List, Optional

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB = os.path.join(ROOT, "lab")
if LAB not in sys.path:
    sys.path.insert(0, LAB)

from labsim.client import LabClient, start_lab  # noqa: E402  pylint: disable=wrong-import-position

LAB_SPEED = float(os.environ.get("LAB_SPEED", "60"))
# Lab routers answer in milliseconds; a short command timeout keeps a hung test short too.
COMMAND_TIMEOUT = int(os.environ.get("LAB_COMMAND_TIMEOUT", "30"))


def expected_non_compliant(truth: Dict[str, Any]) -> List[str]:
    """Who the ground truth says is not compliant: both ends of a live desync, and where the knob is needed."""
    live = [d for d in truth["desync"] if d["verdict"] in ("confirmed", "unverified")]
    receivers = {d["receiver"] for d in live}
    # The sender of a confirmed desync is the other half of the black hole (STALE_OUTBOUND_SA).
    senders = {d["sender"] for d in live if d["verdict"] == "confirmed" and d.get("sender")}
    knob = {h for h, r in truth["routers"].items() if r["knob"]["needed"]}
    return sorted(receivers | senders | knob)


def ansible_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """Environment for ansible / ansible-playbook against the lab (on top of scripts/env.sh's)."""
    env = dict(os.environ)
    collections = os.path.join(ROOT, ".tmp", "collections")
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", collections)
    env.update({
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_PERSISTENT_COMMAND_TIMEOUT": str(COMMAND_TIMEOUT),
        "ANSIBLE_PERSISTENT_CONNECT_TIMEOUT": "30",
        "ANSIBLE_DEPRECATION_WARNINGS": "False",
        "ANSIBLE_SYSTEM_WARNINGS": "False",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
        "ANSIBLE_GATHERING": "explicit",
        "PYTHONWARNINGS": "ignore",
    })
    env.update(extra or {})
    return env


class PlaybookResult:
    def __init__(self, proc: subprocess.CompletedProcess) -> None:
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        try:
            start = self.stdout.index("{")
            self.data: Dict[str, Any] = json.loads(self.stdout[start:])
        except ValueError:
            self.data = {}

    @property
    def tasks(self) -> List[Dict[str, Any]]:
        out = []
        for play in self.data.get("plays", []):
            out.extend(play.get("tasks", []))
        return out

    def task(self, name: str) -> Dict[str, Dict[str, Any]]:
        """host -> result of the first task with this name."""
        for t in self.tasks:
            if t["task"]["name"] == name:
                return t["hosts"]
        raise KeyError("no task %r in %s" % (name, [t["task"]["name"] for t in self.tasks]))

    @property
    def stats(self) -> Dict[str, Dict[str, int]]:
        return self.data.get("stats", {})

    def __repr__(self) -> str:
        return "PlaybookResult(rc=%s, stderr=%r, stdout=%s)" % (self.rc, self.stderr[-2000:], self.stdout[-4000:])


def run_playbook_in(playbook: str, inventory: str, limit: Optional[str] = None,
                    extra_vars: Optional[Dict[str, Any]] = None, check: bool = False, forks: int = 20,
                    env: Optional[Dict[str, str]] = None, timeout: float = 600, args: Optional[List[str]] = None) -> PlaybookResult:
    """Run a playbook (a path, or YAML text) against an inventory; never raises on a failed play."""
    tmp = None
    if "\n" in playbook:
        fd, tmp = tempfile.mkstemp(suffix=".yml", prefix="lab-play-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(playbook)
        playbook = tmp
    cmd = ["ansible-playbook", "-i", inventory, playbook, "-f", str(forks)]
    if limit:
        cmd += ["-l", limit]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    if check:
        cmd.append("--check")
    cmd += args or []
    # Each lab keeps its own store (claims and history): labs share host names, and one test's episodes
    # must never make another test's pair recurring.
    env = dict(env or {})
    env.setdefault("IPSEC_SPI_STORE", os.path.join(os.path.dirname(os.path.abspath(inventory)), "store.sqlite3"))
    try:
        proc = subprocess.run(cmd, env=ansible_env(env), capture_output=True, text=True, timeout=timeout,
                              cwd=ROOT, check=False)
    finally:
        if tmp:
            os.unlink(tmp)
    return PlaybookResult(proc)


# Seconds each file takes on a quiet 2-core machine (the stage's --durations=0, summed per file; 7db6a11, with
# issue 23's later trims). The stage runs files whole, one per worker, longest first (scripts/test.sh passes
# --no-loadscope-reorder, which keeps this order): a long file started last would leave the other worker idle
# at the end. A file not listed counts 60 s.
FILE_SECONDS = {
    "test_partial_views.py": 190, "test_recurrence.py": 185, "test_remediate.py": 170, "test_capture.py": 165,
    "test_lab_ansible.py": 130, "test_check.py": 125, "test_remediate_overlap.py": 115, "test_slicing.py": 95,
    "test_runner.py": 55, "test_check_archive.py": 30, "test_store_playbooks.py": 20, "test_lab_sim.py": 10,
}


def pytest_collection_modifyitems(items):
    # Stable: the tests of a file keep their order (test_remediate.py's dry run, then the real run, then again).
    items.sort(key=lambda item: -FILE_SECONDS.get(os.path.basename(str(item.path)), 60))


def host_vars_inventory(folder, host_vars: Dict[str, Dict[str, Any]]) -> List[str]:
    """ansible-playbook arguments adding an inventory that gives some routers their own variables.

    A short command timeout for the router a test makes slow, and only for it: given to the whole run, a
    loaded machine could time out a healthy router too (issue 23).
    """
    path = os.path.join(str(folder), "host-vars-inventory.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"all": {"hosts": host_vars}}, handle)
    return ["-i", path]


@pytest.fixture(scope="session")
def lab_factory(tmp_path_factory):
    labs: List[LabClient] = []

    def make(scenario: Optional[str] = None, speed: float = LAB_SPEED) -> LabClient:
        client = start_lab(str(tmp_path_factory.mktemp("lab")), scenario=scenario, speed=speed)
        labs.append(client)
        return client

    yield make
    for client in labs:
        client.stop()


@pytest.fixture(scope="session")
def lab(lab_factory) -> LabClient:
    # Frozen: the scenario's ground truth describes the lab at its start, and a shared clock running at 60x
    # would make every comparison depend on how long the tests before it took (issue 23).
    return lab_factory(speed=0)


@pytest.fixture(scope="session")
def run_playbook():
    return run_playbook_in
