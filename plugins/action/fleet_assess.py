# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netops.ipsec_spi.fleet_assess: the fleet-wide assessment from Ansible's fact cache, on the controller.

Reads each router's cached ``ipsec_spi`` facts straight from the configured cache plugin
(the one a sliced gather wrote to), not through ``hostvars``: building a host's variables
costs milliseconds, which on 10,000 routers is the whole budget. Connects to no router.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from collections.abc import Mapping

from ansible import constants as C
from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible.plugins.loader import cache_loader
from ansible.release import __version__ as ANSIBLE_CORE_VERSION
from ansible.utils.display import Display

from ansible_collections.netops.ipsec_spi.plugins.module_utils import history_run
from ansible_collections.netops.ipsec_spi.plugins.module_utils.assess import assess_fleet, no_cached_facts
from ansible_collections.netops.ipsec_spi.plugins.module_utils.bulk import paused_gc
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError
from ansible_collections.netops.ipsec_spi.plugins.module_utils.store import mask

ARGUMENT_SPEC = {
    "hosts": {"type": "list", "elements": "str", "required": True},
    "inventory": {"type": "list", "elements": "str"},
    "clear_unverified": {"type": "bool", "default": False},
    "waivers": {"type": "list", "elements": "dict", "default": []},
    "run_id": {"type": "str", "default": ""},
    "max_age": {"type": "float", "default": 3600},
    "active_window": {"type": "float", "default": 300},
    "facts_var": {"type": "str", "default": "ipsec_spi"},
    "assessments": {"type": "bool", "default": True},
    "assessments_file": {"type": "bool", "default": False},
    # The check role's history step (docs/recurrence.md), run here on the facts already read from the cache.
    "history": {"type": "dict", "options": {
        "store": {"type": "str", "required": True, "no_log": False},
        "source": {"type": "str", "default": "audit", "choices": ["audit", "remediate", "eda", "capture", "fleet"]},
        "settings": {"type": "dict", "default": {}},
        "run_id": {"type": "str", "default": ""},
        "lock_timeout": {"type": "float", "default": 300.0},
    }},
}


def _cache():
    if not C.CACHE_PLUGIN or C.CACHE_PLUGIN.rsplit(".", 1)[-1] == "memory":
        raise AnsibleActionFail(
            "netops.ipsec_spi.fleet_assess: no persistent fact cache is configured (fact_caching, ANSIBLE_CACHE_PLUGIN); "
            "the gather's facts cannot be read back (AWX: enable use_fact_cache on both job templates)")
    return cache_loader.get(C.CACHE_PLUGIN)


# ansible-core (2.19+) wraps a persistent cache plugin so that every value is stored as a JSON string
# under "__payload__" and decoded by a profile decoder that runs a hook on every object: on a large
# fleet that hook is a quarter of the read time. A payload with no tagged value ("__ansible_type")
# and no surrogate escape (which the strict UTF-8 check would refuse) decodes to the same plain
# data with the standard decoder; any other payload, or another cache layout, takes the plugin's way.
_PAYLOAD_KEY = "__payload__"
_NEEDS_PROFILE_RE = re.compile(r"__ansible_type|\\u[dD][89a-fA-F]")
# That wrapper is private: the releases whose layout the reader is known to match
# (tests/unit/cases_fleet_assess_cache.py compares it with the plugin's own get). Any other release
# reads through the plugin's public get, and says so.
_KNOWN_CORES = ((2, 19), (2, 20))
_CORE_RE = re.compile(r"([0-9]+)\.([0-9]+)")

display = Display()


def _reader(cache, core_version=ANSIBLE_CORE_VERSION):
    """host -> the cached variables of that host; KeyError when there are none."""
    inner = getattr(cache, "__wrapped__", None)
    key_of = getattr(cache, "_get_key", None)
    release = _CORE_RE.match(core_version)
    if release is None or (int(release.group(1)), int(release.group(2))) not in _KNOWN_CORES:
        display.warning("netops.ipsec_spi.fleet_assess: ansible-core %s is not a release whose fact cache layout this "
                        "collection knows (%s); reading the cache through its plugin's public get, which is slower on "
                        "large fleets" % (core_version, ", ".join("%d.%d" % v for v in _KNOWN_CORES)))
        return cache.get
    if inner is None or not callable(key_of) or not callable(getattr(inner, "get", None)):
        display.warning("netops.ipsec_spi.fleet_assess: the fact cache plugin %s is not wrapped as ansible-core %s "
                        "wraps persistent caches; reading it through its public get, which is slower on large fleets"
                        % (type(cache).__name__, core_version))
        return cache.get

    def get(host):
        stored = inner.get(key_of(host))
        payload = stored.get(_PAYLOAD_KEY) if isinstance(stored, dict) and len(stored) == 1 else None
        if isinstance(payload, str) and not _NEEDS_PROFILE_RE.search(payload):
            return json.loads(payload)
        return cache.get(host)  # the plugin keeps the file's content in memory: no second read

    return get


def _history(fleet, facts, args, now, check):
    """The check role's history step, on the facts read from the cache: the receivers of recurring pairs get their
    finding before the assessments are returned or written, and the summary follows."""
    conf = args["history"]
    out = history_run.step(conf["store"], fleet["assessments"], now, conf["source"], conf["run_id"],
                           {h: f for h, f in facts.items() if f is not None}, conf["settings"], args["waivers"],
                           check=check, wait=conf["lock_timeout"])
    fleet["assessments"].update(out["assessments"])
    if out["summary"] is not None:
        fleet["summary"] = out["summary"]
    fleet["history"], fleet["history_rows"] = out["history"], out["history_rows"]


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        del tmp
        result = super().run(task_vars=task_vars)
        validated = ArgumentSpecValidator(ARGUMENT_SPEC).validate(self._task.args)
        if validated.error_messages:
            raise AnsibleActionFail("netops.ipsec_spi.fleet_assess: %s" % "; ".join(validated.error_messages))
        args = validated.validated_parameters
        # Tens of millions of objects and no reference cycle: the cyclic collector would only walk them
        # again and again (40% of this step on 10,000 routers).
        with paused_gc():
            fleet, path = self._assess(args, check=bool(self._task.check_mode))
        if path:
            result["assessments_file"] = path
        if not args["assessments"]:
            fleet.pop("assessments")
        result.update(fleet, changed=False)
        return result

    @staticmethod
    def _assess(args, now=None, check=False):
        now = time.time() if now is None else now
        read = _reader(_cache())
        facts, errors, path = {}, {}, None
        for host in args["hosts"]:
            try:
                cached = read(host)
            except KeyError:
                cached = None
            except (AnsibleError, ValueError) as exc:
                # One corrupt cache entry is that router's problem, not the fleet's.
                facts[host] = None
                errors[host] = {"kind": "failed", "message": "its cached facts cannot be read: %s" % str(exc)[:300]}
                continue
            item = cached.get(args["facts_var"]) if isinstance(cached, Mapping) else None
            facts[host] = item if isinstance(item, Mapping) else None
            if facts[host] is None:
                errors[host] = no_cached_facts(args["facts_var"])
        view = None
        if args.get("inventory") is not None:
            # The routers this run does not assess: only their cached addresses are read, to tell whether
            # an unread sender may be one of them (assess.run_view).
            addresses = {}
            targeted = set(args["hosts"])
            for host in args["inventory"]:
                if host in targeted:
                    continue
                try:
                    cached = read(host)
                except (KeyError, AnsibleError, ValueError):
                    continue
                item = cached.get(args["facts_var"]) if isinstance(cached, Mapping) else None
                if isinstance(item, Mapping) and isinstance(item.get("addresses"), list):
                    addresses[host] = item["addresses"]
            view = {"inventory": args["inventory"], "targeted": args["hosts"], "addresses": addresses}
        freshness = {"run_id": args["run_id"] or None, "max_age": args["max_age"] or None, "now": now}
        try:
            fleet = assess_fleet(facts, errors=errors, waivers=args["waivers"], source="cache",
                                 active_window=args["active_window"], freshness=freshness, view=view,
                                 clear_unverified=bool(args.get("clear_unverified")))
            if args.get("history"):
                _history(fleet, facts, args, now, check)
        except ParseError as exc:  # StoreError included: it names the store, password masked
            raise AnsibleActionFail(mask("netops.ipsec_spi.fleet_assess: %s" % exc)) from None
        if args["assessments_file"]:
            # Thousands of assessments are cheap in a file and costly as task variables.
            # The controller's local temp dir is removed when ansible-playbook exits.
            fd, path = tempfile.mkstemp(prefix="fleet-assessments-", suffix=".json", dir=C.DEFAULT_LOCAL_TMP)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                # dumps, not dump: only the one-shot encoder runs in C (json.dump is 2-3x slower here).
                handle.write(json.dumps(fleet["assessments"], default=str))
        return fleet, path
