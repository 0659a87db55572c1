# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netops.ipsec_spi.clear_state: the cool-down state and its lock, on the controller.

An action plugin rather than a module: it runs in the worker forked from ansible-playbook, so the
pid it writes into the lock is the playbook's own (os.getppid()), alive exactly as long as the run
that holds the lock. A module would record a short-lived interpreter's pid.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Mapping

from ansible.plugins.action import ActionBase

from ansible_collections.netops.ipsec_spi.plugins.module_utils import remediate, remediate_after
from ansible_collections.netops.ipsec_spi.plugins.module_utils import state as cstate
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError

NAME = "netops.ipsec_spi.clear_state"

SPEC = {
    "path": {"type": "path", "required": True},
    "step": {"type": "str", "required": True, "choices": ["read", "claim", "record", "release"]},
    "run_id": {"type": "str", "default": ""},
    "cooldown": {"type": "float", "default": 3600.0},
    "max_clears": {"type": "int"},
    "lock_timeout": {"type": "float", "default": 300.0},
    "lock_stale_after": {"type": "float", "default": 900.0},
    "hosts": {"type": "list", "elements": "str"},
    "todo": {"type": "dict", "default": {}},
    "readings": {"type": "dict", "default": {}},
    # Not `dict`: ansible-core 2.16-2.18 template a null lock to "" (see lock_arg).
    "lock": {"type": "raw"},
    "knobs": {"type": "dict", "default": {}},
    "clears": {"type": "dict", "default": {}},
}


def lock_arg(value):
    """The `lock` argument as the claim returned it (a mapping, or None when no lock is held).

    Accepted as any supported ansible-core passes `"{{ claim.lock }}"`: the mapping itself; the empty
    string, which is what ansible-core before 2.19 makes of a null; or the mapping as JSON text.
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            value = None
        if not isinstance(value, Mapping):
            raise ParseError("lock: a text lock must be the claim's lock as a JSON object, this is not a JSON object")
    if not isinstance(value, Mapping):
        raise ParseError("lock: expected the claim's lock (a mapping) or null, got %s" % type(value).__name__)
    token = value.get("token")
    if token is not None and not isinstance(token, str):
        raise ParseError("lock: its token must be a string, got %s" % type(token).__name__)
    return dict(value)


def _pending(todos):
    return any((t or {}).get("clears") for t in todos.values() if isinstance(t, dict))


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        del tmp  # no effect since ansible-core 2.10
        result = super().run(task_vars=task_vars)
        validation, args = self.validate_argument_spec(argument_spec=SPEC)
        del validation
        self._check = bool(self._task.check_mode)
        self._diff = bool(self._task.diff)
        path = cstate.real(args["path"])
        now = time.time()
        result.update(path=path, now=now, changed=False)
        step = args["step"]
        try:
            args["lock"] = lock_arg(args["lock"])
            result.update(getattr(self, "_" + step)(path, now, args))
        except cstate.LockHeld as exc:
            result.update(failed=True, msg="%s: %s" % (NAME, exc), holder=exc.holder)
        except ParseError as exc:
            result.update(failed=True, msg="%s: %s" % (NAME, exc))
        return result

    # -- steps ------------------------------------------------------------------------------------

    def _read(self, path, now, args):
        state = cstate.read(path, now)
        cstate.check_writable(path, create=not self._check)
        return {"state": state, "lock_path": cstate.lock_path(path)}

    def _claim(self, path, now, args):
        todos, hosts = args["todo"], args["hosts"]
        if hosts is not None:
            todos = {h: todos[h] for h in hosts if h in todos}
        if not _pending(todos):
            return {"todo": remediate.claim(todos, {}, {}, now, args["cooldown"], args["run_id"], hosts=list(todos)),
                    "lock": None}
        if self._check:
            # The dry run: the same decisions on a fresh read, holding nothing.
            final = remediate.claim(todos, args["readings"], cstate.read(path, now), now, args["cooldown"],
                                    args["run_id"], hosts=list(todos), max_clears=args["max_clears"])
            return {"todo": final, "lock": None}
        owner = cstate.lock_owner(args["run_id"], os.getppid(), socket.gethostname(), now)
        held = cstate.acquire(path, owner, timeout=args["lock_timeout"], stale_after=args["lock_stale_after"])
        if held.get("took_over"):
            self._display.warning("%s: took over the stale lock %s of %s" % (NAME, cstate.lock_path(path), held["took_over"]))
        try:
            now = time.time()
            final = remediate.claim(todos, args["readings"], cstate.read(path, now), now, args["cooldown"],
                                    args["run_id"], hosts=list(todos), max_clears=args["max_clears"])
        except Exception:
            cstate.release(path, held["token"])
            raise
        took_over = held.get("took_over") or ""
        if not _pending(final):
            cstate.release(path, held["token"])
            held = None
        return {"todo": final, "lock": held, "now": now, "took_over": took_over}

    def _record(self, path, now, args):
        todos, hosts = args["todo"], args["hosts"]
        hosts = [h for h in hosts if h in todos] if hosts is not None else sorted(todos)
        out = {"hosts": remediate_after.finish(todos, args["knobs"], args["clears"], self._check, hosts=hosts),
               "recorded": [], "released": False}
        performed = [a for h in hosts for a in out["hosts"][h]["performed"]]
        new = remediate_after.record({}, performed, now, args["run_id"])
        token = (args["lock"] or {}).get("token")
        if self._check or not new:
            if token and not self._check:
                out["released"] = cstate.release(path, token)
            return out
        if not token:
            raise ParseError("%d clear(s) were made without the state lock, refusing to guess their record: %s"
                             % (len(new), ", ".join(sorted(new))))
        before = {}

        def change(current):
            before.update({k: current[k] for k in new if k in current})
            return dict(current, **new)

        try:
            cstate.commit(path, token, change, now)
        except ParseError as exc:
            cstate.release(path, token)
            raise ParseError("the clears %s were made but could not be recorded, so their cool-down is not "
                             "remembered: %s" % (", ".join(sorted(new)), exc)) from None
        out.update(recorded=sorted(new), changed=True, released=cstate.release(path, token))
        if self._diff:
            out["diff"] = {"before_header": path, "after_header": path,
                           "before": json.dumps(before, indent=2, sort_keys=True) + "\n",
                           "after": json.dumps(new, indent=2, sort_keys=True) + "\n"}
        return out

    def _release(self, path, now, args):
        token = (args["lock"] or {}).get("token")
        return {"released": bool(token) and not self._check and cstate.release(path, token)}
