# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netops.ipsec_spi.store: the remediation's store (cool-down claims), on the controller.

A thin wrapper over module_utils/store and remediate: every result has a size bounded by the batch
or one cool-down's clears, never the store's history.
"""

from __future__ import annotations

import json
import time

from ansible.plugins.action import ActionBase

from collections.abc import Mapping

from ansible_collections.netops.ipsec_spi.plugins.module_utils import history_run, remediate, remediate_after
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError
from ansible_collections.netops.ipsec_spi.plugins.module_utils.store import mask, open_store
from ansible_collections.netops.ipsec_spi.plugins.module_utils.store.lifecycle import describe_open_claims, open_for_run

NAME = "netops.ipsec_spi.store"

SPEC = {
    "store": {"type": "str", "required": True, "no_log": False},
    "step": {"type": "str", "required": True, "choices": ["open", "claim", "record", "run", "history"]},
    "run_id": {"type": "str", "default": ""},
    "cooldown": {"type": "float", "default": 3600.0},
    "max_clears": {"type": "int"},
    "lock_timeout": {"type": "float", "default": 300.0},
    "retention_days": {"type": "float", "default": 90.0},
    "legacy_state": {"type": "path"},
    "hosts": {"type": "list", "elements": "str"},
    "todo": {"type": "dict", "default": {}},
    "readings": {"type": "dict", "default": {}},
    "knobs": {"type": "dict", "default": {}},
    "clears": {"type": "dict", "default": {}},
    "assessments": {"type": "dict", "default": {}},
    "source": {"type": "str", "default": "audit", "choices": ["audit", "remediate", "eda", "capture", "fleet"]},
    "settings": {"type": "dict", "default": {}},
    "waivers": {"type": "list", "elements": "dict", "default": []},
    "record_actions": {"type": "bool", "default": False},
    "result_var": {"type": "str", "default": "_ipsec_spi_gathered"},
}


class _Facts(Mapping):
    """Router -> this run's ipsec_spi facts, read from hostvars only for the routers asked for (the
    recurring pairs' ends), never for the whole fleet."""

    def __init__(self, hostvars, result_var):
        self._hostvars, self._var = hostvars or {}, result_var

    def __getitem__(self, host):
        if host not in self._hostvars:
            raise KeyError(host)
        hv = self._hostvars[host]
        result = hv.get(self._var) if hasattr(hv, "get") else None
        facts = (result or {}).get("ansible_facts", {}).get("ipsec_spi") if isinstance(result, Mapping) else None
        if facts is None and hasattr(hv, "get"):
            facts = hv.get("ipsec_spi")  # the fact cache (fleet assessment on the controller)
        if not isinstance(facts, Mapping):
            raise KeyError(host)
        return facts

    def __contains__(self, host):
        try:
            self[host]
        except KeyError:
            return False
        return True

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0


def _pending(todos):
    return any((t or {}).get("clears") for t in todos.values() if isinstance(t, dict))


def _claimed(todos, hosts):
    return [(h, a["peer"]) for h in hosts for a in (todos.get(h) or {}).get("actions") or []
            if a.get("decision") == "run" and a.get("action") in remediate.CLEAR_ACTIONS]


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
        self._task_vars = task_vars
        now = time.time()
        result.update(store=mask(args["store"]), now=now, changed=False)
        try:
            result.update(getattr(self, "_step_" + args["step"])(now, args))
        except ParseError as exc:  # StoreError included: it names the store, password masked
            result.update(failed=True, msg=mask("%s: %s" % (NAME, exc)))
        return result

    def _step_open(self, now, args):
        out = open_for_run(args["store"], now, args["cooldown"], args["run_id"], check=self._check,
                           legacy=args["legacy_state"], retention_days=args["retention_days"],
                           wait=args["lock_timeout"], hosts=args["hosts"])
        warning = describe_open_claims(out["open_claims"])
        if warning:
            self._display.warning("%s: %s" % (NAME, warning))
        if out.get("imported"):
            self._display.display("%s: imported %d cool-down entries from %s into %s (the file is left alone)"
                                  % (NAME, out["imported"]["entries"] or 0, out["imported"]["file"], out["store"]))
        out["changed"] = bool(out.get("migrated") or out.get("imported") or out.get("pruned"))
        return out

    def _step_claim(self, now, args):
        todos, hosts = args["todo"], args["hosts"]
        if hosts is not None:
            todos = {h: todos[h] for h in hosts if h in todos}
        batch = list(todos)
        if not _pending(todos):
            return {"todo": remediate.claim(todos, {}, {}, now, args["cooldown"], args["run_id"], hosts=batch),
                    "claimed": []}
        if self._check:
            # The dry run: the same decisions on a fresh read, claiming nothing.
            seen = open_for_run(args["store"], now, args["cooldown"], args["run_id"], check=True,
                                legacy=args["legacy_state"], retention_days=args["retention_days"], wait=args["lock_timeout"])
            final = remediate.claim(todos, args["readings"], seen["state"], now, args["cooldown"], args["run_id"],
                                    hosts=batch, max_clears=args["max_clears"])
            return {"todo": final, "claimed": []}
        with open_store(args["store"], wait=args["lock_timeout"], opened=True) as store:
            final, now = remediate.claim_in(store, todos, args["readings"], args["cooldown"], args["run_id"],
                                            hosts=batch, max_clears=args["max_clears"])
        claimed = ["%s|%s" % pair for pair in _claimed(final, batch)]
        return {"todo": final, "now": now, "claimed": claimed, "changed": bool(claimed)}

    def _step_record(self, now, args):
        todos, hosts = args["todo"], args["hosts"]
        hosts = [h for h in hosts if h in todos] if hosts is not None else sorted(todos)
        out = {"hosts": remediate_after.finish(todos, args["knobs"], args["clears"], self._check, hosts=hosts),
               "recorded": []}
        performed = [a for h in hosts for a in out["hosts"][h]["performed"]]
        made = remediate_after.record({}, performed, now, args["run_id"])
        claimed = _claimed(todos, hosts)
        if self._check or not claimed:
            if made and not self._check:
                raise ParseError("%d clear(s) were made without a claim in the store, refusing to guess their record: %s"
                                 % (len(made), ", ".join(sorted(made))))
            return out
        outcomes = [(h, p, "%s|%s" % (h, p) in made) for h, p in claimed]
        try:
            with open_store(args["store"], wait=args["lock_timeout"], opened=True) as store:
                missing = store.finish(args["run_id"], outcomes, now)
        except ParseError as exc:
            raise ParseError("%s; the clears %s were sent but are not marked done: their claims, written before the "
                             "clears, keep them in their cool-down" % (exc, ", ".join(sorted(made)) or "(none)")) from None
        unclaimed = sorted("%s|%s" % m for m in missing if "%s|%s" % m in made)
        if unclaimed:
            raise ParseError("the clears %s were made but their claims are gone from the store %s (pruned, or the "
                             "store was replaced during the run)" % (", ".join(unclaimed), mask(args["store"])))
        out.update(recorded=sorted(made), changed=True)
        if self._task.diff:
            before = {"%s|%s" % (h, p): "claimed" for h, p, _done in outcomes}
            after = {"%s|%s" % (h, p): "cleared" if done else "not_cleared" for h, p, done in outcomes}
            out["diff"] = {"before_header": mask(args["store"]), "after_header": mask(args["store"]),
                           "before": json.dumps(before, indent=2, sort_keys=True) + "\n",
                           "after": json.dumps(after, indent=2, sort_keys=True) + "\n"}
        return out

    def _step_history(self, now, args):
        out = history_run.step(args["store"], args["assessments"], now, args["source"], args["run_id"],
                               _Facts((self._task_vars or {}).get("hostvars"), args["result_var"]), args["settings"],
                               args["waivers"], record_actions=args["record_actions"], check=self._check,
                               wait=args["lock_timeout"])
        # Like the report's files: a record of what the run saw, not a change it made (a second run over the
        # same fleet must read as changing nothing); "history_rows" says what was written.
        out["changed"] = False
        return out

    def _step_run(self, now, args):
        del now
        with open_store(args["store"], wait=args["lock_timeout"], create=not self._check) as store:
            clears = store.run_clears(args["run_id"]) if store.readable() else []
        return {"clears": clears}
