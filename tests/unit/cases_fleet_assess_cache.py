# -*- coding: utf-8 -*-
"""fleet_assess reads the fact cache itself: the fast path must give what the cache plugin gives.

Run by test_fleet_assess_cache.py in a process of its own: the real cache plugin needs Ansible's
collection loader, which would take over the collection's imports for every later test.
"""

from __future__ import annotations

import json
import os

import pytest

from ansible.errors import AnsibleError
from ansible.plugins.loader import cache_loader, init_plugin_loader

from ansible_collections.netops.ipsec_spi.plugins.action.fleet_assess import _reader


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
