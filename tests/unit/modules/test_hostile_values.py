"""The security test's hostile strings (issue 21, item 2): none reaches a router.

An IPv6 scope id is accepted by ``ipaddress`` with anything after the ``%``, newlines included, and kept
by ``str()``; a VRF or file name checked with ``re.match`` and ``$`` lets a trailing newline through.
Each of these once put a second command (a global clear) on the wire.
"""
from __future__ import annotations

import pytest
from fake_cliconf import FakeCliconf

from ansible_collections.netops.ipsec_spi.plugins.module_utils import commands, device
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import (
    ParseError,
    is_host_name,
    maybe_addr,
    normalize_addr,
    plain_addr,
)
from ansible_collections.netops.ipsec_spi.plugins.modules import sa_clear

HOSTILE_PEERS = [
    "fe80::1%x\nclear crypto sa",
    "::%\rclear crypto session",
    "fe80::1%Gi1",
    "10.0.0.1\nclear crypto sa",
    "10.0.0.1\r\nclear crypto session",
    "10.0.0.1\n",
    "\n10.0.0.1",
    "2001:db8::1%eth0",
    "10.0.0.1 ; clear crypto sa",
    "10.0.0.1\x00",
    "10.0.0.1\tclear",
    "2001:db8::1\u2028clear crypto sa",
]


@pytest.mark.parametrize("peer", HOSTILE_PEERS)
def test_no_builder_takes_a_hostile_peer(peer):
    for build in commands.CLEAR_BUILDERS.values():
        with pytest.raises(ParseError, match="one peer address"):
            build(peer)
    assert plain_addr(peer) is None


@pytest.mark.parametrize("peer", HOSTILE_PEERS)
@pytest.mark.parametrize("scope", ["sa", "session"])
def test_sa_clear_sends_nothing_for_a_hostile_peer(run_module, peer, scope):
    conn = FakeCliconf()
    result = run_module(sa_clear, {"peers": ["10.0.0.9", peer], "scope": scope}, conn)
    assert result["failed"] and "one peer address" in result["msg"]
    assert conn.sent == []


@pytest.mark.parametrize("text", ["fe80::1%x", "fe80::1%x\nclear crypto sa", "::%\r", "2001:db8::1%0"])
def test_addresses_never_carry_a_scope_id(text):
    assert maybe_addr(text) is None
    with pytest.raises(ParseError, match="not an IP address"):
        normalize_addr(text)


def test_device_output_tokens_still_read():
    # Parsers hand over tokens that may keep their blanks or CR: the canonical form never does.
    assert maybe_addr(" 2001:DB8::1\r") == "2001:db8::1"
    assert normalize_addr("10.0.0.1") == "10.0.0.1"
    assert plain_addr("2001:DB8::1") == "2001:db8::1"


@pytest.mark.parametrize("vrf", ["INET\n", "INET\nclear crypto sa", "IN ET", "INET\r", "", "x" * 33])
def test_vrf_names_are_matched_whole(vrf):
    if vrf == "":
        assert commands.clear_sa_command("10.0.0.1", vrf=vrf) == "clear crypto sa peer 10.0.0.1"
        return
    with pytest.raises(ParseError, match="VRF name"):
        commands.clear_sa_command("10.0.0.1", vrf=vrf)
    with pytest.raises(ParseError, match="VRF name"):
        commands.clear_session_command("10.0.0.1", fvrf=vrf)


@pytest.mark.parametrize("name", ["cap.txt\n", "cap.txt\ndelete /force flash:*", "a/b", "*", "x" * 65])
def test_flash_and_applet_names_are_matched_whole(name):
    assert not commands.is_plain_name(name)
    for build in (commands.delete_flash_file, commands.more_flash_file, commands.dir_flash_file,
                  commands.applet_section):
        with pytest.raises(ParseError):
            build(name)


@pytest.mark.parametrize("command", ["clear crypto sa peer 10.0.0.1\nclear crypto sa", "show clock\r",
                                     {"command": "show clock\nclear crypto session"}, "", "x" * 600])
def test_device_run_refuses_anything_but_one_line(command):
    conn = FakeCliconf()
    with pytest.raises(ParseError, match="refusing to send"):
        device.run(conn, ["show version", command])
    assert conn.sent == []


@pytest.mark.parametrize("name, ok", [
    ("hub1", True), ("spoke-2.example.net", True), ("r_1", True),
    ("all", False), ("ALL", False), ("localhost", False), ("hub1,spoke2", False), ("hub*", False),
    ("{{ lookup('pipe','id') }}", False), ("all,{{lookup('pipe','touch${IFS}/tmp/pwned')}}", False),
    ("hub1\n", False), ("!hub1", False), ("&hub1", False), ("hub1:spoke", False), ("-hub", False), ("", False),
    (None, False), ("a b", False),
])
def test_host_names_are_inventory_names_not_patterns(name, ok):
    assert is_host_name(name) is ok
