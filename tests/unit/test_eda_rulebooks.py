"""The EDA rulebooks, the peer map playbook and the decision environment, checked without a controller."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RULEBOOKS = sorted(glob.glob(os.path.join(ROOT, "extensions", "eda", "rulebooks", "*.yml")))
VENV_BIN = os.path.dirname(sys.executable)


def load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_there_are_the_three_rulebooks():
    assert [os.path.basename(p) for p in RULEBOOKS] == [
        "invalid_spi_controller.yml", "invalid_spi_notify.yml", "invalid_spi_remediate.yml"]


@pytest.mark.parametrize("path", RULEBOOKS, ids=os.path.basename)
def test_rulebook_is_valid_for_ansible_rulebook(path):
    rules_parser = pytest.importorskip("ansible_rulebook.rules_parser")
    validators = pytest.importorskip("ansible_rulebook.validators")
    data = load(path)
    validators.Validate.rulebook(data)
    rulesets = rules_parser.parse_rule_sets(data)  # conditions are parsed here: a typo fails
    assert rulesets and all(r.rules for r in rulesets)


@pytest.mark.parametrize("path", RULEBOOKS, ids=os.path.basename)
def test_rulebook_uses_our_source_and_acts_only_on_a_resolved_pair(path):
    (ruleset,) = load(path)
    (source,) = ruleset["sources"]
    assert "netops.ipsec_spi.invalid_spi" in source
    acting = [r for r in ruleset["rules"] if set(r.get("action", {})) & {"run_playbook", "run_job_template"}
              or any(set(a) & {"run_playbook", "run_job_template"} for a in r.get("actions", []))]
    assert acting
    for rule in acting:
        assert "event.ipsec_spi.targets is defined" in rule["condition"], rule["name"]
        actions = rule.get("actions") or [rule["action"]]
        for action in actions:
            for kind, args in action.items():
                if kind == "run_playbook":
                    assert args["name"] in ("netops.ipsec_spi.remediate", "netops.ipsec_spi.audit")
                    assert args["extra_vars"]["ipsec_spi_targets"] == "{{ event.ipsec_spi.targets }}"
                if kind == "run_job_template":
                    assert args["job_args"]["extra_vars"]["ipsec_spi_targets"] == "{{ event.ipsec_spi.targets }}"


def test_notify_rulebook_changes_nothing():
    (ruleset,) = load(os.path.join(ROOT, "extensions", "eda", "rulebooks", "invalid_spi_notify.yml"))
    names = [args["name"] for rule in ruleset["rules"] for action in rule.get("actions") or [rule["action"]]
             for kind, args in action.items() if kind == "run_playbook"]
    assert names == ["netops.ipsec_spi.audit"]


def test_decision_environment_builds_a_context_with_java_rulebook_and_the_collection(tmp_path):
    builder = os.path.join(VENV_BIN, "ansible-builder")
    builder = builder if os.path.exists(builder) else shutil.which("ansible-builder")
    if not builder:
        pytest.skip("ansible-builder is not installed")
    shutil.copy(os.path.join(ROOT, "decision-environment.yml"), tmp_path)
    (tmp_path / "netops-ipsec_spi-0.1.0.tar.gz").write_bytes(b"stand-in: only copied into the context")
    proc = subprocess.run([builder, "create", "-f", "decision-environment.yml", "--context", str(tmp_path / "ctx"),
                           "--output-filename", "Containerfile"], cwd=str(tmp_path), capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    containerfile = (tmp_path / "ctx" / "Containerfile").read_text()
    assert "COPY _build/collections /tmp/netops-collections" in containerfile
    assert "ansible-galaxy collection install --no-deps" in containerfile
    build = tmp_path / "ctx" / "_build"
    python_reqs = (build / "requirements.txt").read_text()
    system_reqs = (build / "bindep.txt").read_text()
    assert "ansible-rulebook==1.3.2" in python_reqs
    assert "java-17-openjdk-headless" in system_reqs
    assert sorted(p.name for p in (build / "collections").iterdir()) == ["netops-ipsec_spi-0.1.0.tar.gz"]
    # The same ansible-core and ansible-runner as the EE, so a job behaves the same in both.
    de = load(os.path.join(ROOT, "decision-environment.yml"))
    ee = load(os.path.join(ROOT, "execution-environment.yml"))
    for dep in ("ansible_core", "ansible_runner"):
        assert de["dependencies"][dep] == ee["dependencies"][dep]


def test_the_event_source_ships_in_the_collection():
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        ignored = yaml.safe_load(handle).get("build_ignore") or []
    for kept in ("extensions", "extensions/eda", "extensions/eda/plugins", "extensions/eda/plugin_utils",
                 "extensions/eda/rulebooks", "extensions/eda/playbooks"):
        assert kept not in ignored


# ----- security: nothing forged reaches a template, a --limit or a path (docs/eda.md, threat model) -----------
# The only event fields a rulebook may pass on: validated inventory names and a formatted integer.
VALIDATED_FIELDS = {"event.ipsec_spi.targets", "event.ipsec_spi.receiver", "event.ipsec_spi.spi_hex"}


@pytest.mark.parametrize("path", RULEBOOKS, ids=os.path.basename)
def test_rulebooks_pass_on_only_validated_event_fields(path):
    import re

    (ruleset,) = load(path)
    for rule in ruleset["rules"]:
        for action in rule.get("actions") or [rule["action"]]:
            for kind, args in action.items():
                used = set(re.findall(r"event(?:\.[A-Za-z_]+)+", yaml.safe_dump(args)))
                assert used <= VALIDATED_FIELDS, (rule["name"], kind, used - VALIDATED_FIELDS)


@pytest.mark.parametrize("path", RULEBOOKS, ids=os.path.basename)
def test_rulebooks_listen_on_loopback_unless_told_and_need_a_peer_map(path):
    (ruleset,) = load(path)
    (source,) = ruleset["sources"]
    args = source["netops.ipsec_spi.invalid_spi"]
    assert args["host"] == "{{ ipsec_spi_eda_host | default('127.0.0.1') }}"
    assert "0.0.0.0" not in yaml.safe_dump(ruleset)
    assert "trust_message_hosts" not in args  # the opt-in is the operator's, never a rulebook default
    assert "min_arrival_span" in args


def test_the_docs_never_listen_on_every_address():
    with open(os.path.join(ROOT, "docs", "eda.md"), encoding="utf-8") as handle:
        text = handle.read()
    import re

    assert not re.search(r"(host|ipsec_spi_eda_host):\s*0\.0\.0\.0", text)
    assert "## Threat model" in text
