# -*- coding: utf-8 -*-
"""fleet_assess reads the fact cache itself: the fast path must give what the cache plugin gives.

Run by test_fleet_assess_cache.py in a process of its own: the real cache plugin needs Ansible's
collection loader, which would take over the collection's imports for every later test.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
import time

import pytest

from ansible.errors import AnsibleError
from ansible.plugins.loader import cache_loader, init_plugin_loader

from ansible_collections.netops.ipsec_spi.plugins.action import fleet_assess
from ansible_collections.netops.ipsec_spi.plugins.action.fleet_assess import _reader
# Imported before any case installs Ansible's collection loader (the cache fixture), which would refuse them after.
from ansible_collections.netops.ipsec_spi.plugins.module_utils import history_run
from ansible_collections.netops.ipsec_spi.plugins.module_utils.assess import assess_fleet
from ansible_collections.netops.ipsec_spi.plugins.module_utils.facts import build_facts
from ansible_collections.netops.ipsec_spi.plugins.module_utils.store import sqlite as _sqlite  # noqa: F401  (open_store imports it lazily)

LAB = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "lab")
if LAB not in sys.path:
    sys.path.insert(0, LAB)

from labsim.build import load_scenario  # noqa: E402  pylint: disable=wrong-import-position
from labsim.nights import _gather  # noqa: E402  pylint: disable=wrong-import-position
from labsim.sim import Fleet  # noqa: E402  pylint: disable=wrong-import-position


pytestmark = pytest.mark.filterwarnings("ignore:AnsibleCollectionFinder has already been configured")


@pytest.fixture
def cache(tmp_path):
    init_plugin_loader()
    return cache_loader.get("ansible.builtin.jsonfile", _uri=str(tmp_path), _timeout=0)


def stored(tmp_path, host, text):
    with open(os.path.join(str(tmp_path), "s1_" + host), "w", encoding="utf-8") as handle:
        handle.write(text)


FACTS = {"ipsec_spi": {"host": "r1", "addresses": ["192.0.2.1"], "events": [{"spi": 1, "text": "a\u00e9b"}],
                       "drop_rate": 0.5, "unparsed": [], "platform": None}}


def test_plain_payload_reads_as_the_plugin_reads_it(cache, tmp_path):
    cache.set("r1", FACTS)
    assert _reader(cache) != cache.get  # the fast path, not the plugin's get
    assert _reader(cache)("r1") == cache_loader.get("ansible.builtin.jsonfile", _uri=str(tmp_path), _timeout=0).get("r1")
    assert _reader(cache)("r1") == FACTS


def test_a_missing_host_is_a_key_error(cache):
    with pytest.raises(KeyError):
        _reader(cache)("nowhere")


@pytest.mark.parametrize("payload", [
    # A tagged value, and a surrogate escape the strict UTF-8 check refuses: both go the plugin's way.
    '{"ipsec_spi": {"host": {"__ansible_type": "nonsense"}}}',
    '{"ipsec_spi": {"host": "\\ud800"}}',
])
def test_payloads_needing_the_profile_decoder_take_the_plugin_path(cache, tmp_path, payload):
    stored(tmp_path, "r2", json.dumps({"__payload__": payload}))
    with pytest.raises(Exception) as fast:
        _reader(cache)("r2")
    with pytest.raises(Exception) as slow:
        cache_loader.get("ansible.builtin.jsonfile", _uri=str(tmp_path), _timeout=0).get("r2")
    assert type(fast.value) is type(slow.value)


def test_a_corrupt_payload_is_a_value_error(cache, tmp_path):
    stored(tmp_path, "r3", json.dumps({"__payload__": '{"ipsec_spi": {'}))
    with pytest.raises(ValueError):
        _reader(cache)("r3")


def test_a_corrupt_file_is_the_plugins_error(cache, tmp_path):
    stored(tmp_path, "r4", "{not json")
    with pytest.raises(AnsibleError):
        _reader(cache)("r4")


def test_another_layout_is_read_by_the_plugin_and_said(tmp_path, monkeypatch):
    from ansible_collections.netops.ipsec_spi.plugins.action import fleet_assess

    class Plain:
        def get(self, key):
            return {"ipsec_spi": {"host": key}}

    warnings = []
    monkeypatch.setattr(fleet_assess.display, "warning", warnings.append)
    assert _reader(Plain())("r5") == {"ipsec_spi": {"host": "r5"}}
    assert len(warnings) == 1 and "Plain is not wrapped" in warnings[0]


@pytest.mark.parametrize("version", ["2.21.0", "3.0.0", "devel"])
def test_an_unknown_ansible_core_reads_through_the_public_get_and_says_so(cache, tmp_path, monkeypatch, version):
    # The wrapper is private to ansible-core: a release not known to lay it out the same never takes the
    # fast path, and the run says why it is slower.
    from ansible_collections.netops.ipsec_spi.plugins.action import fleet_assess

    warnings = []
    monkeypatch.setattr(fleet_assess.display, "warning", warnings.append)
    cache.set("r6", FACTS)
    read = _reader(cache, core_version=version)
    assert read == cache.get and read("r6") == FACTS
    assert len(warnings) == 1 and ("ansible-core %s is not a release" % version) in warnings[0]
    assert _reader(cache) != cache.get and len(warnings) == 1  # this release: the fast path, no warning


def test_a_corrupt_or_missing_entry_is_that_routers_reason(cache, tmp_path, monkeypatch):
    from ansible_collections.netops.ipsec_spi.plugins.action import fleet_assess

    stored(tmp_path, "r3", json.dumps({"__payload__": '{"ipsec_spi": {'}))
    stored(tmp_path, "r4", "{not json")
    monkeypatch.setattr(fleet_assess, "_cache", lambda: cache)
    args = {"hosts": ["r3", "r4", "r9"], "waivers": [], "run_id": "", "max_age": 0, "active_window": 300,
            "facts_var": "ipsec_spi", "assessments": True, "assessments_file": False}
    fleet, path = fleet_assess.ActionModule._assess(args)
    assert path is None
    got = {h: (a["assessed"], a["error"]["kind"]) for h, a in fleet["assessments"].items()}
    assert got == {"r3": (False, "failed"), "r4": (False, "failed"), "r9": (False, "missing")}
    assert "cached facts cannot be read" in fleet["assessments"]["r3"]["error"]["message"]
    assert fleet["summary"]["compliant"] == 0


def _month_nights(count):
    """The month lab's hub <- spoke pair desynced again each night (a rekey race), as the cached facts of a sliced
    gather would hold them; the lab starts a week before today (the store counts its window back from now)."""
    scenario = load_scenario(os.path.join(LAB, "scenarios", "month.yml"))
    today = datetime.datetime.now(datetime.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    scenario["start"] = (today - datetime.timedelta(days=7, hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
    lab = Fleet(scenario, speed=0)
    lab.clock.advance(8 * 3600.0)
    for _night in range(count):
        lab.rekey("spoke", "hub")
        lab.clock.advance(30.0)
        lab.start_desync("spoke", "hub")
        lab.clock.advance(1800.0)
        lab.sync()
        year = datetime.datetime.fromtimestamp(lab.clock.now(), datetime.timezone.utc).year
        yield {h: {"ipsec_spi": build_facts(h, outs, year=year)} for h, outs in _gather(lab).items()}
        lab.clock.advance(86400.0 - 1830.0)


def test_the_slice_controller_records_and_reads_history_as_the_check_role_does(tmp_path, monkeypatch):
    # fleet_assess (AWX slicing: the assessment from the fact cache) runs history_run.step, the store action's
    # step=history: the same rows recorded, the same recurring pair, its finding on the receiver's assessment.
    class Cache:
        facts = {}

        def get(self, host):
            return self.facts[host]

    monkeypatch.setattr(fleet_assess, "_cache", Cache)
    monkeypatch.setattr(fleet_assess.display, "warning", lambda _msg: None)
    ours, theirs = str(tmp_path / "slice.sqlite3"), str(tmp_path / "role.sqlite3")
    history = {"store": ours, "source": "audit", "settings": {}, "run_id": "", "lock_timeout": 30.0}
    args = {"hosts": ["hub", "spoke", "br"], "waivers": [], "run_id": "", "max_age": 0, "active_window": 300,
            "facts_var": "ipsec_spi", "assessments": True, "assessments_file": True, "history": history}
    fleet = step = None
    for night, cached in enumerate(_month_nights(3)):
        Cache.facts = cached
        now = time.time()  # the store counts its window back from the run's time
        fleet, path = fleet_assess.ActionModule._assess(dict(args, history=dict(history, run_id="night-%d" % night)),
                                                        now=now)
        plain = assess_fleet({h: c["ipsec_spi"] for h, c in cached.items()}, source="cache", active_window=300,
                             freshness={"run_id": None, "max_age": None, "now": now})
        step = history_run.step(theirs, plain["assessments"], now, "audit", "night-%d" % night,
                                {h: c["ipsec_spi"] for h, c in cached.items()})
        assert fleet["history_rows"] == step["history_rows"] and fleet["history_rows"]["episodes"] >= 1
    assert [(f["receiver"], f["sender"], f["episodes"]) for f in fleet["history"]["findings"]] == [("hub", "spoke", 3)]
    assert fleet["history"]["timelines"] == step["history"]["timelines"]
    assert fleet["history"]["hints"] == step["history"]["hints"]
    assert fleet["history"]["debug_plans"] == step["history"]["debug_plans"]
    # The receiver's assessment carries the finding, in the file the report reads and in the summary.
    with open(path, encoding="utf-8") as handle:
        written = json.load(handle)
    assert "RECURRING_DESYNC" in [f["code"] for f in written["hub"]["findings"]]
    assert fleet["assessments"]["hub"] == written["hub"]
    # assessed_at is the assessment's own clock reading (to the second), not the history's.
    assert fleet["assessments"]["hub"]["findings"] == step["assessments"]["hub"]["findings"]
    assert fleet["assessments"]["hub"]["compliant"] is step["assessments"]["hub"]["compliant"] is False
    assert fleet["summary"]["findings_by_code"]["RECURRING_DESYNC"] == 1


def test_the_slice_controller_in_check_mode_records_nothing(tmp_path, monkeypatch):
    cached = next(_month_nights(1))

    class Cache:
        def get(self, host):
            return cached[host]

    monkeypatch.setattr(fleet_assess, "_cache", Cache)
    monkeypatch.setattr(fleet_assess.display, "warning", lambda _msg: None)
    store = tmp_path / "store.sqlite3"
    args = {"hosts": ["hub", "spoke", "br"], "waivers": [], "run_id": "", "max_age": 0, "active_window": 300,
            "facts_var": "ipsec_spi", "assessments": True, "assessments_file": False,
            "history": {"store": str(store), "source": "audit", "settings": {}, "run_id": "", "lock_timeout": 30.0}}
    fleet, _path = fleet_assess.ActionModule._assess(args, check=True)
    assert fleet["history"] == {} and fleet["history_rows"] == {"episodes": 0, "actions": 0} and not store.exists()
    fleet, _path = fleet_assess.ActionModule._assess(dict(args, history=None))
    assert "history" not in fleet and not store.exists()
