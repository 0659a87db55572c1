import datetime

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils.assess import assess_fleet
from ansible_collections.netops.ipsec_spi.plugins.module_utils.codes import FINDING_CODES
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError


def tunnel(name, kind, peers, ike="ikev1", recovery="supported"):
    return {"kind": kind, "name": name, "interfaces": [name], "peers": peers, "ike_version": ike,
            "recovery": recovery, "reason": "r", "evidence": []}


def facts(addresses, tunnels, sas=(), flows=(), knob=False, dpd=None, **extra):
    base = {
        "inventory": {"invalid_spi_recovery": knob, "dpd": dpd or {"ikev1": True, "ikev2": True}, "tunnels": list(tunnels),
                      "addresses": list(addresses)},
        "addresses": list(addresses), "ipsec_sas": list(sas), "flows": list(flows), "events": [], "ike_sas": [],
        "dmvpn": [], "qfp_drops": {}, "qfp_ipsec_drops": {}, "unsupported_commands": [], "unparsed": [],
        "platform": {"os": "ios-xe"},
    }
    base.update(extra)
    return base


def sa(peer, local, inbound, outbound, interface="Tunnel0"):
    return {"interface": interface, "peer": peer, "local_addr": local, "inbound_spis": inbound,
            "outbound_spis": outbound, "current_outbound_spi": outbound[-1] if outbound else None}


def flow(src, dst, spi, status="persistent", count=3):
    return {"host": "h", "src": src, "dst": dst, "spi": spi, "spi_hex": "0x%08X" % spi, "status": status,
            "count": count, "span_seconds": 120.0, "prot": 50}


def codes(assessment):
    return sorted(f["code"] for f in assessment["findings"])


def dmvpn_pair(knob=False):
    hub = facts(["10.0.0.1"], [tunnel("Tunnel0", "mgre_dynamic_nhrp", [], recovery="unsupported")],
                sas=[sa("10.0.0.2", "10.0.0.1", [0xAAAA], [0xBBBB])],
                flows=[flow("10.0.0.2", "10.0.0.1", 0x1DB73BBB)], knob=knob)
    spoke = facts(["10.0.0.2"], [tunnel("Tunnel0", "mgre_dynamic_nhrp", ["10.0.0.1"], recovery="unsupported")],
                  sas=[sa("10.0.0.1", "10.0.0.2", [0xBBBB], [0x1DB73BBB])])
    return {"hub": hub, "spoke": spoke}


def test_confirmed_desync_on_unsupported_kind_plans_clear_on_sender():
    result = assess_fleet(dmvpn_pair())
    hub, spoke = result["assessments"]["hub"], result["assessments"]["spoke"]
    assert "SPI_DESYNC_CONFIRMED" in codes(hub)
    # The sender is half of the black hole: not "compliant" with a clear planned beside it.
    assert hub["compliant"] is False and spoke["compliant"] is False
    (stale,) = [f for f in spoke["findings"] if f["code"] == "STALE_OUTBOUND_SA"]
    assert stale["severity"] == "error" and stale["subject"] == "10.0.0.1" and stale["receiver"] == "hub"
    assert "0x1DB73BBB" in stale["message"] and "clear crypto sa peer 10.0.0.1 on spoke" in stale["message"]
    assert "STALE_OUTBOUND_SA" not in codes(hub)
    assert hub["planned_actions"] == []
    (action,) = spoke["planned_actions"]
    assert action["action"] == "clear_sa" and action["command"] == "clear crypto sa peer 10.0.0.1"
    assert action["receiver"] == "hub" and action["spi"] == 0x1DB73BBB
    assert hub["flows"][0]["verdict"] == "confirmed" and hub["flows"][0]["sender"] == "spoke"
    assert result["summary"]["confirmed_desyncs"] == 1


def test_stale_outbound_sa_only_for_a_confirmed_sender_and_waivable():
    # Knob path: the sender still gets the finding, naming the receiver's fix.
    a = facts(["10.1.1.1"], [tunnel("VPN 10", "static_crypto_map", ["10.10.1.2"])],
              sas=[sa("10.10.1.2", "10.1.1.1", [1], [0x1DB73BBB])])
    b = facts(["10.10.1.2"], [tunnel("VPN 10", "static_crypto_map", ["10.1.1.1"])],
              sas=[sa("10.1.1.1", "10.10.1.2", [2], [1])], flows=[flow("10.1.1.1", "10.10.1.2", 0x1DB73BBB)])
    out = assess_fleet({"a": a, "b": b})["assessments"]
    (stale,) = [f for f in out["a"]["findings"] if f["code"] == "STALE_OUTBOUND_SA"]
    assert "remediation acts on b" in stale["message"]
    waived = assess_fleet({"a": a, "b": b}, waivers=[{"code": "STALE_OUTBOUND_SA", "reason": "lab", "when": "receiver == 'b'"},
                                                     {"code": "KNOB_MISSING", "reason": "lab"}])["assessments"]
    assert waived["a"]["compliant"] is True
    # Once the sender no longer uses the SPI the verdict is resolved: no finding on the sender.
    a_fixed = dict(a, ipsec_sas=[sa("10.10.1.2", "10.1.1.1", [1], [7])])
    out = assess_fleet({"a": a_fixed, "b": b})["assessments"]
    assert "STALE_OUTBOUND_SA" not in codes(out["a"])


def test_supported_kind_with_knob_missing_plans_knob_not_clear():
    a = facts(["10.1.1.1"], [tunnel("VPN 10", "static_crypto_map", ["10.10.1.2"])],
              sas=[sa("10.10.1.2", "10.1.1.1", [1], [0x1DB73BBB])])
    b = facts(["10.10.1.2"], [tunnel("VPN 10", "static_crypto_map", ["10.1.1.1"])],
              sas=[sa("10.1.1.1", "10.10.1.2", [2], [1])], flows=[flow("10.1.1.1", "10.10.1.2", 0x1DB73BBB)])
    out = assess_fleet({"a": a, "b": b})["assessments"]
    assert [p["action"] for p in out["b"]["planned_actions"]] == ["enable_knob"]
    assert [p["action"] for p in out["a"]["planned_actions"]] == ["enable_knob"]
    assert out["b"]["knob"] == {"present": False, "relevant": True, "needed": True, "status": "missing"}
    assert "KNOB_MISSING" in codes(out["b"])


def test_sender_outside_inventory_clears_on_receiver():
    hub = facts(["10.0.0.1"], [tunnel("VPN 20", "dynamic_crypto_map", [], recovery="unsupported")],
                sas=[sa("198.51.100.7", "10.0.0.1", [5], [6], interface="GigabitEthernet1")],
                flows=[flow("198.51.100.7", "10.0.0.1", 0x99)])
    out = assess_fleet({"hub": hub})["assessments"]["hub"]
    assert "SPI_DESYNC_SUSPECTED" in codes(out)
    (action,) = out["planned_actions"]
    assert action["command"] == "clear crypto session remote 198.51.100.7" and action["host"] == "hub"


def test_transient_and_foreign_never_remediated():
    hub = facts(["10.0.0.1"], [tunnel("Tunnel0", "mgre_dynamic_nhrp", [], recovery="unsupported")],
                flows=[flow("10.0.0.2", "10.0.0.1", 7, "transient", 1), flow("203.0.113.5", "10.0.0.1", 8, "foreign")])
    out = assess_fleet({"hub": hub})["assessments"]["hub"]
    assert out["planned_actions"] == []
    assert {"SPI_TRANSIENT", "FOREIGN_SENDER"} <= set(codes(out))
    assert out["compliant"] is True


def test_knob_irrelevant_on_ikev2_only_and_dpd_missing():
    r = facts(["10.2.0.1"], [tunnel("Tunnel5", "svti", ["10.2.0.2"], ike="ikev2", recovery="not_applicable")],
              knob=True, dpd={"ikev1": False, "ikev2": False})
    out = assess_fleet({"r": r})["assessments"]["r"]
    assert out["knob"]["status"] == "irrelevant"
    assert {"KNOB_IRRELEVANT", "DPD_MISSING"} <= set(codes(out))
    assert out["compliant"] is True


def test_top_byte_ff_names_the_bug_as_a_symptom():
    r = facts(["10.0.0.1"], [], flows=[flow("10.0.0.2", "10.0.0.1", 0xFF001234, "transient", 1)])
    (finding,) = [f for f in assess_fleet({"r": r})["assessments"]["r"]["findings"] if f["code"] == "SPI_TOP_BYTE_FF"]
    assert "matches the symptom of CSCvp16730" in finding["message"]


def test_unreachable_is_never_compliant():
    out = assess_fleet({"x": None}, errors={"x": {"kind": "auth", "message": "Authentication failed"}})
    a = out["assessments"]["x"]
    assert a["assessed"] is False and a["compliant"] is False and a["error"]["kind"] == "auth"
    assert codes(a) == ["UNREACHABLE"]
    assert out["summary"]["unreachable_hosts"] == ["x"]


def test_waivers_apply_until_expiry_and_stay_visible():
    fleet = dmvpn_pair()
    waiver = {"code": "SPI_DESYNC_CONFIRMED", "when": "subject == '10.0.0.2'", "reason": "known", "expires": "2030-01-01"}
    hub = assess_fleet(fleet, waivers=[waiver], today=datetime.date(2026, 1, 1))["assessments"]["hub"]
    finding = [f for f in hub["findings"] if f["code"] == "SPI_DESYNC_CONFIRMED"][0]
    assert finding["waived"] is True and hub["compliant"] is True
    hub = assess_fleet(fleet, waivers=[waiver], today=datetime.date(2031, 1, 1))["assessments"]["hub"]
    finding = [f for f in hub["findings"] if f["code"] == "SPI_DESYNC_CONFIRMED"][0]
    assert finding["waived"] is False and finding["waiver"]["expired"] is True and hub["compliant"] is False
    other = dict(waiver, when="subject == '10.9.9.9'")
    hub = assess_fleet(fleet, waivers=[other], today=datetime.date(2026, 1, 1))["assessments"]["hub"]
    assert hub["compliant"] is False


@pytest.mark.parametrize(
    "waiver,match",
    [({"code": "NOPE", "reason": "x"}, "unknown finding code"), ({"code": "KNOB_MISSING"}, "code and reason"),
     ({"code": "KNOB_MISSING", "reason": "x", "when": "[["}, "JMESPath"),
     ({"code": "KNOB_MISSING", "reason": "x", "expires": "tomorrow"}, "YYYY-MM-DD")],
)
def test_bad_waivers_are_refused(waiver, match):
    with pytest.raises(ParseError, match=match):
        assess_fleet({}, waivers=[waiver])


def test_every_code_is_documented():
    import pathlib

    doc = (pathlib.Path(__file__).parents[2] / "docs" / "assessment.md").read_text()
    for code in FINDING_CODES:
        assert "`%s`" % code in doc


def test_flow_from_outside_sender_that_stopped_logging_is_resolved():
    hub = facts(["10.0.0.1"], [tunnel("VPN 20", "dynamic_crypto_map", [], recovery="unsupported")],
                sas=[sa("198.51.100.7", "10.0.0.1", [5], [6], interface="GigabitEthernet1")],
                flows=[dict(flow("198.51.100.7", "10.0.0.1", 0x99), age_seconds=3600.0)])
    out = assess_fleet({"hub": hub}, active_window=300)["assessments"]["hub"]
    assert out["planned_actions"] == [] and "SPI_DESYNC_RESOLVED" in codes(out)
    assert out["desync"][0]["verdict"] == "resolved" and "no INV_SPI message for 60 min" in out["desync"][0]["evidence"][-1]
    hub["flows"][0]["age_seconds"] = 90.0
    assert assess_fleet({"hub": hub}, active_window=300)["assessments"]["hub"]["planned_actions"]
