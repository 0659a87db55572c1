"""Embedded Event Manager applets for the lab's routers.

The lab's own reading of EEM (independent of the collection's checker, so each can catch the other's
mistakes): applets are read from the running-config (`event manager applet NAME`), syslog applets run when
the router logs a message their `event syslog pattern` matches (honouring `ratelimit`), `event timer
watchdog` applets run every `time` seconds, and the actions run in ascending string order of their labels,
as IOS does.  `cli command` runs through the router's own command line at that simulated moment, `file
open|puts|close` write to `flash:`, which is finite: a write that does not fit fails, and the applet stops
there with `%HA_EM-3-FMPD_ERROR`, as on IOS (flash: itself is labsim.flash).
"""
from __future__ import annotations

import datetime
import re
from typing import Any, Dict, List, Optional, Tuple

from .cli import Session
from .flash import flash_path

EEM_STEP = 1.0            # simulated seconds between applet dispatches while any applet is configured
CLI_SECONDS = 0.25        # simulated run time of one `cli command` (for maxrun)
DEFAULT_MAXRUN = 20.0
RUNS_KEPT = 300
_PRIO = {"emergencies": 0, "alerts": 1, "critical": 2, "errors": 3, "warnings": 4, "notifications": 5,
         "informational": 6, "debugging": 7}
_VAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class EemError(Exception):
    pass


def tokenize(line: str) -> List[str]:
    out: List[str] = []
    i, n = 0, len(line)
    while i < n:
        if line[i] == " ":
            i += 1
            continue
        if line[i] == '"':
            j = i + 1
            buf = []
            while j < n and line[j] != '"':
                if line[j] == "\\" and j + 1 < n and line[j + 1] in '"\\':
                    buf.append(line[j + 1])
                    j += 2
                    continue
                buf.append(line[j])
                j += 1
            if j >= n:
                raise EemError("unterminated string")
            out.append("".join(buf))
            i = j + 1
            continue
        j = i
        while j < n and line[j] != " ":
            j += 1
        out.append(line[i:j])
        i = j
    return out


# ----- applets -------------------------------------------------------------------------------------------
class Applet:
    def __init__(self, name: str, lines: List[str]) -> None:
        self.name = name
        self.text = "\n".join(lines)
        self.kind: Optional[str] = None
        self.pattern: Optional["re.Pattern[str]"] = None
        self.ratelimit = 0.0
        self.maxrun = DEFAULT_MAXRUN
        self.period = 0.0
        self.actions: List[Tuple[str, List[str]]] = []
        self.error: Optional[str] = None
        try:
            self._parse(lines)
        except (EemError, re.error, ValueError, IndexError) as exc:
            self.error = str(exc)

    def _parse(self, lines: List[str]) -> None:
        for raw in lines:
            words = tokenize(raw.strip())
            if words[0] == "event":
                opts = words[1:]
                if opts[:1] == ["syslog"]:
                    self.kind = "syslog"
                    i = 1
                    while i < len(opts):
                        key = opts[i]
                        if key == "pattern":
                            self.pattern = re.compile(opts[i + 1])
                        elif key == "ratelimit":
                            self.ratelimit = float(opts[i + 1])
                        elif key == "maxrun":
                            self.maxrun = float(opts[i + 1])
                        i += 2
                elif opts[:2] == ["timer", "watchdog"]:
                    self.kind = "watchdog"
                    i = 2
                    while i < len(opts):
                        if opts[i] == "time":
                            self.period = float(opts[i + 1])
                        elif opts[i] == "maxrun":
                            self.maxrun = float(opts[i + 1])
                        elif opts[i] == "ratelimit":
                            self.ratelimit = float(opts[i + 1])
                        i += 2
                elif opts[:1] == ["none"]:
                    self.kind = "none"
            elif words[0] == "action" and len(words) >= 3:
                self.actions.append((words[1], words[2:]))
        # IOS runs actions sorted by label as strings.
        self.actions.sort(key=lambda a: a[0])


def applets_of(config: Any) -> Dict[str, Applet]:
    out: Dict[str, Applet] = {}
    for node in config.root.children:
        words = node.text.split()
        if len(words) >= 4 and words[:3] == ["event", "manager", "applet"]:
            out[words[3]] = Applet(words[3], [c.text for c in node.children])
    return out


class Engine:
    """Applets of the whole fleet: registration on config change, dispatch from Fleet.sync()."""

    def __init__(self, fleet: Any) -> None:
        self.fleet = fleet
        self.applets: Dict[str, Dict[str, Applet]] = {}
        self.timers: Dict[Tuple[str, str], float] = {}
        self.last_run: Dict[Tuple[str, str], float] = {}
        self.pending: List[Tuple[float, int, str, str, str]] = []
        self.seq = 0

    @property
    def active(self) -> bool:
        return any(self.applets.values())

    def config_changed(self, router: Any, now: float) -> None:
        new = applets_of(router.config)
        old = self.applets.get(router.name, {})
        for name, applet in new.items():
            key = (router.name, name)
            if name not in old or old[name].text != applet.text:
                self.last_run.pop(key, None)
                self.timers.pop(key, None)
                if applet.kind == "watchdog" and applet.period > 0:
                    self.timers[key] = now + applet.period
        for name in old:
            if name not in new:
                self.timers.pop((router.name, name), None)
                self.last_run.pop((router.name, name), None)
        self.applets[router.name] = new

    def on_log(self, router: Any, epoch: float, line: str) -> None:
        for name, applet in self.applets.get(router.name, {}).items():
            if applet.kind == "syslog" and applet.pattern is not None and applet.error is None \
                    and applet.pattern.search(line):
                self.seq += 1
                self.pending.append((epoch, self.seq, router.name, name, line))

    def dispatch(self, until: float) -> None:
        """Run every trigger and timer due up to `until`, in time order."""
        while True:
            due: List[Tuple[float, int, str, str, Optional[str]]] = [p for p in self.pending if p[0] <= until]
            for (rname, aname), at in self.timers.items():
                if at <= until:
                    due.append((at, 0, rname, aname, None))
            if not due:
                return
            due.sort(key=lambda d: (d[0], d[1]))
            at, seq, rname, aname, line = due[0]
            if line is not None:
                self.pending.remove((at, seq, rname, aname, line))
            else:
                applet = self.applets.get(rname, {}).get(aname)
                self.timers[(rname, aname)] = at + (applet.period if applet else 1e18)
            self._trigger(rname, aname, at, line)

    def _trigger(self, rname: str, aname: str, at: float, line: Optional[str]) -> None:
        router = self.fleet.routers[rname]
        applet = self.applets.get(rname, {}).get(aname)
        if applet is None:
            return
        key = (rname, aname)
        last = self.last_run.get(key)
        if applet.ratelimit and last is not None and at - last < applet.ratelimit:
            self._record(router, aname, at, "ratelimited")
            return
        self.last_run[key] = at
        Run(self, router, applet, at, line).execute()

    def _record(self, router: Any, applet: str, at: float, result: str) -> None:
        router.eem_runs.append({"applet": applet, "time": at, "result": result})
        if len(router.eem_runs) > RUNS_KEPT:
            del router.eem_runs[: len(router.eem_runs) - RUNS_KEPT]


class Run:
    """One execution of an applet."""

    def __init__(self, engine: Engine, router: Any, applet: Applet, at: float, line: Optional[str]) -> None:
        self.engine = engine
        self.router = router
        self.applet = applet
        self.at = at
        self.elapsed = 0.0
        dt = datetime.datetime.fromtimestamp(at, tz=datetime.timezone.utc)
        self.vars: Dict[str, str] = {
            "_event_pub_sec": str(int(at)), "_event_pub_msec": str(int((at % 1) * 1000)),
            "_event_pub_time": dt.strftime("%a %b %d %H:%M:%S %Y"), "_event_id": str(engine.seq),
            "_event_type_string": "syslog" if line is not None else "timer watchdog", "_job_id": str(engine.seq),
        }
        if line is not None:
            self.vars["_syslog_msg"] = line
        else:
            self.vars["_timer_time"] = "%.3f" % at
        self.session = Session(engine.fleet, router, peer="eem")
        self.session.eem = True
        self.handles: Dict[str, str] = {}

    def sub(self, text: str) -> str:
        return _VAR.sub(lambda m: self.vars.get(m.group(1), m.group(0)), text)

    def fail(self, label: str, why: str) -> None:
        self.router.emit(self.at + self.elapsed, "%%HA_EM-3-FMPD_ERROR: Error executing applet %s statement %s"
                         % (self.applet.name, label))
        self.engine._record(self.router, self.applet.name, self.at, "error at %s: %s" % (label, why))

    def execute(self) -> None:
        applet = self.applet
        if applet.error:
            self.fail("-", applet.error)
            return
        acts = applet.actions
        # Block structure: for each if/while, where its else/elseif/end are.
        match: Dict[int, List[int]] = {}
        stack: List[int] = []
        for i, (_label, words) in enumerate(acts):
            verb = words[0]
            if verb in ("if", "while") and not (verb == "if" and "goto" in words):
                stack.append(i)
                match[i] = []
            elif verb in ("else", "elseif") and stack:
                match[stack[-1]].append(i)
            elif verb == "end" and stack:
                match[stack.pop()].append(i)
        owner = {j: i for i, js in match.items() for j in js}
        pc = 0
        steps = 0
        while pc < len(acts):
            steps += 1
            if steps > 10000:
                self.fail(acts[pc][0], "too many steps")
                return
            label, words = acts[pc]
            verb = words[0]
            try:
                if verb in ("if", "elseif") and not (verb == "if" and "goto" in words):
                    if verb == "elseif":
                        # Reached from a taken branch: skip to the end of the block.
                        pc = match[owner[pc]][-1] + 1
                        continue
                    if self.cond(words[1:4]):
                        pc += 1
                    else:
                        pc = self._next_branch(pc, match)
                    continue
                if verb == "if":        # if ... goto LABEL
                    if self.cond(words[1:4]):
                        pc = [a[0] for a in acts].index(words[5])
                    else:
                        pc += 1
                    continue
                if verb == "else":
                    pc = match[owner[pc]][-1] + 1
                    continue
                if verb == "end":
                    start = owner.get(pc)
                    if start is not None and acts[start][1][0] == "while":
                        pc = start
                        continue
                    pc += 1
                    continue
                if verb == "while":
                    pc = pc + 1 if self.cond(words[1:4]) else match[pc][-1] + 1
                    continue
                if verb == "exit":
                    self.engine._record(self.router, applet.name, self.at, "exit at %s" % label)
                    return
                self.action(label, words)
            except EemError as exc:
                self.fail(label, str(exc))
                return
            if self.elapsed > applet.maxrun:
                self.fail(label, "maxrun %.0f s exceeded" % applet.maxrun)
                return
            pc += 1
        self.engine._record(self.router, applet.name, self.at, "ok")

    def _next_branch(self, pc: int, match: Dict[int, List[int]]) -> int:
        acts = self.applet.actions
        for j in match.get(pc, []):
            verb = acts[j][1][0]
            if verb == "else":
                return j + 1
            if verb == "elseif":
                if self.cond(acts[j][1][1:4]):
                    return j + 1
                continue
            return j + 1   # end
        return len(acts)

    def cond(self, parts: List[str]) -> bool:
        if len(parts) != 3:
            raise EemError("bad condition")
        a, op, b = self.sub(parts[0]), parts[1], self.sub(parts[2])
        if op in ("eq", "ne") and not (re.match(r"^-?\d+$", a) and re.match(r"^-?\d+$", b)):
            return (a == b) == (op == "eq")
        try:
            x, y = int(a), int(b)
        except ValueError:
            raise EemError("%s needs numbers: %r %r" % (op, a, b))
        return {"eq": x == y, "ne": x != y, "gt": x > y, "ge": x >= y, "lt": x < y, "le": x <= y}[op]

    def action(self, label: str, words: List[str]) -> None:
        verb, args = words[0], words[1:]
        now = self.at + self.elapsed
        if verb == "cli":
            cmd = self.sub(args[1])
            self.elapsed += CLI_SECONDS
            session = self.session
            prompt = session.prompt
            self.router.history.append({"time": now, "command": cmd, "prompt": prompt,
                                        "session": "eem:%s" % self.applet.name})
            if not cmd.strip():
                out = ""
            elif session.pending is not None:
                handler, session.pending = session.pending, None
                out = handler(cmd) or ""
            else:
                out = session._exec_line(cmd, prompt, now)
            self.vars["_cli_result"] = out + session.prompt
        elif verb == "regexp":
            pattern, text = self.sub(args[0]), self.sub(args[1])
            m = re.search(pattern, text)
            self.vars["_regexp_result"] = "1" if m else "0"
            if m:
                names = args[2:]
                groups = [m.group(0)] + list(m.groups())
                for name, value in zip(names, groups):
                    self.vars[name] = value or ""
        elif verb == "set":
            self.vars[args[0].lstrip("$")] = self.sub(args[1])
        elif verb == "append":
            name = args[0].lstrip("$")
            self.vars[name] = self.vars.get(name, "") + (self.sub(args[1]) if len(args) > 1 else "")
        elif verb in ("increment", "decrement"):
            name = args[0].lstrip("$")
            step = int(self.sub(args[1])) if len(args) > 1 else 1
            self.vars[name] = str(int(self.vars.get(name, "0")) + (step if verb == "increment" else -step))
        elif verb == "syslog":
            prio = _PRIO.get(args[args.index("priority") + 1], 6) if "priority" in args else 6
            msg = self.sub(args[args.index("msg") + 1])
            self.router.emit(now, "%%HA_EM-%d-LOG: %s: %s" % (prio, self.applet.name, msg))
        elif verb == "info" and args[:2] == ["type", "routername"]:
            self.vars["_info_routername"] = self.session.hostname
        elif verb == "file":
            self.file_op(args, now)
        elif verb in ("comment", "puts", "wait"):
            pass
        else:
            raise EemError("action %s is not supported by the lab" % verb)

    def file_op(self, args: List[str], now: float) -> None:
        op = args[0]
        flash = self.router.flash
        if op == "open":
            handle, path, mode = args[1], flash_path(self.sub(args[2])), args[3]
            if path is None:
                raise EemError("only flash: files")
            if mode.startswith("r") and not flash.exists(path):
                raise EemError("no such file %s" % path)
            if mode.startswith("w") or not flash.exists(path):
                if not flash.write(path, "", now, append=not mode.startswith("w")):
                    raise EemError("no space left on device")
            self.handles[handle] = path
        elif op == "puts":
            handle = args[1]
            if handle not in self.handles:
                raise EemError("file handle %s is not open" % handle)
            text = self.sub(args[-1]) + ("" if "nonewline" in args[2:-1] else "\n")
            if not flash.write(self.handles[handle], text, now):
                raise EemError("no space left on device")
        elif op == "close":
            self.handles.pop(args[1], None)
        elif op == "delete":
            flash.delete(flash_path(self.sub(args[1])) or "")
        else:
            raise EemError("file %s is not supported by the lab" % op)
