"""Partial views (issue 22) and the last-moment re-check of a clear (issue 21, item 3).

A run that did not read a router must not call that router "outside the inventory" and clear from the
receiver; a plan or cache that can be edited must not reach a clear with fields that do not belong
together, from the future, or for a flow nothing says is still live.
"""
from __future__ import annotations

import datetime

import pytest

from test_assess import facts, flow, sa, tunnel

from ansible_collections.netops.ipsec_spi.plugins.module_utils import remediate
from ansible_collections.netops.ipsec_spi.plugins.module_utils.assess import assess_fleet
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError

SPI = 0x1DB73BBB


def hub_with_flow_from(src="10.0.0.2", last_epoch=1000.0):
    """A receiver that logs a persistent flow and lacks the SPI: its sender's side decides."""
    item = dict(flow(src, "10.0.0.1", SPI), last_epoch=last_epoch)
    return facts(["10.0.0.1"], [tunnel("Tunnel0", "mgre_dynamic_nhrp", [], recovery="unsupported")],
                 sas=[sa(src, "10.0.0.1", [0xAAAA], [0xBBBB])], flows=[item])


def spoke(addr="10.0.0.2"):
    return facts([addr], [tunnel("Tunnel0", "mgre_dynamic_nhrp", ["10.0.0.1"], recovery="unsupported")],
                 sas=[sa("10.0.0.1", addr, [0xBBBB], [SPI])])


def clears(fleet):
    return [(h, a["action"], a["peer"]) for h, a_list in fleet["plan"].items() for a in a_list
            if a["action"] != "enable_knob"]


def suspected(assessment):
    return [f for f in assessment["findings"] if f["code"] == "SPI_DESYNC_SUSPECTED"]


# --- the view ------------------------------------------------------------------------------------

def test_complete_view_is_unchanged_sender_outside_clears_on_receiver():
    fleet = assess_fleet({"hub": hub_with_flow_from("198.51.100.7")},
                         view={"inventory": ["hub"], "targeted": ["hub"]})
    assert clears(fleet) == [("hub", "clear_session", "198.51.100.7")]
    assert fleet["view"]["complete"] is True
    (verdict,) = fleet["desync"]
    assert verdict["sender_status"] == "outside_inventory"


def test_an_unreachable_sender_of_the_inventory_is_not_outside_it():
    # labctl fault hub2 unreachable: the audit planned "clear crypto session remote" on vti2 (issue 22).
    fleet = assess_fleet({"hub": hub_with_flow_from(), "spoke": None},
                         errors={"spoke": {"kind": "unreachable", "message": "timed out"}},
                         view={"inventory": ["hub", "spoke"], "targeted": ["hub", "spoke"]})
    assert clears(fleet) == []
    (finding,) = suspected(fleet["assessments"]["hub"])
    assert "sender not assessed in this run" in finding["message"]
    assert "not in the inventory" not in finding["message"]
    assert "spoke" in finding["message"] and "no clear" in finding["message"]
    assert fleet["view"]["not_assessed"]["spoke"]["kind"] == "unreachable"
    assert fleet["desync"][0]["sender_status"] == "unknown"


def test_a_router_outside_the_limit_is_named_when_its_address_is_known():
    # --limit dmhub,spoke1 planned a clear for spoke2's pair on dmhub.
    fleet = assess_fleet({"hub": hub_with_flow_from("10.0.0.3")},
                         view={"inventory": ["hub", "spoke2"], "targeted": ["hub"],
                               "addresses": {"spoke2": ["10.0.0.3"]}})
    assert clears(fleet) == []
    (verdict,) = fleet["desync"]
    assert verdict["sender_status"] == "not_assessed" and verdict["sender_hint"] == "spoke2"
    assert "spoke2, a router of the inventory that was not assessed in this run (not_targeted" in verdict["evidence"][0]


def test_known_addresses_of_every_unread_router_still_prove_a_sender_outside():
    fleet = assess_fleet({"hub": hub_with_flow_from("198.51.100.7")},
                         view={"inventory": ["hub", "spoke2"], "targeted": ["hub"],
                               "addresses": {"spoke2": ["10.0.0.3"]}})
    assert clears(fleet) == [("hub", "clear_session", "198.51.100.7")]


def test_a_shared_management_address_names_no_one():
    fleet = assess_fleet({"hub": hub_with_flow_from("127.0.0.1")},
                         view={"inventory": ["hub", "a", "b"], "targeted": ["hub"],
                               "hints": {"a": ["127.0.0.1"], "b": ["127.0.0.1"]}})
    assert fleet["desync"][0]["sender_status"] == "unknown" and clears(fleet) == []


def test_receiver_clear_of_an_unread_sender_is_an_explicit_opt_in():
    fleet = assess_fleet({"hub": hub_with_flow_from("10.0.0.3")},
                         view={"inventory": ["hub", "spoke2"], "targeted": ["hub"], "hints": {"spoke2": ["10.0.0.3"]}},
                         clear_unverified=True)
    (action,) = fleet["plan"]["hub"]
    assert action["action"] == "clear_session" and action["opt_in"] == "ipsec_spi_clear_unverified"
    assert action["sender"] == "spoke2"
    assert "ipsec_spi_clear_unverified" in suspected(fleet["assessments"]["hub"])[0]["message"]
    # The re-check reads the router the sender may be.
    todo = remediate.todo("hub", [dict(action, decision="run")])
    assert todo["reread"] == ["hub", "spoke2"]


def test_confirmed_pairs_in_scope_still_clear_on_a_partial_view():
    fleet = assess_fleet({"hub": hub_with_flow_from(), "spoke": spoke()},
                         view={"inventory": ["hub", "spoke", "other"], "targeted": ["hub", "spoke"]})
    assert clears(fleet) == [("spoke", "clear_sa", "10.0.0.1")]


# --- cached facts that cannot speak for this run -----------------------------------------------

def cached(run_id, epoch, **extra):
    item = dict(spoke(), run_id=run_id, gathered_epoch=epoch)
    item.update(extra)
    return item


def test_without_a_run_id_the_latest_gather_is_the_run():
    # A router whose gather failed tonight keeps yesterday's entry: never assessed from it.
    now = 200000.0
    fleet = assess_fleet({"hub": dict(hub_with_flow_from(), run_id="tonight", gathered_epoch=now - 60),
                          "spoke": cached("yesterday", now - 1800)},
                         source="cache", freshness={"run_id": None, "max_age": 3600, "now": now})
    assert fleet["assessments"]["spoke"]["assessed"] is False
    assert fleet["assessments"]["spoke"]["error"]["kind"] == "stale"
    assert "from run yesterday" in fleet["assessments"]["spoke"]["error"]["message"]
    assert clears(fleet) == []
    # "any" turns it off: only the age counts.
    fleet = assess_fleet({"hub": dict(hub_with_flow_from(), run_id="tonight", gathered_epoch=now - 60),
                          "spoke": cached("yesterday", now - 1800)},
                         source="cache", freshness={"run_id": "any", "max_age": 3600, "now": now})
    assert fleet["assessments"]["spoke"]["assessed"] is True


def test_a_failure_left_in_the_cache_is_the_routers_reason():
    now = 200000.0
    failure = {"error": {"kind": "unreachable", "message": "ssh: connect timed out"}, "run_id": "tonight",
               "gathered_epoch": now - 30}
    fleet = assess_fleet({"hub": dict(hub_with_flow_from(), run_id="tonight", gathered_epoch=now - 60),
                          "spoke": failure}, source="cache", freshness={"run_id": None, "max_age": 3600, "now": now})
    spoke_a = fleet["assessments"]["spoke"]
    assert spoke_a["assessed"] is False and spoke_a["error"] == {"kind": "unreachable", "message": "ssh: connect timed out"}
    assert clears(fleet) == []


# --- the plan as a file -----------------------------------------------------------------------

def good_clear_sa():
    return {"action": "clear_sa", "host": "spoke", "peer": "10.0.0.1", "receiver": "hub", "receiver_addr": "10.0.0.1",
            "sender_addr": "10.0.0.2", "spi": SPI, "command": "clear crypto sa peer 10.0.0.1", "last_epoch": 1000.0}


@pytest.mark.parametrize("change, message", [
    ({"peer": "10.0.0.9", "command": "clear crypto sa peer 10.0.0.9"}, "names the receiver's address"),
    ({"command": "clear crypto sa"}, "is not the one its fields give"),
    ({"peer": "fe80::1%x\nclear crypto sa"}, "not a plain address"),
    ({"receiver": "all"}, "not an inventory host name"),
    ({"receiver": "{{ lookup('pipe', 'id') }}"}, "not an inventory host name"),
    ({"host": "hub"}, "names host 'hub'"),
    ({"spi": 0}, "not a 32-bit SPI"),
    ({"spi": "0x1DB73BBB"}, "not a 32-bit SPI"),
    ({"action": "clear_all"}, "is none of"),
    ({"sender_addr": "10.0.0.2 "}, "not a plain address"),
    ({"last_epoch": "soon"}, "not a number"),
])
def test_a_plan_action_whose_fields_do_not_belong_together_is_refused(change, message):
    with pytest.raises(ParseError, match=message):
        remediate.check_action("spoke", dict(good_clear_sa(), **change))


def test_a_clear_session_names_the_sender_and_runs_on_the_receiver():
    action = {"action": "clear_session", "host": "hub", "peer": "198.51.100.7", "receiver": "hub",
              "receiver_addr": "10.0.0.1", "sender_addr": "198.51.100.7", "spi": SPI,
              "command": "clear crypto session remote 198.51.100.7"}
    assert remediate.check_action("hub", action)["command"] == action["command"]
    with pytest.raises(ParseError, match="names the sender's address"):
        remediate.check_action("hub", dict(action, sender_addr="198.51.100.8"))


def plan_at(when, actions=None):
    return {"schema_version": 1, "run_id": "42", "assessed_at": when.isoformat(),
            "actions": actions if actions is not None else {"spoke": [good_clear_sa()]}}


def test_fleet_plan_refuses_the_future_the_old_and_the_malformed():
    now = datetime.datetime(2026, 12, 7, 12, 0, tzinfo=datetime.timezone.utc)
    ok = remediate.fleet_plan(plan_at(now - datetime.timedelta(minutes=5)), ["spoke", "hub"], now.timestamp(), 21600)
    assert [a["action"] for a in ok["spoke"]] == ["clear_sa"] and ok["hub"] == []
    with pytest.raises(ParseError, match="in the future"):
        remediate.fleet_plan(plan_at(datetime.datetime(2099, 1, 1, tzinfo=datetime.timezone.utc)), ["spoke"],
                             now.timestamp(), 21600)
    with pytest.raises(ParseError, match="ipsec_spi_plan_max_age"):
        remediate.fleet_plan(plan_at(now - datetime.timedelta(days=1)), ["spoke"], now.timestamp(), 21600)
    with pytest.raises(ParseError, match="not a time"):
        remediate.fleet_plan(dict(plan_at(now), assessed_at="2026-12-07T12:00:00"), ["spoke"], now.timestamp(), 21600)
    with pytest.raises(ParseError, match="names the receiver's address"):
        bad = dict(good_clear_sa(), peer="10.0.0.9", command="clear crypto sa peer 10.0.0.9")
        remediate.fleet_plan(plan_at(now, {"spoke": [bad]}), ["spoke"], now.timestamp(), 21600)
    with pytest.raises(ParseError, match="run id"):
        remediate.fleet_plan(dict(plan_at(now), run_id="1,all"), ["spoke"], now.timestamp(), 21600)


# --- the last-moment re-check of a receiver-side clear ----------------------------------------

def session(**extra):
    action = {"action": "clear_session", "host": "hub", "peer": "198.51.100.7", "receiver": "hub",
              "receiver_addr": "10.0.0.1", "sender_addr": "198.51.100.7", "spi": SPI, "decision": "run",
              "command": "clear crypto session remote 198.51.100.7", "last_epoch": 1000.0, "count": 3,
              "drops_at_plan": 500, "receiver_other_flows": []}
    action.update(extra)
    return action


def hub_now(events=(), drops=None, inbound=(0xAAAA,)):
    return {"hub": {"ipsec_sas": [sa("198.51.100.7", "10.0.0.1", list(inbound), [0xBBBB])],
                    "events": [{"src": "198.51.100.7", "dst": "10.0.0.1", "spi": SPI, "epoch": e} for e in events],
                    "qfp_drops": {"IpsecInput": {"packets": drops, "octets": 0}} if drops is not None else None,
                    "qfp_ipsec_drops": None}}


def test_lacking_the_spi_alone_proves_nothing():
    # A stale plan after the desync was fixed by hand, or a forged clear with an unused SPI on a healthy pair.
    (out,) = remediate.reverify([session()], hub_now(events=[940.0, 1000.0]))
    assert out["decision"] == "skip" and "no fresh evidence" in out["skip_reason"]
    (out,) = remediate.reverify([session()], {"hub": [sa("198.51.100.7", "10.0.0.1", [0xAAAA], [0xBBBB])]})
    assert out["decision"] == "skip"


def test_a_new_message_or_rising_drops_of_the_only_flow_keep_the_clear():
    (out,) = remediate.reverify([session()], hub_now(events=[1000.0, 1060.0]))
    assert out["decision"] == "run" and "since the plan" in " ".join(out["reverify_evidence"])
    (out,) = remediate.reverify([session()], hub_now(events=[1000.0], drops=900))
    assert out["decision"] == "run" and "rose from 500 to 900" in " ".join(out["reverify_evidence"])
    # Drops also counting another live flow say nothing about this one.
    (out,) = remediate.reverify([session(receiver_other_flows=["10.0.0.2 0x00000001 (persistent)"])],
                                hub_now(events=[1000.0], drops=900))
    assert out["decision"] == "skip"


def test_a_receiver_that_does_not_own_the_address_is_refused():
    fresh = hub_now(events=[1000.0, 1060.0])
    (out,) = remediate.reverify([session(receiver_addr="10.9.9.9")], fresh)
    assert out["decision"] == "skip" and "do not belong together" in out["skip_reason"]


def test_an_opted_in_sender_that_reads_healthy_stops_the_clear():
    action = session(sender="spoke2", opt_in="ipsec_spi_clear_unverified")
    fresh = dict(hub_now(events=[1000.0, 1060.0]),
                 spoke2={"ipsec_sas": [sa("10.0.0.1", "198.51.100.7", [0x1], [0x7])]})
    (out,) = remediate.reverify([action], fresh)
    assert out["decision"] == "skip" and "does not send with" in out["skip_reason"]


def test_a_clear_sa_needs_the_sender_to_face_the_receivers_address():
    action = dict(good_clear_sa(), decision="run")
    fresh = {"hub": [sa("10.0.0.2", "10.0.0.1", [0xAAAA], [0xBBBB])],
             # The SPI is the sender's, but towards another peer: the fields do not belong together.
             "spoke": [sa("10.0.0.9", "10.0.0.2", [0xBBBB], [SPI])]}
    (out,) = remediate.reverify([action], fresh)
    assert out["decision"] == "skip"
    fresh["spoke"] = [sa("10.0.0.1", "10.0.0.2", [0xBBBB], [SPI])]
    (out,) = remediate.reverify([action], fresh)
    assert out["decision"] == "run"


def test_the_published_plan_never_carries_a_template():
    hub = hub_with_flow_from("198.51.100.7")
    hub["inventory"]["tunnels"][0]["name"] = "Tunnel0 {{ lookup('pipe', 'id') }}"
    fleet = assess_fleet({"hub": hub})
    text = repr(fleet["plan"])
    assert "{{" not in text and "}}" not in text and "{ {" in text
    with pytest.raises(ParseError, match="template delimiter"):
        remediate.check_action("spoke", dict(good_clear_sa(), reason="{{ lookup('pipe', 'id') }}"))


def test_the_run_id_has_one_home_and_one_grammar():
    assert remediate.run_id("4711") == "4711" and remediate.run_id("", 42) == "42"
    assert remediate.run_id("", "", now=0, token=0xABC) == "run-19700101T000000-000abc"
    with pytest.raises(ParseError, match="run id"):
        remediate.run_id("1,all")
    with pytest.raises(ParseError, match="run id"):
        remediate.run_id("{{ lookup('pipe', 'id') }}")


@pytest.mark.parametrize("field, value", [
    ("src", "fe80::1%x\nclear crypto sa"), ("src", None), ("spi", "0x1DB73BBB\nclear crypto sa"), ("spi", True),
])
def test_a_cached_flow_with_a_hostile_field_costs_only_its_router(field, value):
    # An edited fact cache (or a gather of hostile syslog) must not take the fleet's assessment down with it:
    # that router is not assessed, and says why; every other router is assessed as before, and nothing clears
    # on the refused router or from it.
    hub = hub_with_flow_from("198.51.100.7")
    hub["flows"][0][field] = value
    other = hub_with_flow_from("198.51.100.9")
    other["addresses"] = ["10.0.0.5"]
    fleet = assess_fleet({"hub": hub, "other": other}, view={"inventory": ["hub", "other"], "targeted": ["hub", "other"]})
    refused = fleet["assessments"]["hub"]
    assert refused["assessed"] is False and refused["error"]["kind"] == "invalid", refused["error"]
    assert "flow 1" in refused["error"]["message"] and "valid src or spi" in refused["error"]["message"]
    assert "clear crypto sa" not in refused["error"]["message"].split(":", 1)[0]
    assert fleet["assessments"]["other"]["assessed"] is True
    assert clears(fleet) == [("other", "clear_session", "198.51.100.9")]
    assert fleet["view"]["complete"] is False and list(fleet["view"]["not_assessed"]) == ["hub"]
    assert fleet["view"]["not_assessed"]["hub"]["kind"] == "invalid"


def test_cached_facts_of_the_wrong_shape_cost_only_their_router():
    hub = hub_with_flow_from("198.51.100.7")
    hub["ipsec_sas"] = "not a list"
    fleet = assess_fleet({"hub": hub, "spoke": spoke()})
    assert fleet["assessments"]["hub"]["error"]["kind"] == "invalid"
    assert "ipsec_sas" in fleet["assessments"]["hub"]["error"]["message"] or "sas" in fleet["assessments"]["hub"]["error"]["message"]
    assert fleet["assessments"]["spoke"]["assessed"] is True


def test_the_after_check_reads_both_halves_of_every_pair_a_change_touched():
    from ansible_collections.netops.ipsec_spi.plugins.module_utils import remediate_after

    knob = {"action": "enable_knob", "host": "hub1", "result": "done"}
    assessment = {"desync": [{"receiver": "hub1", "sender": "br2"}, {"receiver": "hub1", "sender": None}]}
    assert remediate_after.reread_hosts("hub1", [knob], assessment) == ["hub1", "br2"]
    cleared = dict(good_clear_sa(), result="done")
    assert remediate_after.reread_hosts("spoke", [cleared]) == ["spoke", "hub"]
    assert remediate_after.reread_hosts("spoke", [dict(cleared, result="skipped")]) == []


def test_a_peer_map_proves_a_sender_outside_a_partial_view():
    from ansible_collections.netops.ipsec_spi.plugins.filter.spi_assess import spi_assess

    hub = hub_with_flow_from("203.0.113.77")
    hostvars = {"hub": {"ansible_facts": {"ipsec_spi": hub}}, "dynhub": {"ansible_host": "127.0.0.1"},
                "other": {"ansible_host": "127.0.0.1"}}
    fleet = spi_assess(["hub"], hostvars, inventory=["hub", "dynhub", "other"])
    assert clears(fleet) == [] and fleet["desync"][0]["sender_status"] == "unknown"
    peer_map = {"generated": "x", "hosts": {"hub": {"addresses": ["10.0.0.1"]}, "dynhub": {"addresses": ["10.9.0.1"]},
                                            "other": {"addresses": ["10.9.0.2"]}}}
    fleet = spi_assess(["hub"], hostvars, inventory=["hub", "dynhub", "other"], addresses=peer_map)
    assert clears(fleet) == [("hub", "clear_session", "203.0.113.77")]
    peer_map["hosts"]["other"]["addresses"].append("203.0.113.77")
    fleet = spi_assess(["hub"], hostvars, inventory=["hub", "dynhub", "other"], addresses=peer_map)
    assert clears(fleet) == [] and fleet["desync"][0]["sender_hint"] == "other"
