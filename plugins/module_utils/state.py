# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cool-down state file of the remediation, and the lock that serialises clears.

The state maps ``host|peer`` to the last clear of that peer (``{time, run_id, ...}``). It is what
keeps a peer from being cleared twice within the cool-down, across runs, so it is never trusted
blindly (a state read wrong bypasses the cool-down): it is validated and refused with the file
and what is wrong, and its path is proven writable before the first clear.

Two runs that overlap (two AWX jobs, sliced jobs, an operator and a schedule) must not both clear
the same peer, nor lose each other's entries. So every clear happens under one lock, a file beside
the state file created atomically (O_EXCL, which also holds on NFS v3+ and the usual shared volumes):
take the lock, read the state, check the cool-down, clear, write the state (atomic replace), drop
the lock. A lock is stale when its owner's process is gone (same host only: another host's pids
cannot be seen) or it is older than ``stale_after``; a stale lock is taken over, never one in use.

Pure Python, no Ansible imports: the clear_state action plugin is the thin wrapper.
"""

from __future__ import annotations

import json
import math
import os
import socket
import tempfile
import time
import uuid
from typing import Any, Callable, Dict, List, Mapping, Optional

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError

# Controllers and job pods disagree on the time by a little; more than this is a wrong clock or an
# edited file, and a time far ahead would hold a peer in cool-down for good.
FUTURE_SKEW = 300.0
LOCK_SUFFIX = ".lock"
MAX_STATE_BYTES = 64 * 1024 * 1024
_SHOWN = 10


class StateError(ParseError):
    """The state file cannot be used. The message names the file and what is wrong."""


class LockHeld(StateError):
    """Another run holds the lock. ``holder`` is what its lock file says (may be empty)."""

    def __init__(self, message: str, holder: Mapping[str, Any]) -> None:
        super().__init__(message)
        self.holder = dict(holder)


def real(path: str) -> str:
    """The path every run agrees on: ~ expanded and symlinks resolved, so they share one lock."""
    if not isinstance(path, str) or not path.strip():
        raise StateError("the cool-down state file path is empty")
    return os.path.realpath(os.path.expanduser(path))


def lock_path(path: str) -> str:
    return real(path) + LOCK_SUFFIX


# --------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------

def _time_problem(value: Any, now: float) -> Optional[str]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "time is %s (%r), expected seconds since the epoch" % (type(value).__name__, value)
    try:
        number = float(value)
    except OverflowError:
        return "time %s is not a finite number" % str(value)[:40]
    if not math.isfinite(number):
        return "time %r is not a finite number" % value
    if number > now + FUTURE_SKEW:
        return ("time %.0f is %.0f s in the future (a controller clock set wrong, or an edited file)"
                % (number, number - now))
    return None


def validate(data: Any, now: float, where: str) -> Dict[str, Dict[str, Any]]:
    """A copy of the state with every entry checked; StateError lists what is wrong, by key.

    An entry is ``"host|peer": {"time": <epoch seconds>, "run_id": <str>, ...}``; other keys
    (spi, command, receiver, sender_addr) are kept as they are.
    """
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise StateError("%s: the cool-down state holds a %s, expected a JSON object mapping "
                         "'host|peer' to {time, run_id}" % (where, type(data).__name__))
    out: Dict[str, Dict[str, Any]] = {}
    problems: List[str] = []
    for key, entry in data.items():
        if not isinstance(key, str) or "|" not in key:
            problems.append("key %r is not 'host|peer'" % (key,))
            continue
        if not isinstance(entry, Mapping):
            problems.append("entry %r is %s, expected {time, run_id}" % (key, type(entry).__name__))
            continue
        bad = _time_problem(entry.get("time"), now)
        if bad:
            problems.append("entry %r: %s" % (key, bad))
            continue
        run_id = entry.get("run_id", "")
        if run_id is not None and not isinstance(run_id, str):
            problems.append("entry %r: run_id is %s, expected a string" % (key, type(run_id).__name__))
            continue
        out[key] = dict(entry, time=float(entry["time"]))
    if problems:
        more = "" if len(problems) <= _SHOWN else " (and %d more)" % (len(problems) - _SHOWN)
        raise StateError("%s: the cool-down state cannot be trusted, so no clear is made: %s%s. "
                         "Fix or remove those entries (the file is JSON)"
                         % (where, "; ".join(problems[:_SHOWN]), more))
    return out


def parse(text: str, now: float, where: str) -> Dict[str, Dict[str, Any]]:
    """The state from the file's text; blank means no earlier clears."""
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        detail = "line %d column %d: %s" % (exc.lineno, exc.colno, exc.msg) if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise StateError("%s is not valid JSON (%s); it is the remediation's cool-down state: "
                         "repair it, or remove it to forget every earlier clear" % (where, detail)) from None
    return validate(data, now, where)


# --------------------------------------------------------------------------------------------------
# Reading and writing
# --------------------------------------------------------------------------------------------------

def _os_problem(exc: OSError) -> str:
    return exc.strerror or str(exc)


def read(path: str, now: float) -> Dict[str, Dict[str, Any]]:
    """The validated state of ``path``; a missing file is an empty state."""
    where = real(path)
    try:
        with open(where, "rb") as handle:
            raw = handle.read(MAX_STATE_BYTES + 1)
    except FileNotFoundError:
        return {}
    except IsADirectoryError:
        raise StateError("%s is a directory, not the cool-down state file" % where) from None
    except OSError as exc:
        raise StateError("cannot read the cool-down state %s: %s" % (where, _os_problem(exc))) from None
    if len(raw) > MAX_STATE_BYTES:
        raise StateError("%s is larger than %d bytes: not a cool-down state" % (where, MAX_STATE_BYTES))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StateError("%s is not UTF-8 text (byte %d): not a cool-down state; repair or remove it"
                         % (where, exc.start)) from None
    return parse(text, now, where)


def _existing_parent(directory: str) -> str:
    while directory and not os.path.exists(directory):
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return directory


def check_writable(path: str, create: bool) -> None:
    """Prove the state can be written: before the first clear, not after it.

    ``create`` (a real run) makes the directory (0700) and writes and removes a probe file in it,
    which is exactly what the atomic replace needs. Without it (check mode) nothing is created:
    the nearest existing directory must be writable.
    """
    where = real(path)
    directory = os.path.dirname(where)
    if os.path.isdir(where):
        raise StateError("%s is a directory, not the cool-down state file" % where)
    if not create:
        parent = _existing_parent(directory)
        if not os.path.isdir(parent):
            raise StateError("cannot write the cool-down state %s: %s is not a directory" % (where, parent))
        if not os.access(parent, os.W_OK | os.X_OK):
            raise StateError("cannot write the cool-down state %s: %s is not writable" % (where, parent))
        return
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    except OSError as exc:
        blocker = _existing_parent(directory)
        raise StateError("cannot create the directory of the cool-down state %s: %s (%s)"
                         % (where, _os_problem(exc), blocker)) from None
    try:
        fd, probe = tempfile.mkstemp(prefix=".probe-", dir=directory)
    except OSError as exc:
        raise StateError("cannot write the cool-down state %s: %s in %s" % (where, _os_problem(exc), directory)) from None
    try:
        os.write(fd, b"{}")
        os.fsync(fd)
    except OSError as exc:
        raise StateError("cannot write the cool-down state %s: %s" % (where, _os_problem(exc))) from None
    finally:
        os.close(fd)
        os.unlink(probe)


def write(path: str, state: Mapping[str, Any]) -> None:
    """Replace the state file atomically: a reader sees the old file or the new one, never half."""
    where = real(path)
    directory = os.path.dirname(where)
    text = json.dumps(state, indent=2, sort_keys=True, allow_nan=False) + "\n"
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".clear-state-", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise StateError("cannot write the cool-down state %s: %s" % (where, _os_problem(exc))) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, where)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise StateError("cannot write the cool-down state %s: %s" % (where, _os_problem(exc))) from None
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass  # some filesystems refuse fsync on a directory; the replace itself is done
    finally:
        os.close(dir_fd)


# --------------------------------------------------------------------------------------------------
# The lock
# --------------------------------------------------------------------------------------------------

def lock_owner(run_id: str, pid: int, host: Optional[str] = None, when: Optional[float] = None) -> Dict[str, Any]:
    """What a lock file says about its holder; ``pid`` is the ansible-playbook process."""
    when = time.time() if when is None else when
    return {"token": uuid.uuid4().hex, "run_id": str(run_id or ""), "pid": int(pid),
            "host": host or socket.gethostname(), "time": float(when),
            "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))}


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process, alive
    except OSError:
        return True
    return True


def _read_lock(lock: str) -> Dict[str, Any]:
    try:
        with open(lock, "r", encoding="utf-8") as handle:
            data = json.loads(handle.read(65536) or "{}")
    except (OSError, ValueError):
        return {}
    return dict(data) if isinstance(data, Mapping) else {}


def describe(holder: Mapping[str, Any], now: float) -> str:
    if not holder:
        return "an unreadable lock file"
    age = now - float(holder.get("time") or now)
    return "run %s (pid %s on host %s, since %s, %.0f s ago)" % (
        holder.get("run_id") or "?", holder.get("pid", "?"), holder.get("host") or "?", holder.get("since") or "?", age)


def stale_reason(holder: Mapping[str, Any], mtime: float, now: float, stale_after: float, this_host: str,
                 alive: Callable[[int], bool]) -> Optional[str]:
    """Why a lock may be taken over, or None while its holder may still be clearing."""
    stamp = holder.get("time")
    when = float(stamp) if isinstance(stamp, (int, float)) else mtime
    if now - when > stale_after:
        return "its lock is %.0f s old, more than %.0f s" % (now - when, stale_after)
    pid = holder.get("pid")
    if holder.get("host") == this_host and isinstance(pid, int) and not alive(pid):
        return "its process %d on %s is gone" % (pid, this_host)
    return None


def _take_over(lock: str, seen: os.stat_result, token: str) -> bool:
    """Remove the stale lock we judged, and only that one (a newer lock may have replaced it)."""
    tomb = "%s.stale-%s" % (lock, token)
    try:
        os.rename(lock, tomb)
    except FileNotFoundError:
        return False
    moved = os.stat(tomb)
    if (moved.st_ino, moved.st_dev, moved.st_mtime_ns) != (seen.st_ino, seen.st_dev, seen.st_mtime_ns):
        # Someone took the lock between our look and the rename: give it back, untouched.
        try:
            os.link(tomb, lock)
        except OSError:
            pass
        os.unlink(tomb)
        return False
    os.unlink(tomb)
    return True


def acquire(path: str, owner: Mapping[str, Any], timeout: float, stale_after: float, poll: float = 0.5,
            now: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
            alive: Callable[[int], bool] = pid_alive, this_host: Optional[str] = None) -> Dict[str, Any]:
    """Take the lock beside ``path``, waiting up to ``timeout`` s; LockHeld names the holder."""
    lock = lock_path(path)
    this_host = this_host or str(owner.get("host") or socket.gethostname())
    mine = dict(owner, took_over="", waited=0.0)
    started = now()
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            fd = -1
        except OSError as exc:
            raise StateError("cannot create the lock %s of the cool-down state: %s" % (lock, _os_problem(exc))) from None
        if fd >= 0:
            mine["waited"] = round(now() - started, 3)
            payload = json.dumps(mine, sort_keys=True).encode("utf-8")
            try:
                os.write(fd, payload)
                os.fsync(fd)
            finally:
                os.close(fd)
            return mine
        try:
            seen = os.stat(lock)
        except FileNotFoundError:
            continue  # released between our try and our look
        holder = _read_lock(lock)
        current = now()
        why = stale_reason(holder, seen.st_mtime, current, stale_after, this_host, alive)
        if why is not None:
            if _take_over(lock, seen, str(owner.get("token"))):
                mine["took_over"] = "%s: %s" % (describe(holder, current), why)
            continue
        waited = current - started
        if waited >= timeout:
            raise LockHeld(
                "the cool-down state %s is locked by %s; waited %.0f s. Another remediation is clearing SAs: "
                "let it finish and run again. If no remediation runs, remove %s (it is taken over by itself "
                "once older than %.0f s, or on %s once pid %s has exited)"
                % (real(path), describe(holder, current), waited, lock, stale_after,
                   holder.get("host") or "its host", holder.get("pid", "?")), holder)
        sleep(min(poll, timeout - waited))


def holds(path: str, token: str) -> bool:
    return bool(token) and _read_lock(lock_path(path)).get("token") == token


def release(path: str, token: str) -> bool:
    """Drop our lock; someone else's is left alone. True when ours was removed."""
    lock = lock_path(path)
    if not holds(path, token):
        return False
    try:
        os.unlink(lock)
    except FileNotFoundError:
        return False
    return True


def commit(path: str, token: str, change: Callable[[Dict[str, Dict[str, Any]]], Mapping[str, Any]],
           now: float) -> Dict[str, Dict[str, Any]]:
    """Read-modify-write of the state under our lock. Returns the state written."""
    if not holds(path, token):
        raise StateError("not writing the cool-down state %s: this run does not hold its lock %s "
                         "(taken over as stale?)" % (real(path), lock_path(path)))
    new = dict(change(read(path, now)))
    validate(new, now, real(path))
    write(path, new)
    return new


__all__ = ["StateError", "LockHeld", "FUTURE_SKEW", "validate", "parse", "read", "check_writable", "write",
           "lock_owner", "acquire", "holds", "release", "commit", "lock_path", "real"]
