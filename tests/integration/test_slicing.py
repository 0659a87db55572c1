"""AWX job slicing without AWX: N gathers in parallel, each --limit'ed to one slice, one shared fact cache.

AWX slices an inventory by host position (host i goes to slice i mod N) and runs one ansible-playbook per
slice, possibly on different execution nodes; with `use_fact_cache` each job's facts land in the same cache.
Here: a generated 15-router lab fleet (every hub flavour: crypto maps, DMVPN, IKEv2 sVTI) with desynced pairs
split across slices, the clock frozen so that every
run reads the same routers; the sliced gather + one fleet-wide assessment must give the same verdicts, plan
and report.json as the unsliced run (apart from time stamps), and a router whose facts are stale or missing
must come out not assessed, never compliant.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any, Dict, List

import pytest
import yaml

from conftest import ROOT, ansible_env  # noqa: E402  (tests/integration is on sys.path)
from remediate_support import stored_clears  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "lab"))
from gen_fleet import generate  # noqa: E402  pylint: disable=wrong-import-position

SLICES = 3
# Five groups of three: each hub flavour of gen_fleet, one desynced pair per hub, three of them split across
# slices (the 20 routers used before had the same five pairs and three splits: issue 23).
ROUTERS = 15
TIME_KEYS = ("generated_at", "assessed_at")


def slice_of(hosts: List[str], index: int, count: int) -> List[str]:
    return [h for i, h in enumerate(hosts) if i % count == index]


def playbook(name: str, inventory: str, cache: str, limit: str = "", extra: Dict[str, Any] = None,
             background: bool = False, callback: str = "ansible.builtin.default"):
    cmd = ["ansible-playbook", "-i", inventory, "netops.ipsec_spi.%s" % name, "-f", "30"]
    if limit:
        cmd += ["--limit", limit]
    cmd += ["-e", json.dumps(extra or {})]
    env = ansible_env({"ANSIBLE_CACHE_PLUGIN": "ansible.builtin.jsonfile", "ANSIBLE_CACHE_PLUGIN_CONNECTION": cache,
                       "ANSIBLE_CACHE_PLUGIN_TIMEOUT": "86400", "ANSIBLE_STDOUT_CALLBACK": callback,
                       "ANSIBLE_SHOW_CUSTOM_STATS": "True"})
    if background:
        return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)


def trend_apart(report: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """Take the history trend out of a report: day -> that day's counts.

    Its days end on the day of the run, by the controller's clock: two runs either side of midnight cover
    windows one day apart (a run at 23:59 failed this comparison once), so the trends are compared on the
    days both cover.
    """
    trend = report.get("recurring", {}).pop("trend", None) or []
    return {entry["day"]: entry for entry in trend}


def without_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_times(v) for k, v in value.items() if k not in TIME_KEYS}
    if isinstance(value, list):
        return [without_times(v) for v in value]
    return value


def read_report(folder: str) -> Dict[str, Any]:
    with open(os.path.join(folder, "report.json"), encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def fleet(lab_factory, tmp_path_factory):
    work = tmp_path_factory.mktemp("slicing")
    scenario = work / "fleet.yml"
    scenario.write_text(yaml.safe_dump(generate(ROUTERS, desync_every=2, group=3)))
    # Frozen clock: the unsliced and the sliced runs read the very same routers.
    lab = lab_factory(str(scenario), speed=0)
    return lab, work


@pytest.fixture(scope="module")
def runs(fleet):
    lab, work = fleet
    hosts = sorted(lab.ground_truth["routers"])
    out = {}
    unsliced_cache = str(work / "cache-unsliced")
    gather = playbook("gather", lab.inventory, unsliced_cache, extra={"ipsec_spi_run_id": "unsliced"})
    assert gather.returncode == 0, gather.stdout[-3000:]
    assess = playbook("assess", lab.inventory, unsliced_cache,
                      extra={"ipsec_spi_facts_run_id": "unsliced", "ipsec_spi_report_dir": str(work / "report-unsliced")})
    assert assess.returncode == 0, assess.stdout[-3000:]
    out["unsliced"] = read_report(str(work / "report-unsliced"))

    sliced_cache = str(work / "cache-sliced")
    procs = [playbook("gather", lab.inventory, sliced_cache, limit=",".join(slice_of(hosts, i, SLICES)),
                      extra={"ipsec_spi_run_id": "sliced"}, background=True) for i in range(SLICES)]
    for proc in procs:
        text = proc.communicate(timeout=900)[0]
        assert proc.returncode == 0, text[-3000:]
    assess = playbook("assess", lab.inventory, sliced_cache, callback="ansible.posix.json",
                      extra={"ipsec_spi_facts_run_id": "sliced", "ipsec_spi_run_id": "sliced-wf",
                             "ipsec_spi_report_dir": str(work / "report-sliced")})
    assert assess.returncode == 0, assess.stdout[-3000:]
    out["sliced"] = read_report(str(work / "report-sliced"))
    # The workflow artifact the next (sliced) job receives as an extra variable.
    out["plan"] = json.loads(assess.stdout)["global_custom_stats"]["ipsec_spi_plan"]
    out["hosts"] = hosts
    out["sliced_cache"] = sliced_cache
    return out


def test_desynced_pairs_are_split_across_slices(fleet):
    lab, _work = fleet
    hosts = sorted(lab.ground_truth["routers"])
    position = {h: i % SLICES for i, h in enumerate(hosts)}
    split = [d for d in lab.ground_truth["desync"] if d.get("sender") and position[d["sender"]] != position[d["receiver"]]]
    assert len(split) >= 2, "the scenario must put both ends of some desynced pairs in different slices"
    hubs = {d["receiver"] for d in lab.ground_truth["desync"]}
    kinds = {t["kind"] for h in hubs for t in lab.ground_truth["routers"][h]["tunnels"]}
    assert kinds == {"static_crypto_map", "mgre_dynamic_nhrp", "svti"}, kinds


def test_sliced_report_equals_the_unsliced_one(runs, fleet):
    lab, _work = fleet
    sliced, unsliced = without_times(runs["sliced"]), without_times(runs["unsliced"])
    sliced_trend, unsliced_trend = trend_apart(sliced), trend_apart(unsliced)
    both = set(sliced_trend) & set(unsliced_trend)
    assert len(sliced_trend) == len(unsliced_trend) and len(both) >= len(sliced_trend) - 1, (sliced_trend, unsliced_trend)
    assert {d: sliced_trend[d] for d in both} == {d: unsliced_trend[d] for d in both}
    assert sliced["summary"] == unsliced["summary"]
    assert sliced == unsliced
    truth = lab.ground_truth
    confirmed = sum(1 for d in truth["desync"] if d["verdict"] == "confirmed")
    assert sliced["summary"]["confirmed_desyncs"] == confirmed > 0
    assert sliced["summary"]["assessed"] == ROUTERS
    planned = {(a["host"], a["action"]) for a in sliced["actions"]["planned"]}
    assert planned == {(a["host"], a["action"]) for a in truth["actions"]}


def test_stale_and_missing_cached_facts_are_not_assessed(runs, fleet, tmp_path):
    lab, _work = fleet
    hosts = runs["hosts"]
    # Another run's facts (a slice that failed today leaves yesterday's behind) and a router never gathered.
    stale, missing = hosts[1], hosts[2]
    cache = runs["sliced_cache"]
    path = os.path.join(cache, "s1_" + stale)
    with open(path, encoding="utf-8") as handle:
        stored = json.load(handle)
    payload = json.loads(stored["__payload__"])
    payload["ipsec_spi"]["run_id"] = "yesterday"
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"__payload__": json.dumps(payload)}, handle)
    os.unlink(os.path.join(cache, "s1_" + missing))
    assess = playbook("assess", lab.inventory, cache,
                      extra={"ipsec_spi_facts_run_id": "sliced", "ipsec_spi_report_dir": str(tmp_path)})
    # Two routers not assessed: the assessment fails after writing its report (ipsec_spi_report_fail_on_unassessed).
    assert assess.returncode == 2, assess.stdout[-3000:]
    assert "2 router(s) could not be assessed" in assess.stdout, assess.stdout[-3000:]
    routers = {r["host"]: r for r in read_report(str(tmp_path))["routers"]}
    assert routers[stale]["status"] == "not_assessed" and routers[missing]["status"] == "not_assessed"
    assert "run yesterday" in json.dumps(routers[stale]) and "fact cache" in json.dumps(routers[missing])
    assert sum(1 for r in routers.values() if r["status"] == "not_assessed") == 2


def test_the_plan_artifact_is_the_fleet_plan(runs):
    plan = runs["plan"]
    assert plan["schema_version"] == 1 and plan["run_id"] == "sliced-wf" and plan["assessed_at"]
    planned = sorted((a["host"], a["command"]) for a in runs["sliced"]["actions"]["planned"])
    assert sorted((host, a["command"]) for host, actions in plan["actions"].items() for a in actions) == planned


def test_sliced_remediation_fixes_every_desync_once_within_the_budget(runs, fleet, tmp_path):
    """Each slice carries out its own hosts' part of the fleet plan; one store for all, one budget."""
    lab, _work = fleet
    hosts = runs["hosts"]
    plan = runs["plan"]
    budget = 10
    clears = [(host, a) for host, actions in plan["actions"].items() for a in actions if a["action"].startswith("clear")]
    assert clears and len(clears) <= budget
    before = {h: len(lab.commands(h)) for h in hosts}
    lab.set_speed(60)  # the pairs need time to come back after a clear
    store = str(tmp_path / "store.sqlite3")
    extra = {"ipsec_spi_plan": plan, "ipsec_spi_store": store, "ipsec_spi_max_clears": budget,
             "ipsec_spi_serial": ["100%"]}
    procs = [playbook("remediate_plan", lab.inventory, str(tmp_path / "cache"), limit=",".join(slice_of(hosts, i, SLICES)),
                      extra=extra, background=True) for i in range(SLICES)]
    for proc in procs:
        text = proc.communicate(timeout=900)[0]
        assert proc.returncode == 0, text[-4000:]
    sent = {h: [c for c in lab.commands(h)[before[h]:] if c.strip().lower().startswith("clear")] for h in hosts}
    # Each planned clear went out exactly once, on the host the plan gave it to, and nothing else was cleared.
    want = sorted((host, a["command"]) for host, a in clears)
    assert sorted((h, c.strip()) for h, cmds in sent.items() for c in cmds) == want
    assert lab.desyncs() == []
    recorded = stored_clears(store)
    assert len(recorded) == len(want)
    assert set(recorded.values()) == {("sliced-wf", "cleared")}, recorded
