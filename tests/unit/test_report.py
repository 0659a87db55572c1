# -*- coding: utf-8 -*-
"""The fleet report: content, schema, JUnit, Markdown escaping, secrets, speed, role and module."""

from __future__ import annotations

import copy
import glob
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils.secrets import mask_text
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report import (
    ReportError,
    build_report,
    clean_text,
    md_escape,
    render_all,
    render_html,
    render_json,
    render_junit,
    render_markdown,
)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(HERE, "fixtures", "assessments")
SCHEMA_PATH = os.path.join(ROOT, "docs", "schemas", "report-v1.schema.json")
XSS = "<script>window.__xss=1</script>"
T0 = 1764439200.0


def load_fleet():
    fleet = {}
    for path in sorted(glob.glob(os.path.join(FIXTURES, "*.json"))):
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        fleet[data["host"]] = data
    return fleet


def fixture_report(**kwargs):
    fleet = load_fleet()
    fleet["lab-3"] = None
    kwargs.setdefault("reasons", {"lab-3": "host unreachable (no assessment)"})
    kwargs.setdefault("generated_at", "2025-11-29T18:15:00+00:00")
    return build_report(fleet, **kwargs)


def schema():
    with open(SCHEMA_PATH, encoding="utf-8") as handle:
        return json.load(handle)


def validate(report):
    data = json.loads(render_json(report))
    jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator,
                        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return data


def by_host(report):
    return {r["host"]: r for r in report["routers"]}


def applied(assessment, result="done", verified=True, message="cleared; no INV_SPI since"):
    done = copy.deepcopy(assessment)
    done["performed_actions"] = [dict(a, result=result, verified=verified, message=message)
                                 for a in done["planned_actions"]]
    return done


def make_fleet(count, applied=False, seed=7):
    """A deterministic fleet of ``count`` routers: mostly healthy, some desynced, some without the knob,
    a few unreachable; ``applied`` adds performed actions (one of them failed)."""
    rng = random.Random(seed)
    base = load_fleet()
    fleet = {}
    failed_one = False
    for index in range(count):
        host = "rtr-%03d" % index
        roll = index % 20
        if roll == 3:
            fleet[host] = None if index % 40 == 3 else dict(copy.deepcopy(base["spoke-9"]), host=host)
            continue
        if roll in (1, 11):
            a = copy.deepcopy(base["hub-1"])
            src = "10.%d.%d.2" % (index // 250, index % 250)
            spi = rng.randrange(0x10000000, 0xFEFFFFFF)
            offsets = sorted(rng.sample(range(0, 3600), rng.randint(3, 30)))
            a["events"] = [{"epoch": T0 + o, "time": None, "src": src, "dst": "10.0.0.1", "spi": spi} for o in offsets]
            a["flows"] = [dict(a["flows"][0], src=src, spi=spi, spi_hex="0x%08X" % spi, count=len(offsets),
                               span_seconds=float(offsets[-1] - offsets[0]))]
            a["desync"] = [dict(a["desync"][0], sender_addr=src, spi=spi)]
            a["drops"] = dict(a["drops"], invalid_spi_packets=rng.randint(1, 50000))
        elif roll in (5, 15):
            a = copy.deepcopy(base["branch-7"])
        elif roll == 7:
            a = copy.deepcopy(base["spoke-2"])
        else:
            a = copy.deepcopy(base["core-1"])
            if rng.random() < 0.2:
                a["drops"] = dict(a["drops"], invalid_spi_packets=rng.randint(1, 400))
        a["host"] = host
        for action in a["planned_actions"]:
            action["host"] = host
        if applied and a["planned_actions"]:
            ok = failed_one
            failed_one = True
            a["performed_actions"] = [dict(p, result="done" if ok else "failed", verified=ok,
                                           message="ok" if ok else "connection closed") for p in a["planned_actions"]]
        fleet[host] = a
    return fleet


# --------------------------------------------------------------------------- content

def test_summary_counts_from_the_fixture_fleet():
    report = fixture_report()
    s = report["summary"]
    assert (s["routers"], s["assessed"], s["compliant"], s["non_compliant"], s["unreachable"]) == (7, 5, 3, 2, 2)
    assert s["confirmed_desyncs"] == 1 and s["persistent_flows"] == 1
    assert (s["planned_actions"], s["performed_actions"], s["failed_actions"]) == (2, 0, 0)
    assert s["findings_by_code"]["UNREACHABLE"] == 2
    assert s["findings_by_code"]["KNOB_MISSING"] == 2 and s["waived_by_code"]["KNOB_MISSING"] == 1
    assert s["waived_findings"] == 2
    assert s["findings_by_severity"] == {"error": 4, "warning": 3, "info": 5}
    assert s["invalid_spi_packets"] == 132 and s["routers_with_drops"] == 2
    assert s["not_assessed_by_kind"] == {"unreachable": 2}


def test_right_routers_flagged():
    routers = by_host(fixture_report())
    assert {h: r["status"] for h, r in routers.items()} == {
        "core-1": "compliant",
        "dc-edge-2": "compliant",  # IKEv2 only: knob irrelevant is info, not a failure
        "spoke-2": "compliant",  # its KNOB_MISSING is waived
        "hub-1": "non_compliant",
        "branch-7": "non_compliant",
        "spoke-9": "not_assessed",
        "lab-3": "not_assessed",
    }
    assert routers["hub-1"]["families"] == {"reachability": "pass", "desync": "fail", "knob": "pass", "dpd": "pass"}
    assert routers["branch-7"]["families"] == {"reachability": "pass", "desync": "pass", "knob": "fail", "dpd": "pass"}
    assert routers["spoke-9"]["families"] == {"reachability": "fail", "desync": "skip", "knob": "skip", "dpd": "skip"}
    assert routers["spoke-2"]["counts"]["waived"] == 2 and routers["spoke-2"]["counts"]["errors"] == 0
    assert routers["hub-1"]["counts"]["confirmed_desyncs"] == 1
    assert routers["dc-edge-2"]["assessment"]["knob"]["status"] == "irrelevant"


def test_actions_and_unassessed_hosts():
    report = fixture_report()
    planned = {(a["host"], a["action"], a["command"]) for a in report["actions"]["planned"]}
    assert planned == {("spoke-2", "clear_sa", "clear crypto sa peer 10.0.0.1"),
                       ("branch-7", "add_knob", "crypto isakmp invalid-spi-recovery")}
    assert report["actions"]["performed"] == []
    assert report["unassessed"] == [
        {"host": "lab-3", "kind": "unreachable", "reason": "host unreachable (no assessment)"},
        {"host": "spoke-9", "kind": "unreachable",
         "reason": "ssh: connect to host 192.0.2.9 port 22: Connection timed out"},
    ]


def test_reasons_from_failed_results_and_play_hosts():
    report = build_report({"a": None, "b": {}, "c": None, "d": None},
                          reasons={"a": {"msg": "Authentication failed", "stdout": "secret stuff"},
                                   "c": {"msg": "timed out", "unreachable": True}},
                          active_hosts=["a", "c", "d"])
    kinds = {u["host"]: (u["kind"], u["reason"]) for u in report["unassessed"]}
    assert kinds == {
        "a": ("failed", "Authentication failed"),
        "b": ("unreachable", "no assessment: the host failed or was unreachable earlier in the run"),
        "c": ("unreachable", "unreachable: timed out"),
        "d": ("missing", "no assessment"),
    }
    assert "secret stuff" not in render_json(report)


def test_mode():
    fleet = load_fleet()
    assert build_report(fleet, "auto")["mode"] == "dry_run"
    assert build_report(fleet, "applied")["mode_reason"] == "no action was performed"
    fleet["hub-1"] = applied(fleet["hub-1"])
    report = build_report(fleet, "auto")
    assert report["mode"] == "applied" and report["summary"]["performed_actions"] == 1
    assert report["actions"]["performed"][0]["host"] == "spoke-2"
    forced = build_report(fleet, "dry_run")
    assert forced["mode"] == "dry_run" and forced["mode_reason"] == "check mode"
    assert "DRY RUN (check mode)" in render_markdown(forced)
    assert "APPLIED: 1 action(s) performed" in render_markdown(report)
    assert 'class="banner applied"' in render_html(report)
    with pytest.raises(ReportError, match="mode must be one of"):
        build_report(fleet, "yes")


def test_actions_not_carried_out_are_not_performed():
    fleet = load_fleet()
    fleet["hub-1"] = applied(fleet["hub-1"], result="would_run", verified=None, message="check mode")
    fleet["branch-7"] = applied(fleet["branch-7"], result="skipped", verified=None, message="healed meanwhile")
    report = build_report(fleet, "auto")
    assert report["mode"] == "dry_run" and report["mode_reason"] == "no action was performed"
    s = report["summary"]
    assert (s["performed_actions"], s["skipped_actions"], s["failed_actions"]) == (0, 2, 0)
    assert len(report["actions"]["performed"]) == 2  # still listed, with their results
    dummy, suite = parse_junit(render_junit(report))
    assert not [c for c in suite.findall("testcase") if c.get("name") == "remediation"]
    md = render_markdown(report)
    assert "**Remediation results**" in md and "would\\_run" in md
    fleet["spoke-2"] = dict(fleet["spoke-2"], performed_actions=[
        {"action": "clear_sa", "host": "spoke-2", "command": "clear crypto sa peer 10.0.0.1", "result": "done",
         "verified": True}])
    report = build_report(fleet, "auto")
    assert report["mode"] == "applied" and report["summary"]["performed_actions"] == 1
    validate(report)


def test_bad_input_is_named_not_a_traceback():
    with pytest.raises(ReportError, match="mapping host -> assessment, not str"):
        build_report("hub-1")
    with pytest.raises(ReportError, match=r"assessments\[0\] has no host"):
        build_report([{"compliant": True}])
    report = build_report({"x": "not a dict", "y": {"assessed": True, "findings": "oops", "tunnels": [1, {"kind": "svti"}],
                                                    "raw_config": "line"}})
    routers = by_host(report)
    assert routers["x"]["status"] == "not_assessed" and routers["x"]["error_kind"] == "invalid"
    assert routers["y"]["status"] == "compliant"
    assert any("findings is str" in p for p in routers["y"]["problems"])
    assert any("1 tunnels entry is not a mapping" in p for p in routers["y"]["problems"])
    assert any("raw_config" in p for p in routers["y"]["problems"])
    assert "raw_config" not in routers["y"]["assessment"]
    validate(report)
    # Every renderer copes with the odd input.
    for text in render_all(report).values():
        assert "y" in text


def test_compliant_flag_is_checked_against_findings():
    a = load_fleet()["branch-7"]
    a["compliant"] = True  # contradicts its un-waived KNOB_MISSING
    router = build_report({"branch-7": a})["routers"][0]
    assert router["status"] == "non_compliant"
    assert any("says compliant" in p for p in router["problems"])


# --------------------------------------------------------------------------- JSON schema

def test_report_json_validates_against_the_schema():
    data = validate(fixture_report())
    assert data["schema_version"] == 1
    fleet = load_fleet()
    fleet["hub-1"] = applied(fleet["hub-1"])
    validate(build_report(fleet, "auto", meta={"title": "x", "playbook": "audit"}))
    validate(build_report(make_fleet(60, applied=True)))
    validate(build_report({}))


def test_schema_rejects_a_broken_report():
    data = json.loads(render_json(fixture_report()))
    del data["summary"]["compliant"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)
    data = json.loads(render_json(fixture_report()))
    data["routers"][0]["status"] = "fine"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)


def test_json_is_stable():
    assert render_json(fixture_report()) == render_json(fixture_report())


# --------------------------------------------------------------------------- JUnit

def parse_junit(text):
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    return root, suites[0]


def test_junit_fails_non_compliant_routers():
    report = fixture_report()
    root, suite = parse_junit(render_junit(report))
    cases = suite.findall("testcase")
    assert len(cases) == 7 * 4 == int(suite.get("tests")) == int(root.get("tests"))
    failed = sorted((c.get("classname"), c.get("name")) for c in cases if c.find("failure") is not None)
    assert failed == [("branch-7", "knob"), ("hub-1", "desync"), ("lab-3", "reachability"),
                      ("spoke-9", "reachability")]
    assert int(suite.get("failures")) == 4 and int(suite.get("skipped")) == 6
    desync = next(c for c in cases if (c.get("classname"), c.get("name")) == ("hub-1", "desync"))
    assert desync.find("failure").get("type") == "SPI_DESYNC_CONFIRMED"
    assert "FOREIGN_SENDER" in desync.find("system-out").text  # a warning: shown, not failing
    waived = next(c for c in cases if (c.get("classname"), c.get("name")) == ("spoke-2", "knob"))
    assert waived.find("failure") is None
    assert "WAIVED KNOB_MISSING" in waived.find("system-out").text
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["mode"] == "dry_run"


def test_junit_remediation_case_and_hostile_text():
    fleet = load_fleet()
    fleet["hub-1"] = applied(fleet["hub-1"], result="failed", verified=False,
                             message="%s ]]> \x00\x1b[31m & <b>" % XSS)
    fleet["branch-7"]["findings"][0]["message"] = "<![CDATA[ x ]]> \x07 " + XSS
    text = render_junit(build_report(fleet))
    root, suite = parse_junit(text)
    case = next(c for c in suite.findall("testcase") if c.get("name") == "remediation")
    assert case.get("classname") == "hub-1" and case.find("failure").get("type") == "ACTION_FAILED"
    assert XSS in case.find("failure").get("message")
    knob = next(c for c in suite.findall("testcase") if (c.get("classname"), c.get("name")) == ("branch-7", "knob"))
    assert knob.find("failure").get("message").startswith("KNOB_MISSING: <![CDATA[ x ]]> \ufffd <script>")


# --------------------------------------------------------------------------- Markdown

def outside_fences(markdown):
    kept, fence = [], None
    for line in markdown.splitlines():
        stripped = line.strip()
        match = re.match(r"^(`{3,}|~{3,})", stripped)
        if fence is None and match:
            fence = match.group(1)
            continue
        if fence is not None:
            if stripped == fence:
                fence = None
            continue
        kept.append(line)
    return kept


def test_markdown_escapes_router_text():
    md = render_markdown(fixture_report())
    lines = outside_fences(md)
    assert not any("<script" in line for line in lines)
    row = next(line for line in lines if "window.\\_\\_xss" in line)
    assert "&lt;script&gt;window.\\_\\_xss=1&lt;/script&gt;" in row
    assert "\\[link\\](http\\://evil.example)" in row and "\\*\\*bold\\*\\*" in row
    # The description's | did not add a column: 7 columns, 8 unescaped pipes.
    assert len(re.findall(r"(?<!\\)\|", row)) == 8
    # The raw line is only in a fenced block whose fence cannot be closed by the text.
    assert md.count(" description " + XSS) == 1
    assert "## Affected routers" in md and "### hub-1: non-compliant" in md
    assert "### core-1" not in md  # healthy routers are only in the table
    assert "clear crypto sa peer 10.0.0.1" in md


@pytest.mark.parametrize("raw,expected", [
    ("plain text 10.0.0.1", "plain text 10.0.0.1"),
    ("a|b", "a\\|b"),
    ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
    ("# heading", "\\# heading"),
    ("- item", "\\- item"),
    ("1. item", "1\\. item"),
    ("line1\nline2", "line1 line2"),
    ("see https://x.example", "see https\\://x.example"),
    ("`code` *em* _u_ [l](u) ~s~ !", "\\`code\\` \\*em\\* \\_u\\_ \\[l\\](u) \\~s\\~ \\!"),
    ("a & b", "a &amp; b"),
    ("back\\slash", "back\\\\slash"),
])
def test_md_escape(raw, expected):
    assert md_escape(raw) == expected


def test_markdown_fence_outlasts_backticks():
    fleet = load_fleet()
    fleet["hub-1"]["tunnels"][0]["evidence"] = ["```", "````` still inside", " description x"]
    md = render_markdown(build_report(fleet))
    assert "``````text" in md


# --------------------------------------------------------------------------- HTML (static checks; the browser test is
# test_report_html.py)

def test_html_escapes_and_is_self_contained():
    page = render_html(fixture_report())
    assert page.count("<script") == 1  # ours only
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in page
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", page)
    assert "@import" not in page and "url(" not in page
    assert "Content-Security-Policy" in page and "script-src 'sha256-" in page
    assert page.count('<details class="router"') == 7
    assert "<details class=\"router\" open" not in page  # collapsed for big fleets


def test_clean_text_removes_xml_illegal_characters():
    assert clean_text("a\x00b\x1bc\td\ne") == "a\ufffdb\ufffdc\td\ne"


# --------------------------------------------------------------------------- secrets

SECRETS = ("Sup3rS3cr3t!", "Zx9psk", "0822455D0A16", "c0mmun1ty", "nhrpKey1", "KeyString42")


def test_no_secret_reaches_any_report():
    fleet = load_fleet()
    a = fleet["branch-7"]
    a["tunnels"][0]["evidence"] += [
        "crypto isakmp key 0 Sup3rS3cr3t! address 192.0.2.10",
        " pre-shared-key local Zx9psk",
        " username admin password 7 0822455D0A16",
        "snmp-server community c0mmun1ty RO",
        " ip nhrp authentication nhrpKey1",
        "  key-string KeyString42",
    ]
    a["running_config"] = "crypto isakmp key 0 Sup3rS3cr3t! address 192.0.2.10"
    a["unparsed"] = [{"command": "show run", "line": 4, "reason": "?", "text": "crypto isakmp key 6 Sup3rS3cr3t! address 0.0.0.0"}]
    files = render_all(build_report(fleet))
    for name, text in files.items():
        for secret in SECRETS:
            assert secret not in text, (name, secret)
    assert "crypto isakmp key 0 &lt;masked&gt; address 192.0.2.10" in files["report.html"]
    assert "keepalive" in mask_text("crypto isakmp keepalive 10 3")
    assert mask_text("crypto isakmp keepalive 10 3") == "crypto isakmp keepalive 10 3"
    assert mask_text(" pre-shared-key address 10.0.0.1 key s3cr3t") == " pre-shared-key address 10.0.0.1 key <masked>"


# --------------------------------------------------------------------------- scale

def test_200_router_fleet_is_written_quickly(tmp_path):
    fleet = make_fleet(200)
    start = time.perf_counter()
    report = build_report(fleet)
    for name, text in render_all(report).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    elapsed = time.perf_counter() - start
    assert elapsed < 5.0, "200-router report took %.2f s" % elapsed
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
    reports = tmp_path / "reports"
    for name in ("report.json", "report.md", "report.html", "junit.xml"):
        assert (reports / name).stat().st_size > 0
        assert str(reports / name) in result["changed_files"]
    data = json.loads((reports / "report.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)
    unassessed = {u["host"]: u for u in data["unassessed"]}
    assert set(unassessed) == {"lab-3", "dc-edge-2"}
    assert unassessed["lab-3"]["kind"] == "unreachable" and "earlier in the run" in unassessed["lab-3"]["reason"]
    assert unassessed["dc-edge-2"]["reason"] == "no assessment"
    assert data["summary"]["non_compliant"] == 2 and data["mode"] == "dry_run"
    assert data["meta"]["title"] == "IPsec invalid-SPI compliance report"

    # Check mode still writes the report (labelled as check mode); the same run again changes nothing
    # and keeps the first generation time.
    second = report_task_result(run_playbook(tmp_path, "--check").stdout)
    assert second["changed"] is True and len(second["changed_files"]) == 4, second
    data = json.loads((reports / "report.json").read_text(encoding="utf-8"))
    assert data["mode_reason"] == "check mode" and data["meta"]["check_mode"] is True
    third = report_task_result(run_playbook(tmp_path, "--check").stdout)
    assert third["changed"] is False and third["changed_files"] == [], third
    assert third["generated_at"] == second["generated_at"]


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
