# -*- coding: utf-8 -*-
"""The report package as a whole: its layering, its cost against fleet size, and the module, role and docs around it.

Each part has its own tests: test_report_model.py (build_report, schema, secrets), test_report_markdown.py,
test_report_junit.py, test_report_html_static.py, and test_report_html.py (a real browser).
"""

from __future__ import annotations

import ast
import glob
import json
import os
import shutil
import subprocess
import sys

import jsonschema
import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils.report import FILES, build_report, render_all

from report_support import FIXTURES, ROOT, make_fleet, parse_junit, schema

PACKAGE = os.path.join(ROOT, "plugins", "module_utils", "report")
PREFIX = "ansible_collections.netops.ipsec_spi.plugins.module_utils."
# Each module may import only those before it: the model never knows a renderer.
LAYERS = ["values", "sanitize", "router", "pairs", "recurrence", "model", "jsonfile", "view", "markdown", "junit", "svg", "html_assets", "html",
          "files", "runs", "__init__"]


def imports_of(path):
    tree = ast.parse(open(path, encoding="utf-8").read())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_package_is_layered():
    modules = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(PACKAGE, "*.py")))
    assert modules == sorted(LAYERS)
    for name in LAYERS:
        imported = imports_of(os.path.join(PACKAGE, name + ".py"))
        assert not any(m.startswith("ansible.") or m == "ansible" for m in imported), name
        own = {m[len(PREFIX + "report."):] for m in imported if m.startswith(PREFIX + "report.")}
        assert own <= set(LAYERS[:LAYERS.index(name)]), (name, own)
        # Of the rest of the core, only the single homes of the shared rules (common: what a host name and an
        # address are, for the history rows read back from a store).
        core = {m[len(PREFIX):] for m in imported if m.startswith(PREFIX) and not m.startswith(PREFIX + "report")}
        assert core <= {"codes", "secrets", "common"}, (name, core)


def test_every_file_has_a_renderer():
    assert [name for _fmt, name, _render in FILES] == ["report.json", "report.md", "report.html", "junit.xml"]
    assert list(render_all(build_report({}))) == [name for _fmt, name, _render in FILES]


# --------------------------------------------------------------------------- scale

def test_200_router_fleet_is_written_in_linear_time(tmp_path):
    from complexity import FACTOR, assert_linear

    fleet = make_fleet(200)
    report = build_report(fleet)
    for name, text in render_all(report).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    # The time budget is benchmarks/ (make bench); here only that 8x the routers costs about 8x, not 64x.
    assert_linear(lambda f: render_all(build_report(f)), make_fleet(200 // FACTOR), fleet)
    assert report["summary"]["routers"] == 200
    assert report["summary"]["unreachable"] == 10
    assert report["summary"]["confirmed_desyncs"] == 20
    html_size = (tmp_path / "report.html").stat().st_size
    assert html_size < 3 * 1024 * 1024
    dummy, suite = parse_junit((tmp_path / "junit.xml").read_text(encoding="utf-8"))
    assert int(suite.get("tests")) == 800


# --------------------------------------------------------------------------- Ansible: module, role, docs

def ansible_env(tmp_path):
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, ".tmp", "collections"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
        "ANSIBLE_FORCE_COLOR": "0",
    })
    env.pop("ANSIBLE_CONFIG", None)
    return env


def bin_path(name):
    return os.path.join(os.path.dirname(sys.executable), name)


def run_playbook(tmp_path, *extra):
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(
        "all:\n  children:\n    routers:\n      hosts:\n"
        + "".join("        %s:\n" % host for host in ("core-1", "hub-1", "branch-7", "spoke-2", "dc-edge-2", "lab-3"))
        + "      vars:\n        ansible_connection: local\n        ansible_python_interpreter: %s\n" % sys.executable,
        encoding="utf-8")
    playbook = tmp_path / "site.yml"
    # Two plays, as playbooks/audit.yml has them: a host that failed in the first play is left out of
    # the second, and must still appear in the report.
    playbook.write_text("""---
- name: Fake check
  hosts: routers
  gather_facts: false
  tasks:
    - name: A host that fails before it is assessed
      ansible.builtin.fail:
        msg: simulated failure before the check
      when: inventory_hostname == 'lab-3'
    - name: Set the assessment from the fixtures (dc-edge-2 gets none)
      ansible.builtin.set_fact:
        ipsec_spi_assessment: "{{ lookup('ansible.builtin.file', fixtures ~ '/' ~ inventory_hostname ~ '.json') | from_json }}"
      when: inventory_hostname != 'dc-edge-2'

- name: Report
  hosts: routers
  gather_facts: false
  tasks:
    - name: Report
      ansible.builtin.import_role:
        name: netops.ipsec_spi.report
""", encoding="utf-8")
    cmd = [bin_path("ansible-playbook"), "-i", str(inventory), str(playbook),
           "-e", "fixtures=%s" % FIXTURES, "-e", "ipsec_spi_report_dir=%s" % (tmp_path / "reports")] + list(extra)
    proc = subprocess.run(cmd, env=ansible_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False,
                          universal_newlines=True, timeout=300, cwd=str(tmp_path))
    return proc


def report_task_result(output):
    data = json.loads(output)
    for play in data["plays"]:
        for task in play["tasks"]:
            if "Write the fleet report" in task["task"]["name"]:
                return next(iter(task["hosts"].values()))
    raise AssertionError("no report task in the output")


@pytest.mark.skipif(not os.path.exists(bin_path("ansible-playbook")), reason="ansible-playbook not in the virtualenv")
def test_role_writes_the_report_on_localhost(tmp_path):
    proc = run_playbook(tmp_path)
    # lab-3 fails on purpose, so the play's return code is 2.
    assert proc.returncode == 2, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = report_task_result(proc.stdout)
    assert result["changed"] is True, result
    # Two routers could not be assessed: the report task fails, after writing every file, and says who and why.
    assert result["failed"] is True
    assert "2 router(s) could not be assessed" in result["msg"] and "lab-3 (failed: no assessment" in result["msg"]
    assert "dc-edge-2 (missing: no assessment)" in result["msg"] and "report.html" in result["msg"]
    assert "2 not assessed, 1 confirmed desyncs; report in" in proc.stdout  # the summary is shown all the same
    reports = tmp_path / "reports"
    first = result["run_dir"]
    assert os.path.dirname(first) == str(reports) and os.readlink(str(reports / "latest")) == os.path.basename(first)
    for name in ("report.json", "report.md", "report.html", "junit.xml"):
        # The newest run opens where the flat layout had it.
        assert (reports / name).stat().st_size > 0 and os.readlink(str(reports / name)) == os.path.join("latest", name)
        assert os.path.join(first, name) in result["changed_files"]
    data = json.loads((reports / "report.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)
    unassessed = {u["host"]: u for u in data["unassessed"]}
    assert set(unassessed) == {"lab-3", "dc-edge-2"}
    # lab-3 failed a task and left the play; whether failed or unreachable, Ansible does not say: failed.
    assert unassessed["lab-3"]["kind"] == "failed" and "earlier in the run" in unassessed["lab-3"]["reason"]
    assert unassessed["dc-edge-2"]["reason"] == "no assessment"
    assert data["summary"]["non_compliant"] == 2 and data["mode"] == "dry_run"
    assert data["meta"]["title"] == "IPsec invalid-SPI compliance report"

    # Check mode still writes the report (labelled as check mode); the same run again changes nothing
    # and keeps the first generation time.
    second = report_task_result(run_playbook(tmp_path, "--check").stdout)
    assert second["changed"] is True and len(second["changed_files"]) == 4, second
    assert second["run_dir"] != first and os.path.isfile(os.path.join(first, "report.json"))  # the first run stays
    data = json.loads((reports / "report.json").read_text(encoding="utf-8"))
    assert data["mode_reason"] == "check mode" and data["meta"]["check_mode"] is True
    third = report_task_result(run_playbook(tmp_path, "--check", "-e", "ipsec_spi_report_fail_on_unassessed=false").stdout)
    assert third["changed"] is False and third["changed_files"] == [], third
    assert third["generated_at"] == second["generated_at"] and third["run_dir"] == second["run_dir"]
    assert not third.get("failed")
    assert sorted(os.listdir(str(reports))) == sorted([os.path.basename(first), os.path.basename(second["run_dir"]),
                                                       "latest", "report.json", "report.md", "report.html", "junit.xml"])


@pytest.mark.skipif(not os.path.exists(bin_path("ansible-playbook")), reason="ansible-playbook not in the virtualenv")
def test_role_flat_layout_and_noncompliant_failure(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "report.md").write_text("an earlier run's report", encoding="utf-8")
    proc = run_playbook(tmp_path, "-e", "ipsec_spi_report_per_run=false", "-e", "ipsec_spi_report_fail_on_unassessed=false",
                        "-e", "ipsec_spi_report_fail_on_noncompliant=true")
    result = report_task_result(proc.stdout)
    assert result["failed"] is True and result["run_dir"] == str(reports)
    assert "2 router(s) are non-compliant: branch-7, hub-1" in result["msg"], result["msg"]
    assert "could not be assessed: dc-edge-2" in result["msg"] or "could not be assessed" in result["msg"]
    assert sorted(os.listdir(str(reports))) == ["junit.xml", "report.html", "report.json", "report.md"]
    assert not os.path.islink(str(reports / "report.json"))
    # Switching to folders per run moves the flat files aside instead of losing them.
    proc = run_playbook(tmp_path, "-e", "ipsec_spi_report_fail_on_unassessed=false")
    result = report_task_result(proc.stdout)
    assert not result.get("failed"), result
    moved = [n for n in os.listdir(str(reports)) if n.startswith("before-per-run-")]
    assert len(moved) == 1 and sorted(os.listdir(str(reports / moved[0]))) == [
        "junit.xml", "report.html", "report.json", "report.md"]
    assert os.path.islink(str(reports / "report.json")) and json.loads((reports / "report.json").read_text())["routers"]


@pytest.mark.skipif(not os.path.exists(bin_path("ansible-doc")), reason="ansible-doc not in the virtualenv")
@pytest.mark.parametrize("args,expect", [
    (["netops.ipsec_spi.fleet_report"], "run_mode"),
    (["-t", "role", "netops.ipsec_spi.report"], "ipsec_spi_report_dir"),
])
def test_ansible_doc(tmp_path, args, expect):
    proc = subprocess.run([bin_path("ansible-doc")] + args, env=ansible_env(tmp_path), stdout=subprocess.PIPE, check=False,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert expect in proc.stdout


def test_tmp_dirs_left_clean(tmp_path):
    # The module's atomic writes leave no temporary files behind.
    from ansible_collections.netops.ipsec_spi.plugins.modules import fleet_report

    target = tmp_path / "r"
    target.mkdir()
    fleet_report._write_atomic(str(target / "report.md"), b"x")
    assert [p.name for p in target.iterdir()] == ["report.md"]
    shutil.rmtree(str(target))


def test_previous_time_kept_only_for_the_same_content():
    # The module compares report.json as text with the old time put in; any other difference is a new report.
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.report import render_json
    from ansible_collections.netops.ipsec_spi.plugins.modules.fleet_report import _previous_time

    fleet = make_fleet(12)
    old = render_json(build_report(fleet, generated_at="2026-01-01T00:00:00+00:00")).encode("utf-8")
    current = render_json(build_report(fleet, generated_at="2026-12-03T10:00:00+00:00"))
    assert _previous_time(old, current) == "2026-01-01T00:00:00+00:00"
    changed = render_json(build_report(fleet, generated_at="2026-12-03T10:00:00+00:00", meta={"title": "other"}))
    assert _previous_time(old, changed) is None
    assert _previous_time(None, current) is None
    assert _previous_time(b"\xff\xfe not utf-8", current) is None
    assert _previous_time(b'{\n  "generated_at": 5,\n}\n', current) is None
    assert _previous_time(old.replace(b'"generated_at"', b'"generated"'), current) is None
