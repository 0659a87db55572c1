"""The spi_assess filter reads hostvars: gather failures, cached facts, their freshness, bad input."""
from __future__ import annotations

import time

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.netops.ipsec_spi.plugins.filter.spi_assess import spi_assess


def router_facts(run_id=None, gathered=None):
    facts = {"inventory": {"invalid_spi_recovery": False, "dpd": {"ikev1": True, "ikev2": True}, "tunnels": []},
             "addresses": ["10.0.0.1"], "ipsec_sas": [], "flows": [], "ike_sas": [], "platform": {}}
    if run_id is not None:
        facts["run_id"] = run_id
    if gathered is not None:
        facts["gathered_epoch"] = gathered
        facts["gathered_at"] = "then"
    return facts


def hv(facts=None, **extra):
    out = {"ansible_facts": {"ipsec_spi": facts} if facts is not None else {}}
    out.update(extra)
    return out


def test_live_gather_failures_come_from_the_named_result():
    hostvars = {"a": hv(router_facts()),
                "b": hv(None, gathered={"unreachable": True, "msg": "ssh: connect timed out"}),
                "c": hv(None)}
    out = spi_assess(["a", "b", "c"], hostvars, result_var="gathered")["assessments"]
    assert out["a"]["assessed"] is True
    assert out["b"]["assessed"] is False and out["b"]["error"] == {"kind": "unreachable", "message": "ssh: connect timed out"}
    assert out["c"]["error"]["message"] == "no facts were gathered for this host"
    # Without result_var the filter knows no role-private variable: b is just "no facts".
    out = spi_assess(["b"], hostvars)["assessments"]
    assert out["b"]["error"]["message"] == "no facts were gathered for this host"


def test_cache_missing_and_stale_facts_are_not_assessed_and_never_compliant():
    now = time.time()
    hostvars = {"fresh": hv(router_facts("wf-7", now - 60)), "old_run": hv(router_facts("wf-6", now - 90000)),
                "aged": hv(router_facts("wf-7", now - 7200)), "none": hv(None)}
    out = spi_assess(list(hostvars), hostvars, source="cache", run_id="wf-7", max_age=3600, now=now)
    a = out["assessments"]
    assert a["fresh"]["assessed"] is True and a["fresh"]["source"] == "cache"
    assert a["old_run"]["error"]["kind"] == "stale" and "run wf-6" in a["old_run"]["error"]["message"]
    assert a["aged"]["error"]["kind"] == "stale" and "ipsec_spi_max_fact_age" in a["aged"]["error"]["message"]
    assert a["none"]["error"]["kind"] == "missing" and "fact cache" in a["none"]["error"]["message"]
    for host in ("old_run", "aged", "none"):
        assert a[host]["compliant"] is False and a[host]["findings"][0]["code"] == "UNREACHABLE"
    assert out["summary"]["unreachable_hosts"] == ["aged", "none", "old_run"]


def test_cache_without_a_gather_time_is_stale_when_an_age_limit_is_set():
    hostvars = {"a": hv(router_facts())}
    out = spi_assess(["a"], hostvars, source="cache", max_age=60)["assessments"]
    assert out["a"]["error"]["kind"] == "stale" and "no gather time" in out["a"]["error"]["message"]


@pytest.mark.parametrize("hosts, hostvars, message", [
    ("a", {}, "input must be a list of inventory hosts"),
    (["x"], {}, "x is not in hostvars"),
])
def test_bad_input_is_a_clear_filter_error(hosts, hostvars, message):
    with pytest.raises(AnsibleFilterError, match=message):
        spi_assess(hosts, hostvars)
