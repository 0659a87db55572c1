"""Job templates as code (extensions/awx/): lint, syntax, and what the objects would be on the controller.

The awx.awx tasks need a controller, so the play's variables are rendered by Ansible itself (the same
vars_files and play vars, one task that writes them out) and checked against the collection: playbooks
that exist, survey variables the playbooks really take, no literal secret.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from typing import Any, Dict, List, Set

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AWX = os.path.join(ROOT, "extensions", "awx")
PLAYBOOK = os.path.join(AWX, "configure_awx.yml")
VENV_BIN = os.path.dirname(sys.executable)
SENTINELS = {"ipsec_spi_awx_router_username": "user-7f3a", "ipsec_spi_awx_router_password": "pw-Sentinel-91c2",
             "ipsec_spi_awx_router_enable_password": "en-Sentinel-44d0"}


class _Loader(yaml.SafeLoader):
    """YAML as Ansible reads it, tags included (!unsafe values stay plain strings)."""


_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))
_Loader.add_constructor("!vault", lambda loader, node: loader.construct_scalar(node))


def load(path: str) -> Any:
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_Loader)  # noqa: S506 - SafeLoader subclass


def tool(name: str) -> str:
    path = os.path.join(VENV_BIN, name)
    return path if os.path.exists(path) else shutil.which(name) or name


def env() -> Dict[str, str]:
    out = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="False",
               ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_INVENTORY_UNPARSED_WARNING="False")
    return out


def the_play() -> Dict[str, Any]:
    plays = load(PLAYBOOK)
    assert isinstance(plays, list) and len(plays) == 1
    return plays[0]


def task_args(module: str, index: int = 0) -> Dict[str, Any]:
    found = [task[module] for task in the_play()["tasks"] if module in task]
    if len(found) <= index:
        raise AssertionError("no %s task number %d in %s" % (module, index + 1, PLAYBOOK))
    return found[index]


def no_omit(value: Any) -> Any:
    """`omit` cannot be written out: show it as the string OMIT."""
    if isinstance(value, dict):
        return {k: no_omit(v) for k, v in value.items()}
    if isinstance(value, list):
        return [no_omit(v) for v in value]
    return value.replace("default(omit", "default('OMIT'") if isinstance(value, str) else value


def render(tmp_path, extra: Dict[str, Any]) -> Dict[str, Any]:
    """The play's variables and the tasks' arguments as the controller would receive them."""
    play = the_play()
    out = tmp_path / "rendered.json"
    wanted = {
        "templates": "{{ _ipsec_spi_awx_templates }}",
        "job_vars": "{{ _ipsec_spi_awx_job_vars }}",
        "credential": task_args("awx.awx.credential"),
        "job_template": {k: v for k, v in task_args("awx.awx.job_template").items()
                         if "item" not in str(v)},
        "workflow": task_args("awx.awx.workflow_job_template"),
        "fleet_workflow": task_args("awx.awx.workflow_job_template", 1),
        "schedule": task_args("awx.awx.schedule"),
        "project": task_args("awx.awx.project"),
        "inventory_source": task_args("awx.awx.inventory_source"),
    }
    render_play = [{
        "name": "Render",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "vars_files": [os.path.join(AWX, f) for f in play.get("vars_files", [])],
        "vars": dict(play.get("vars", {}), _rendered=no_omit(wanted)),
        "tasks": [{"name": "Write",
                   "ansible.builtin.copy": {"content": "{{ _rendered | to_json }}", "dest": str(out), "mode": "0600"}}],
    }]
    path = tmp_path / "render.yml"
    path.write_text(yaml.safe_dump(render_play))
    cmd = [tool("ansible-playbook"), str(path), "-e", json.dumps(dict(SENTINELS, **extra))]
    proc = subprocess.run(cmd, cwd=str(tmp_path), env=env(), capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def machine(tmp_path_factory):
    return render(tmp_path_factory.mktemp("machine"), {})


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    return render(tmp_path_factory.mktemp("network"), {"ipsec_spi_awx_credential_type": "Network",
                                                       "ipsec_spi_awx_state_file": "/srv/ipsec_spi/clear-state.json",
                                                       "ipsec_spi_awx_report_dir": "/srv/ipsec_spi/reports"})


def role_options() -> Dict[str, Set[str]]:
    """role name -> every option of any of its entry points (meta/argument_specs.yml)."""
    out = {}
    for role in sorted(os.listdir(os.path.join(ROOT, "roles"))):
        spec_file = os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml")
        if os.path.exists(spec_file):
            specs = load(spec_file)["argument_specs"]
            out[role] = {opt for entry in specs.values() for opt in (entry.get("options") or {})}
    return out


def roles_of(playbook_text: str) -> Set[str]:
    return set(re.findall(r"netops\.ipsec_spi\.(\w+)", playbook_text))


def playbook_vars(playbook_text: str) -> Set[str]:
    """Variables the playbook itself reads (with a default), outside any role."""
    return set(re.findall(r"\b(ipsec_spi_\w+)\s*\|\s*default\(", playbook_text))


# Syntax, as AWX's project sync would see it. ansible-lint (production profile) covers extensions/awx in the
# lint stage of scripts/test.sh, which lints the whole repository.

def test_syntax_check():
    proc = subprocess.run([tool("ansible-playbook"), "--syntax-check", PLAYBOOK], cwd=AWX, env=env(),
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_every_module_is_fully_qualified():
    for task in the_play()["tasks"]:
        modules = [k for k in task if "." in k]
        assert len(modules) == 1 and modules[0].startswith(("awx.awx.", "ansible.builtin.")), task.get("name")


# The objects

def test_job_templates_run_collection_playbooks(machine):
    templates = {t["name"]: t for t in machine["templates"]}
    assert {n: t["job_type"] for n, t in templates.items()} == {
        "IPsec SPI audit (dry run)": "run",   # the audit sends nothing in either job type
        "IPsec SPI remediate (dry run)": "check",
        "IPsec SPI remediate": "run",
        "IPsec SPI gather (sliced)": "run",
        "IPsec SPI assess and report (fact cache)": "run",
        "IPsec SPI remediate (sliced)": "run",
    }
    for name, template in templates.items():
        path = template["playbook"]
        # AWX wants a playbook file of the project; the project is this collection, so that file must be
        # one of its playbooks (netops.ipsec_spi.<stem>), not a copy.
        assert re.fullmatch(r"playbooks/\w+\.ya?ml", path), (name, path)
        assert os.path.isfile(os.path.join(ROOT, path)), (name, path)
    assert templates["IPsec SPI audit (dry run)"]["playbook"] == "playbooks/audit.yml"
    assert templates["IPsec SPI remediate"]["playbook"] == "playbooks/remediate.yml"
    assert templates["IPsec SPI remediate (dry run)"]["playbook"] == "playbooks/remediate.yml"


def test_survey_variables_are_documented(machine):
    options = role_options()
    awx_doc = open(os.path.join(ROOT, "docs", "awx.md"), encoding="utf-8").read()
    remediate = next(t for t in machine["templates"] if t["name"] == "IPsec SPI remediate")
    assert [q["variable"] for q in remediate["survey"]["spec"]] == [
        "ipsec_spi_targets", "ipsec_spi_allow_clear", "ipsec_spi_max_clears", "ipsec_spi_clear_cooldown"]
    for template in machine["templates"]:
        text = open(os.path.join(ROOT, template["playbook"]), encoding="utf-8").read()
        documented = set().union(*(options[r] for r in roles_of(text) if r in options))
        own = playbook_vars(text)
        spec = template["survey"]["spec"]
        assert spec, template["name"]
        for question in spec:
            var = question["variable"]
            if var in documented:
                continue
            # A playbook variable (not a role option): the playbook must read it and docs/awx.md explain it.
            assert var in own and "`%s`" % var in awx_doc, (template["name"], var)
            assert var in own, (template["name"], var, "is neither a role option nor read by the playbook")
        for question in spec:
            assert question["type"] in ("text", "integer", "multiplechoice"), question
            assert question.get("default") not in (None, ""), question  # scheduled runs cannot answer
            if question["type"] == "multiplechoice":
                assert str(question["default"]) in question["choices"], question
            if question["type"] == "integer":
                assert question["min"] <= question["default"] <= question["max"], question


def test_credential_comes_from_variables_only(machine, network):
    raw = task_args("awx.awx.credential")
    assert raw.get("no_log") is None  # no_log sits on the task
    assert next(t for t in the_play()["tasks"] if "awx.awx.credential" in t).get("no_log") is True
    vars_file = load(os.path.join(AWX, "vars", "awx.yml"))
    for name in SENTINELS:
        assert "undef(" in vars_file[name], name  # no default secret, a clear error when unset
    assert machine["credential"]["credential_type"] == "Machine"
    assert machine["credential"]["inputs"] == {
        "username": SENTINELS["ipsec_spi_awx_router_username"],
        "password": SENTINELS["ipsec_spi_awx_router_password"],
        "become_method": "enable",
        "become_password": SENTINELS["ipsec_spi_awx_router_enable_password"]}
    assert network["credential"]["credential_type"] == "Network"
    assert network["credential"]["inputs"]["authorize"] is True
    assert network["credential"]["inputs"]["authorize_password"] == SENTINELS["ipsec_spi_awx_router_enable_password"]
    # Secrets only ever reach the credential.
    for rendered in (machine, network):
        rest = {k: v for k, v in rendered.items() if k != "credential"}
        for secret in SENTINELS.values():
            assert secret not in json.dumps(rest)
    # Nothing in the files looks like a password either.
    for folder, _dirs, files in os.walk(AWX):
        for name in files:
            text = open(os.path.join(folder, name), encoding="utf-8").read()
            for match in re.finditer(r"(?im)^\s*(\w*(?:password|secret|pass|key)\w*)\s*:\s*(\S.*)$", text):
                assert "{{" in match.group(2) or match.group(2).strip() in ("enable", "true", "false"), match.group(0)


def test_job_variables(machine, network):
    assert machine["job_vars"] == {}  # the roles' defaults unless a persistent path is given
    # With a Network credential the job maps ANSIBLE_NET_* onto network_cli's variables, at run time.
    mapped = network["job_vars"]
    assert mapped["ipsec_spi_state_file"] == "/srv/ipsec_spi/clear-state.json"
    assert mapped["ipsec_spi_report_dir"] == "/srv/ipsec_spi/reports"
    assert mapped["ansible_user"] == "{{ lookup('ansible.builtin.env', 'ANSIBLE_NET_USERNAME') }}"
    assert mapped["ansible_password"] == "{{ lookup('ansible.builtin.env', 'ANSIBLE_NET_PASSWORD') }}"
    assert "ANSIBLE_NET_AUTH_PASS" in mapped["ansible_become_password"]
    assert mapped["ansible_become_method"] == "enable"
    jt = machine["job_template"]
    assert jt["become_enabled"] is True and jt["ask_limit_on_launch"] is False and jt["survey_enabled"] is True
    assert jt["execution_environment"] == "netops.ipsec_spi EE"
    assert machine["inventory_source"]["source"] == "scm"
    assert os.path.isfile(os.path.join(ROOT, machine["inventory_source"]["source_path"]))


def test_example_inventory_has_no_secret_and_uses_network_cli():
    inventory = load(os.path.join(AWX, "inventory", "hosts.yml"))
    group = inventory["all"]["children"]["ios_routers"]
    assert group["vars"]["ansible_connection"] == "ansible.netcommon.network_cli"
    assert group["vars"]["ansible_network_os"] == "cisco.ios.ios"
    assert group["vars"]["ansible_become_method"] == "enable"
    assert not {"ansible_password", "ansible_become_password", "ansible_user"} & set(group["vars"])
    for host in group["hosts"].values():
        assert not {"ansible_password", "ansible_become_password"} & set(host or {})


def test_workflow_audit_approval_remediate(machine):
    wf = machine["workflow"]
    nodes = {n["identifier"]: n for n in wf["workflow_nodes"]}
    assert set(nodes) == {"audit", "approve", "remediate"}
    templates = {t["name"]: t for t in machine["templates"]}
    audit, approve, remediate = nodes["audit"], nodes["approve"], nodes["remediate"]
    assert audit["unified_job_template"]["type"] == "job_template"
    assert templates[audit["unified_job_template"]["name"]]["playbook"] == "playbooks/audit.yml"
    assert templates[remediate["unified_job_template"]["name"]]["job_type"] == "run"
    assert approve["unified_job_template"]["type"] == "workflow_approval"
    assert int(approve["unified_job_template"]["timeout"]) > 0
    assert [n["identifier"] for n in audit["related"]["failure_nodes"]] == ["approve"]
    assert [n["identifier"] for n in approve["related"]["success_nodes"]] == ["remediate"]
    assert "related" not in remediate
    # Node variables are survey answers of the audit template (the controller drops anything else).
    audit_survey = {q["variable"]: q for q in templates[audit["unified_job_template"]["name"]]["survey"]["spec"]}
    for var, value in audit["extra_data"].items():
        assert var in audit_survey and str(value) in audit_survey[var]["choices"], var
    assert machine["schedule"]["unified_job_template"] == wf["name"]
    assert "FREQ=DAILY" in machine["schedule"]["rrule"]


def test_sliced_templates_use_the_fact_cache(machine):
    templates = {t["name"]: t for t in machine["templates"]}
    gather = templates["IPsec SPI gather (sliced)"]
    assess = templates["IPsec SPI assess and report (fact cache)"]
    remediate = templates["IPsec SPI remediate (sliced)"]
    assert gather["playbook"] == "playbooks/gather.yml" and assess["playbook"] == "playbooks/assess.yml"
    assert remediate["playbook"] == "playbooks/remediate_plan.yml"
    for template in (gather, assess, remediate):
        assert template["use_fact_cache"] is True, template["name"]
    assert int(gather["slices"]) > 1 and int(remediate["slices"]) == int(gather["slices"])
    # The assessment correlates the whole fleet: it must never be sliced.
    assert int(assess.get("slices", 1)) == 1
    task = next(t["awx.awx.job_template"] for t in the_play()["tasks"] if "awx.awx.job_template" in t)
    assert "item.slices" in task["job_slice_count"] and "item.use_fact_cache" in task["use_fact_cache"]


def test_fleet_workflow_gather_assess_approve_remediate_gather_report(machine):
    wf = machine["fleet_workflow"]
    nodes = {n["identifier"]: n for n in wf["workflow_nodes"]}
    templates = {t["name"]: t for t in machine["templates"]}

    def playbook(node):
        return templates[nodes[node]["unified_job_template"]["name"]]["playbook"]

    def following(node, kind):
        return [n["identifier"] for n in nodes[node].get("related", {}).get(kind, [])]

    assert playbook("gather") == playbook("regather") == "playbooks/gather.yml"
    assert playbook("assess") == playbook("report") == "playbooks/assess.yml"
    assert playbook("remediate") == "playbooks/remediate_plan.yml"
    assert nodes["approve"]["unified_job_template"]["type"] == "workflow_approval"
    # A failed slice still gets assessed (its routers come out not assessed); approval only when not compliant.
    assert following("gather", "always_nodes") == ["assess"]
    assert following("assess", "failure_nodes") == ["approve"]
    assert following("approve", "success_nodes") == ["remediate"]
    assert following("remediate", "always_nodes") == ["regather"]
    assert following("regather", "always_nodes") == ["report"]
    assert "related" not in nodes["report"]


def test_the_plan_artifact_is_published_by_the_assess_playbook():
    plays = load(os.path.join(ROOT, "playbooks", "assess.yml"))
    stats = [t["ansible.builtin.set_stats"] for play in plays for t in play["tasks"] if "ansible.builtin.set_stats" in t]
    assert len(stats) == 1 and list(stats[0]["data"]) == ["ipsec_spi_plan"]
    assert stats[0]["per_host"] is False and stats[0]["aggregate"] is False


def test_the_summary_artifact_is_what_the_check_role_publishes():
    """docs/awx.md says the approver and the remediate job get ipsec_spi_summary: the role must set it."""
    tasks = load(os.path.join(ROOT, "roles", "check", "tasks", "assess.yml"))
    stats = [t["ansible.builtin.set_stats"] for t in tasks if "ansible.builtin.set_stats" in t]
    assert len(stats) == 1
    assert list(stats[0]["data"]) == ["ipsec_spi_summary"] and stats[0]["per_host"] is False
    assert "ipsec_spi_summary" in open(os.path.join(ROOT, "docs", "awx.md"), encoding="utf-8").read()


def all_strings(value: Any) -> List[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in all_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in all_strings(v)]
    return [value] if isinstance(value, str) else []


def test_nothing_left_unrendered(machine):
    """Every {{ }} of the play resolved, except the job-time mapping that is meant to stay literal."""
    leftovers = [s for s in all_strings(machine) if "{{" in s]
    assert leftovers == [], leftovers


def test_the_audit_survey_says_whether_an_unassessed_router_fails_the_job(machine):
    # Both report gates are the operator's call at launch: a router that could not be read fails the job by
    # default (a partial view is never a green audit), and the survey may turn that off for a known outage.
    templates = {t["name"]: t for t in machine["templates"]}
    for name in ("IPsec SPI audit (dry run)", "IPsec SPI assess and report (fact cache)"):
        spec = {q["variable"]: q for q in templates[name]["survey"]["spec"]}
        question = spec["ipsec_spi_report_fail_on_unassessed"]
        assert question["type"] == "multiplechoice" and question["choices"] == ["true", "false"], question
        assert question["default"] == "true", question
        assert "unreachable" not in spec["ipsec_spi_report_fail_on_noncompliant"]["question_description"]
