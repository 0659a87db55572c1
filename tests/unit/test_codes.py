"""codes: one table for every finding code, its severity and family; waivers; compliance; the summary."""
from __future__ import annotations

import datetime

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils import codes
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError


def test_every_code_has_a_known_severity_and_family():
    for code, (severity, family) in codes.CODES.items():
        assert severity in codes.SEVERITIES, code
        assert family in codes.FAMILIES, code


def test_captured_codes_are_desync_family():
    assert codes.family_of("CAPTURED_DESYNC") == "desync"
    assert codes.family_of("KNOWN_BUG_SYMPTOM") == "desync"
    assert codes.family_of("SOMETHING_NEW") == codes.FAMILY_OTHER


def test_finding_defaults_and_override():
    item = codes.finding("KNOB_MISSING", "m", "h", tunnel="T")
    assert item == {"code": "KNOB_MISSING", "severity": "error", "message": "m", "subject": "h", "waived": False,
                    "waiver": None, "tunnel": "T"}
    assert codes.finding("CAPTURED_DESYNC", "m", severity="warning")["severity"] == "warning"
    with pytest.raises(ParseError, match="unknown finding code"):
        codes.finding("NOPE", "m")
    with pytest.raises(ParseError, match="unknown severity"):
        codes.finding("KNOB_MISSING", "m", severity="fatal")


def test_compliance_rule():
    err = codes.finding("KNOB_MISSING", "m")
    warn = codes.finding("DPD_MISSING", "m")
    assert codes.is_compliant(True, [warn])
    assert not codes.is_compliant(True, [err, warn])
    assert not codes.is_compliant(False, [])
    assert codes.is_compliant(True, [dict(err, waived=True)])
    assert codes.status_of(True, False) == codes.STATUS_NON_COMPLIANT
    assert codes.status_of(False, True) == codes.STATUS_NOT_ASSESSED


def test_waivers_apply_and_expire():
    waivers = codes.compile_waivers([
        {"code": "KNOB_MISSING", "reason": "change 42", "expires": "2099-01-01"},
        {"code": "DPD_MISSING", "reason": "old", "expires": "2000-01-01"},
    ])
    assessment = {"host": "r1", "assessed": True, "tunnels": [],
                  "findings": [codes.finding("KNOB_MISSING", "m"), codes.finding("DPD_MISSING", "m")]}
    codes.settle(assessment, waivers, datetime.date(2026, 1, 1))
    assert assessment["findings"][0]["waived"] is True
    assert assessment["findings"][1]["waived"] is False and assessment["findings"][1]["waiver"]["expired"] is True
    assert assessment["compliant"] is True


@pytest.mark.parametrize("bad, message", [
    ([{"reason": "x"}], "waiver 1 must be a mapping with at least code and reason"),
    ([{"code": "NOPE", "reason": "x"}], "unknown finding code"),
    ([{"code": "KNOB_MISSING", "reason": "x", "expires": "soon"}], "expires must be a date"),
    ([{"code": "KNOB_MISSING", "reason": "x", "when": "[[["}], "bad JMESPath"),
    ("KNOB_MISSING", "waivers must be a list"),
])
def test_bad_waivers_are_refused_by_number(bad, message):
    with pytest.raises(ParseError, match=message):
        codes.compile_waivers(bad)


def test_summary_spells_non_compliant_and_keeps_the_old_alias():
    summary = codes.fleet_summary({
        "a": {"assessed": True, "compliant": True, "findings": [], "planned_actions": []},
        "b": {"assessed": True, "compliant": False, "findings": [codes.finding("SPI_DESYNC_CONFIRMED", "m")],
              "planned_actions": [{}]},
        "c": {"assessed": False, "compliant": False, "findings": [codes.finding("UNREACHABLE", "m")]},
    })
    # As report.json counts: compliant + non_compliant + unreachable = routers.
    assert summary["non_compliant"] == 1 and summary["non_compliant_hosts"] == ["b"]
    assert summary["compliant"] + summary["non_compliant"] + summary["unreachable"] == summary["routers"]
    # The deprecated spelling keeps its old meaning: every router not compliant.
    assert summary["noncompliant"] == 2 and summary["noncompliant_hosts"] == ["b", "c"]
    assert summary["confirmed_desyncs"] == 1 and summary["unreachable_hosts"] == ["c"] and summary["planned_actions"] == 1
