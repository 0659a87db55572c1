"""The check role on the lab's default scenario, compared with the scenario's ground truth."""
from __future__ import annotations

import os

import pytest

from conftest import expected_non_compliant, host_vars_inventory  # noqa: E402  (tests/integration is on sys.path)

CHECK_PLAY = """
- name: Check
  hosts: all
  gather_facts: false
  roles:
    - role: netops.ipsec_spi.check
      vars:
        ipsec_spi_source: "{{ source | default('live') }}"
        ipsec_spi_files_dir: "{{ files_dir | default('') }}"
"""
ASSESSMENT_TASK = "netops.ipsec_spi.check : Set every router's assessment"
# Commands the audit may send: reads only (terminal setup is the connection plugin's).
READ_ONLY_PREFIXES = ("show ", "terminal ", "enable", "exit", "")


def assessments(result):
    out = {}
    # One looped task on the first router sets every router's fact (delegate_facts).
    for res in result.task(ASSESSMENT_TASK).values():
        for item in res["results"]:
            out[item["item"]] = item["ansible_facts"]["ipsec_spi_assessment"]
    return out


@pytest.fixture(scope="module")
def audited(lab, run_playbook):
    before = {r: len(lab.commands(r)) for r in lab.ground_truth["routers"]}
    result = run_playbook(CHECK_PLAY, lab.inventory)
    assert result.rc == 0, result
    return assessments(result), before


def compare_with_truth(found, truth):
    routers = truth["routers"]
    assert set(found) == set(routers)
    for host, expected in routers.items():
        got = found[host]
        assert got["assessed"], (host, got["error"])
        tunnels = sorted((t["name"], t["kind"], t["ike_version"], t["recovery"]) for t in got["tunnels"])
        want = sorted((t["name"], t["kind"], t["ike_version"], t["recovery"]) for t in expected["tunnels"])
        assert tunnels == want, host
        assert {k: got["knob"][k] for k in ("present", "relevant", "needed")} == expected["knob"], host
        assert got["dpd"] == expected["dpd"], host
        assert got["platform"]["qfp"] == expected["qfp"], host

    flows = {(f["host_assessed"], f["src"], f["dst"]): f["status"]
             for host, a in found.items() for f in [dict(x, host_assessed=host) for x in a["flows"]]}
    want_flows = {(f["receiver"], f["src"], f["dst"]): f["status"] for f in truth["flows"]}
    assert flows == want_flows

    verdicts = {(v["receiver"], v["sender_addr"]): (v["verdict"], v["sender"])
                for a in found.values() for v in a["desync"] if v["status"] != "foreign"}
    want_verdicts = {(v["receiver"], v["sender_addr"]): (v["verdict"], v["sender"]) for v in truth["desync"]}
    assert verdicts == want_verdicts

    actions = sorted((host, p["action"], p["command"]) for host, a in found.items() for p in a["planned_actions"])
    want_actions = sorted((a["host"], a["action"], a["command"]) for a in truth["actions"])
    assert actions == want_actions


def test_assessment_matches_ground_truth(audited, lab):
    found = audited[0]
    compare_with_truth(found, lab.ground_truth)


def test_compliance_and_findings(audited, lab):
    found = audited[0]
    truth = lab.ground_truth
    knob_needed = {h for h, r in truth["routers"].items() if r["knob"]["needed"]}
    non_compliant = set(expected_non_compliant(truth))
    senders = {d["sender"] for d in truth["desync"] if d["verdict"] == "confirmed" and d.get("sender")}
    for host, a in found.items():
        codes = {f["code"] for f in a["findings"]}
        assert a["compliant"] == (host not in non_compliant), (host, codes)
        assert ("STALE_OUTBOUND_SA" in codes) == (host in senders), (host, codes)
        if host in knob_needed:
            assert "KNOB_MISSING" in codes
        r = truth["routers"][host]
        if r["knob"]["present"] and not r["knob"]["relevant"]:
            assert "KNOB_IRRELEVANT" in codes and a["knob"]["status"] == "irrelevant"
        for version in r.get("dpd_missing", []):
            assert any(f["code"] == "DPD_MISSING" and f["subject"] == version for f in a["findings"]), host
        if not r["qfp"]:
            assert "UNSUPPORTED_COMMAND" in codes and a["drops"]["available"] is False
        assert "UNPARSED_OUTPUT" not in codes, [f for f in a["findings"] if f["code"] == "UNPARSED_OUTPUT"]


def test_audit_sent_nothing_but_reads(audited, lab):
    before = audited[1]
    for router, count in before.items():
        sent = lab.commands(router)
        for command in sent[count:]:
            assert command.strip().lower().startswith(READ_ONLY_PREFIXES), (router, command)
            assert "clear" not in command.lower(), (router, command)


def test_secrets_never_reach_the_assessment(audited, lab):
    found = audited[0]
    text = repr(found)
    for router in lab.ground_truth["routers"]:
        config = lab.state(router)["running_config"]
        for line in config.splitlines():
            words = line.split()
            if len(words) > 2 and words[0] in ("crypto", "username", "enable") and ("key" in words or "secret" in words or "password" in words):
                secret = words[-1] if "address" not in words else words[words.index("address") - 1]
                if len(secret) > 5:
                    assert secret not in text, (router, line)


def test_same_verdicts_from_captured_files(lab, run_playbook, tmp_path):
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.commands import GATHER as COMMANDS

    speed = lab.clock()["speed"]
    lab.set_speed(0)
    try:
        for router in lab.ground_truth["routers"]:
            folder = tmp_path / router
            folder.mkdir()
            outputs = lab.cli(router, [pair[1] for pair in COMMANDS])
            for (key, _cmd), text in zip(COMMANDS, outputs):
                (folder / (key + ".txt")).write_text(text)
        inventory = tmp_path / "hosts.yml"
        inventory.write_text("all:\n  hosts:\n" + "".join(
            "    %s: {ansible_connection: local, ansible_python_interpreter: %s}\n" % (r, os.environ.get("PYTHON_FOR_ANSIBLE", "auto_silent"))
            for r in lab.ground_truth["routers"]))
        result = run_playbook(CHECK_PLAY, str(inventory), extra_vars={"source": "files", "files_dir": str(tmp_path)})
    finally:
        lab.set_speed(speed)
    assert result.rc == 0, result
    found = assessments(result)
    assert all(a["source"] == "files" for a in found.values())
    compare_with_truth(found, lab.ground_truth)


def test_faults_are_reported_not_compliant(lab_factory, run_playbook, tmp_path):
    faulty = lab_factory(speed=0)  # the faults are on the SSH side; the "slow" one waits in real seconds
    routers = sorted(faulty.ground_truth["routers"])
    kinds = {routers[0]: "unreachable", routers[1]: "auth", routers[2]: "reject", routers[3]: "slow", routers[4]: "drop"}
    expected = {"unreachable": "unreachable", "auth": "auth", "reject": "rejected", "slow": "timeout", "drop": None}
    for router, kind in kinds.items():
        faulty.fault(router, kind, delay=30 if kind == "slow" else None)
    slow = host_vars_inventory(tmp_path, {routers[3]: {"ansible_command_timeout": 8}})
    result = run_playbook(CHECK_PLAY, faulty.inventory, args=slow)
    assert result.rc == 0, result
    found = assessments(result)
    for router, kind in kinds.items():
        a = found[router]
        assert a["assessed"] is False and a["compliant"] is False, (router, kind, a["error"])
        assert [f["code"] for f in a["findings"]] == ["UNREACHABLE"]
        assert a["error"]["message"]
        if expected[kind]:
            assert a["error"]["kind"] == expected[kind], (kind, a["error"])
    # The rest of the fleet finished and was assessed.
    assert all(found[r]["assessed"] for r in routers if r not in kinds)


FACTS_PLAY = """
- name: Facts
  hosts: all
  gather_facts: false
  tasks:
    - name: Gather
      netops.ipsec_spi.spi_facts:
        host: "{{ inventory_hostname }}"
"""


def covering_routers(truth):
    """Few routers that between them have every platform and every tunnel kind of the scenario (greedy)."""
    def traits(router):
        return {("platform", truth[router]["platform"])} | {("kind", t["kind"]) for t in truth[router]["tunnels"]}
    wanted, chosen = set().union(*(traits(r) for r in truth)), []
    while wanted:
        best = max(sorted(truth), key=lambda r: len(traits(r) & wanted))
        chosen.append(best)
        wanted -= traits(best)
    return sorted(chosen)


def test_facts_alike_in_the_worker_and_in_their_own_process(lab, run_playbook, tmp_path):
    """The network action runs spi_facts in the worker; `ansible_network_import_modules: false` gives AnsiballZ.

    On routers that between them have every platform and tunnel kind (each parser on both paths): what each of
    the fifteen gathers is compared with the scenario by test_assessment_matches_ground_truth (issue 23).
    """
    truth = lab.ground_truth["routers"]
    hosts = covering_routers(truth)
    assert len(hosts) < len(truth) and any(truth[h]["platform"] == "classic" for h in hosts), hosts
    runs = {}
    speed = lab.clock()["speed"]
    lab.set_speed(0)
    try:
        for imported in (True, False):
            log = tmp_path / ("worker.log" if imported else "ansiballz.log")
            # Verbose messages go to the log only: stdout stays the JSON callback's.
            result = run_playbook(FACTS_PLAY, lab.inventory, limit=",".join(hosts),
                                  extra_vars={"ansible_network_import_modules": imported},
                                  env={"ANSIBLE_LOG_PATH": str(log), "ANSIBLE_LOG_VERBOSITY": "4"})
            assert result.rc == 0, result
            facts = {h: r["ansible_facts"]["ipsec_spi"] for h, r in result.task("Gather").items()}
            for item in facts.values():
                # The gather's own time stamp is the one thing that must differ between two runs.
                assert isinstance(item.pop("gathered_epoch"), float) and item.pop("gathered_at").endswith("Z")
            text = log.read_text()
            runs[imported] = (facts, text.count("ANSIBLE_NETWORK_IMPORT_MODULES: running netops.ipsec_spi.spi_facts"),
                              sum(1 for line in text.splitlines() if " PUT " in line and line.endswith("/AnsiballZ_spi_facts.py")))
    finally:
        lab.set_speed(speed)
    in_worker, direct_worker, payload_worker = runs[True]
    own_process, direct_own, payload_own = runs[False]
    routers = len(hosts)
    assert sorted(in_worker) == hosts
    assert in_worker == own_process
    assert any(f["flows"] for f in in_worker.values())
    assert (direct_worker, payload_worker) == (routers, 0)
    assert (direct_own, payload_own) == (0, routers)
