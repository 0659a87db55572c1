"""Python API of the lab: start/stop a background fleet and talk to it over its control socket.

    from labsim.client import start_lab
    lab = start_lab("/tmp/mylab")              # default scenario, one simulated minute per real second
    lab.state("hub1")["sas"]; lab.advance(120); lab.fault("br1", "auth"); lab.stop()
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional

LAB_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SCENARIO = os.path.join(LAB_DIR, "scenarios", "default.yml")
LABCTL = os.path.join(LAB_DIR, "labctl.py")


# `labctl serve` exits with this when a port it found free was taken before it could listen on it.
PORT_TAKEN = 3


class LabError(RuntimeError):
    pass


class LabClient:
    def __init__(self, directory: str) -> None:
        self.dir = os.path.abspath(directory)
        self.socket_path = os.path.join(self.dir, "control.sock")
        self._gt: Optional[Dict[str, Any]] = None

    # ----- plumbing -----------------------------------------------------------------------------------
    def call(self, op: str, timeout: float = 60, **kwargs: Any) -> Dict[str, Any]:
        req = dict(kwargs, op=op)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            try:
                sock.connect(self.socket_path)
            except OSError as exc:
                raise LabError("lab in %s is not running (%s)" % (self.dir, exc))
            sock.sendall((json.dumps(req) + "\n").encode("utf-8"))
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(1 << 16)
                if not chunk:
                    break
                data += chunk
        reply = json.loads(data.decode("utf-8"))
        if not reply.get("ok"):
            raise LabError(reply.get("error", "lab call %s failed" % op))
        return reply

    # ----- API ----------------------------------------------------------------------------------------
    @property
    def inventory(self) -> str:
        return os.path.join(self.dir, "inventory.yml")

    @property
    def ground_truth(self) -> Dict[str, Any]:
        if self._gt is None:
            self._gt = self.call("ground_truth")["ground_truth"]
        return self._gt

    def ping(self) -> Dict[str, Any]:
        return self.call("ping", timeout=5)

    def routers(self) -> List[Dict[str, Any]]:
        return self.call("routers")["routers"]

    def state(self, router: str) -> Dict[str, Any]:
        return self.call("state", router=router)["state"]

    def history(self, router: str) -> List[Dict[str, Any]]:
        return self.call("history", router=router)["history"]

    def commands(self, router: str) -> List[str]:
        return [h["command"] for h in self.history(router)]

    def advance(self, seconds: float) -> float:
        return self.call("advance", seconds=seconds)["now"]

    def clock(self) -> Dict[str, Any]:
        return self.call("clock")

    def set_speed(self, speed: float) -> None:
        self.call("speed", speed=speed)

    def fault(self, router: str, kind: str, match: Optional[str] = None, delay: Optional[float] = None) -> Dict[str, Any]:
        return self.call("fault", router=router, kind=kind, match=match, delay=delay)["fault"]

    def desyncs(self) -> List[Dict[str, Any]]:
        return self.call("desyncs")["desyncs"]

    def configure(self, router: str, lines: List[str]) -> str:
        """Type configuration lines on a router (configuration mode, then `end`); LabError on an IOS error."""
        return self.call("configure", router=router, lines=list(lines))["output"]

    def start_desync(self, sender: str, receiver: str, mode: str = "lost") -> Dict[str, Any]:
        """Knock a healthy pair out of sync now (the receiver loses its SAs); returns the desync."""
        return self.call("start_desync", sender=sender, receiver=receiver, mode=mode)["desync"]

    def rekey(self, sender: str, receiver: str) -> Dict[str, Any]:
        """The pair re-keys now with new SPIs (heals it if out of sync); returns {sa_since, spi_out: {router: spi}}."""
        return self.call("rekey", sender=sender, receiver=receiver)["rekey"]

    def log_inv_spi(self, receiver: str, src: str, spi: int) -> float:
        """One INV_SPI message on receiver now (a transient); returns its simulated time."""
        return self.call("inv_spi", router=receiver, src=src, spi=spi)["time"]

    def add_foreign(self, receiver: str, src: str, spi: int, live: bool = True) -> float:
        """A non-peer sender starts hitting receiver now (live: a message a minute from then on)."""
        return self.call("foreign", router=receiver, src=src, spi=spi, live=live)["time"]

    def stop(self, timeout: float = 20) -> None:
        stop_lab(self.dir, timeout)

    def cli(self, router: str, commands: List[str], enable: bool = True, timeout: float = 20) -> List[str]:
        """Run commands on a router over real SSH (paramiko), as a person at a terminal would.

        Returns one output per command (echo and prompt stripped).  Use Ansible for anything the
        collection itself does; this is for setting up and checking the lab quickly in tests.
        """
        import re

        import paramiko

        info = next(r for r in self.routers() if r["name"] == router)
        cred = self.call("credentials")["credentials"]["routers"][router]
        ssh = paramiko.SSHClient()
        ssh.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        ssh.connect("127.0.0.1", port=info["port"], username=cred["username"], password=cred["password"],
                    look_for_keys=False, allow_agent=False, timeout=timeout)
        prompt_re = re.compile(r"(?:^|\n)[\w.:/-]+(?:\([^)]+\))?[>#] ?$|Password: ?$|\[confirm\]$|\? ?$")
        try:
            chan = ssh.invoke_shell(width=512, height=0)
            chan.settimeout(timeout)

            def read() -> str:
                buf = ""
                while not prompt_re.search(buf.replace("\r", "")):
                    data = chan.recv(65536)
                    if not data:
                        raise LabError("%s closed the session; got %r" % (router, buf[-300:]))
                    buf += data.decode("utf-8", "replace")
                return buf.replace("\r", "")

            read()
            if enable:
                chan.sendall(b"enable\r")
                if read().rstrip().endswith("Password:"):
                    chan.sendall(cred["enable"].encode() + b"\r")
                    read()
            outs = []
            for cmd in commands:
                chan.sendall(cmd.encode() + b"\r")
                text = read()
                lines = text.split("\n")
                outs.append("\n".join(lines[1:-1]))
            return outs
        finally:
            ssh.close()


def _pid(directory: str) -> Optional[int]:
    try:
        with open(os.path.join(directory, "lab.pid"), "r", encoding="utf-8") as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def _ssh_ready(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            return sock.recv(64).startswith(b"SSH-")
    except OSError:
        return False


def start_lab(directory: str, scenario: Optional[str] = None, speed: float = 60.0, base_port: Optional[int] = None,
              timeout: float = 120, python: Optional[str] = None) -> LabClient:
    """Start a lab in the background (returns once every router accepts SSH) and write its inventory.

    Without a base port the lab picks free ports itself; labs started at the same moment (parallel test
    workers) can pick the same ones, and the loser then starts again on others.
    """
    for attempt in range(5):
        try:
            return _start_lab(directory, scenario, speed, base_port, timeout, python)
        except LabError as exc:
            if base_port or getattr(exc, "status", None) != PORT_TAKEN or attempt == 4:
                raise
    raise AssertionError("not reached")


def _start_lab(directory: str, scenario: Optional[str], speed: float, base_port: Optional[int], timeout: float,
               python: Optional[str]) -> LabClient:
    directory = os.path.abspath(directory)
    os.makedirs(directory, exist_ok=True)
    old = _pid(directory)
    if old and _alive(old):
        raise LabError("a lab is already running in %s (pid %d): labctl down first" % (directory, old))
    cmd = [python or sys.executable, LABCTL, "serve", "--dir", directory, "--speed", str(speed),
           "--scenario", os.path.abspath(scenario or DEFAULT_SCENARIO)]
    if base_port:
        cmd += ["--base-port", str(base_port)]
    logf = open(os.path.join(directory, "lab.log"), "wb")
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                            start_new_session=True, close_fds=True)
    logf.close()
    client = LabClient(directory)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            with open(os.path.join(directory, "lab.log"), "r", encoding="utf-8", errors="replace") as handle:
                tail = handle.read()[-3000:]
            error = LabError("the lab exited with status %s:\n%s" % (proc.returncode, tail))
            error.status = proc.returncode  # type: ignore[attr-defined]
            raise error
        try:
            client.ping()
            break
        except (LabError, OSError, ValueError):
            if time.monotonic() > deadline:
                proc.kill()
                raise LabError("the lab did not answer on %s within %ss" % (client.socket_path, timeout))
            time.sleep(0.1)
    pending = [r["port"] for r in client.routers()]
    while pending:
        pending = [p for p in pending if not _ssh_ready(p)]
        if pending and time.monotonic() > deadline:
            raise LabError("ports not accepting SSH: %s" % pending[:10])
    write_inventory(client)
    return client


def write_inventory(client: LabClient) -> str:
    import yaml

    gt = client.ground_truth
    cred = client.call("credentials")["credentials"]
    hosts = {}
    for r in client.routers():
        truth = gt["routers"][r["name"]]
        host = {"ansible_port": r["port"], "lab_address": r["address"], "lab_platform": truth["platform"]}
        own = cred["routers"].get(r["name"], {})
        for key, var in (("username", "ansible_user"), ("password", "ansible_password"),
                         ("enable", "ansible_become_password")):
            if own.get(key) != cred[key]:
                host[var] = own.get(key)
        hosts[r["name"]] = host
    inventory = {"all": {
        "vars": {
            "ansible_connection": "ansible.netcommon.network_cli",
            "ansible_network_os": "cisco.ios.ios",
            "ansible_host": "127.0.0.1",
            "ansible_user": cred["username"],
            "ansible_password": cred["password"],
            "ansible_become": True,
            "ansible_become_method": "enable",
            "ansible_become_password": cred["enable"],
            "ansible_host_key_checking": False,
            "ansible_ssh_host_key_checking": False,
            "ansible_paramiko_host_key_checking": False,
            "ansible_libssh_host_key_checking": False,
        },
        "children": {"lab": {"hosts": hosts}},
    }}
    path = client.inventory
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write("# Written by lab/labctl.py up: the lab's routers (127.0.0.1, one port each).\n")
        yaml.safe_dump(inventory, handle, default_flow_style=False, sort_keys=False)
    os.replace(tmp, path)
    return path


def stop_lab(directory: str, timeout: float = 20) -> bool:
    """Stop the lab in directory; True if one was running."""
    directory = os.path.abspath(directory)
    pid = _pid(directory)
    if not pid or not _alive(pid):
        return False
    try:
        LabClient(directory).call("down", timeout=5)
    except (LabError, OSError, ValueError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    return True
