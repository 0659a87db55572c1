"""The Event-Driven Ansible loop on the lab: peer map, ansible-rulebook with the invalid_spi source, syslog.

Shared by tests/integration/test_eda.py, benchmarks/bench_eda.py and `make demo-eda` (lab/eda_demo.py), so
all three run the loop the same way a NetOps team would: the peer map written by the collection's own
playbook, the rulebook from the installed collection, routers configured with `logging host`.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from typing import Dict, List, Optional

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PEER_MAP_PLAYBOOK = os.path.join(ROOT, "extensions", "eda", "playbooks", "peer_map.yml")


def java_problem() -> Optional[str]:
    """Why ansible-rulebook cannot run here (no Java 17, no ansible-rulebook), or None."""
    if not shutil.which("ansible-rulebook"):
        return "ansible-rulebook is not installed (requirements-test.txt)"
    java = shutil.which("java")
    if not java:
        return "no Java runtime: ansible-rulebook needs Java 17 (scripts/system-deps.sh installs openjdk-17-jre-headless)"
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    match = re.search(r'version "([0-9]+)', out)
    if not match or int(match.group(1)) < 17:
        return "Java %s is too old: ansible-rulebook needs Java 17" % (match.group(1) if match else "?")
    return None


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _attempt in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port")


def ansible_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = dict(os.environ)
    # ansible-runner (inside ansible-rulebook) brings its own stdout callback; the tests' JSON one would hide it.
    for key in ("ANSIBLE_STDOUT_CALLBACK", "ANSIBLE_CALLBACK_RESULT_FORMAT"):
        env.pop(key, None)
    env.update({"ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_DEPRECATION_WARNINGS": "False",
                "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_RETRY_FILES_ENABLED": "False",
                "ANSIBLE_PERSISTENT_COMMAND_TIMEOUT": env.get("ANSIBLE_PERSISTENT_COMMAND_TIMEOUT", "30"),
                "PYTHONWARNINGS": "ignore"})
    env.update(extra or {})
    return env


def write_peer_map(inventory: str, path: str, env: Optional[Dict[str, str]] = None, timeout: float = 300) -> Dict:
    """Run extensions/eda/playbooks/peer_map.yml against the inventory; returns the map."""
    proc = subprocess.run(["ansible-playbook", "-i", inventory, PEER_MAP_PLAYBOOK, "-e", "ipsec_spi_eda_peer_map=%s" % path],
                          env=ansible_env(env), capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError("peer_map.yml failed (rc %d):\n%s\n%s" % (proc.returncode, proc.stdout[-3000:], proc.stderr[-2000:]))
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


class Rulebook:
    """ansible-rulebook running one of the collection's rulebooks in the background, output to a log file."""

    def __init__(self, rulebook: str, inventory: str, work: str, port: int, variables: Dict,
                 env: Optional[Dict[str, str]] = None) -> None:
        os.makedirs(work, exist_ok=True)
        self.port = port
        self.log_path = os.path.join(work, "rulebook.log")
        vars_path = os.path.join(work, "eda-vars.yml")
        with open(vars_path, "w", encoding="utf-8") as handle:
            yaml.safe_dump(dict(variables, ipsec_spi_eda_port=port), handle)
        self._log = open(self.log_path, "wb")  # pylint: disable=consider-using-with  # closed in stop()
        cmd = ["ansible-rulebook", "-r", rulebook, "-i", inventory, "--vars", vars_path, "-v"]
        self.proc = subprocess.Popen(cmd, cwd=work, env=ansible_env(env), stdout=self._log,  # pylint: disable=consider-using-with
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    def output(self) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def wait_listening(self, timeout: float = 90) -> None:
        """Until the source's TCP listener answers (the UDP one is opened just before it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("ansible-rulebook exited (%s):\n%s" % (self.proc.returncode, self.output()[-4000:]))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the invalid_spi source did not listen within %ss:\n%s" % (timeout, self.output()[-4000:]))

    def runs_finished(self) -> int:
        """Playbook runs completed so far (one PLAY RECAP each)."""
        return self.output().count("PLAY RECAP")

    def persistent_events(self) -> List[str]:
        return re.findall(r"invalid_spi: persistent flow .*", self.output())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()


def point_syslog(lab, port: int, routers: Optional[List[str]] = None) -> List[str]:
    """`logging host 127.0.0.1 transport udp port PORT` and `logging origin-id hostname` on the routers."""
    names = routers or [r["name"] for r in lab.routers()]
    for name in names:
        lab.configure(name, ["logging host 127.0.0.1 transport udp port %d" % port, "logging origin-id hostname"])
    return names


def clears(lab, router: str) -> List[str]:
    return [c for c in lab.commands(router) if c.strip().lower().startswith("clear")]


def wait_for(predicate, timeout: float, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()
