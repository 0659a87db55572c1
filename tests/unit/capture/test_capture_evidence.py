"""capture/evidence.py and the spi_captures filter: captured INV_SPI judged with both ends' SA tables."""
from __future__ import annotations

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
