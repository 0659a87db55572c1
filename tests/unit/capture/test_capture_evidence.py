"""capture/evidence.py and the spi_captures filter: captured INV_SPI judged with both ends' SA tables."""
from __future__ import annotations

import re

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils import capture
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError
from ansible_collections.netops.ipsec_spi.tests.unit.capture.blocks import BR, FLOW, HUB, T0, assessment, receiver_block, twin_block


def test_confirmed_by_capture():
    captures = {"hubc": {"ipsec_spi_capture.txt": receiver_block(T0, 0xFF123456, [0x620F087])},
                "brc": [twin_block(T0 - 7, [0xFF123456])]}
    out = capture.merge_captures(captures, assessments={"hubc": assessment("hubc", [FLOW]), "brc": assessment("brc")})
    (verdict,) = out["verdicts"]
    assert verdict["verdict"] == "confirmed" and verdict["sender"] == "brc" and verdict["receiver_addr"] == HUB
    assert verdict["receiver_inbound"] == [0x620F087] and verdict["sender_outbound"] == [0xFF123456]
    assert verdict["evidence"][-1].endswith(": confirmed") and "captured at" in verdict["evidence"][-1]
    merged = out["assessments"]["hubc"]
    codes = [(f["code"], f["severity"]) for f in merged["findings"]]
    assert ("CAPTURED_DESYNC", "error") in codes
    assert ("SPI_TOP_BYTE_FF", "warning") in codes
    ff = next(f for f in merged["findings"] if f["code"] == "SPI_TOP_BYTE_FF")
    assert "matches the symptom of CSCvp16730" in ff["message"] and ff["bug"] == "CSCvp16730"
    bug = next(f for f in merged["findings"] if f["code"] == "KNOWN_BUG_SYMPTOM")
    assert bug["bug"] == "CSCvn31824" and "matches the symptom of" in bug["message"]
    assert merged["compliant"] is False
    assert merged["flows"][0]["captured"]["verdict"] == "confirmed"
    assert merged["captures"]["snapshots"] == 1 and merged["captures"]["files"] == ["ipsec_spi_capture.txt"]
    assert out["assessments"]["brc"]["findings"] == [] and out["assessments"]["brc"]["compliant"] is True
    # A second merge replaces the capture findings instead of adding them again.
    again = capture.merge_captures(captures, assessments={"hubc": merged})
    assert len(again["assessments"]["hubc"]["findings"]) == len(merged["findings"])


def test_unverified_when_the_sender_was_not_captured():
    out = capture.merge_captures({"hubc": receiver_block(T0, 0x1234, [])}, assessments={"hubc": assessment("hubc")})
    (verdict,) = out["verdicts"]
    assert verdict["verdict"] == "unverified" and verdict["sender"] is None
    (finding,) = out["findings"]["hubc"]
    assert finding["code"] == "CAPTURED_DESYNC" and finding["severity"] == "warning"
    assert out["assessments"]["hubc"]["compliant"] is True


def test_sender_capture_outside_the_tolerance_does_not_count():
    captures = {"hubc": receiver_block(T0, 0x1234, []), "brc": twin_block(T0 + 600, [0x1234])}
    out = capture.merge_captures(captures, tolerance=90)
    assert out["verdicts"][0]["verdict"] == "unverified"
    assert "no capture of brc within 90 s" in " ".join(out["verdicts"][0]["evidence"])
    assert capture.merge_captures(captures, tolerance=700)["verdicts"][0]["verdict"] == "confirmed"


def test_transient_when_the_receiver_had_the_spi_or_the_sender_dropped_it():
    had = capture.merge_captures({"hubc": receiver_block(T0, 0x1234, [0x1234]), "brc": twin_block(T0, [0x1234])})
    assert had["verdicts"][0]["verdict"] == "transient" and had["findings"]["hubc"] == []
    gone = capture.merge_captures({"hubc": receiver_block(T0, 0x1234, []), "brc": twin_block(T0 + 5, [0x9999])})
    assert gone["verdicts"][0]["verdict"] == "transient"


def test_ff_finding_not_repeated_when_the_check_role_already_reported_it():
    existing = {"code": "SPI_TOP_BYTE_FF", "severity": "warning", "subject": BR, "waived": False, "waiver": None,
                "message": "SPI 0xFF123456 starts with 0xFF: matches the symptom of CSCvp16730"}
    out = capture.merge_captures({"hubc": receiver_block(T0, 0xFF123456, [])},
                                 assessments={"hubc": assessment("hubc", findings=[existing])})
    assert [f["code"] for f in out["assessments"]["hubc"]["findings"]].count("SPI_TOP_BYTE_FF") == 1


def test_waiver_applies_to_captured_desync():
    captures = {"hubc": receiver_block(T0, 0x1234, []), "brc": twin_block(T0, [0x1234])}
    waivers = [{"code": "CAPTURED_DESYNC", "reason": "CHG1", "expires": "2999-01-01"}]
    out = capture.merge_captures(captures, assessments={"hubc": assessment("hubc")}, waivers=waivers)
    finding = next(f for f in out["assessments"]["hubc"]["findings"] if f["code"] == "CAPTURED_DESYNC")
    assert finding["waived"] is True and out["assessments"]["hubc"]["compliant"] is True
    with pytest.raises(ParseError, match="unknown finding code"):
        capture.merge_captures(captures, waivers=[{"code": "NOPE", "reason": "x"}])


def test_invalid_syntax_in_captured_log_names_the_ikev2_bug():
    text = receiver_block(T0, 0x1234, []).replace(
        "hubc#\n" + capture.END, "*Nov 29 18:01:07.500 UTC: %IKEV2-3-NEG_ABORT: Negotiation aborted due to ERROR: "
        "INVALID_SYNTAX\nhubc#\n" + capture.END)
    out = capture.merge_captures({"hubc": text})
    bugs = [f["bug"] for f in out["findings"]["hubc"] if f["code"] == "KNOWN_BUG_SYMPTOM"]
    assert bugs == ["CSCvd40554"]


@pytest.mark.parametrize("captures, kwargs, message", [
    ("text", {}, "captures must be a mapping"),
    ({"h": 5}, {}, "captures of a host must be"),
    ({"h": ""}, {"assessments": []}, "assessments must be a mapping"),
    ({"h": ""}, {"tolerance": -1}, "tolerance"),
])
def test_merge_refuses_bad_input(captures, kwargs, message):
    with pytest.raises(ParseError, match=message):
        capture.merge_captures(captures, **kwargs)


@pytest.mark.parametrize("value", ["1e20", "inf", "9" * 400])
def test_filter_reports_a_corrupt_epoch_instead_of_raising(value, monkeypatch):
    from ansible_collections.netops.ipsec_spi.plugins.filter.spi_captures import spi_captures
    from ansible_collections.netops.ipsec_spi.plugins.plugin_utils import wrap

    monkeypatch.setattr(wrap.display, "warning", lambda msg: None)
    text = receiver_block(T0, 0x1234, []).replace("epoch: %d" % T0, "epoch: " + value)
    out = spi_captures({"hubc": text})
    (snap,) = out["snapshots"]["hubc"]
    # The trigger message still dates the capture.
    assert snap["epoch"] is not None and any("epoch" in p["reason"] for p in out["problems"])
    assert out["verdicts"][0]["verdict"] == "unverified"


@pytest.mark.parametrize("kwargs, message", [
    (dict(tolerance="inf"), "tolerance"),
    (dict(tolerance="nan"), "tolerance"),
    (dict(tolerance=-1), "tolerance"),
    (dict(year="inf"), "year"),
    (dict(year=10 ** 6), "year"),
    (dict(year=True), "year"),
])
def test_filter_refuses_bad_numbers_by_name(kwargs, message):
    from ansible.errors import AnsibleFilterError
    from ansible_collections.netops.ipsec_spi.plugins.filter.spi_captures import spi_captures

    with pytest.raises(AnsibleFilterError, match=r"netops\.ipsec_spi\.spi_captures: .*%s" % message):
        spi_captures({"h": ""}, **kwargs)


# ----- one rule, one index, one lookup (desync) ---------------------------------------------------------------

def test_the_public_verdict_words_map_every_desync_verdict_once():
    from ansible_collections.netops.ipsec_spi.plugins.module_utils import desync
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.capture import evidence

    assert set(evidence.VERDICT_OF) == {desync.CONFIRMED, desync.RESOLVED, desync.UNVERIFIED}
    assert sorted(evidence.VERDICT_OF.values()) == ["confirmed", "transient", "unverified"]
    assert evidence.VERDICT_OF[desync.RESOLVED] == "transient"


@pytest.mark.parametrize("inbound, outbound", [
    ([], [0x1234]), ([], [0x9999]), ([0x1234], [0x1234]), ([0x1234], [0x9999]), ([0x5555], [0x1234, 0x5556]),
    ([], None), ([0x1234], None),
])
def test_capture_verdict_is_the_desync_rule(inbound, outbound):
    from ansible_collections.netops.ipsec_spi.plugins.module_utils import desync
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.capture import evidence

    captures = {"hubc": receiver_block(T0, 0x1234, inbound)}
    if outbound is not None:
        captures["brc"] = twin_block(T0 + 3, outbound)
    (verdict,) = capture.merge_captures(captures)["verdicts"]
    expected = desync.judge(0x1234, inbound, outbound)
    assert verdict["verdict"] == evidence.VERDICT_OF[expected]
    assert verdict["receiver_inbound"] == inbound and verdict["sender_outbound"] == (outbound or [])


def test_the_routers_own_addresses_name_the_sender_before_what_a_capture_shows():
    # brd's gathered facts own BR; brc's twin shows BR as its local address: the facts win (desync.address_book).
    captures = {"hubc": receiver_block(T0, 0x1234, []), "brc": twin_block(T0, [0x1234])}
    (verdict,) = capture.merge_captures(captures, addresses={"brd": [BR]})["verdicts"]
    assert verdict["sender"] == "brd" and verdict["verdict"] == "unverified"
    assert "no capture of brd within 90 s" in " ".join(verdict["evidence"])
    # An address two routers claim names nobody: it cannot prove a sender.
    (verdict,) = capture.merge_captures(captures, addresses={"brc": [BR], "brd": [BR]})["verdicts"]
    assert verdict["sender"] is None and verdict["verdict"] == "unverified"
    assert capture.merge_captures(captures, addresses={"brc": [BR]})["verdicts"][0]["verdict"] == "confirmed"


# ----- capture sets: parsed where the files arrive, judged here --------------------------------------------

def test_a_capture_set_judges_like_the_raw_texts():
    import json

    raw = {"hubc": {"ipsec_spi_capture.txt": receiver_block(T0, 0xFF123456, [0x620F087])},
           "brc": {"ipsec_spi_twin.txt": twin_block(T0 - 7, [0xFF123456])}}
    assessments = {"hubc": assessment("hubc", [FLOW]), "brc": assessment("brc")}
    # As the capture_fetch module makes them (the role names the host), and through JSON like a host variable.
    sets = {host: json.loads(json.dumps(capture.read_captures(list(files.items()), host=host)))
            for host, files in raw.items()}
    from_text, from_sets = [], []
    a = capture.merge_captures(raw, assessments=assessments, problems=from_text)
    b = capture.merge_captures({}, assessments=assessments, capture_sets=sets, problems=from_sets)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert from_text == from_sets == []
    assert b["assessments"]["hubc"]["captures"]["files"] == ["ipsec_spi_capture.txt"]
    # A host given both ways is read from its set only.
    c = capture.merge_captures({"hubc": "garbage"}, capture_sets=sets)
    assert c["verdicts"][0]["verdict"] == "confirmed"


def test_a_capture_set_carries_its_problems():
    problems = []
    sets = {"hubc": capture.read_captures([("f.txt", "stray\n" + receiver_block(T0, 0x1234, []))])}
    capture.merge_captures({}, capture_sets=sets, problems=problems)
    assert [p["reason"] for p in problems] == ["f.txt: text outside a capture block"]


@pytest.mark.parametrize("value, message", [
    ("text", "capture set of h must be a mapping"),
    ({"snapshots": "x"}, "snapshots must be a list"),
    ({"snapshots": [5]}, "snapshot 1 is int"),
    ({"snapshots": [{"kind": "odd"}]}, "snapshot 1: unknown capture kind"),
    ({"snapshots": [{"kind": "twin", "epoch": float("inf")}]}, "snapshot 1: epoch inf is not a time stamp"),
    ({"snapshots": [{"kind": "twin", "epoch": "5"}]}, "epoch '5' is not a time stamp"),
    ({"snapshots": [{"kind": "receiver", "spi": 2 ** 40}]}, "is not an SPI"),
    ({"snapshots": [{"kind": "twin", "ipsec_sas": [1]}]}, "ipsec_sas must be a mapping"),
    ({"snapshots": [], "problems": ["x"]}, "every problem must be a mapping"),
])
def test_a_bad_capture_set_is_refused_by_name(value, message):
    with pytest.raises(ParseError, match=re.escape(message)):
        capture.merge_captures({}, capture_sets={"h": value})
    with pytest.raises(ParseError, match="capture_sets must be a mapping"):
        capture.merge_captures({}, capture_sets=["h"])


# ----- the filter reading hostvars ---------------------------------------------------------------------------

def test_filter_reads_capture_sets_texts_assessments_and_addresses_from_hostvars(monkeypatch):
    from ansible.errors import AnsibleFilterError
    from ansible_collections.netops.ipsec_spi.plugins.filter.spi_captures import spi_captures
    from ansible_collections.netops.ipsec_spi.plugins.plugin_utils import wrap

    monkeypatch.setattr(wrap.display, "warning", lambda msg: None)
    hub_set = capture.read_captures([("ipsec_spi_capture.txt", "stray\n" + receiver_block(T0, 0x1234, []))], host="hubc")
    hostvars = {
        # A capture set wins over raw texts of the same host.
        "hubc": {"ipsec_spi_capture_set": hub_set, "ipsec_spi_capture_texts": {"x.txt": "garbage"},
                 "ipsec_spi_assessment": assessment("hubc")},
        "brc": {"ipsec_spi_capture_texts": {"ipsec_spi_twin.txt": twin_block(T0, [0x1234])},
                "ansible_facts": {"ipsec_spi": {"addresses": [BR]}}},
        "other": {"ipsec_spi_assessment": assessment("other")},
    }
    out = spi_captures(["hubc", "brc"], hostvars=hostvars)
    (verdict,) = out["verdicts"]
    assert verdict["verdict"] == "confirmed" and verdict["sender"] == "brc"
    assert out["assessments"]["hubc"]["captures"]["files"] == ["ipsec_spi_capture.txt"]
    assert "brc" not in out["assessments"] and "other" not in out["assessments"]
    assert [p["reason"] for p in out["problems"]] == ["ipsec_spi_capture.txt: text outside a capture block"]
    # Other variable names, and sets given directly.
    renamed = {"hubc": {"mine": hub_set}, "brc": hostvars["brc"]}
    assert spi_captures(["hubc", "brc"], hostvars=renamed, capture_sets_var="mine")["verdicts"][0]["verdict"] == "confirmed"
    direct = spi_captures({"brc": hostvars["brc"]["ipsec_spi_capture_texts"]}, capture_sets={"hubc": hub_set})
    assert direct["verdicts"][0]["verdict"] == "confirmed"
    with pytest.raises(AnsibleFilterError, match="nohost is not in hostvars"):
        spi_captures(["nohost"], hostvars=hostvars)
    with pytest.raises(AnsibleFilterError, match="with hostvars, the input is a list of hosts"):
        spi_captures("hubc", hostvars=hostvars)
    with pytest.raises(AnsibleFilterError, match=r"spi_captures: capture set of hubc: snapshot 1: epoch"):
        spi_captures(["hubc"], hostvars={"hubc": {"ipsec_spi_capture_set": {"snapshots": [{"epoch": 1e20}]}}})
