"""fakenos integration: one FakeNOS holding every router, our SSH connection handler and IOS shell, and the
control channel (a unix socket in the lab directory) that labctl and the tests talk to.

fakenos gives us the hosts, their ports and lifecycles, the NOS plugin (lab/ios_nos.py, loaded by file
path for every host) and the paramiko SSH server.  Its stock byte-at-a-time shell tap echoes passwords and
sleeps 10 ms per character, and its CMD shell only knows exact command strings, so the lab registers
subclasses of both (same plugin names, on this FakeNOS instance only) that drive labsim.cli.Session.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import socketserver
import threading
import time
from typing import Any, Dict, Optional

import paramiko
from fakenos import FakeNOS
from fakenos.core.servers import TCPServerBase
from fakenos.plugins.servers.ssh_server_paramiko import DEFAULT_SSH_KEY, ParamikoSshServer
from fakenos.plugins.shell.cmd_shell import CMDShell

from .cli import Session
from .groundtruth import ground_truth
from .sim import Fleet
from .views import router_state

log = logging.getLogger("labsim")

FLEET: Optional[Fleet] = None          # the fleet the NOS plugin's device objects act on
NOS_PLUGIN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "ios_nos.py")
FAULT_KINDS = ("none", "unreachable", "auth", "reject", "slow", "drop")
TICK = 0.2                             # real seconds between background syncs while syslog is configured
FAULT_DEFAULT_MATCH = {"reject": "show crypto", "slow": "show crypto", "drop": "show crypto"}


class LabDevice:
    """The NOS plugin's device class: binds a fakenos host to its router in the fleet."""

    def __init__(self, configuration_file: Optional[str] = None) -> None:
        self.configuration_file = configuration_file

    def session(self, router_name: str, peer: str) -> Session:
        assert FLEET is not None, "labsim.server.FLEET is not set"
        return Session(FLEET, FLEET.routers[router_name], peer)


class IOSShell(CMDShell):
    """fakenos shell plugin: IOS modes, prompts and errors come from labsim.cli.Session."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session: Optional[Session] = None

    def open(self, peer: str) -> Session:
        self.session = self.nos.device.session(self.base_prompt, peer)
        return self.session

    def onecmd(self, line: str) -> bool:  # the cmd.Cmd entry point, for completeness
        self.writeline(self.session.handle(line))
        return self.session.closed


class _Auth(paramiko.ServerInterface):
    def __init__(self, router: Any, fleet: Fleet) -> None:
        self.router = router
        self.fleet = fleet
        self.shell_event = threading.Event()

    def get_allowed_auths(self, username: str) -> str:
        return "password,keyboard-interactive"

    def check_auth_password(self, username: str, password: str) -> int:
        spec = self.router.spec
        expected = spec.password + ("-rotated" if self.router.fault.get("kind") == "auth" else "")
        ok = username == spec.username and password == expected
        self.router.connections.append({"time": self.fleet.clock.now(), "event": "login" if ok else "auth_failed",
                                        "user": username})
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_pty_request(self, *args: Any) -> bool:
        return True

    def check_channel_shell_request(self, channel: Any) -> bool:
        self.shell_event.set()
        return True

    def check_channel_window_change_request(self, *args: Any) -> bool:
        return True


def _crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


_HOST_KEY: Optional[paramiko.RSAKey] = None
_HOST_KEY_LOCK = threading.Lock()


def _host_key() -> paramiko.RSAKey:
    """fakenos' fixed host key, parsed once: parsing costs ~0.1 s, which is 20 s for a 200-router fleet."""
    global _HOST_KEY
    with _HOST_KEY_LOCK:
        if _HOST_KEY is None:
            import io

            _HOST_KEY = paramiko.RSAKey(file_obj=io.StringIO(DEFAULT_SSH_KEY))
        return _HOST_KEY


class LabSshServer(ParamikoSshServer):
    """fakenos server plugin with a line discipline like IOS: echo (not of passwords), CR/LF, faults."""

    def __init__(self, shell: type, nos: Any, nos_inventory_config: dict, port: int, username: str, password: str,
                 shell_configuration: Optional[dict] = None, address: str = "127.0.0.1", timeout: int = 1,
                 watchdog_interval: float = 1, **_: Any) -> None:
        # ParamikoSshServer.__init__ minus its per-server key parsing.
        TCPServerBase.__init__(self)
        self.nos = nos
        self.nos_inventory_config = nos_inventory_config
        self.shell = shell
        self.shell_configuration = shell_configuration or {}
        self.ssh_banner = ""
        self.username = username
        self.password = password
        self.port = port
        self.address = address
        self.timeout = timeout
        self.watchdog_interval = watchdog_interval
        self._active_sessions = set()
        self._active_sessions_lock = threading.Lock()
        self._ssh_server_key = _host_key()

    def connection_function(self, client: socket.socket, is_running: threading.Event) -> None:
        fleet = FLEET
        router = fleet.routers[self.shell_configuration["base_prompt"]]
        transport = paramiko.Transport(client)
        transport.local_version = "SSH-2.0-Cisco-1.25"
        transport.add_server_key(self._ssh_server_key)
        auth = _Auth(router, fleet)
        with self._active_sessions_lock:
            self._active_sessions.add(transport)
        try:
            try:
                transport.start_server(server=auth)
            except (paramiko.SSHException, EOFError, OSError):
                return
            chan = transport.accept(timeout=30)
            if chan is None:
                return
            auth.shell_event.wait(10)
            shell = self.shell(stdin=None, stdout=None, nos=self.nos, nos_inventory_config=self.nos_inventory_config,
                               is_running=is_running, **self.shell_configuration)
            session = shell.open(client.getpeername()[0] if client else "127.0.0.1")
            self._serve(chan, session, router, is_running)
        except (OSError, EOFError, paramiko.SSHException) as exc:
            log.debug("%s: connection ended: %s", router.name, exc)
        finally:
            try:
                transport.close()
            finally:
                with self._active_sessions_lock:
                    self._active_sessions.discard(transport)

    def _serve(self, chan: Any, session: Session, router: Any, is_running: threading.Event) -> None:
        chan.settimeout(1.0)
        chan.sendall(_crlf("\n" + session.prompt))
        buf = ""
        last_cr = False
        while is_running.is_set() and not session.closed:
            try:
                data = chan.recv(4096)
            except socket.timeout:
                continue
            if not data:
                return
            echo = []
            for ch in data.decode("utf-8", "replace"):
                if ch in "\r\n":
                    if ch == "\n" and last_cr:
                        last_cr = False
                        continue
                    last_cr = ch == "\r"
                    if echo:
                        chan.sendall("".join(echo).encode("utf-8"))
                        echo = []
                    chan.sendall(b"\r\n")
                    line, buf = buf, ""
                    if not self._run_line(chan, session, router, line, is_running):
                        return
                    continue
                last_cr = False
                if ch in "\x08\x7f":
                    if buf:
                        buf = buf[:-1]
                        if session.echo:
                            echo.append("\b \b")
                elif ch == "\x1a":
                    buf = "end"
                elif ch >= " " or ch == "\t":
                    buf += ch
                    if session.echo:
                        echo.append(ch)
            if echo:
                chan.sendall("".join(echo).encode("utf-8"))

    def _run_line(self, chan: Any, session: Session, router: Any, line: str, is_running: threading.Event) -> bool:
        fault = router.fault
        kind = fault.get("kind", "none")
        match = fault.get("match") or FAULT_DEFAULT_MATCH.get(kind, "")
        hit = kind in ("reject", "slow", "drop") and session.pending is None and line.strip().lower().startswith(match)
        if hit and kind == "reject":
            with session.fleet.lock:
                router.history.append({"time": session.fleet.clock.now(), "command": line, "prompt": session.prompt,
                                       "session": session.id, "fault": "reject"})
            col = len(session.prompt) + (len(line) - len(line.lstrip()))
            out = " " * col + "^\n% Invalid input detected at '^' marker.\n\n"
        else:
            if hit and kind == "slow":
                deadline = time.monotonic() + float(fault.get("delay", 30))
                while is_running.is_set() and time.monotonic() < deadline and router.fault.get("kind") == "slow":
                    time.sleep(0.1)
            out = session.handle(line)
            if hit and kind == "drop":
                head = "\n".join(out.split("\n")[:3])
                chan.sendall(_crlf(head + "\n"))
                router.connections.append({"time": session.fleet.clock.now(), "event": "dropped", "command": line})
                chan.get_transport().close()
                return False
        chan.sendall(_crlf(out) + (b"" if session.closed else session.prompt.encode("utf-8")))
        return not session.closed


class Lab:
    """The running fleet: fakenos servers plus the control channel."""

    def __init__(self, scenario: Dict[str, Any], speed: float, directory: str, base_port: int) -> None:
        global FLEET
        self.dir = directory
        self.fleet = Fleet(scenario, speed=speed, base_port=base_port)
        FLEET = self.fleet
        hosts = {}
        for r in self.fleet.routers.values():
            hosts[r.name] = {"port": r.port, "username": r.spec.username, "password": r.spec.password,
                             "nos": {"plugin": NOS_PLUGIN}}
        inventory = {
            "default": {"server": {"plugin": "ParamikoSshServer",
                                   "configuration": {"address": "127.0.0.1", "timeout": 1, "ssh_banner": ""}},
                        "shell": {"plugin": "CMDShell", "configuration": {"intro": "", "newline": "\r\n"}}},
            "hosts": hosts,
        }
        self.net = FakeNOS(inventory=inventory)
        self.net.servers_plugins["ParamikoSshServer"] = LabSshServer
        self.net.shell_plugins["CMDShell"] = IOSShell
        self.stopping = threading.Event()
        self.control: Optional[socketserver.UnixStreamServer] = None

    def start(self) -> None:
        self.net.start()
        path = os.path.join(self.dir, "control.sock")
        if os.path.exists(path):
            os.unlink(path)
        lab = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                for raw in self.rfile:
                    try:
                        reply = lab.dispatch(json.loads(raw.decode("utf-8")))
                    except Exception as exc:  # the control channel reports every error to its caller
                        reply = {"ok": False, "error": "%s: %s" % (type(exc).__name__, exc)}
                    self.wfile.write((json.dumps(reply, default=str) + "\n").encode("utf-8"))
                    self.wfile.flush()

        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

        self.control = Server(path, Handler)
        os.chmod(path, 0o600)
        threading.Thread(target=self.control.serve_forever, daemon=True).start()
        threading.Thread(target=self._tick, name="syslog-clock", daemon=True).start()

    def _tick(self) -> None:
        """While a router has a `logging host`, move the fleet every TICK so its messages go out as they happen.

        The simulation is lazy (it catches up when asked); a collector cannot ask, so the lab asks for it.
        """
        while not self.stopping.wait(TICK):
            if self.fleet.remote_log.active:
                try:
                    self.fleet.sync()
                except Exception:  # the clock thread must outlive one bad step; the error goes to lab.log
                    log.exception("background sync")

    @staticmethod
    def _fast_stop(host: Any) -> None:
        """Close a host's listener and sessions without waiting for fakenos' accept loop to time out."""
        server = host.server
        if server is None:
            return
        server._is_running.clear()
        if server._socket is not None:
            server._socket.close()
        server._close_active_connections()
        host.server = None
        host.running = False

    def stop(self) -> None:
        if self.control is not None:
            self.control.shutdown()
            self.control.server_close()
        for host in self.net.hosts.values():
            if host.running:
                try:
                    self._fast_stop(host)
                except Exception:  # a stuck listener must not keep the others running
                    log.exception("stopping %s", host.name)
        self.stopping.set()

    # ----- control operations -------------------------------------------------------------------------
    def dispatch(self, req: Dict[str, Any]) -> Dict[str, Any]:
        op = req.get("op")
        fleet = self.fleet
        if op == "ping":
            return {"ok": True, "routers": len(fleet.routers), "pid": os.getpid()}
        if op == "routers":
            return {"ok": True, "routers": [{"name": r.name, "port": r.port, "address": r.spec.addr}
                                            for r in fleet.routers.values()]}
        if op == "state":
            return {"ok": True, "state": router_state(fleet, self._router(req))}
        if op == "history":
            with fleet.lock:
                return {"ok": True, "history": list(fleet.routers[self._router(req)].history)}
        if op == "advance":
            seconds = float(req.get("seconds", 0))
            if seconds < 0:
                raise ValueError("advance takes a non-negative number of seconds")
            with fleet.lock:
                fleet.clock.advance(seconds)
                return {"ok": True, "now": fleet.sync()}
        if op == "speed":
            fleet.clock.set_speed(float(req["speed"]))
            return {"ok": True, "speed": fleet.clock.speed}
        if op == "clock":
            return {"ok": True, "now": fleet.sync(), "speed": fleet.clock.speed, "start": fleet.clock.start}
        if op == "fault":
            return self._fault(self._router(req), req)
        if op == "desyncs":
            with fleet.lock:
                fleet.sync()
                return {"ok": True, "desyncs": fleet.desyncs()}
        if op == "credentials":
            first = next(iter(fleet.specs.values()))
            creds = {"username": first.username, "password": first.password, "enable": first.enable, "routers": {
                n: {"username": s.username, "password": s.password, "enable": s.enable} for n, s in fleet.specs.items()}}
            return {"ok": True, "credentials": creds}
        if op == "ground_truth":
            return {"ok": True, "ground_truth": ground_truth(fleet)}
        if op == "configure":
            return {"ok": True, "output": self._configure(self._router(req), req.get("lines") or [])}
        if op == "start_desync":
            return {"ok": True, "desync": fleet.start_desync(str(req["sender"]), str(req["receiver"]),
                                                             str(req.get("mode") or "lost"))}
        if op == "rekey":
            return {"ok": True, "rekey": fleet.rekey(str(req["sender"]), str(req["receiver"]))}
        if op == "inv_spi":
            return {"ok": True, "time": fleet.log_inv_spi(self._router(req), str(req["src"]), int(req["spi"]))}
        if op == "foreign":
            return {"ok": True, "time": fleet.add_foreign(self._router(req), str(req["src"]), int(req["spi"]),
                                                          bool(req.get("live", True)))}
        if op == "down":
            threading.Thread(target=self.stop, daemon=True).start()
            return {"ok": True}
        raise ValueError("unknown op %r" % op)

    def _configure(self, name: str, lines: Any) -> str:
        """Type lines in configuration mode, as a person on the console would; any IOS error fails the op."""
        if isinstance(lines, str) or not all(isinstance(x, str) for x in lines):
            raise ValueError("configure takes a list of configuration lines")
        session = Session(self.fleet, self.fleet.routers[name], peer="lab-control")
        session.priv = 15
        out = [session.handle("configure terminal")]
        try:
            for line in lines:
                text = session.handle(line)
                out.append(text)
                if "% " in text:
                    raise ValueError("%s: %r: %s" % (name, line, text.strip()))
        finally:
            out.append(session.handle("end"))
        return "".join(out)

    def _router(self, req: Dict[str, Any]) -> str:
        name = req.get("router")
        if name not in self.fleet.routers:
            raise KeyError("no router %r in this lab" % name)
        return name

    def _fault(self, name: str, req: Dict[str, Any]) -> Dict[str, Any]:
        kind = req.get("kind", "none")
        if kind not in FAULT_KINDS:
            raise ValueError("fault kind must be one of %s" % ", ".join(FAULT_KINDS))
        router = self.fleet.routers[name]
        host = self.net.hosts[name]
        fault = {"kind": kind}
        for key in ("match", "delay"):
            if req.get(key) is not None:
                fault[key] = req[key]
        router.fault = fault
        if kind == "unreachable" and host.running:
            self._fast_stop(host)
        elif kind != "unreachable" and not host.running:
            host.start()
        return {"ok": True, "fault": fault}
