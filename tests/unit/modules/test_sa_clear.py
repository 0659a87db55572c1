"""sa_clear: one command per peer from commands.CLEAR_BUILDERS, results matched by peer."""
from __future__ import annotations

import re

import pytest
from ansible.module_utils.connection import ConnectionError
from fake_cliconf import FakeCliconf

from ansible_collections.netops.ipsec_spi.plugins.module_utils import commands
from ansible_collections.netops.ipsec_spi.plugins.modules import sa_clear

INVALID = "                  ^\n% Invalid input detected at '^' marker.\n"


@pytest.mark.parametrize("peers, message", [
    ([], "peers is empty"),
    (["10.0.0.*"], "one peer address, not '10.0.0.\\*'"),
    (["10.0.0.0/24"], "one peer address"),
    (["hub1"], "one peer address"),
    (["10.0.0.1", "0.0.0.0"], "unspecified address 0.0.0.0"),
    (["::"], "unspecified address ::"),
    (["0:0::0"], "unspecified address ::"),
])
def test_plan_refuses_anything_but_single_peers(peers, message):
    results, error = sa_clear.plan(peers, "sa")
    assert results is None and re.search(message, error), error


def test_plan_uses_the_builders_and_merges_duplicates():
    results, error = sa_clear.plan(["10.0.0.1", "10.0.0.1", "2001:DB8::1", "2001:db8::1"], "session", "INET")
    assert error is None
    assert [(r["peer"], r["command"]) for r in results] == [
        ("10.0.0.1", commands.clear_session_command("10.0.0.1", fvrf="INET")),
        ("2001:db8::1", commands.clear_session_command("2001:db8::1", fvrf="INET"))]
    assert results[0]["command"] == "clear crypto session remote 10.0.0.1 fvrf INET"
    (sa,), error = sa_clear.plan(["10.0.0.1"], "sa", "INET")
    assert error is None
    assert sa["command"] == commands.clear_sa_command("10.0.0.1", vrf="INET") == "clear crypto sa peer vrf INET 10.0.0.1"
    assert sa_clear.plan(["10.0.0.1"], "sa", "bad vrf")[1].startswith("a VRF name is")


def test_check_mode_sends_nothing(run_module):
    conn = FakeCliconf()
    result = run_module(sa_clear, {"peers": ["10.0.0.1", "10.0.0.2"]}, conn, check_mode=True)
    assert result["changed"] is True and conn.sent == []
    assert result["commands"] == ["clear crypto sa peer 10.0.0.1", "clear crypto sa peer 10.0.0.2"]
    assert [(r["peer"], r["sent"], r["ok"], r["changed"]) for r in result["results"]] == [
        ("10.0.0.1", False, None, True), ("10.0.0.2", False, None, True)]


def test_every_peer_is_tried_and_each_result_says_how_it_went(run_module):
    conn = FakeCliconf({"clear crypto sa peer vrf INET 10.0.0.2": INVALID})
    result = run_module(sa_clear, {"peers": ["10.0.0.1", "10.0.0.2", "10.0.0.3"], "fvrf": "INET"}, conn)
    assert result["failed"] and result["changed"] is True
    assert result["msg"] == ("netops.ipsec_spi.sa_clear: 1 of 3 peer(s) not cleared: 10.0.0.2: clear crypto sa peer vrf "
                             "INET 10.0.0.2\n" + INVALID.rstrip())
    by_peer = {r["peer"]: r for r in result["results"]}
    assert [by_peer[p]["changed"] for p in ("10.0.0.1", "10.0.0.2", "10.0.0.3")] == [True, False, True]
    assert by_peer["10.0.0.2"]["ok"] is False and "% Invalid input" in by_peer["10.0.0.2"]["response"]
    assert {r["scope"] for r in result["results"]} == {"sa"} and result["scope"] == "sa"
    assert conn.sent == result["commands"]


def test_all_cleared(run_module):
    conn = FakeCliconf()
    result = run_module(sa_clear, {"peers": ["2001:DB8::1"], "scope": "session"}, conn)
    assert not result.get("failed") and result["changed"] is True
    assert result["results"] == [{"peer": "2001:db8::1", "scope": "session", "command": "clear crypto session remote 2001:db8::1",
                                  "sent": True, "ok": True, "changed": True, "response": ""}]


@pytest.mark.parametrize("broken, response", [
    (None, "no answer: the session was dropped while running 'clear crypto sa peer 10.0.0.2'"),
    (ConnectionError("socket closed"), "no answer: socket closed"),
    ("command timeout triggered, timeout value is 30 secs.", "no answer: the session failed during"),
])
def test_a_broken_session_stops_the_clears(run_module, broken, response):
    conn = FakeCliconf({"clear crypto sa peer 10.0.0.2": broken})
    result = run_module(sa_clear, {"peers": ["10.0.0.1", "10.0.0.2", "10.0.0.3"]}, conn)
    assert result["failed"] and result["changed"] is True
    first, second, third = result["results"]
    assert first["changed"] and second["response"].startswith(response)
    assert (second["sent"], second["ok"], second["changed"]) == (True, False, False)
    assert (third["sent"], third["ok"], third["changed"]) == (False, None, False)
    assert conn.sent == ["clear crypto sa peer 10.0.0.1", "clear crypto sa peer 10.0.0.2"]
    assert "10.0.0.3: not attempted" in result["msg"]


def test_refusal_sends_nothing(run_module):
    conn = FakeCliconf()
    result = run_module(sa_clear, {"peers": ["10.0.0.1", "any"]}, conn)
    assert result["failed"] and result["msg"] == "netops.ipsec_spi.sa_clear: a clear needs one peer address, not 'any'"
    assert conn.sent == []
