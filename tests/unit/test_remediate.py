import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils import remediate
from ansible_collections.netops.ipsec_spi.plugins.module_utils import remediate_after as after


def clear(host="spoke", peer="10.0.0.1", spi=0x1DB73BBB, action="clear_sa", receiver="hub"):
    """A planned clear whose fields belong together (remediate.check_action refuses any other)."""
    if action == "clear_sa":
        addrs = {"receiver_addr": peer, "sender_addr": "10.0.0.2"}
    else:
        host = receiver
        addrs = {"receiver_addr": "10.0.0.1", "sender_addr": peer}
    return dict(addrs, action=action, host=host, peer=peer, spi=spi, receiver=receiver,
                command="clear crypto sa peer %s" % peer if action == "clear_sa" else "clear crypto session remote %s" % peer)


def knob(host="hub"):
    return {"action": "enable_knob", "host": host, "peer": None, "command": "crypto isakmp invalid-spi-recovery"}


def assessments(**planned):
    return {h: {"assessed": True, "planned_actions": acts} for h, acts in planned.items()}


def sa(peer, inbound, outbound):
    return {"peer": peer, "inbound_spis": inbound, "outbound_spis": outbound,
            "current_outbound_spi": outbound[-1] if outbound else None}


def test_plan_runs_planned_actions():
    out = remediate.plan(assessments(spoke=[clear()], hub=[knob()]), now=1000)
    assert [a["decision"] for a in out["spoke"] + out["hub"]] == ["run", "run"]


def test_plan_respects_allow_clear_but_keeps_knob():
    out = remediate.plan(assessments(spoke=[clear()], hub=[knob()]), allow_clear=False)
    assert out["spoke"][0]["decision"] == "skip" and "turned off" in out["spoke"][0]["skip_reason"]
    assert out["hub"][0]["decision"] == "run"


def test_plan_cooldown_and_expiry():
    state = {"spoke|10.0.0.1": {"time": 1000.0, "run_id": "old"}}
    out = remediate.plan(assessments(spoke=[clear()]), state=state, now=1500, cooldown=3600, run_id="new")
    assert out["spoke"][0]["decision"] == "skip" and "cool-down" in out["spoke"][0]["skip_reason"]
    out = remediate.plan(assessments(spoke=[clear()]), state=state, now=1000 + 3601, cooldown=3600, run_id="new")
    assert out["spoke"][0]["decision"] == "run"


def test_plan_budget_counts_earlier_batches_of_the_run():
    acts = [clear(peer="10.0.0.%d" % i) for i in range(1, 5)]
    state = {"x|10.9.9.9": {"time": 1.0, "run_id": "r1"}}
    out = remediate.plan(assessments(spoke=acts), state=state, now=10, max_clears=3, run_id="r1")
    assert [a["decision"] for a in out["spoke"]] == ["run", "run", "skip", "skip"]
    assert "limit of 3" in out["spoke"][2]["skip_reason"]


def test_reverify_keeps_only_live_desyncs():
    planned = remediate.plan(assessments(spoke=[clear()]))["spoke"]
    live = remediate.reverify(planned, {"hub": [sa("10.0.0.2", [0x1], [0x2])], "spoke": [sa("10.0.0.1", [0x2], [0x1DB73BBB])]})
    assert live[0]["decision"] == "run" and live[0]["reverified"] is True
    healed = remediate.reverify(planned, {"hub": [sa("10.0.0.2", [0x1DB73BBB], [0x2])], "spoke": [sa("10.0.0.1", [0x2], [0x1DB73BBB])]})
    assert healed[0]["decision"] == "skip" and "now has SPI" in healed[0]["skip_reason"]
    gone = remediate.reverify(planned, {"hub": [sa("10.0.0.2", [0x1], [0x2])], "spoke": [sa("10.0.0.1", [0x2], [0x7])]})
    assert gone[0]["decision"] == "skip" and "does not send with" in gone[0]["skip_reason"]
    unread = remediate.reverify(planned, {"spoke": []})
    assert unread[0]["decision"] == "skip"


def test_verify_needs_agreeing_spis_and_flat_drops():
    done = [dict(clear(), result="done")]
    fresh = {"hub": [sa("10.0.0.2", [0x55], [0x66])], "spoke": [sa("10.0.0.1", [0x66], [0x55])]}
    assert after.verify(done, fresh, {"hub": {"delta": 0}})[0]["verified"] is True
    assert after.verify(done, fresh, {"hub": {"delta": 12}})[0]["verified"] is False
    # Other senders (a foreign scan) keep the router's counter rising: not this clear's failure.
    shared = [dict(done[0], receiver_other_flows=["192.0.2.66 0x0BADF00D (foreign)"])]
    out = after.verify(shared, fresh, {"hub": {"delta": 12}})[0]
    assert out["verified"] is True and "192.0.2.66" in " ".join(out["verify_evidence"])
    stale = {"hub": [sa("10.0.0.2", [0x55], [0x66])], "spoke": [sa("10.0.0.1", [0x66], [0x1DB73BBB])]}
    assert after.verify(done, stale)[0]["verified"] is False


def test_record_only_done_clears():
    performed = [dict(clear(), result="done"), dict(clear(peer="10.0.0.9"), result="skipped"), dict(knob(), result="done")]
    state = after.record({}, performed, 42.0, "r")
    assert list(state) == ["spoke|10.0.0.1"] and state["spoke|10.0.0.1"]["time"] == 42.0


def test_outcomes_never_call_half_done_done():
    acts = [dict(knob(), decision="run"), dict(clear(), decision="run"), dict(clear(peer="10.0.0.9"), decision="run"),
            dict(clear(peer="10.0.0.8"), decision="skip", skip_reason="cool-down")]
    sa_result = {"failed": True, "msg": "1 of 2 peer(s) not cleared", "results": [
        {"peer": "10.0.0.1", "command": "clear crypto sa peer 10.0.0.1", "ok": True, "response": ""},
        {"peer": "10.0.0.9", "command": "clear crypto sa peer 10.0.0.9", "ok": False, "response": "% Invalid input detected"}]}
    out = after.outcomes(acts, {"changed": True, "after": True}, [sa_result, {"skipped": True}], False)
    assert [o["result"] for o in out] == ["done", "done", "failed", "skipped"]
    assert out[2]["message"] == "% Invalid input detected" and out[3]["message"] == "cool-down"
    dry = after.outcomes(acts, {"skipped": True}, [{"skipped": True}], True)
    assert [o["result"] for o in dry] == ["would_run", "would_run", "would_run", "skipped"]
    assert after.outcomes(acts[:1], {"failed": True, "msg": "% rejected"}, [], False)[0]["result"] == "failed"


# --------------------------------------------------------------------------------------------------
# The to-do the role reads (issue 16): no selectattr chains re-filtering the plan in YAML.
# --------------------------------------------------------------------------------------------------

def test_todo_is_ready_for_the_role():
    acts = remediate.plan(assessments(spoke=[knob("spoke"), clear(), clear(peer="10.0.0.7", receiver="hub7"),
                                             clear(action="clear_session", peer="203.0.113.9", receiver="spoke"),
                                             clear(peer="10.0.0.8")]),
                          state={"spoke|10.0.0.8": {"time": 990.0, "run_id": "old"}}, now=1000, run_id="r")["spoke"]
    todo = remediate.todo("spoke", acts)
    assert todo["knob"] is True
    assert todo["clear_sa"] == ["10.0.0.1", "10.0.0.7"] and todo["clear_session"] == ["203.0.113.9"]
    assert todo["clears"] == [{"scope": "sa", "peers": ["10.0.0.1", "10.0.0.7"]},
                              {"scope": "session", "peers": ["203.0.113.9"]}]
    # The sender itself (clear_sa) and every receiver, once each; not the skipped clear's receiver twice.
    assert todo["reread"] == ["hub", "hub7", "spoke"]
    assert [a["decision"] for a in todo["actions"]] == ["run", "run", "run", "run", "skip"]


def test_todo_of_a_router_with_nothing_to_do():
    todo = remediate.todo("hub", [])
    assert todo == {"host": "hub", "knob": False, "clear_sa": [], "clear_session": [], "clears": [],
                    "reread": [], "actions": []}


def test_todos_for_the_fleet_match_the_plan():
    planned = assessments(spoke=[clear()], hub=[knob()], gone={"assessed": False})
    planned["gone"] = {"assessed": False}
    todos = remediate.todos(planned, now=1000, run_id="r")
    assert set(todos) == {"spoke", "hub", "gone"}
    assert todos["hub"]["knob"] and not todos["spoke"]["knob"] and todos["gone"]["actions"] == []


# --------------------------------------------------------------------------------------------------
# Claim: the re-verification and the cool-down, checked again under the lock (issue 17 item 1).
# --------------------------------------------------------------------------------------------------

LIVE = {"hub": [sa("10.0.0.2", [0x1], [0x2])], "spoke": [sa("10.0.0.1", [0x2], [0x1DB73BBB])]}


def reading(host_sas):
    """A registered looped spi_facts result, as the role's re-read task leaves it."""
    return {"results": [{"item": h, "ansible_facts": {"ipsec_spi": {"ipsec_sas": s}}} for h, s in host_sas.items()]}


def test_claim_skips_a_peer_another_run_cleared_since_the_plan():
    todos = {"spoke": remediate.todo("spoke", remediate.plan(assessments(spoke=[clear()]), now=1000, run_id="mine")["spoke"])}
    assert todos["spoke"]["clear_sa"] == ["10.0.0.1"]
    locked_state = {"spoke|10.0.0.1": {"time": 1005.0, "run_id": "theirs"}}
    out = remediate.claim(todos, {"spoke": reading(LIVE)}, locked_state, now=1010, cooldown=3600, run_id="mine")
    assert out["spoke"]["clear_sa"] == [] and out["spoke"]["clears"] == []
    action = out["spoke"]["actions"][0]
    assert action["decision"] == "skip" and "theirs" in action["skip_reason"] and "another run" in action["skip_reason"]


def test_claim_also_sees_the_same_pair_cleared_from_the_other_end():
    # Another run (other targets) cleared the session on the receiver: the same black hole, another key.
    todos = {"spoke": remediate.todo("spoke", remediate.plan(assessments(spoke=[clear()]), now=1000, run_id="mine")["spoke"])}
    other_end = {"hub|10.0.0.2": {"time": 1005.0, "run_id": "theirs", "receiver": "hub", "sender_addr": "10.0.0.2"}}
    out = remediate.claim(todos, {"spoke": reading(LIVE)}, other_end, now=1010, cooldown=3600, run_id="mine")
    assert out["spoke"]["clear_sa"] == [] and "hub" in out["spoke"]["actions"][0]["skip_reason"]


def test_claim_keeps_live_clears_and_drops_healed_ones():
    todos = {"spoke": remediate.todo("spoke", remediate.plan(assessments(spoke=[clear()]), now=1000, run_id="mine")["spoke"])}
    out = remediate.claim(todos, {"spoke": reading(LIVE)}, {}, now=1010, cooldown=3600, run_id="mine")
    assert out["spoke"]["clear_sa"] == ["10.0.0.1"] and out["spoke"]["actions"][0]["reverified"] is True
    healed = {"hub": [sa("10.0.0.2", [0x1DB73BBB], [0x2])], "spoke": LIVE["spoke"]}
    out = remediate.claim(todos, {"spoke": reading(healed)}, {}, now=1010, cooldown=3600, run_id="mine")
    assert out["spoke"]["clear_sa"] == [] and "now has SPI" in out["spoke"]["actions"][0]["skip_reason"]


def test_claim_without_a_reading_clears_nothing():
    todos = {"spoke": remediate.todo("spoke", remediate.plan(assessments(spoke=[clear()]), now=1000)["spoke"])}
    for missing in ({}, {"spoke": {"skipped": True}}, {"spoke": {"failed": True, "msg": "boom"}}):
        out = remediate.claim(todos, missing, {}, now=1010, cooldown=3600, run_id="r")
        assert out["spoke"]["clears"] == [] and out["spoke"]["actions"][0]["decision"] == "skip"


def test_claim_only_for_the_hosts_still_in_the_batch():
    todos = {"spoke": remediate.todo("spoke", remediate.plan(assessments(spoke=[clear()]), now=1000)["spoke"]),
             "dead": remediate.todo("dead", [])}
    out = remediate.claim(todos, {"spoke": reading(LIVE)}, {}, now=1010, cooldown=3600, run_id="r", hosts=["spoke"])
    assert list(out) == ["spoke"]


# --------------------------------------------------------------------------------------------------
# Outcomes: clears matched to actions by peer (and scope), never by the exact command text.
# --------------------------------------------------------------------------------------------------

def test_outcomes_match_by_peer_not_by_command_text():
    acts = [dict(clear(), decision="run")]
    # An fvrf option (or any future spelling) changes the text the module sent.
    result = {"changed": True, "commands": ["clear crypto sa peer vrf FRONT 10.0.0.1"],
              "results": [{"peer": "10.0.0.1", "command": "clear crypto sa peer vrf FRONT 10.0.0.1",
                           "sent": True, "ok": True, "response": ""}]}
    assert after.outcomes(acts, None, [result], False)[0]["result"] == "done"


def test_outcomes_with_the_per_peer_changed_shape():
    acts = [dict(clear(), decision="run"), dict(clear(peer="10.0.0.9"), decision="run")]
    result = {"changed": True, "failed": True, "msg": "1 of 2 peer(s) not cleared",
              "results": [{"peer": "10.0.0.1", "command": "x", "changed": True},
                          {"peer": "10.0.0.9", "command": "y", "changed": False, "failed": True, "msg": "% Invalid input"}]}
    out = after.outcomes(acts, None, [result], False)
    assert [o["result"] for o in out] == ["done", "failed"] and out[1]["message"] == "% Invalid input"


def test_outcomes_never_call_a_clear_done_without_its_peer_result():
    # sa_clear answers per peer; a result without a peer's entry (no such module was ever published) is not
    # evidence that the peer was cleared, whatever the task's status.
    acts = [dict(clear(), decision="run"), dict(clear(action="clear_session", peer="203.0.113.9"), decision="run")]
    ok = {"changed": True, "commands": ["clear crypto sa peer 10.0.0.1"], "invocation": {"module_args": {"peers": ["10.0.0.1"], "scope": "sa"}}}
    bad = {"failed": True, "msg": "no answer", "item": {"scope": "session", "peers": ["203.0.113.9"]}}
    out = after.outcomes(acts, None, [ok, bad], False)
    assert [o["result"] for o in out] == ["failed", "failed"]
    assert [o["message"] for o in out] == ["not attempted", "no answer"]


def test_outcomes_keep_scopes_apart():
    # The same address as a clear_sa peer of one desync and a clear_session peer of another.
    acts = [dict(clear(), decision="run"), dict(clear(action="clear_session"), decision="run")]
    sa_ok = {"changed": True, "item": {"scope": "sa", "peers": ["10.0.0.1"]},
             "results": [{"peer": "10.0.0.1", "ok": True, "response": ""}]}
    session_bad = {"failed": True, "msg": "x", "item": {"scope": "session", "peers": ["10.0.0.1"]},
                   "results": [{"peer": "10.0.0.1", "ok": False, "response": "% no"}]}
    out = after.outcomes(acts, None, [{"results": [sa_ok, session_bad], "changed": True}], False)
    assert [o["result"] for o in out] == ["done", "failed"]


def test_finish_gives_each_router_its_outcomes_failures_and_reads_after():
    todos = remediate.claim(
        {"spoke": remediate.todo("spoke", remediate.plan(assessments(spoke=[knob("spoke"), clear()]), now=1000)["spoke"])},
        {"spoke": reading(LIVE)}, {}, now=1010, cooldown=3600, run_id="r")
    clears = {"spoke": {"changed": True, "results": [
        {"item": {"scope": "sa", "peers": ["10.0.0.1"]}, "changed": True,
         "results": [{"peer": "10.0.0.1", "ok": True, "response": ""}]}]}}
    out = after.finish(todos, {"spoke": {"changed": True, "after": True}}, clears, check_mode=False)
    spoke = out["spoke"]
    assert [a["result"] for a in spoke["performed"]] == ["done", "done"] and spoke["failed"] == []
    assert spoke["verify"] == [{"host": "hub", "gather": ["ipsec_sa", "qfp_drops", "qfp_ipsec_drops"], "poll": True},
                               {"host": "spoke", "gather": ["ipsec_sa"], "poll": False}]
    dry = after.finish(todos, {"spoke": {"changed": True}}, clears, check_mode=True)["spoke"]
    assert [a["result"] for a in dry["performed"]] == ["would_run", "would_run"] and dry["verify"] == []


def test_claim_counts_the_budget_again_under_the_lock():
    # Two job slices with one run id planned at once; the other slice's clear is already recorded.
    acts = [clear(peer="10.0.0.%d" % i, receiver="r%d" % i) for i in (1, 2)]
    todos = {"spoke": remediate.todo("spoke", remediate.plan(assessments(spoke=acts), now=1000, max_clears=2, run_id="job")["spoke"])}
    assert todos["spoke"]["clear_sa"] == ["10.0.0.1", "10.0.0.2"]
    fresh = {"r1": [sa("10.0.0.2", [0x1], [0x2])], "r2": [sa("10.0.0.2", [0x1], [0x2])],
             "spoke": [sa("10.0.0.1", [0x2], [0x1DB73BBB]), sa("10.0.0.2", [0x2], [0x1DB73BBB])]}
    other_slice = {"hub|10.9.9.9": {"time": 1001.0, "run_id": "job"}}
    out = remediate.claim(todos, {"spoke": reading(fresh)}, other_slice, now=1010, cooldown=3600, run_id="job", max_clears=2)
    assert out["spoke"]["clear_sa"] == ["10.0.0.1"]
    assert "limit of 2" in out["spoke"]["actions"][1]["skip_reason"]


def test_spi_outcomes_filter_wraps_the_core_and_names_itself():
    from ansible.errors import AnsibleFilterError
    from ansible_collections.netops.ipsec_spi.plugins.filter.spi_outcomes import FilterModule, spi_outcomes

    assert FilterModule().filters() == {"spi_outcomes": spi_outcomes}
    acts = [dict(clear(), decision="run"), dict(clear(peer="10.0.0.9"), decision="skip", skip_reason="cool-down")]
    out = spi_outcomes(acts, check_mode=True)
    assert [(o["result"], o["message"]) for o in out] == [("would_run", "check mode: not sent"), ("skipped", "cool-down")]
    result = {"changed": True, "results": [{"peer": "10.0.0.1", "ok": True, "response": ""}]}
    assert spi_outcomes(acts[:1], clears=[result])[0]["result"] == "done"
    # Bad input is named as such, never reported as a bug of the collection.
    for bad in ([1], ["x"], "actions"):
        with pytest.raises(AnsibleFilterError, match=r"^netops.ipsec_spi.spi_outcomes: action 1 is (int|str), not a dict$"):
            spi_outcomes(bad)
