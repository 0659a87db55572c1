"""hints: root-cause evidence for a desync from both ends' facts, each a hint with its data, only when supported."""
from __future__ import annotations

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils import hints
from ansible_collections.netops.ipsec_spi.plugins.module_utils.commands import COMMAND_OF
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError

T0 = 1_780_000_000.0  # first INV_SPI
GATHER = T0 + 3600.0  # the facts were read an hour later


def facts(uptime="3 weeks, 2 days, 4 hours, 5 minutes", clock=GATHER, sas=(), ike=(), dpd=True, lifetime=None,
          tunnels=None, ike_read=True):
    default_tunnels = [{"name": "Tunnel1", "ike_version": "ikev1", "peers": ["10.0.0.2", "10.0.0.1"]}]
    inventory = {"dpd": {"ikev1": dpd, "ikev2": dpd}, "ipsec_lifetime_sec": lifetime,
                 "tunnels": tunnels if tunnels is not None else default_tunnels}
    return {"platform": {"uptime": uptime}, "device_epoch": clock, "inventory": inventory,
            "ipsec_sas": [{"peer": "10.0.0.1", "sas": list(sas)}], "ike_sas": list(ike),
            "commands": [COMMAND_OF["ipsec_sa"]] + ([COMMAND_OF["isakmp_sa"]] if ike_read else [])}


def ready():
    return [{"remote": "10.0.0.2", "state": "QM_IDLE"}]


def episode(spi=0x1000, **extra):
    row = {"receiver": "hub", "sender": "spoke", "sender_addr": "10.0.0.2", "receiver_addr": "10.0.0.1",
           "tunnel": "Tunnel1", "spi": spi, "first_epoch": T0, "last_epoch": T0 + 300, "messages": 5,
           "verdict": "confirmed", "fixed_epoch": None, "source": "audit", "run_id": "r"}
    row.update(extra)
    return row


def names(result):
    return sorted((h["hint"], h["end"]) for h in result["hints"])


def test_healthy_pair_gets_no_hint_and_no_gap():
    sender = facts(sas=[{"direction": "outbound", "spi": 0x1000, "remaining_sec": 100}])
    out = hints.pair_hints(episode(), facts(ike=ready()), sender)
    assert out == {"hints": [], "unavailable": []}


def test_reload_of_the_receiver_shortly_before():
    # Booted 10 minutes before the first INV_SPI: uptime at the gather is 70 minutes.
    out = hints.pair_hints(episode(), facts(uptime="1 hour, 10 minutes", ike=ready()), facts())
    (hint,) = [h for h in out["hints"] if h["hint"] == "reload"]
    assert hint["end"] == "receiver" and hint["data"]["seconds_before"] == 600.0 and hint["data"]["host"] == "hub"
    # A reload long before, or after the first INV_SPI, is no hint.
    assert "reload" not in [h["hint"] for h in hints.pair_hints(episode(), facts(uptime="2 days", ike=ready()),
                                                                facts())["hints"]]
    assert "reload" not in [h["hint"] for h in hints.pair_hints(episode(), facts(uptime="30 minutes", ike=ready()),
                                                                facts())["hints"]]


def test_rekey_race_from_remaining_and_configured_lifetime():
    # Lifetime 3600 (default), 3480 s remain at the gather: installed 120 s before it... i.e. long after T0: no.
    late = facts(sas=[{"direction": "outbound", "spi": 0x1000, "remaining_sec": 3480}])
    assert "rekey_race" not in [h["hint"] for h in hints.pair_hints(episode(), facts(ike=ready()), late)["hints"]]
    # Installed 3660 s before the gather = 60 s before T0, with a configured 28800 s lifetime.
    race = facts(lifetime=28800, sas=[{"direction": "outbound", "spi": 0x1000, "remaining_sec": 28800 - 3660}])
    out = hints.pair_hints(episode(), facts(ike=ready(), lifetime=28800), race)
    (hint,) = [h for h in out["hints"] if h["hint"] == "rekey_race"]
    assert hint["data"]["seconds_before"] == 60.0 and hint["data"]["lifetime_sec"] == 28800


def test_rekey_race_needs_the_sa_and_the_lifetime():
    gone = hints.pair_hints(episode(), facts(ike=ready()), facts())
    assert [g["hint"] for g in gone["unavailable"]] == ["rekey_race"]
    assert "still holding outbound SA 0x00001000" in gone["unavailable"][0]["needs"]
    old = facts(sas=[{"direction": "outbound", "spi": 0x1000, "remaining_sec": 10}])
    del old["inventory"]["ipsec_lifetime_sec"]  # facts of a release that did not read it
    out = hints.pair_hints(episode(), facts(ike=ready()), old)
    assert {g["hint"] for g in out["unavailable"]} == {"rekey_race", "lifetime_mismatch"}
    longer = facts(sas=[{"direction": "outbound", "spi": 0x1000, "remaining_sec": 7000}])
    out = hints.pair_hints(episode(), facts(ike=ready()), longer)
    assert "a configured lifetime the SA obeys" in out["unavailable"][0]["needs"]


def test_rekey_race_uses_the_senders_own_tunnel_lifetime():
    # The sender's tunnel to the receiver sets 28800 s (crypto map entry or IPsec profile), the global one is the
    # default: 28800 - 3660 s remain, installed 60 s before T0. Before per-tunnel lifetimes this was unavailable.
    own = [{"name": "Tunnel1", "ike_version": "ikev1", "peers": ["10.0.0.1"], "lifetime_sec": 28800},
           {"name": "Tunnel9", "ike_version": "ikev1", "peers": ["10.0.0.9"], "lifetime_sec": 600}]
    sender = facts(tunnels=own, sas=[{"direction": "outbound", "spi": 0x1000, "remaining_sec": 28800 - 3660}])
    receiver_tunnels = [{"name": "Tunnel1", "ike_version": "ikev1", "peers": ["10.0.0.2"], "lifetime_sec": 28800}]
    out = hints.pair_hints(episode(), facts(ike=ready(), tunnels=receiver_tunnels), sender)
    (hint,) = [h for h in out["hints"] if h["hint"] == "rekey_race"]
    assert hint["data"]["seconds_before"] == 60.0 and hint["data"]["lifetime_sec"] == 28800
    # Both ends' own lifetimes agree: no mismatch, though the sender's other tunnel differs.
    assert "lifetime_mismatch" not in [h["hint"] for h in out["hints"]]
    # The receiver's own tunnel says 3600 (global default, no per-tunnel value): they differ.
    out = hints.pair_hints(episode(), facts(ike=ready()), sender)
    (mismatch,) = [h for h in out["hints"] if h["hint"] == "lifetime_mismatch"]
    assert mismatch["data"] == {"receiver_sec": 3600, "sender_sec": 28800}


def test_no_ike_sa_with_the_sender_on_the_receiver():
    out = hints.pair_hints(episode(), facts(ike=[{"remote": "10.0.0.9", "state": "QM_IDLE"}]), None)
    (hint,) = [h for h in out["hints"] if h["hint"] == "no_ike_sa"]
    assert hint["data"]["states"] == []
    out = hints.pair_hints(episode(), facts(ike=[{"remote": "10.0.0.2", "state": "MM_NO_STATE"}]), None)
    assert "no ready IKE SA (MM_NO_STATE)" in [h for h in out["hints"] if h["hint"] == "no_ike_sa"][0]["message"]
    # Not read: no hint, a gap.
    out = hints.pair_hints(episode(), facts(ike_read=False), None)
    assert "no_ike_sa" not in [h["hint"] for h in out["hints"]]
    assert "no_ike_sa" in [g["hint"] for g in out["unavailable"]]


def test_dpd_missing_on_either_end_and_lifetimes_that_differ():
    out = hints.pair_hints(episode(), facts(ike=ready(), dpd=False), facts(lifetime=28800))
    assert names(out) == [("dpd_missing", "receiver"), ("lifetime_mismatch", "both")]
    assert out["hints"][1]["data"] == {"receiver_sec": 3600, "sender_sec": 28800}
    out = hints.pair_hints(episode(), facts(ike=ready()), facts(dpd=False))
    assert names(out) == [("dpd_missing", "sender")]


def test_top_byte_ff_uses_the_assessment_rule():
    out = hints.pair_hints(episode(spi=0xFF001234), facts(ike=ready()), None)
    assert [h["hint"] for h in out["hints"]] == ["spi_top_byte_ff"] and out["hints"][0]["data"]["bug"] == "CSCvp16730"
    assert "spi_top_byte_ff" not in [h["hint"] for h in hints.pair_hints(episode(spi=0xFE001234), facts(ike=ready()),
                                                                         None)["hints"]]


def test_sender_not_read_lists_what_is_missing():
    out = hints.pair_hints(episode(sender=None), facts(ike=ready()), None)
    assert out["hints"] == []
    assert sorted(g["hint"] for g in out["unavailable"]) == ["dpd_missing", "lifetime_mismatch", "rekey_race", "reload"]


@pytest.mark.parametrize("text, seconds", [
    ("1 year, 2 weeks, 3 days, 4 hours, 5 minutes", 365 * 86400 + 17 * 86400 + 4 * 3600 + 300),
    ("1 minute", 60), ("2 days, 1 hour", 2 * 86400 + 3600),
    ("", None), ("forever", None), ("1 minute\n", None), ("1 fortnight", None), (None, None),
])
def test_uptime_seconds(text, seconds):
    assert hints.uptime_seconds(text) == seconds


def test_bad_input_is_refused():
    with pytest.raises(ParseError, match="episode: spi must be an integer"):
        hints.pair_hints(episode(spi="0x10"), None, None)
    with pytest.raises(ParseError, match="receiver_facts must be the ipsec_spi facts"):
        hints.pair_hints(episode(), ["x"], None)
    with pytest.raises(ParseError, match="rekey_window must be a number"):
        hints.pair_hints(episode(), None, None, rekey_window=-1)
    with pytest.raises(ParseError, match=r"findings\[0\] is not a RECURRING_DESYNC finding"):
        hints.recurring_hints([{"code": "KNOB_MISSING"}], {})


def test_recurring_hints_use_the_latest_episode_of_each_finding():
    from ansible_collections.netops.ipsec_spi.plugins.module_utils import history
    eps = [episode(spi=0x100 + i, first_epoch=T0 - i * 86400, last_epoch=T0 - i * 86400 + 60) for i in range(3)]
    (item,) = history.recurring(eps, [], now=T0 + 3600)
    out = hints.recurring_hints([item], {"hub": facts(ike=ready(), dpd=False), "spoke": facts()})
    assert list(out) == ["hub|10.0.0.2"] and names(out["hub|10.0.0.2"]) == [("dpd_missing", "receiver")]
