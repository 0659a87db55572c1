from ansible_collections.netops.ipsec_spi.plugins.module_utils import remediate


def clear(host="spoke", peer="10.0.0.1", spi=0x1DB73BBB, action="clear_sa", receiver="hub"):
    return {"action": action, "host": host, "peer": peer, "spi": spi, "receiver": receiver,
            "receiver_addr": "10.0.0.1", "sender_addr": "10.0.0.2",
            "command": "clear crypto sa peer %s" % peer if action == "clear_sa" else "clear crypto session remote %s" % peer}


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
    assert gone[0]["decision"] == "skip" and "no longer uses" in gone[0]["skip_reason"]
    unread = remediate.reverify(planned, {"spoke": []})
    assert unread[0]["decision"] == "skip"


def test_verify_needs_agreeing_spis_and_flat_drops():
    done = [dict(clear(), result="done")]
    fresh = {"hub": [sa("10.0.0.2", [0x55], [0x66])], "spoke": [sa("10.0.0.1", [0x66], [0x55])]}
    assert remediate.verify(done, fresh, {"hub": {"delta": 0}})[0]["verified"] is True
    assert remediate.verify(done, fresh, {"hub": {"delta": 12}})[0]["verified"] is False
    # Other senders (a foreign scan) keep the router's counter rising: not this clear's failure.
    shared = [dict(done[0], receiver_other_flows=["192.0.2.66 0x0BADF00D (foreign)"])]
    out = remediate.verify(shared, fresh, {"hub": {"delta": 12}})[0]
    assert out["verified"] is True and "192.0.2.66" in " ".join(out["verify_evidence"])
    stale = {"hub": [sa("10.0.0.2", [0x55], [0x66])], "spoke": [sa("10.0.0.1", [0x66], [0x1DB73BBB])]}
    assert remediate.verify(done, stale)[0]["verified"] is False


def test_record_only_done_clears():
    performed = [dict(clear(), result="done"), dict(clear(peer="10.0.0.9"), result="skipped"), dict(knob(), result="done")]
    state = remediate.record({}, performed, 42.0, "r")
    assert list(state) == ["spoke|10.0.0.1"] and state["spoke|10.0.0.1"]["time"] == 42.0


def test_outcomes_never_call_half_done_done():
    acts = [dict(knob(), decision="run"), dict(clear(), decision="run"), dict(clear(peer="10.0.0.9"), decision="run"),
            dict(clear(peer="10.0.0.8"), decision="skip", skip_reason="cool-down")]
    sa_result = {"failed": True, "msg": "1 of 2 peer(s) not cleared", "results": [
        {"command": "clear crypto sa peer 10.0.0.1", "ok": True, "response": ""},
        {"command": "clear crypto sa peer 10.0.0.9", "ok": False, "response": "% Invalid input detected"}]}
    out = remediate.outcomes(acts, {"changed": True, "after": True}, [sa_result, {"skipped": True}], False)
    assert [o["result"] for o in out] == ["done", "done", "failed", "skipped"]
    assert out[2]["message"] == "% Invalid input detected" and out[3]["message"] == "cool-down"
    dry = remediate.outcomes(acts, {"skipped": True}, [{"skipped": True}], True)
    assert [o["result"] for o in dry] == ["would_run", "would_run", "would_run", "skipped"]
    assert remediate.outcomes(acts[:1], {"failed": True, "msg": "% rejected"}, [], False)[0]["result"] == "failed"
