"""The job templates of extensions/awx/ as AWX runs them: ansible-runner on a private data directory.

One lab for the module (its clock stopped), two jobs on it, in order:

1. "IPsec SPI audit (dry run)" with a Machine credential, injected as AWX does (`-u`, `--ask-pass`,
   `--become-method enable`, `--ask-become-pass`, the prompts answered from env/passwords);
2. "IPsec SPI remediate (dry run)" (job type Check: `--check`) with a Network credential (ANSIBLE_NET_*
   in the environment, mapped onto network_cli's variables by the job template's extra variables), and the
   survey answered the way the controller sends it (multiple choice answers are strings).

The inventory is written as AWX writes it (inventory/hosts, an executable printing JSON), from the example
inventory's group variables plus the lab's hosts, and carries no credential.
"""
from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from typing import Any, Dict, List, Optional

import ansible_runner
import pytest
import yaml

from conftest import expected_non_compliant  # noqa: E402  (tests/integration is on sys.path)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AWX = os.path.join(ROOT, "extensions", "awx")
COLLECTIONS = os.path.join(ROOT, ".tmp", "collections")
CREDENTIAL_VARS = ("ansible_user", "ansible_password", "ansible_become_password")
FACTS_ACTION = "netops.ipsec_spi.spi_facts"
FACTS_TASK = "Read the router (one connection, read-only commands) or its captured outputs"
DRY_RUN_TASK = "Show what will be done, per router (the dry run in check mode)"
CONFIG_MODE = ("configure", "conf t", "config t")
# The prompts AWX answers for a Machine credential (awx/main/tasks/jobs.py, get_password_prompts).
MACHINE_PROMPTS = {"ssh_password": r"SSH password:\s*?$", "become_password": r"BECOME password.*:\s*?$"}


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def load_yaml(path: str) -> Any:
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_Loader)  # noqa: S506 - SafeLoader subclass


def lab_credentials(lab) -> Dict[str, Any]:
    with open(lab.inventory, encoding="utf-8") as handle:
        inventory = yaml.safe_load(handle)
    return {k: inventory["all"]["vars"][k] for k in CREDENTIAL_VARS}


def awx_inventory(lab) -> Dict[str, Any]:
    """The lab's routers as an AWX inventory: the example inventory's group variables, no credential."""
    with open(lab.inventory, encoding="utf-8") as handle:
        lab_inv = yaml.safe_load(handle)
    example = load_yaml(os.path.join(AWX, "inventory", "hosts.yml"))
    group = example["all"]["children"]["ios_routers"]
    group_vars = dict(group["vars"])
    # The lab's own connection details (127.0.0.1, its host keys), without its credentials.
    group_vars.update({k: v for k, v in lab_inv["all"]["vars"].items()
                       if k not in CREDENTIAL_VARS and k not in ("ansible_become", "ansible_become_method")})
    hostvars = {}
    for grp in lab_inv["all"]["children"].values():
        for host, hvars in (grp.get("hosts") or {}).items():
            hostvars[host] = dict(hvars or {})
    assert not any(set(CREDENTIAL_VARS) & set(h) for h in hostvars.values())
    return {"all": {"children": ["ios_routers"]},
            "ios_routers": {"hosts": sorted(hostvars), "vars": group_vars},
            "_meta": {"hostvars": hostvars}}


def private_data_dir(path, lab, playbook: str, extravars: Dict[str, Any], envvars: Dict[str, str],
                     passwords: Optional[Dict[str, str]] = None) -> str:
    """Lay out a job's private data directory the way AWX does before it hands it to ansible-runner."""
    pdd = str(path)
    # The template's ipsec_spi_awx_report_dir (a mounted volume under AWX); here inside the job's directory.
    extravars = dict(extravars, ipsec_spi_report_dir=os.path.join(pdd, "reports"))
    for sub in ("env", "inventory", "project/playbooks"):
        os.makedirs(os.path.join(pdd, sub), exist_ok=True)
    # project/: the project checkout; the job template names a playbook file in it.
    shutil.copy(os.path.join(ROOT, playbook), os.path.join(pdd, "project", playbook))
    # inventory/hosts: a script that prints the inventory as JSON, as AWX writes it.
    script = os.path.join(pdd, "inventory", "hosts")
    with open(script, "w", encoding="utf-8") as handle:
        handle.write("#!%s\nprint(%r)\n" % (sys.executable, json.dumps(awx_inventory(lab))))
    os.chmod(script, stat.S_IRWXU)
    env = {
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,  # stands in for the EE's /usr/share/ansible/collections
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_PERSISTENT_COMMAND_TIMEOUT": "30",
        "ANSIBLE_PERSISTENT_CONNECT_TIMEOUT": "30",
        "ANSIBLE_DEPRECATION_WARNINGS": "False",
        "ANSIBLE_FORCE_COLOR": "False",
        "PYTHONWARNINGS": "ignore",
    }
    env.update(envvars)
    files = {"extravars": extravars, "envvars": env,
             "settings": {"job_timeout": 600, "pexpect_timeout": 5, "suppress_ansible_output": True}}
    if passwords:
        files["passwords"] = passwords
    for name, data in files.items():
        with open(os.path.join(pdd, "env", name), "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.chmod(os.path.join(pdd, "env", name), stat.S_IRUSR | stat.S_IWUSR)
    return pdd


def awx_vars(job_id: int, template: str) -> Dict[str, Any]:
    return {"awx_job_id": job_id, "tower_job_id": job_id, "awx_job_template_name": template,
            "awx_job_launch_type": "manual", "awx_user_name": "admin"}


def survey_answers(template: str, **answers) -> Dict[str, Any]:
    """Defaults of the template's survey (as configure_awx.yml defines it), then the given answers."""
    spec = load_yaml(os.path.join(AWX, "vars", "awx.yml"))
    questions = spec["ipsec_spi_awx_survey"]["spec"] if "remediate" in template else []
    out = {q["variable"]: q["default"] for q in questions}
    if not questions:
        out = {"ipsec_spi_targets": "all", "ipsec_spi_report_fail_on_noncompliant": "false"}
    out.update(answers)
    return out


class Job:
    def __init__(self, runner, pdd: str) -> None:
        self.runner = runner
        self.pdd = pdd
        self.events: List[Dict[str, Any]] = list(runner.events)
        self.stdout = runner.stdout.read()

    def of(self, kind: str) -> List[Dict[str, Any]]:
        return [e for e in self.events if e["event"] == kind]

    def ok(self, task: str) -> Dict[str, Dict[str, Any]]:
        return {e["event_data"]["host"]: e["event_data"] for e in self.of("runner_on_ok")
                if e["event_data"].get("task") == task}

    @property
    def artifact_data(self) -> Dict[str, Any]:
        stats = self.of("playbook_on_stats")
        assert len(stats) == 1, [e["event"] for e in self.events][-20:]
        return stats[0]["event_data"]["artifact_data"]

    def report(self) -> Dict[str, Any]:
        with open(os.path.join(self.pdd, "reports", "report.json"), encoding="utf-8") as handle:
            return json.load(handle)

    def __repr__(self) -> str:
        return "Job(status=%s, rc=%s, stdout=...%s)" % (self.runner.status, self.runner.rc, self.stdout[-4000:])


def launch(pdd: str, playbook: str, job_id: int, cmdline: str) -> Job:
    runner = ansible_runner.run(private_data_dir=pdd, playbook=playbook, ident=str(job_id), cmdline=cmdline,
                                quiet=True)
    return Job(runner, pdd)


def marks_of(lab) -> Dict[str, int]:
    return {r: len(lab.commands(r)) for r in lab.ground_truth["routers"]}


@pytest.fixture(scope="module")
def awx_lab(lab_factory):
    # Both jobs only read, and the second compares its summary with the first's: with the clock stopped they
    # read the same routers however long the jobs take (at 60x they were 226 simulated minutes apart).
    return lab_factory(speed=0)


@pytest.fixture(scope="module")
def audit_job(awx_lab, tmp_path_factory):
    creds = lab_credentials(awx_lab)
    template = "IPsec SPI audit (dry run)"
    pdd = private_data_dir(tmp_path_factory.mktemp("job101"), awx_lab, "playbooks/audit.yml",
                           extravars=dict(survey_answers(template), **awx_vars(101, template)), envvars={},
                           passwords={MACHINE_PROMPTS["ssh_password"]: creds["ansible_password"],
                                      MACHINE_PROMPTS["become_password"]: creds["ansible_become_password"]})
    marks = marks_of(awx_lab)
    # Machine credential + "privilege escalation" on the template, as AWX turns them into arguments.
    cmdline = "-u %s --ask-pass --become --become-method enable --ask-become-pass --forks 20" % creds["ansible_user"]
    job = launch(pdd, "playbooks/audit.yml", 101, cmdline)
    return job, marks


@pytest.fixture(scope="module")
def dry_run_job(awx_lab, audit_job, tmp_path_factory):  # pylint: disable=unused-argument
    creds = lab_credentials(awx_lab)
    template = "IPsec SPI remediate (dry run)"
    mapping = load_yaml(os.path.join(AWX, "vars", "awx.yml"))["ipsec_spi_awx_network_credential_vars"]
    work = tmp_path_factory.mktemp("job102")
    state_file = work / "state" / "store.sqlite3"
    # The survey as the controller sends it: the multiple-choice answer is the string "false".
    answers = survey_answers(template, ipsec_spi_allow_clear="false")
    assert answers == {"ipsec_spi_targets": "all", "ipsec_spi_allow_clear": "false",
                       "ipsec_spi_max_clears": 10, "ipsec_spi_clear_cooldown": 3600}
    # One serial batch: the default batches in check mode are test_remediate's test_check_mode_changes_nothing;
    # what this job adds is AWX's side (the Network credential, the survey's strings, the job id as run id).
    pdd = private_data_dir(work / "pdd", awx_lab, "playbooks/remediate.yml",
                           extravars=dict(mapping, **answers, **awx_vars(102, template), ipsec_spi_serial=["100%"]),
                           envvars={"ANSIBLE_NET_USERNAME": creds["ansible_user"],
                                    "ANSIBLE_NET_PASSWORD": creds["ansible_password"],
                                    "ANSIBLE_NET_AUTHORIZE": "1",
                                    "ANSIBLE_NET_AUTH_PASS": creds["ansible_become_password"],
                                    "IPSEC_SPI_STORE": str(state_file)})
    marks = marks_of(awx_lab)
    job = launch(pdd, "playbooks/remediate.yml", 102, "--check --become --forks 20")
    return job, marks, state_file


def test_audit_job_succeeds_on_every_router(audit_job, awx_lab):
    job = audit_job[0]
    assert job.runner.status == "successful" and job.runner.rc == 0, job
    routers = set(awx_lab.ground_truth["routers"])
    gathered = job.ok(FACTS_TASK)
    assert set(gathered) == routers, job
    assert all(e["resolved_action"] == FACTS_ACTION for e in gathered.values())
    assert all("ipsec_spi" in e["res"]["ansible_facts"] for e in gathered.values())
    assert job.of("runner_on_failed") == [] and job.of("runner_on_unreachable") == [], job


def test_audit_job_publishes_the_summary_artifact(audit_job, awx_lab):
    job = audit_job[0]
    truth = awx_lab.ground_truth
    summary = job.artifact_data["ipsec_spi_summary"]
    assert summary["schema_version"] == 1
    assert summary["routers"] == summary["assessed"] == len(truth["routers"])
    assert summary["unreachable"] == 0 and summary["unreachable_hosts"] == []
    assert summary["non_compliant_hosts"] == expected_non_compliant(truth)
    assert summary["non_compliant"] == len(summary["non_compliant_hosts"])
    assert summary["compliant"] + summary["non_compliant"] + summary["unreachable"] == summary["routers"]
    # The pre-1.1 spelling stays one release (deprecated).
    assert summary["noncompliant_hosts"] == sorted(summary["non_compliant_hosts"] + summary["unreachable_hosts"])
    assert summary["confirmed_desyncs"] == sum(1 for d in truth["desync"] if d["verdict"] == "confirmed")
    assert summary["planned_actions"] == len(truth["actions"])
    assert summary["findings_by_code"]["SPI_DESYNC_CONFIRMED"] == summary["confirmed_desyncs"]
    # The same numbers as the report written by the job.
    report = job.report()
    assert report["mode"] == "dry_run"
    assert report["summary"]["non_compliant"] == summary["non_compliant"]


def test_audit_job_only_reads_and_leaks_no_credential(audit_job, awx_lab):
    job, marks = audit_job
    for router, count in marks.items():
        for command in awx_lab.commands(router)[count:]:
            low = command.strip().lower()
            assert not low.startswith(CONFIG_MODE) and "clear" not in low, (router, command)
    creds = lab_credentials(awx_lab)
    events = json.dumps(job.events)
    for secret in (creds["ansible_password"], creds["ansible_become_password"]):
        assert secret not in job.stdout and secret not in events


def test_dry_run_job_sends_nothing(dry_run_job, awx_lab):
    job, marks, state_file = dry_run_job
    assert job.runner.status == "successful" and job.runner.rc == 0, job
    assert set(job.ok(FACTS_TASK)) == set(awx_lab.ground_truth["routers"]), job
    unexpected = [(e["event_data"]["host"], e["event_data"]["task"]) for e in job.of("runner_on_failed")
                  if not e["event_data"].get("ignore_errors")]
    assert unexpected == [] and job.of("runner_on_unreachable") == [], job
    for router, count in marks.items():
        for command in awx_lab.commands(router)[count:]:
            low = " ".join(command.lower().split())
            assert not low.startswith(CONFIG_MODE) and not low.startswith("clear"), (router, command)
    assert not state_file.exists()
    assert job.report()["mode"] == "dry_run"
    # The run id the batches share is the AWX job id.
    # run_once: one host's event carries the fact that every host of the play gets.
    (result,) = job.ok("Fix the run's identity once, for the clear budget across batches").values()
    assert str(result["res"]["ansible_facts"]["ipsec_spi_run_id"]) == "102"


def test_dry_run_job_follows_the_survey(dry_run_job, awx_lab):
    """allow_clear "false" (a survey string) keeps every clear out of the plan; the knob stays."""
    job = dry_run_job[0]
    shown = {}
    # One task, run once for the fleet: each line names its router.
    for data in job.ok(DRY_RUN_TASK).values():
        for item in data["res"].get("results", []):
            router, action = item["_ipsec_spi_pair"][0]["host"], item["_ipsec_spi_pair"][1]
            shown[(router, action["command"])] = item["msg"]
    expected = {(a["host"], a["command"]): a["action"] for a in awx_lab.ground_truth["actions"]}
    assert set(shown) == set(expected), shown
    for key, action in expected.items():
        if action == "enable_knob":
            assert "WOULD RUN" in shown[key], shown[key]
        else:
            assert "WOULD RUN" not in shown[key] and "ipsec_spi_allow_clear: false" in shown[key], shown[key]


def test_dry_run_job_summary_artifact(dry_run_job, audit_job):
    job = dry_run_job[0]
    summary = job.artifact_data["ipsec_spi_summary"]
    before = audit_job[0].artifact_data["ipsec_spi_summary"]
    # Nothing was changed, so the re-check after the dry run sees the audit's fleet.
    assert summary == before
