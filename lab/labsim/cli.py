"""The IOS command line of one SSH session: exec and configuration modes, prompts, errors, the commands' handlers.

The exec grammar (abbreviations, arguments, pipes) is exec_grammar.py.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional

from . import render, render_crypto
from .configtree import CliError, ConfigSession, normalize_ifname
from .exec_grammar import apply_pipe, parse_exec
from .flash import flash_path


class Session:
    """One terminal on one router."""

    counter = 0

    def __init__(self, fleet: Any, router: Any, peer: str = "127.0.0.1") -> None:
        Session.counter += 1
        self.id = Session.counter
        self.fleet = fleet
        self.router = router
        self.priv = 1
        self.cfg: Optional[ConfigSession] = None
        self.pending: Optional[Callable[[str], str]] = None
        self.pending_prompt = ""
        self.echo = True
        self.closed = False
        self.peer = peer
        self.enable_tries = 0
        # An EEM applet's CLI session: `enable` needs no password there.
        self.eem = False

    # -- prompt ------------------------------------------------------------------------------------------
    @property
    def hostname(self) -> str:
        for node in self.router.config.root.children:
            if node.text.startswith("hostname "):
                return node.text.split(None, 1)[1]
        return self.router.name

    @property
    def prompt(self) -> str:
        if self.pending is not None:
            return self.pending_prompt
        if self.cfg is not None:
            return self.hostname + self.cfg.prompt_suffix
        return self.hostname + ("#" if self.priv >= 15 else ">")

    # -- errors ------------------------------------------------------------------------------------------
    def _error(self, err: CliError, line: str, prompt: str) -> str:
        if err.kind == "incomplete":
            return "% Incomplete command.\n\n"
        if err.kind == "ambiguous":
            return '%% Ambiguous command:  "%s"\n\n' % line.strip()
        return " " * (len(prompt) + err.pos) + "^\n% Invalid input detected at '^' marker.\n\n"

    # -- entry point -------------------------------------------------------------------------------------
    def handle(self, line: str) -> str:
        """Run one line typed at the prompt; returns the text to print before the next prompt."""
        fleet = self.fleet
        prompt = self.prompt
        with fleet.lock:
            now = fleet.sync()
            secret = self.pending is not None and not self.echo
            self.router.history.append({"time": now, "command": "<secret>" if secret else line,
                                        "prompt": prompt, "session": self.id})
            if self.pending is not None:
                handler, self.pending = self.pending, None
                self.echo = True
                return handler(line)
            if not line.strip():
                return ""
            if self.cfg is not None:
                return self._config_line(line, prompt)
            return self._exec_line(line, prompt, now)

    def _config_line(self, line: str, prompt: str) -> str:
        stripped = line.strip()
        if stripped.split()[0].lower() == "do" and len(stripped.split()) > 1:
            sub = line[line.index(stripped.split()[1]):]
            saved, self.cfg = self.cfg, None
            try:
                return self._exec_line(sub, prompt + " " * (len(line) - len(sub)), self.fleet.clock.now())
            finally:
                self.cfg = saved
        try:
            result = self.cfg.apply(line)
        except CliError as err:
            return self._error(err, line, prompt)
        if self.cfg.changed:
            self.router.last_change = (self.fleet.clock.now(), self.router.spec.username)
            self.fleet.config_changed(self.router.name)
            self.cfg.changed = False
        if result == "exit":
            self._leave_config()
        return ""

    def _leave_config(self) -> None:
        self.cfg = None
        self.router.emit(self.fleet.clock.now(), "%%SYS-5-CONFIG_I: Configured from console by %s on vty0 (%s)"
                         % (self.router.spec.username, self.peer))

    def _exec_line(self, line: str, prompt: str, now: float) -> str:
        cmd, pipe = (line.split("|", 1) + [None])[:2] if "|" in line else (line, None)
        try:
            handler, words = parse_exec(cmd, self.priv, self.router.qfp_capable)
            if handler == "show_platform" and not self.router.qfp_capable:
                raise CliError("incomplete")
            out = getattr(self, "do_" + handler)(words, now)
            if pipe is not None and out is not None:
                out = apply_pipe(out, pipe, len(cmd) + 1)
        except CliError as err:
            return self._error(err, line, prompt)
        if out and not out.endswith("\n"):
            out += "\n"
        return out or ""

    # -- exec handlers -----------------------------------------------------------------------------------
    def do_noop(self, words: List[str], now: float) -> str:
        return ""

    def do_enable(self, words: List[str], now: float) -> str:
        if self.priv >= 15:
            return ""
        if self.eem:
            self.priv = 15
            return ""
        self.pending_prompt = "Password: "
        self.echo = False
        self.pending = self._enable_password
        return None  # type: ignore[return-value]

    def _enable_password(self, line: str) -> str:
        if line.strip() == self.router.spec.enable:
            self.priv = 15
            self.enable_tries = 0
            return ""
        self.enable_tries += 1
        if self.enable_tries < 3:
            self.pending_prompt = "Password: "
            self.echo = False
            self.pending = self._enable_password
            return ""
        self.enable_tries = 0
        return "% Bad secrets\n"

    def do_disable(self, words: List[str], now: float) -> str:
        self.priv = 1
        return ""

    def do_exit(self, words: List[str], now: float) -> str:
        self.closed = True
        return ""

    def do_terminal(self, words: List[str], now: float) -> str:
        return ""

    def do_show_version(self, words: List[str], now: float) -> str:
        return render.show_version(self.router, now)

    def do_show_privilege(self, words: List[str], now: float) -> str:
        return "Current privilege level is %d" % self.priv

    def do_show_clock(self, words: List[str], now: float) -> str:
        return render.show_clock(now, self.router)

    def do_show_run(self, words: List[str], now: float) -> str:
        text = render.running_config(self.fleet, self.router, now)
        if len(words) > 2:
            rest = words[2].split()
            if rest[0].startswith("int") and len(rest) >= 2:
                name = normalize_ifname(" ".join(rest[1:]))
                sect = self.router.config.sections("interface %s" % name) if name else []
                if not sect:
                    raise CliError("invalid", len("show running-config ") + 1 + words[2].index(rest[1]))
                body = ["interface %s" % name] + [" " + c.text for c in sect[0].children]
                size = sum(len(b) + 1 for b in body)
                return "\n".join(["Building configuration...", "", "Current configuration : %d bytes" % size, "!"]
                                 + body + ["end"])
            if rest[0] not in ("all", "brief", "full", "view"):
                raise CliError("invalid", len("show running-config "))
        return text

    def do_show_start(self, words: List[str], now: float) -> str:
        body = self.router.startup.lines()
        return "\n".join(["Using %d out of 33554432 bytes" % sum(len(x) + 1 for x in body)] + body[1:] + ["end"])

    def do_show_logging(self, words: List[str], now: float) -> str:
        return render.show_logging(self.router)

    def do_show_ipsec_sa(self, words: List[str], now: float) -> str:
        peer = words[words.index("peer") + 1] if "peer" in words else None
        return render_crypto.show_ipsec_sa(self.fleet, self.router, now, peer, "detail" in words)

    def do_show_isakmp_sa(self, words: List[str], now: float) -> str:
        return render_crypto.show_isakmp_sa(self.fleet, self.router, now, "detail" in words)

    def do_show_ikev2_sa(self, words: List[str], now: float) -> str:
        return render_crypto.show_ikev2_sa(self.fleet, self.router, now, "detail" in words)

    def do_show_session(self, words: List[str], now: float) -> str:
        remote = words[words.index("remote") + 1] if "remote" in words else None
        return render_crypto.show_crypto_session(self.fleet, self.router, now, "detail" in words, remote)

    def do_show_dmvpn(self, words: List[str], now: float) -> str:
        return render_crypto.show_dmvpn(self.fleet, self.router, now, "detail" in words)

    def do_show_ip_int_brief(self, words: List[str], now: float) -> str:
        return render.show_ip_int_brief(self.router)

    def do_show_inventory(self, words: List[str], now: float) -> str:
        spec = self.router.spec
        serial = "9%s%04d" % (spec.name.upper()[:3].replace("-", "X"), spec.index)
        return 'NAME: "Chassis", DESCR: "Cisco %s Chassis"\nPID: %s , VID: V00  , SN: %s\n' % (
            spec.plat["model"], spec.plat["model"], serial)

    def do_show_platform(self, words: List[str], now: float) -> str:
        r = self.router.spec
        return "\n".join(["Chassis type: %s" % r.plat["model"], "",
                          "Slot      Type                State                 Insert time (ago) ",
                          "--------- ------------------- --------------------- ----------------- ",
                          "R0        %-19s ok, active            %s" % (r.plat["model"], "2w3d"),
                          "F0        %-19s ok, active            %s" % (r.plat["model"], "2w3d")])

    def do_show_qfp_drop(self, words: List[str], now: float) -> str:
        out = render.show_qfp_drops(self.router)
        if "clear" in words:
            for v in self.router.qfp.values():
                v[0] = v[1] = 0.0
            self.router.qfp_cleared = render._dt(now).strftime("%H:%M:%S.000 UTC %a %b %d %Y")
        return out

    def do_show_qfp_ipsec(self, words: List[str], now: float) -> str:
        out = render.show_qfp_ipsec_drops(self.router, "all" in words or "clear" in words)
        if "clear" in words:
            for k in self.router.ipsec_drops:
                self.router.ipsec_drops[k] = 0.0
        return out

    def do_configure(self, words: List[str], now: float) -> str:
        self.cfg = ConfigSession(self.router.config)
        return "Enter configuration commands, one per line.  End with CNTL/Z."

    def do_clear_sa(self, words: List[str], now: float) -> str:
        peer = words[words.index("peer") + 1] if "peer" in words else None
        self.fleet.clear(self.router.name, peer)
        return ""

    def do_clear_session(self, words: List[str], now: float) -> str:
        peer = words[words.index("remote") + 1] if "remote" in words else None
        self.fleet.clear(self.router.name, peer)
        return ""

    def do_clear_logging(self, words: List[str], now: float) -> str:
        self.pending_prompt = "Clear logging buffer [confirm]"
        self.pending = self._clear_logging_confirm
        return None  # type: ignore[return-value]

    def _clear_logging_confirm(self, line: str) -> str:
        if line.strip().lower() in ("", "y", "yes"):
            self.router.log = []
        return ""

    # -- flash: ------------------------------------------------------------------------------------------
    def _flash_arg(self, words: List[str], offset: int) -> Optional[str]:
        arg = words[1] if len(words) > 1 else "flash:"
        if arg.split()[0] not in ("flash:", "flash:/", "bootflash:", "bootflash:/") and flash_path(arg.split()[0]) is None:
            raise CliError("invalid", offset)
        return flash_path(arg.split()[0])

    def do_dir(self, words: List[str], now: float) -> str:
        name = self._flash_arg(words, len("dir "))
        return self.router.flash.dir_text(now, name or None)

    def do_more(self, words: List[str], now: float) -> str:
        name = self._flash_arg(words, len("more "))
        if not name or not self.router.flash.exists(name):
            return "%%Error opening flash:/%s (No such file or directory)" % (name or "")
        return self.router.flash.files[name]["data"]

    def do_delete(self, words: List[str], now: float) -> str:
        rest = words[1].split()
        force = rest[0] == "/force"
        if force:
            rest = rest[1:]
        if len(rest) != 1 or not flash_path(rest[0]):
            raise CliError("invalid", len("delete ") + (len("/force ") if force else 0))
        name = flash_path(rest[0]) or ""
        if force:
            if not self.router.flash.delete(name):
                return "%%Error deleting flash:/%s (No such file or directory)" % name
            return ""
        self.pending_prompt = "Delete filename [%s]? " % name

        def confirm_name(line: str) -> str:
            target = flash_path(line.strip()) or line.strip() or name
            self.pending_prompt = "Delete flash:/%s? [confirm]" % target

            def confirm(answer: str) -> str:
                if answer.strip().lower() in ("", "y", "yes"):
                    if not self.router.flash.delete(target):
                        return "%%Error deleting flash:/%s (No such file or directory)\n" % target
                return ""

            self.pending = confirm
            return ""

        self.pending = confirm_name
        return None  # type: ignore[return-value]

    def do_write_mem(self, words: List[str], now: float) -> str:
        self.router.startup = self.router.config.copy()
        return "Building configuration...\n[OK]"

    def do_copy_run_start(self, words: List[str], now: float) -> str:
        self.pending_prompt = "Destination filename [startup-config]? "
        self.pending = self._copy_confirm
        return None  # type: ignore[return-value]

    def _copy_confirm(self, line: str) -> str:
        self.router.startup = self.router.config.copy()
        return "Building configuration...\n[OK]\n"
