"""history: the episode and action rows a run records, and what the rows read back say."""
from __future__ import annotations

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils import history
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError

DAY = 86400.0
NOW = 1_780_000_000.0  # 2026-05-28


def flow(src, spi, status="persistent", verdict="confirmed", first=NOW - 600, last=NOW - 60, count=5, sender="spoke1",
         dst="10.0.0.1"):
    return {"src": src, "dst": dst, "spi": spi, "status": status, "verdict": verdict, "sender": sender,
            "first_epoch": first, "last_epoch": last, "count": count}


def assessment(host, flows=(), performed=(), findings=()):
    return {"host": host, "assessed": True, "flows": list(flows), "performed_actions": list(performed),
            "findings": list(findings), "tunnels": [{"name": "Tunnel1", "peers": ["10.0.0.2"]}]}


def episode(receiver="hub", sender_addr="10.0.0.2", spi=0x1000, first=NOW - DAY, last=None, fixed=None,
            verdict="confirmed", run_id="r1", **extra):
    row = {"receiver": receiver, "sender": "spoke1", "sender_addr": sender_addr, "receiver_addr": "10.0.0.1",
           "tunnel": "Tunnel1", "spi": spi, "first_epoch": first, "last_epoch": last if last is not None else first + 300,
           "messages": 5, "verdict": verdict, "fixed_epoch": fixed, "source": "remediate", "run_id": run_id}
    row.update(extra)
    return row


def action(receiver="hub", peer="10.0.0.2", epoch=NOW - DAY, outcome="fixed", run_id="r1", kind="clear_sa"):
    return {"run_id": run_id, "receiver": receiver, "peer": peer, "action": kind,
            "command": "clear crypto sa peer 10.0.0.1", "epoch": epoch, "outcome": outcome}


# ------------------------------------------------------------------------------ rows a run records

def test_episode_rows_one_per_flow_with_tunnel_and_verified_fix():
    hub = assessment("hub", [flow("10.0.0.2", 0x1000), flow("10.0.0.3", 0x2000, status="transient", verdict=None),
                             flow("198.51.100.9", 0x3000, status="foreign")],
                     findings=[{"code": "SPI_DESYNC_CONFIRMED", "subject": "10.0.0.2", "spi": 0x1000, "tunnel": "Tu9"}])
    spoke = assessment("spoke1", performed=[{"action": "clear_sa", "receiver": "hub", "sender_addr": "10.0.0.2",
                                             "spi": 0x1000, "result": "done", "verified": True,
                                             "command": "clear crypto sa peer 10.0.0.1"}])
    rows = history.episode_rows({"hub": hub, "spoke1": spoke, "down": None}, NOW, "remediate", "run-1")
    assert [(r["sender_addr"], r["verdict"], r["tunnel"], r["fixed_epoch"]) for r in rows] == [
        ("10.0.0.2", "confirmed", "Tu9", NOW), ("10.0.0.3", "transient", None, None)]
    assert all(set(r) == set(history.EPISODE_FIELDS) for r in rows)
    assert rows[0]["first_epoch"] == NOW - 600 and rows[0]["messages"] == 5 and rows[0]["source"] == "remediate"
    # Every row it builds passes the check the rows read back get.
    assert history.check_episodes(rows) == rows


def test_a_fix_is_dated_by_the_receivers_clock_that_dated_its_messages():
    # The episode's first and last messages are the receiver's clock; the fix must be too, or a receiver whose
    # clock is off (or a lab's compressed time) reports black holes of days that lasted minutes.
    hub = assessment("hub", [flow("10.0.0.2", 0x1000)])
    spoke = assessment("spoke1", performed=[{"action": "clear_sa", "receiver": "hub", "sender_addr": "10.0.0.2",
                                             "spi": 0x1000, "result": "done", "verified": True,
                                             "command": "clear crypto sa peer 10.0.0.1"}])
    fleet = {"hub": hub, "spoke1": spoke}
    clock = NOW - 7 * 86400 + 30   # the receiver's clock a week behind the controller's, just after the flow
    hub["flows"][0].update(first_epoch=clock - 600, last_epoch=clock - 60)
    (row,) = history.episode_rows(fleet, NOW, "remediate", "run-1", clocks={"hub": clock})
    assert row["fixed_epoch"] == clock and row["fixed_epoch"] - row["first_epoch"] == 600
    # Without the receiver's clock (or with one that is not a calendar time), the run's time, as before.
    for clocks in (None, {"hub": None}, {"hub": 3600.0}, {"hub": True}, {"spoke1": clock}):
        (row,) = history.episode_rows({"hub": assessment("hub", [flow("10.0.0.2", 0x1000)]), "spoke1": spoke},
                                      NOW, "remediate", "run-1", clocks=clocks)
        assert row["fixed_epoch"] == NOW, clocks


def test_episode_rows_dates_uptime_flows_by_the_run_and_merges_two_destinations():
    hub = assessment("hub", [flow("10.0.0.2", 7, first=3600.0, last=3700.0),
                             flow("10.0.0.2", 7, first=NOW - 50, last=NOW - 10, dst="10.0.0.9", count=9)])
    rows = history.episode_rows({"hub": hub}, NOW, "audit", "r")
    assert len(rows) == 1
    assert rows[0]["first_epoch"] == NOW - 50 and rows[0]["last_epoch"] == NOW and rows[0]["messages"] == 9


def test_episode_rows_are_the_same_for_the_same_facts():
    hub = {"hub": assessment("hub", [flow("10.0.0.2", 0x1000)])}
    assert history.episode_rows(hub, NOW, "eda", "a") == history.episode_rows(hub, NOW, "eda", "a")


def test_action_rows_outcomes_and_what_is_not_recorded():
    performed = [
        {"action": "clear_sa", "receiver": "hub", "sender_addr": "10.0.0.2", "result": "done", "verified": True,
         "command": "clear crypto sa peer 10.0.0.1"},
        {"action": "clear_session", "receiver": "hub", "sender_addr": "10.0.0.3", "result": "done", "verified": False,
         "command": "clear crypto session remote 10.0.0.3"},
        {"action": "clear_session", "receiver": "hub", "sender_addr": "10.0.0.4", "result": "failed",
         "command": "clear crypto session remote 10.0.0.4"},
        {"action": "clear_sa", "receiver": "hub", "sender_addr": "10.0.0.5", "result": "skipped",
         "command": "clear crypto sa peer 10.0.0.1"},
        {"action": "clear_sa", "receiver": "hub", "sender_addr": "10.0.0.6", "result": "would_run",
         "command": "clear crypto sa peer 10.0.0.1"},
        {"action": "enable_knob", "result": "done", "verified": True, "command": "crypto isakmp invalid-spi-recovery"},
    ]
    rows = history.action_rows({"spoke1": assessment("spoke1", performed=performed)}, NOW, "r9")
    assert [(r["receiver"], r["peer"], r["action"], r["outcome"]) for r in rows] == [
        ("hub", "10.0.0.2", "clear_sa", "fixed"), ("hub", "10.0.0.3", "clear_session", "still_broken"),
        ("hub", "10.0.0.4", "clear_session", "failed"), ("spoke1", None, "enable_recovery", "not_verified")]
    assert history.check_actions(rows) == rows


@pytest.mark.parametrize("args, match", [
    (({}, "yesterday", "audit", "r"), "run_epoch must be a finite number"),
    (({}, 3600, "audit", "r"), "run_epoch must be a calendar time"),
    (({}, NOW, "cron", "r"), "source must be one of audit"),
    (({}, NOW, "audit", "r\n"), "run_id must be"),
    (("hub", NOW, "audit", "r"), "assessments must be a mapping"),
    (({"hub": assessment("hub", [dict(flow("10.0.0.2", 1), spi="0x1")])}, NOW, "audit", "r"),
     r"assessment of hub: flows\[0\].spi must be an integer"),
    (({"hub": assessment("hub", [dict(flow("10.0.0.2", 1), src="10.0.0.2\n")])}, NOW, "audit", "r"),
     r"flows\[0\].src must be an IP address"),
    (({"bad host!": assessment("x")}, NOW, "audit", "r"), "assessments: host must be an inventory host name"),
])
def test_episode_rows_bad_input_names_the_field(args, match):
    with pytest.raises(ParseError, match=match):
        history.episode_rows(*args)


# ------------------------------------------------------------------------------ rows read back

@pytest.mark.parametrize("field, value, match", [
    ("spi", -1, "episodes row 0: spi must be an integer in 0..4294967295"),
    ("spi", True, "episodes row 0: spi must be an integer"),
    ("first_epoch", float("nan"), "episodes row 0: first_epoch must be a finite number"),
    ("first_epoch", "2026-01-01", "episodes row 0: first_epoch must be a finite number"),
    ("last_epoch", NOW - 2 * DAY, "episodes row 0: last_epoch is before first_epoch"),
    ("fixed_epoch", NOW - 2 * DAY, "episodes row 0: fixed_epoch is before first_epoch"),
    ("sender_addr", "not-an-ip", "episodes row 0: sender_addr must be an IP address"),
    ("receiver", None, "episodes row 0: receiver must be an inventory host name"),
    ("receiver", "{{ lookup('pipe','id') }}", "episodes row 0: receiver must be an inventory host name"),
    ("messages", 0, "episodes row 0: messages must be an integer >= 1"),
    ("source", "sql", "episodes row 0: source must be one of"),
    ("verdict", "<script>", "episodes row 0: verdict must be"),
    ("tunnel", "Tu1\nclear crypto sa", "episodes row 0: tunnel must be"),
])
def test_bad_episode_rows_read_back_are_refused_by_field(field, value, match):
    with pytest.raises(ParseError, match=match):
        history.recurring([episode(**{field: value})], [], now=NOW)


@pytest.mark.parametrize("field, value, match", [
    ("outcome", "great", "actions row 0: outcome must be one of fixed"),
    ("action", "reload", "actions row 0: action must be one of clear_sa"),
    ("epoch", None, "actions row 0: epoch must be a finite number"),
    ("peer", None, "actions row 0: peer must be an IP address"),
    ("command", "clear crypto sa peer 10.0.0.1; reload", "actions row 0: command must be"),
])
def test_bad_action_rows_read_back_are_refused_by_field(field, value, match):
    with pytest.raises(ParseError, match=match):
        history.timeline(("hub", "10.0.0.2"), [], [action(**{field: value}) if field in ("outcome", "epoch", "peer")
                                                   else dict(action(), **{field: value})])


def test_rows_not_a_list_or_not_mappings():
    with pytest.raises(ParseError, match="episodes must be a list of rows, not dict"):
        history.recurring({"a": 1}, [], now=NOW)
    with pytest.raises(ParseError, match="actions row 1 must be a mapping"):
        history.recurring([], [action(), "x"], now=NOW)


# ------------------------------------------------------------------------------ recurrence

def nightly(count, spacing=DAY, receiver="hub", sender_addr="10.0.0.2", fixed=True):
    eps, acts = [], []
    for night in range(count):
        start = NOW - (night + 1) * spacing
        eps.append(episode(receiver, sender_addr, spi=0x1000 + night, first=start, fixed=start + 600 if fixed else None,
                           run_id="n%d" % night))
        acts.append(action(receiver, sender_addr, start + 600, "fixed" if fixed else "still_broken", "n%d" % night))
    return eps, acts


def test_pair_with_n_episodes_is_recurring_and_says_how_often_it_was_masked_and_mttr():
    eps, acts = nightly(4)
    (item,) = history.recurring(eps, acts, min_episodes=3, window_days=30, now=NOW)
    assert item["code"] == "RECURRING_DESYNC" and item["severity"] == "error"
    assert (item["receiver"], item["sender_addr"], item["tunnel"]) == ("hub", "10.0.0.2", "Tunnel1")
    assert item["episodes"] == 4 and item["masked"] == 4 and item["outcomes"] == {"fixed": 4}
    assert item["mttr_seconds"] == 600.0 and [h["ended"] for h in item["black_holes"]] == ["verified_fix"] * 4
    assert "desynced 4 times in 30 days" in item["message"] and "MTTR 10 min" in item["message"]
    assert "masked 4 time(s)" in item["message"]


def test_fewer_than_n_or_outside_the_window_or_transient_is_not_recurring():
    eps, acts = nightly(2)
    assert history.recurring(eps, acts, min_episodes=3, now=NOW) == []
    old = nightly(5, spacing=10 * DAY)[0]  # 10, 20, 30, 40, 50 days ago: two in the last 30 days... three with 30
    assert history.recurring(old, [], min_episodes=3, window_days=25, now=NOW) == []
    assert len(history.recurring(old, [], min_episodes=3, window_days=31, now=NOW)) == 1
    transient = [episode(spi=i, first=NOW - i * DAY, verdict="transient") for i in range(1, 6)]
    assert history.recurring(transient, [], now=NOW) == []


def test_unfixed_black_holes_say_how_they_ended():
    eps = nightly(3, fixed=False)[0]
    eps.append(episode(spi=9, first=NOW - 3600, last=NOW - 60))
    (item,) = history.recurring(eps, [], now=NOW)
    assert item["mttr_seconds"] is None and "no fix was verified" in item["message"]
    assert [h["ended"] for h in item["black_holes"]] == ["messages_stopped"] * 3 + ["ongoing"]
    assert item["black_holes"][-1]["seconds"] == 3600.0


@pytest.mark.parametrize("kwargs, match", [
    ({"min_episodes": 1}, "min_episodes must be an integer >= 2"),
    ({"window_days": 0}, "window_days must be a number of days"),
    ({"window_days": "30"}, "window_days must be a number of days"),
    ({"now": None}, "now .* is required"),
])
def test_recurring_bad_settings(kwargs, match):
    args = dict({"now": NOW}, **kwargs)
    with pytest.raises(ParseError, match=match):
        history.recurring([], [], **args)


def test_timeline_orders_episodes_and_actions_of_the_pair_only():
    eps, acts = nightly(2)
    eps.append(episode(sender_addr="10.0.0.7"))
    acts.append(action(kind="enable_recovery", peer=None, epoch=NOW - 10))
    items = history.timeline({"receiver": "hub", "sender_addr": "10.0.0.2"}, eps, acts)
    assert [i["kind"] for i in items] == ["episode", "action", "episode", "action", "action"]
    assert [i["epoch"] for i in items] == sorted(i["epoch"] for i in items)
    assert items[-1]["action"] == "enable_recovery"


def test_trend_counts_found_fixed_recurring_per_day():
    eps, acts = nightly(4)
    rows = history.trend(eps, acts, days=7, now=NOW, min_episodes=3)
    assert len(rows) == 7 and rows[-1]["day"] == "2026-05-28"
    assert sum(r["found"] for r in rows) == 4 and sum(r["fixed"] for r in rows) == 4
    # The third and fourth nights are the ones where the pair had 2+ earlier black holes in the window.
    assert sum(r["recurring"] for r in rows) == 2 and sum(r["clears"] for r in rows) == 4
    with pytest.raises(ParseError, match="days must be an integer"):
        history.trend(eps, acts, days=0, now=NOW)


def test_rows_read_back_are_normalised_whichever_check_runs():
    plain = history.check_episode(episode())
    # Not canonical (upper-case IPv6, an int epoch, a Mapping that is no dict): the field-by-field check normalises.
    from types import MappingProxyType
    odd = history.check_episode(MappingProxyType(episode(sender_addr="2001:DB8::2", first=int(NOW - DAY))))
    assert odd["sender_addr"] == "2001:db8::2" and isinstance(odd["first_epoch"], float)
    assert {k: v for k, v in odd.items() if k != "sender_addr"} == {k: v for k, v in plain.items() if k != "sender_addr"}
