# -*- coding: utf-8 -*-
"""report.model: what build_report counts, flags and keeps; the JSON schema; secrets; report.json."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils import codes
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report import (
    ReportError,
    build_report,
    natural_key,
    render_all,
    render_html,
    render_json,
    render_junit,
    render_markdown,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.router import router_findings
from ansible_collections.netops.ipsec_spi.plugins.module_utils.secrets import mask_text

from report_support import applied, by_host, fixture_report, load_fleet, make_fleet, parse_junit, schema, validate


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


def test_status_is_the_codes_rule():
    # The report's verdict is codes.status_of(assessed, codes.is_compliant(...)) on every router.
    report = fixture_report()
    for router in report["routers"]:
        findings = router_findings(router)
        want = codes.status_of(router["assessed"], codes.is_compliant(router["assessed"], findings))
        assert router["status"] == want, router["host"]
        assert router["counts"]["errors"] == sum(1 for f in findings if codes.blocking(f))


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
        # Ansible drops failed and unreachable hosts alike from the play: the report cannot tell which.
        "b": ("failed", "no assessment: the host failed or was unreachable earlier in the run"),
        "c": ("unreachable", "unreachable: timed out"),
        "d": ("missing", "no assessment"),
    }
    assert "secret stuff" not in render_json(report)


def test_error_kinds_come_from_structure_not_from_text():
    report = build_report(
        {"plain": None, "typed": None, "err-str": {"assessed": False, "error": "host unreachable: ssh timeout"},
         "err-map": {"assessed": False, "error": {"kind": "auth", "message": "Authentication failed"}},
         "err-none": {"assessed": False}, "err-nokind": {"assessed": False, "error": {"message": "boom"}}},
        reasons={"plain": "UNREACHABLE: ssh timed out", "typed": {"kind": "timeout", "message": "no answer"}})
    kinds = {u["host"]: u["kind"] for u in report["unassessed"]}
    assert kinds == {"plain": "failed", "typed": "timeout", "err-str": "failed", "err-map": "auth",
                     "err-none": "failed", "err-nokind": "failed"}
    assert report["summary"]["not_assessed_by_kind"] == {"auth": 1, "failed": 4, "timeout": 1}
    routers = by_host(report)
    assert routers["typed"]["reason"] == "no answer"
    unreachable = [f for f in routers["err-map"]["assessment"]["findings"] if f["code"] == "UNREACHABLE"]
    assert unreachable[0]["message"] == "auth: Authentication failed" and unreachable[0]["severity"] == "error"
    validate(report)


def test_reasons_are_masked():
    report = build_report({"a": None, "b": {"assessed": False, "error": {
        "kind": "rejected", "message": "% Invalid input: crypto isakmp key 0 Sup3rS3cr3t! address 0.0.0.0"}}},
        reasons={"a": "failed on: username admin password 7 0822455D0A16"})
    for text in render_all(report).values():
        assert "Sup3rS3cr3t!" not in text and "0822455D0A16" not in text
    assert by_host(report)["a"]["reason"] == mask_text("failed on: username admin password 7 0822455D0A16")


def test_mode():
    fleet = load_fleet()
    assert build_report(fleet, "auto")["mode"] == "dry_run"
    # A real run with nothing to change is applied, and says so; auto with nothing performed is a dry run.
    nothing = build_report(fleet, "applied")
    assert (nothing["mode"], nothing["mode_reason"]) == ("applied", "nothing to change")
    assert "APPLIED: nothing to change" in render_markdown(nothing)
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


def test_compliant_false_is_never_turned_into_compliant():
    a = load_fleet()["core-1"]
    a["compliant"] = False  # a rule the report does not know (say, a newer collection's)
    router = build_report({"core-1": a})["routers"][0]
    assert router["status"] == "non_compliant" and router["compliant"] is False
    assert any("says non-compliant without" in p for p in router["problems"])
    # Agreeing assessments carry no note.
    assert build_report({"core-1": load_fleet()["core-1"]})["routers"][0]["problems"] == []


def test_finding_without_severity_reads_as_its_code():
    a = load_fleet()["core-1"]
    a["findings"] = [{"code": "KNOB_MISSING", "message": "no knob"}, {"code": "NEW_CODE", "message": "?"}]
    a.pop("compliant")
    router = build_report({"core-1": a})["routers"][0]
    severities = [f["severity"] for f in router["assessment"]["findings"]]
    assert severities == [codes.SEVERITY["KNOB_MISSING"], "warning"] == ["error", "warning"]
    assert router["status"] == "non_compliant"
    assert sum("has no severity" in p for p in router["problems"]) == 2


def test_hosts_in_natural_order():
    report = build_report({"spoke-10": None, "spoke-2": None, "Spoke-3": None, "hub": None})
    assert [r["host"] for r in report["routers"]] == ["hub", "spoke-2", "Spoke-3", "spoke-10"]
    assert natural_key("rtr-\u00b2") < natural_key("rtr-\u00b3")  # non-ASCII digits are text, not numbers


def test_events_capped_most_recent_kept():
    a = load_fleet()["hub-1"]
    a["events"] = [dict(a["events"][0], epoch=float(i)) for i in range(700)]
    router = build_report({"hub-1": a})["routers"][0]
    epochs = [e["epoch"] for e in router["assessment"]["events"]]
    assert len(epochs) == 500 and min(epochs) == 200.0


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


def test_summary_spelling_is_the_fleet_summarys():
    # One spelling for AWX and the report: every count both publish has the same name.
    report = fixture_report()
    fleet = {r["host"]: r["assessment"] or {} for r in report["routers"]}
    shared = set(codes.fleet_summary(fleet)) & set(report["summary"])
    assert {"non_compliant", "compliant", "assessed", "unreachable", "confirmed_desyncs"} <= shared
    assert "noncompliant" not in report["summary"]


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


def test_input_is_not_modified():
    fleet = load_fleet()
    before = copy.deepcopy(fleet)
    build_report(fleet)
    assert fleet == before


# --------------------------------------------------------------------------- pairs, view, exit


def test_run_failure_names_the_routers_and_their_reasons():
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.report import run_failure

    report = fixture_report()
    text = run_failure(report)
    assert text.startswith("2 router(s) could not be assessed: ")
    assert "lab-3 (unreachable: host unreachable (no assessment))" in text and "spoke-9 (" in text
    assert run_failure(report, unassessed=False) == ""
    both = run_failure(report, unassessed=False, noncompliant=True)
    assert "could not be assessed" in both and "router(s) are non-compliant: " in both
    healthy = build_report({"core-1": load_fleet()["core-1"]})
    assert run_failure(healthy, unassessed=True, noncompliant=True) == ""


def test_run_failure_names_at_most_twenty():
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.report import run_failure

    report = build_report({"r%02d" % i: None for i in range(25)})
    text = run_failure(report)
    assert text.startswith("25 router(s)") and text.endswith(" and 5 more") and "r19 (missing" in text
    assert "r20 (" not in text


def test_the_view_lists_routers_not_seen_masked_and_checked():
    fleet = load_fleet()
    view = {"complete": False, "inventory": 9, "targeted": 7, "assessed": 6,
            "not_assessed": {"spoke-9": {"kind": "unreachable", "message": "timed out"},
                             "edge-10": {"kind": "not_targeted", "message": "not targeted by this run"},
                             "edge-2": {"kind": "auth", "message": "login failed, password 0 hunter2"}}}
    report = build_report(fleet, view=view)
    validate(report)
    rows = {r["host"]: r for r in report["not_seen"]}
    assert [r["host"] for r in report["not_seen"]] == ["edge-2", "edge-10", "spoke-9"]
    assert rows["edge-10"]["targeted"] is False and rows["spoke-9"]["targeted"] is True
    assert "hunter2" not in json.dumps(report)
    assert report["view"]["complete"] is False and report["view"]["inventory"] == 9
    assert build_report(fleet)["view"] is None
    for bad in ("all", {"not_assessed": ["spoke-9"]}):
        with pytest.raises(ReportError, match="view"):
            build_report(fleet, view=bad)


def test_pairs_lead_with_what_was_done_and_why():
    from report_support import lab_fleet

    fleet, view = lab_fleet()
    report = build_report(fleet, view=view)
    validate(report)
    pairs = {(p["receiver"], p["spi_hex"]): p for p in report["pairs"]}
    # Only persistent flows: the lab's single-message flows (rekey races) are no pair.
    assert len(pairs) == 5 and report["summary"]["black_holed_pairs"] == 5
    assert report["summary"]["pairs_by_verdict"] == {"confirmed": 3, "unverified": 2, "resolved": 0}
    sent = pairs[("dmhub", "0x7DC5226E")]
    assert sent["sender"] == "spoke2" and sent["sender_assessed"] is True and sent["messages"] == 38
    assert [(p["host"], p["result"], p["verified"]) for p in sent["performed"]] == [("spoke2", "done", True)]
    assert sent["receiver_drops"] == {"packets": 45660, "delta": 0, "rate_pps": 0.0, "rising": False}
    assert pairs[("hub1", "0x4E6980EE")]["receiver_drops"]["rising"] is True
    knob = pairs[("hub1", "0x4E6980EE")]
    assert knob["knob_remedy"] is True and [p["action"] for p in knob["planned"]] == ["enable_knob"]
    unread = pairs[("vti2", "0x01879C05")]
    assert unread["verdict"] == "unverified" and unread["sender_status"] == "not_assessed"
    assert unread["sender"] == "hub2" and "not assessed in this run" in unread["why"]
    assert unread["planned"] == [] and unread["performed"] == []
    # The sender of a confirmed desync counts its stale outbound SA.
    routers = {r["host"]: r for r in report["routers"]}
    assert routers["br2"]["counts"]["stale_outbound_sas"] == 1 and routers["br2"]["counts"]["confirmed_desyncs"] == 0
    commands = {c["host"]: c["commands"] for c in report["commands"]}
    assert [(c["command"], c["state"]) for c in commands["spoke2"]] == [("clear crypto sa peer 198.51.100.3", "sent")]


def test_a_pair_is_a_persistent_verdict_of_a_known_kind_on_an_assessed_receiver():
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.pairs import fleet_pairs

    routers = [
        {"host": "r1", "assessed": True, "assessment": {
            "desync": [{"verdict": "transient", "sender_addr": "192.0.2.1", "spi": 5},
                       {"verdict": "confirmed", "sender_addr": "192.0.2.1", "spi": 6, "sender": "r2"},
                       {"verdict": "confirmed", "sender_addr": "192.0.2.1", "spi": 7, "status": "transient"}],
            # Another sender address than the pair's: not the pair's action.
            "planned_actions": [{"receiver": "r1", "spi": 6, "sender_addr": "192.0.2.9", "action": "clear_sa"}]}},
        {"host": "r2", "assessed": False,
         "assessment": {"desync": [{"verdict": "confirmed", "sender_addr": "192.0.2.3", "spi": 8}]}},
    ]
    assert fleet_pairs(routers) == [{
        "receiver": "r1", "receiver_addr": None, "sender": "r2", "sender_addr": "192.0.2.1", "sender_assessed": False,
        "sender_status": None, "spi": 6, "spi_hex": None, "verdict": "confirmed", "why": None, "first_seen": None,
        "last_seen": None, "span_seconds": None, "messages": None,
        "receiver_drops": {"packets": None, "delta": None, "rate_pps": None, "rising": None}, "knob_remedy": False,
        "planned": [], "performed": []}]


def test_numbers_for_readers():
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.svg import flow_label
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.report.view import (
        drops_text,
        fmt_duration,
        fmt_time,
    )

    assert [fmt_duration(v) for v in (1161.0889999866486, 45, 0.4, 7325, 200000, None, -1)] == [
        "19 min 21 s", "45 s", "0 s", "2 h 02 min", "2 d 7 h", "n/a", "n/a"]
    assert fmt_time("2026-11-29T17:40:00.263+00:00") == "2026-11-29 17:40:00 UTC"
    assert fmt_time("*Mar  1 00:01:02") == "*Mar  1 00:01:02"
    assert drops_text({"packets": 1457137, "delta": 1200, "rate_pps": 120.0, "rising": True}) == \
        "1,457,137 (+1,200, 120.0 pps: still rising)"
    assert "not rising" in drops_text({"packets": 1457137, "delta": 0, "rate_pps": 0.0, "rising": False})
    assert drops_text({"packets": None}) == "no counters"
    prefix = "hub-with-a-long-name-7: 2001:db8:aaaa:bbbb:cccc:dddd:eeee:1 \u2192 2001:db8:1111:2222:3333:4444:5555:2"
    label = flow_label(prefix, "0x1DB73BBB")
    assert label.endswith("  0x1DB73BBB") and len(label) <= 56 and label.startswith("hub-with")
