"""device: cliconf's answers turned back into what the router printed, in one place."""
from __future__ import annotations

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils import device
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, is_unsupported

REJECTED_REPR = 'b"show crypto ipsec sa\\r\\n ^\\r\\n% Invalid input detected at \'^\' marker.\\r\\n"'
TIMEOUT = "command timeout triggered, timeout value is 30 secs.\nSee the timeout setting options in the Network Debug guide."


class Cliconf:
    """cliconf's run_commands as seen from a module: one answer per command, or what it gives instead."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def run_commands(self, commands=None, check_rc=True):
        self.calls.append((list(commands), check_rc))
        out = self.answers(commands) if callable(self.answers) else [self.answers[c] for c in commands]
        return out


def normalize(text):
    return device.normalize_response(text)


def test_normalize_response_undoes_cliconf_bytes_repr():
    assert normalize(REJECTED_REPR) == "show crypto ipsec sa\n ^\n% Invalid input detected at '^' marker.\n"
    assert is_unsupported(normalize(REJECTED_REPR)) and not is_unsupported(REJECTED_REPR)
    assert normalize("plain") == "plain" and normalize(None) is None
    assert normalize(b"x\r\ny") == "x\r\ny"
    # Text that only looks like a repr stays as it is.
    assert normalize("b'unterminated") == "b'unterminated"
    assert normalize("b'x' and more'") == "b'x' and more'"


@pytest.mark.parametrize("text, expected", [
    (TIMEOUT, True),
    ("\nssh connection failed: Failed to authenticate public key", True),
    ("socket path /tmp/x does not exist or cannot be found", True),
    ("Connection refused", True),
    ("interface Tunnel1\n description command timeout triggered by a test", False),
    ("", False),
    (None, False),
])
def test_session_error_is_the_start_of_the_answer_only(text, expected):
    assert device.session_error(text) is expected


def test_router_error_is_a_percent_line():
    assert device.router_error("% Invalid input detected at '^' marker.")
    assert device.router_error("                 ^\n% Invalid input detected at '^' marker.\n")
    assert device.router_error("  %No such peer")
    assert not device.router_error("")
    assert not device.router_error("100% done")
    assert not device.router_error("%\n")


def test_answer_raises_for_what_is_not_the_routers_answer():
    assert device.answer(REJECTED_REPR, "show crypto ipsec sa").startswith("show crypto ipsec sa\n")
    for gone in (None, "None", " None\n"):
        with pytest.raises(device.SessionDropped, match="dropped while running 'show clock'"):
            device.answer(gone, "show clock")
    with pytest.raises(device.RejectedCommand, match="the session failed during 'show dmvpn': command timeout"):
        device.answer(TIMEOUT, "show dmvpn")
    # Both are ParseErrors: the modules name themselves and fail cleanly.
    assert issubclass(device.SessionDropped, device.RejectedCommand) and issubclass(device.RejectedCommand, ParseError)


def test_run_sends_one_call_and_answers_in_order():
    conn = Cliconf({"show version": "Cisco IOS XE Software", "show clock": REJECTED_REPR})
    assert device.run(conn, ["show version", "show clock"]) == ["Cisco IOS XE Software", normalize(REJECTED_REPR)]
    assert conn.calls == [(["show version", "show clock"], False)]
    assert device.run(conn, [], check_rc=True) == [] and len(conn.calls) == 1
    device.run(conn, ("show version",), check_rc=True)
    assert conn.calls[-1] == (["show version"], True)


def test_run_stops_at_the_first_broken_answer():
    conn = Cliconf({"a": "ok", "b": None, "c": TIMEOUT})
    with pytest.raises(device.SessionDropped, match="'b'"):
        device.run(conn, ["a", "b", "c"])
    with pytest.raises(device.RejectedCommand, match="session failed during 'c'"):
        device.run(conn, ["a", "c"])


def test_run_refuses_fewer_answers_than_commands():
    with pytest.raises(device.SessionDropped, match="'b' \\(1 answers for 2 commands\\)"):
        device.run(Cliconf(lambda commands: ["ok"]), ["a", "b"])
    with pytest.raises(device.SessionDropped, match="0 answers"):
        device.run(Cliconf(lambda commands: None), ["a"])
