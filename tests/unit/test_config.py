"""crypto_inventory: the running-config classifier, secret masking, and the filter around them."""

import json
import os
import re
import subprocess
import sys

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, UnsupportedCommand
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config import (
    KINDS,
    parse_crypto_inventory,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "config")
ALL_FIXTURES = sorted(f for f in os.listdir(FIXTURES) if f.endswith(".txt"))


def load(name):
    with open(os.path.join(FIXTURES, name), newline="") as handle:
        return handle.read()


def parse(text):
    problems = []
    result = parse_crypto_inventory(text, problems)
    return result, problems


def by_name(result):
    return {t["name"]: t for t in result["tunnels"]}


def strip_config(text):
    return "\n".join(line.strip() for line in text.splitlines())


def comparable(result):
    """The result with evidence indentation dropped, for stripped/CRLF equivalence."""
    copy = json.loads(json.dumps(result))
    for tunnel in copy["tunnels"]:
        tunnel["evidence"] = [line.strip() for line in tunnel["evidence"]]
    return copy


# ---------------------------------------------------------------------------
# One router per kind, and mixed routers
# ---------------------------------------------------------------------------


def test_hub_mgre_dynamic_nhrp():
    result, problems = parse(load("hub_dmvpn_ikev1.txt"))
    assert problems == []
    assert result["hostname"] == "hub-1"
    assert result["invalid_spi_recovery"] is True
    assert result["dpd"] == {"ikev1": True, "ikev2": False}
    assert result["ike_versions_in_use"] == ["ikev1"]
    # Tunnel99 is plain GRE (no protection); Tunnel7 only exists inside the banner.
    assert [t["name"] for t in result["tunnels"]] == ["Tunnel0"]
    hub = result["tunnels"][0]
    assert hub["kind"] == "mgre_dynamic_nhrp"
    assert hub["recovery"] == "unsupported"
    assert hub["ike_version"] == "ikev1"
    assert hub["peers"] == []
    assert hub["dpd"] is True
    assert "ip nhrp map multicast dynamic" in hub["reason"] and "ip nhrp redirect" in hub["reason"]
    assert " ip nhrp map multicast dynamic" in hub["evidence"]
    assert "crypto isakmp keepalive 10 3 periodic" in hub["evidence"]
    assert hub["description"] == "DMVPN hub <script>alert(1)</script>"
    assert hub["ipsec_profile"] == "DMVPN-PROF"
    assert hub["local_addresses"] == ["198.51.100.1", "198.51.100.254"]
    assert hub["nhrp"] == {"static_maps": [], "nhs": [], "dynamic": True, "multicast": []}
    # EUI-64 addresses are not in the config; link-local ones are.
    assert result["addresses"] == [
        "10.255.0.1", "172.16.0.1", "192.168.99.1", "198.51.100.1", "198.51.100.254",
        "10.1.0.1", "2001:db8:10::1", "fe80::1",
    ]


def test_spoke_with_nhs_is_dynamic_and_peers_are_nhs_nbma():
    result, problems = parse(load("spoke_dmvpn_nhs.txt"))
    assert problems == []
    (spoke,) = result["tunnels"]
    assert spoke["kind"] == "mgre_dynamic_nhrp"
    assert spoke["recovery"] == "unsupported"
    assert spoke["peers"] == ["198.51.100.1"]
    assert spoke["nhrp"]["nhs"] == [{"tunnel_ip": "172.16.0.1", "nbma": "198.51.100.1", "nbma_name": None}]
    assert spoke["dpd"] is False
    assert result["dpd"] == {"ikev1": False, "ikev2": False}
    assert "NHS registration" in spoke["reason"] and "ip nhrp shortcut" in spoke["reason"]
    assert spoke["local_addresses"] == ["192.0.2.2"]


def test_spoke_with_only_static_nhrp_maps():
    result, problems = parse(load("spoke_static_nhrp.txt"))
    assert problems == []
    (tun,) = result["tunnels"]
    assert tun["kind"] == "mgre_static_nhrp"
    assert tun["recovery"] == "supported"
    assert tun["peers"] == ["198.51.100.1", "198.51.100.5"]
    assert tun["nhrp"]["static_maps"] == [
        {"tunnel_ip": "172.17.0.1", "nbma": "198.51.100.1"},
        {"tunnel_ip": "172.17.0.5", "nbma": "198.51.100.5"},
    ]
    assert tun["nhrp"]["dynamic"] is False
    assert " ip nhrp map 172.17.0.5 198.51.100.5" in tun["evidence"]
    assert tun["local_addresses"] == ["192.0.2.3"]  # tunnel source Loopback0, defined later


def test_mixed_static_and_dynamic_map():
    result, problems = parse(load("mixed_crypto_map.txt"))
    tunnels = by_name(result)
    assert list(tunnels) == ["OUTSIDE-MAP 10", "OUTSIDE-MAP 20", "OUTSIDE-MAP 30", "OUTSIDE-MAP 40",
                             "OUTSIDE-MAP 65535"]
    ten = tunnels["OUTSIDE-MAP 10"]
    assert (ten["kind"], ten["recovery"], ten["ike_version"]) == ("static_crypto_map", "supported", "ikev1")
    assert ten["peers"] == ["203.0.113.10"]
    assert ten["interfaces"] == ["GigabitEthernet0/0"]
    assert ten["ike_profile"] == "PARTNER-10"
    assert ten["dpd"] is True  # keepalive in its ISAKMP profile; no global keepalive
    assert ten["description"] == "Partner A"
    assert tunnels["OUTSIDE-MAP 20"]["peers"] == ["203.0.113.20", "203.0.113.21"]
    assert tunnels["OUTSIDE-MAP 20"]["dpd"] is False
    thirty = tunnels["OUTSIDE-MAP 30"]
    assert thirty["peers"] == [] and "no set peer" in thirty["reason"]
    forty = tunnels["OUTSIDE-MAP 40"]
    assert forty["peers"] == [] and "host name (vpn.partner.example)" in forty["reason"]
    dyn = tunnels["OUTSIDE-MAP 65535"]
    assert (dyn["kind"], dyn["recovery"], dyn["ike_version"]) == ("dynamic_crypto_map", "unsupported", "ikev1")
    assert "crypto dynamic-map REMOTE-DYN 10" in dyn["evidence"]
    assert result["dpd"] == {"ikev1": True, "ikev2": False}
    assert result["invalid_spi_recovery"] is False
    assert [(p["line"], p["reason"]) for p in problems] == [
        (39, "crypto map entry OUTSIDE-MAP 30 has no set peer and no dynamic map")
    ]


def test_ikev2_crypto_map_with_dpd_in_profile():
    result, problems = parse(load("ikev2_crypto_map_dpd.txt"))
    assert problems == []
    (tun,) = result["tunnels"]
    assert (tun["kind"], tun["ike_version"], tun["recovery"]) == ("static_crypto_map", "ikev2", "not_applicable")
    assert tun["dpd"] is True and tun["ike_profile"] == "HQ-PROF"
    assert " dpd 10 2 periodic" in tun["evidence"]
    assert "IKEv2" in tun["reason"] and "can start IKE" not in tun["reason"]
    assert result["dpd"] == {"ikev1": False, "ikev2": True}
    assert result["ike_versions_in_use"] == ["ikev2"]


def test_ikev2_svti_without_dpd_and_knob_present():
    result, problems = parse(load("ikev2_svti_no_dpd.txt"))
    assert problems == []
    (tun,) = result["tunnels"]
    assert (tun["kind"], tun["ike_version"], tun["recovery"]) == ("svti", "ikev2", "not_applicable")
    assert tun["dpd"] is False
    assert tun["peers"] == ["198.51.100.60"]
    assert result["invalid_spi_recovery"] is True
    assert result["dpd"] == {"ikev1": False, "ikev2": False}


def test_dvti_with_isakmp_profile():
    result, problems = parse(load("dvti_isakmp_profile.txt"))
    assert problems == []
    (tun,) = result["tunnels"]
    assert (tun["kind"], tun["ike_version"], tun["recovery"]) == ("dvti", "ikev1", "unsupported")
    assert tun["name"] == "Virtual-Template1" and tun["interfaces"] == ["Virtual-Template1"]
    assert tun["peers"] == []
    assert "assumption" in tun["reason"] and "DVTI-ISAKMP" in tun["reason"]
    assert tun["dpd"] is True
    assert "   virtual-template 1" in tun["evidence"]


def test_dvti_with_ikev2_profile():
    result, problems = parse(load("dvti_ikev2_profile.txt"))
    assert problems == []
    (tun,) = result["tunnels"]
    assert (tun["kind"], tun["ike_version"], tun["recovery"]) == ("dvti", "ikev2", "not_applicable")
    assert tun["ike_profile"] == "FLEX-SERVER"
    assert tun["dpd"] is True
    assert tun["local_addresses"] == ["198.51.100.88"]


def test_ezvpn_client():
    result, problems = parse(load("ezvpn_client.txt"))
    assert problems == []
    (tun,) = result["tunnels"]
    assert (tun["kind"], tun["recovery"]) == ("ezvpn_client", "not_applicable")
    assert tun["name"] == "EZ-HQ"
    assert tun["peers"] == ["198.51.100.90", "198.51.100.91"]
    assert tun["interfaces"] == ["FastEthernet4", "Vlan1"]
    assert tun["local_addresses"] == ["192.0.2.9"]  # the outside interface only
    assert tun["dpd"] is True
    assert not any("EzvpnGroupKey42" in line or "EzvpnXauthPass43" in line for line in tun["evidence"])


def test_ipv6_svti_p2p_gre_hostname_and_undefined_profile():
    result, problems = parse(load("svti_ipv6_and_gre.txt"))
    tunnels = by_name(result)
    assert list(tunnels) == ["Tunnel6", "Tunnel20", "Tunnel21", "Tunnel22"]
    v6 = tunnels["Tunnel6"]
    assert (v6["kind"], v6["recovery"], v6["ike_version"]) == ("svti", "supported", "ikev1")
    assert v6["peers"] == ["2001:db8:f00d::2"]
    assert v6["local_addresses"] == ["2001:db8:f00d::1"]
    gre = tunnels["Tunnel20"]
    assert (gre["kind"], gre["recovery"], gre["peers"]) == ("p2p_gre", "supported", ["203.0.113.140"])
    assert gre["local_addresses"] == ["192.0.2.10"]
    named = tunnels["Tunnel21"]
    assert (named["kind"], named["recovery"], named["peers"]) == ("p2p_gre", "supported", [])
    assert "host name (gw.branch.example)" in named["reason"]
    missing = tunnels["Tunnel22"]
    assert missing["ike_version"] is None and missing["active"] is False
    assert "MISSING-PROF is not defined" in missing["reason"]
    assert [(p["line"], p["reason"]) for p in problems] == [(44, "IPsec profile MISSING-PROF is not defined")]


def test_section_output_with_prompt():
    result, problems = parse(load("section_crypto_partial.txt"))
    tunnels = by_name(result)
    assert tunnels["VPN 10"]["peers"] == ["203.0.113.111"]
    assert tunnels["VPN 10"]["interfaces"] == ["GigabitEthernet0/0/1"]
    assert tunnels["VPN 10"]["dpd"] is True
    assert tunnels["Tunnel5"]["kind"] == "p2p_gre"
    assert result["hostname"] is None
    assert [p["line"] for p in problems] == [16]


def test_stored_stripped_crlf_copy_matches_original():
    original = parse(load("hub_dmvpn_ikev1.txt"))
    # Stored with LF (ansible-test's line-endings rule); the router's CRLF is put back here.
    stripped = parse(load("hub_dmvpn_ikev1_stripped.txt").replace("\n", "\r\n"))
    assert comparable(stripped[0]) == comparable(original[0])
    assert stripped[1] == original[1]


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_every_fixture_survives_stripping_crlf_and_line_lists(name):
    text = load(name)
    expected = comparable(parse(text)[0])
    assert comparable(parse(strip_config(text))[0]) == expected
    assert comparable(parse(text.replace("\n", "\r\n"))[0]) == expected
    assert comparable(parse(text.splitlines())[0]) == expected
    assert comparable(parse(text.encode("utf-8"))[0]) == expected


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_output_shape(name):
    result, problems = parse(load(name))
    assert set(result) == {"hostname", "invalid_spi_recovery", "dpd", "ipsec_lifetime_sec", "ike_versions_in_use",
                           "addresses", "tunnels"}
    for tunnel in result["tunnels"]:
        assert tunnel["kind"] in KINDS
        assert tunnel["recovery"] in ("supported", "unsupported", "not_applicable")
        assert tunnel["ike_version"] in ("ikev1", "ikev2", None)
        if tunnel["ike_version"] == "ikev2" or tunnel["kind"] == "ezvpn_client":
            assert tunnel["recovery"] == "not_applicable"
        assert tunnel["reason"] and tunnel["reason"].endswith(".")
        assert tunnel["evidence"]
        assert ("nhrp" in tunnel) == tunnel["kind"].startswith("mgre")
    for entry in problems:
        assert set(entry) == {"line", "reason", "text"}
    json.dumps(result)


def test_all_kinds_are_covered_by_the_fixtures():
    seen = set()
    for name in ALL_FIXTURES:
        seen.update(t["kind"] for t in parse(load(name))[0]["tunnels"])
    assert seen == set(KINDS)


# ---------------------------------------------------------------------------
# Smaller rules
# ---------------------------------------------------------------------------


def one(text):
    result, problems = parse(text)
    assert len(result["tunnels"]) == 1, result["tunnels"]
    return result["tunnels"][0], problems


def one_tunnel(text):
    return one(text)[0]


@pytest.mark.parametrize(
    "lines,expected",
    [
        (["crypto isakmp invalid-spi-recovery"], True),
        (["no crypto isakmp invalid-spi-recovery"], False),
        (["crypto isakmp invalid-spi-recovery", "no crypto isakmp invalid-spi-recovery"], False),
        # An EEM action quoting the command is not the command.
        (["event manager applet X", ' action 1.0 cli command "crypto isakmp invalid-spi-recovery"'], False),
        (["crypto isakmp invalid-spi-recovery extra"], False),
        ([], False),
    ],
)
def test_knob(lines, expected):
    assert parse_crypto_inventory("\n".join(lines))["invalid_spi_recovery"] is expected


def test_ipsec_manual_entry_is_not_applicable():
    tun, problems = one("crypto map M 5 ipsec-manual\n set peer 10.0.0.2\n set session-key inbound esp 300 cipher "
                        "ABCDEF0123456789\ninterface Gi1\n crypto map M\n")
    assert (tun["kind"], tun["ike_version"], tun["recovery"]) == ("static_crypto_map", None, "not_applicable")
    assert "ABCDEF0123456789" not in json.dumps(tun)


def test_gdoi_entry_is_reported_not_classified():
    result, problems = parse("crypto map GM 10 gdoi\n set group G1\n")
    assert result["tunnels"] == []
    assert problems[0]["line"] == 1 and "gdoi" in problems[0]["reason"]


def test_undefined_dynamic_map_and_undefined_applied_map():
    result, problems = parse("crypto map M 10 ipsec-isakmp dynamic NOPE\ninterface Gi1\n crypto map OTHER\n")
    (tun,) = result["tunnels"]
    assert tun["kind"] == "dynamic_crypto_map" and "NOPE is not defined" in tun["reason"]
    assert tun["active"] is False and "not applied to any interface" in tun["reason"]
    assert [(p["line"], p["reason"]) for p in problems] == [
        (3, "crypto map OTHER is applied but not defined"),
        (1, "crypto dynamic-map NOPE is not defined"),
    ]


def test_dynamic_map_with_ikev2_profile():
    tun = one_tunnel("crypto ikev2 profile P\n dpd 10 2 on-demand\ncrypto dynamic-map D 10\n set ikev2-profile P\n"
                     "crypto map M 100 ipsec-isakmp dynamic D\n")
    assert (tun["kind"], tun["ike_version"], tun["recovery"], tun["dpd"]) == (
        "dynamic_crypto_map", "ikev2", "not_applicable", True)


def test_ipv6_crypto_map_and_local_address():
    text = (
        "crypto map ipv6 V6 10 ipsec-isakmp\n set peer 2001:DB8::2\n"
        "crypto map ipv6 V6 local-address Loopback0\n"
        "interface Loopback0\n ipv6 address 2001:DB8:FF::1/128\n"
        "interface Gi1\n ipv6 address 2001:DB8::1/64\n ipv6 crypto map V6\n"
    )
    tun, problems = one(text)
    assert problems == []
    assert tun["name"] == "ipv6 V6 10" and tun["peers"] == ["2001:db8::2"]
    assert tun["interfaces"] == ["Gi1"] and tun["local_addresses"] == ["2001:db8:ff::1"]


def test_svti_with_dynamic_destination_is_unsupported():
    tun = one_tunnel("crypto ipsec profile P\n set transform-set T\ninterface Tunnel1\n tunnel mode ipsec ipv4\n"
                     " tunnel destination dynamic\n tunnel protection ipsec profile P\n")
    assert (tun["kind"], tun["recovery"], tun["peers"]) == ("svti", "unsupported", [])


def test_tunnel_without_destination_is_a_problem():
    tun, problems = one("crypto ipsec profile P\ninterface Tunnel3\n tunnel mode ipsec ipv4\n"
                        " tunnel protection ipsec profile P\n")
    assert tun["kind"] == "svti" and "without a tunnel destination" in tun["reason"]
    assert problems[0]["line"] == 2


def test_ipsec_mode_without_protection_is_a_problem_not_a_tunnel():
    result, problems = parse("interface Tunnel4\n tunnel mode ipsec ipv4\n tunnel destination 10.0.0.1\n")
    assert result["tunnels"] == []
    assert problems[0]["line"] == 1 and "no tunnel protection" in problems[0]["reason"]


def test_builtin_default_ipsec_profile_is_ikev2():
    tun, problems = one("interface Tunnel1\n tunnel mode ipsec ipv4\n tunnel destination 10.0.0.1\n"
                        " tunnel protection ipsec profile default\n")
    assert problems == [] and tun["ike_version"] == "ikev2" and tun["recovery"] == "not_applicable"


def test_tunnel_protection_ikev2_profile_override():
    tun, problems = one("crypto ikev2 profile X\ncrypto ipsec profile P\ninterface Tunnel1\n"
                        " tunnel destination 10.0.0.1\n tunnel protection ipsec profile P ikev2-profile X\n")
    assert (tun["ike_version"], tun["ike_profile"]) == ("ikev2", "X")


def test_undefined_ike_profile_is_a_problem():
    tun, problems = one("crypto map M 10 ipsec-isakmp\n set peer 10.0.0.2\n set ikev2-profile GONE\n")
    assert tun["ike_version"] == "ikev2" and "GONE is not defined" in tun["reason"]
    assert [(p["line"], p["reason"]) for p in problems] == [(3, "IKEv2 profile GONE is not defined")]


def test_mgre_without_any_nhrp_mapping_is_dynamic():
    tun = one_tunnel("crypto ipsec profile P\ninterface Tunnel0\n ip nhrp network-id 1\n tunnel mode gre multipoint\n"
                     " tunnel protection ipsec profile P\n")
    assert tun["kind"] == "mgre_dynamic_nhrp" and "no static NHRP mapping" in tun["reason"]


def test_ipv6_nhrp_static_maps_and_nhs_resolved_through_static_map():
    tun, problems = one(
        "crypto ipsec profile P\ninterface Tunnel0\n ipv6 nhrp map 2001:DB8:0:1::1/64 198.51.100.1\n"
        " ipv6 nhrp nhs 2001:DB8:0:1::1\n tunnel mode gre multipoint ipv6\n tunnel protection ipsec profile P\n"
    )
    assert problems == []
    assert tun["kind"] == "mgre_dynamic_nhrp"
    assert tun["nhrp"]["static_maps"] == [{"tunnel_ip": "2001:db8:0:1::1", "nbma": "198.51.100.1"}]
    assert tun["nhrp"]["nhs"][0]["nbma"] == "198.51.100.1"
    assert tun["peers"] == ["198.51.100.1"]


def test_unreadable_nhrp_map_and_address_are_problems():
    result, problems = parse("interface Tunnel0\n ip address 10.0.0.300 255.255.255.0\n ip nhrp map 10.0.0.1 nowhere\n"
                             " tunnel mode gre multipoint\n tunnel protection ipsec profile P\ncrypto ipsec profile P\n")
    lines = [p["line"] for p in problems]
    assert 2 in lines and 3 in lines
    assert result["addresses"] == []


def test_isakmp_profile_matched_by_identity_gives_dpd():
    tun = one_tunnel("crypto isakmp profile MATCH\n match identity address 10.0.0.0 255.255.255.0\n keepalive 10 retry 3\n"
                     "crypto map M 10 ipsec-isakmp\n set peer 10.0.0.9\n")
    assert tun["dpd"] is True
    other = one_tunnel("crypto isakmp profile MATCH\n match identity address 10.0.0.0 255.255.255.0\n keepalive 10\n"
                       "crypto map M 10 ipsec-isakmp\n set peer 10.9.0.9\n")
    assert other["dpd"] is False


def test_global_ikev2_dpd_applies_to_ikev2_only():
    result = parse_crypto_inventory(
        "crypto ikev2 dpd 10 2 on-demand\ncrypto ikev2 profile P\ncrypto map M 10 ipsec-isakmp\n set peer 10.0.0.1\n"
        " set ikev2-profile P\ncrypto map M 20 ipsec-isakmp\n set peer 10.0.0.2\n"
    )
    tunnels = by_name(result)
    assert tunnels["M 10"]["dpd"] is True and tunnels["M 20"]["dpd"] is False
    assert result["dpd"] == {"ikev1": False, "ikev2": True}
    assert result["ike_versions_in_use"] == ["ikev1", "ikev2"]


def test_stripped_ezvpn_block_after_interface_without_role_keyword():
    text = "interface Fa4\nip address 192.0.2.9 255.255.255.0\ncrypto ipsec client ezvpn EZ\n!\n" \
           "crypto ipsec client ezvpn EZ\nconnect auto\npeer 198.51.100.90\n!\n"
    tun, problems = one(text)
    assert tun["interfaces"] == ["Fa4"] and tun["peers"] == ["198.51.100.90"]


def test_stripped_ikev2_profile_keeps_lines_after_aaa():
    text = "crypto ikev2 profile P\nmatch identity remote any\naaa authorization group psk list L default\n" \
           "dpd 10 2 periodic\nvirtual-template 1\ninterface Virtual-Template1 type tunnel\ntunnel mode ipsec ipv4\n" \
           "tunnel protection ipsec profile IPS\ncrypto ipsec profile IPS\nset ikev2-profile P\n"
    tun, problems = one(text)
    assert (tun["kind"], tun["ike_version"], tun["dpd"]) == ("dvti", "ikev2", True)


def test_a_sub_command_at_column_0_keeps_its_block_and_is_reported():
    """Issue 22 item 4: ``description`` at column 0 under ``interface Tunnel102`` ended the block silently and
    the tunnel vanished; ``tunnel protection`` at column 0 as a block's last line lost the protection."""
    result, problems = parse(load("column0_subcommands.txt"))
    tunnels = by_name(result)
    assert sorted(tunnels) == ["Tunnel102", "Tunnel103"]
    for name, peer in (("Tunnel102", "198.51.100.70"), ("Tunnel103", "198.51.100.71")):
        assert (tunnels[name]["kind"], tunnels[name]["ike_version"], tunnels[name]["peers"]) == ("p2p_gre", "ikev1", [peer])
    assert tunnels["Tunnel102"]["description"].startswith("to HQ")
    assert result["dpd"]["ikev1"] is True
    # each odd line is named, with the block it was read into; lines that start a command are not
    assert [(p["line"], p["text"]) for p in problems] == [
        (5, "hash sha256"),
        (19, "description to HQ (printed at column 0 by this capture)"),
        (22, "mtu 1400"),
        (29, "tunnel protection ipsec profile P2P-IPSEC"),
    ]
    assert all("column 0" in p["reason"] for p in problems)
    assert "interface Tunnel102" in problems[1]["reason"] and "crypto isakmp policy 10" in problems[0]["reason"]
    # the same config with every line stripped (read from its words alone) gives the same inventory
    assert comparable(parse(strip_config(load("column0_subcommands.txt")))[0]) == comparable(result)


def test_commands_at_column_0_after_a_block_without_a_bang_are_not_reported():
    # `show running-config | section ...` prints blocks and global lines back to back, with no `!`
    text = ("interface Tunnel5\n ip address 10.5.0.1 255.255.255.252\n tunnel source GigabitEthernet1\n"
            " tunnel destination 198.51.100.5\n tunnel protection ipsec profile P\n"
            "ip nat inside source list 1 interface GigabitEthernet1 overload\nlogging host 192.0.2.9\n"
            "crypto ipsec profile P\n set transform-set TS\nip route 0.0.0.0 0.0.0.0 192.0.2.1\nend\n")
    result, problems = parse(text)
    assert problems == []
    assert [t["name"] for t in result["tunnels"]] == ["Tunnel5"]


def test_uniformly_indented_paste():
    text = "".join("    " + line + "\n" for line in load("spoke_static_nhrp.txt").splitlines())
    tun = one_tunnel(text)
    assert tun["kind"] == "mgre_static_nhrp"


def test_unclosed_banner_is_a_problem_and_config_continues():
    result, problems = parse("banner motd ^C\nhello\ncrypto isakmp invalid-spi-recovery\n")
    assert result["invalid_spi_recovery"] is True
    assert problems[0]["line"] == 1


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("empty", [None, "", "\n\n", [], "Building configuration...\n"])
def test_empty_input_is_an_empty_inventory(empty):
    result = parse_crypto_inventory(empty)
    assert result == {"hostname": None, "invalid_spi_recovery": False, "dpd": {"ikev1": False, "ikev2": False},
                      "ipsec_lifetime_sec": None, "ike_versions_in_use": [], "addresses": [], "tunnels": []}


@pytest.mark.parametrize("line, expected, problem", [
    ("crypto ipsec security-association lifetime seconds 28800", 28800, None),
    # IOS XE takes up to 2592000 s (30 days): seven digits.
    ("crypto ipsec security-association lifetime seconds 2592000", 2592000, None),
    ("crypto ipsec security-association lifetime seconds 12345678", None, "IPsec SA lifetime"),
    ("crypto ipsec security-association lifetime kilobytes 4608000", None, None),
    ("crypto ipsec security-association lifetime seconds 28800x", None, "IPsec SA lifetime"),
    ("crypto ipsec security-association lifetime seconds \u0663\u0666\u0660\u0660", None, "IPsec SA lifetime"),
])
def test_global_ipsec_lifetime(line, expected, problem):
    problems = []
    result = parse_crypto_inventory("hostname r\n" + line.encode().decode("unicode_escape") + "\n", problems)
    assert result["ipsec_lifetime_sec"] == expected
    if problem:
        assert any(problem in p["reason"] for p in problems)
    else:
        assert problems == []


@pytest.mark.parametrize("bad", [42, {"a": 1}, ["ok", 3], 3.5])
def test_wrong_types_are_parse_errors(bad):
    with pytest.raises(ParseError):
        parse_crypto_inventory(bad)


def test_rejected_command():
    with pytest.raises(UnsupportedCommand, match="line 2"):
        parse_crypto_inventory("r1#show running-config\n% Invalid input detected at '^' marker.\n")
    with pytest.raises(ParseError, match="refused"):
        parse_crypto_inventory("Command authorization failed.\n")


# A one-megabyte line at its largest (the CPU budgets are benchmarks/bench_guards.py); the unit guard is linearity.
@pytest.mark.parametrize(
    "make",
    [
        lambda n: "interface " + "A" * n,
        lambda n: "crypto map " + "M 1 " * (n >> 2),
        lambda n: " set peer " + "1" * n,
        lambda n: "password " * (n >> 3),
        lambda n: "banner motd " + "x" * n,
        lambda n: "ip nhrp map " + "1.1.1.1 " * (n >> 3),
        lambda n: "\t" * n + "x",
    ],
    ids=["interface", "crypto_map", "set_peer", "password", "banner", "nhrp_map", "tabs"],
)
def test_one_megabyte_line_is_linear(make):
    from complexity import FACTOR, assert_linear

    def parse(line):
        try:
            parse_crypto_inventory(line, [])
        except ParseError:
            pass

    assert_linear(parse, make((1 << 20) // FACTOR), make(1 << 20))


def test_many_unclosed_banners_are_linear():
    from complexity import FACTOR, assert_linear

    def parse(count):
        problems = []
        parse_crypto_inventory("".join("banner motd %s\n" % chr(0x4E00 + i) for i in range(count)), problems)
        assert len(problems) == count

    # The text is built inside the run, the same work at both sizes; building it is linear too.
    assert_linear(parse, 20000 // FACTOR, 20000)


def test_many_tunnels_output_is_linear():
    from complexity import FACTOR, assert_linear

    def text(count):
        lines = ["crypto ipsec profile P"]
        for i in range(count):
            lines += ["interface Tunnel%d" % i, " tunnel destination 10.0.%d.%d" % (i // 250, i % 250 + 1),
                      " tunnel protection ipsec profile P"]
        return "\n".join(lines)

    def parse(data):
        assert len(parse_crypto_inventory(data)["tunnels"]) == data.count("interface Tunnel")

    assert_linear(parse, text(2000 // FACTOR), text(2000))


class _Everything(frozenset):
    def __contains__(self, item):
        return True


def test_the_reader_keeps_every_line_the_model_reads(monkeypatch):
    # The reader keeps only the sections and sub-commands model.HEADS and model.BODY name (for speed):
    # reading every line instead must give the same inventory, or a word is missing there.
    import random

    import test_config_properties as props
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config import inventory

    texts = [load(name) for name in ALL_FIXTURES]
    texts += [strip_config(text) for text in texts]
    rnd = random.Random(16)
    texts += [props.mutate(rnd, props.build_config(rnd, ["ZQsecret"])) for dummy in range(300)]
    filtered = [json.dumps(parse(text), sort_keys=True) for text in texts]
    monkeypatch.setattr(inventory, "HEADS", _Everything())
    monkeypatch.setattr(inventory, "BODY", _Everything())
    assert [json.dumps(parse(text), sort_keys=True) for text in texts] == filtered


def test_the_parse_makes_no_reference_cycle():
    # parse_crypto_inventory pauses the cyclic garbage collector while it runs: that is only free
    # if nothing it builds needs the collector to be freed.
    import gc
    import random

    import test_config_properties as props

    rnd = random.Random(17)
    texts = [load(name) for name in ALL_FIXTURES] + ["banner motd ^C\nno end", "% Invalid input detected at '^' marker."]
    texts += [props.mutate(rnd, props.build_config(rnd, ["ZQsecret"])) for dummy in range(100)]
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for text in texts:
            try:
                parse(text)
            except ParseError:
                pass
        assert gc.collect() == 0
    finally:
        if was_enabled:
            gc.enable()
    parse(texts[0])
    assert gc.isenabled() == was_enabled


# ---------------------------------------------------------------------------
# Secrets in the output (the masking rule itself: test_secrets.py)
# ---------------------------------------------------------------------------


def test_no_seeded_secret_anywhere_in_the_output():
    text = load("secrets_everywhere.txt")
    secrets = set(re.findall(r"ZZSEC\d\d[A-Za-z0-9]*", text))
    assert len(secrets) == 43
    for variant in (text, strip_config(text), text.replace("\n", "\r\n")):
        result, problems = parse(variant)
        dumped = json.dumps({"result": result, "problems": problems}, ensure_ascii=False)
        leaked = sorted(s for s in secrets if s in dumped)
        assert leaked == []
        # Prefixes would leak too: nothing that starts a seeded secret may show.
        assert "ZZSEC" not in dumped
    tunnels = by_name(result)
    # The evidence is still there, masked, and the reused key in a description is masked as well.
    assert "set peer 203.0.113.10 password <masked>" in [e.strip() for e in tunnels["VPN 10"]["evidence"]]
    assert tunnels["VPN 10"]["description"] == "reused <masked> in a description"
    assert tunnels["Tunnel0"]["description"] == "NHRP auth <masked> do not share"
    assert tunnels["MAN 10"]["recovery"] == "not_applicable"


# ---------------------------------------------------------------------------
# The filter
# ---------------------------------------------------------------------------


def test_filter_wraps_the_parser():
    from ansible.errors import AnsibleFilterError
    from ansible_collections.netops.ipsec_spi.plugins.filter.crypto_inventory import FilterModule

    func = FilterModule().filters()["crypto_inventory"]
    result = func(load("mixed_crypto_map.txt"))
    assert [t["kind"] for t in result["tunnels"]].count("static_crypto_map") == 4
    with pytest.raises(AnsibleFilterError, match="netops.ipsec_spi.crypto_inventory"):
        func(12)


def test_ansible_doc(tmp_path):
    env = dict(os.environ)
    env["HOME"] = str(tmp_path)
    env["ANSIBLE_HOME"] = str(tmp_path / ".ansible")
    env["ANSIBLE_LOCAL_TEMP"] = str(tmp_path / "tmp")
    env["ANSIBLE_NOCOLOR"] = "1"
    doc = os.path.join(os.path.dirname(sys.executable), "ansible-doc")
    proc = subprocess.run(
        [doc, "-t", "filter", "--json", "netops.ipsec_spi.crypto_inventory"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)["netops.ipsec_spi.crypto_inventory"]
    assert data["doc"]["name"] == "crypto_inventory"
    assert "tunnels" in data["return"]["_value"]["contains"]
    assert "crypto_inventory" in data["examples"]


# ---------------------------------------------------------------------------
# ASCII digits only (issue 17, item 7): a Unicode digit is not a number to IOS
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("seq", ["\u0661\u0660", "\uff11\uff10", "1\u0660"])
def test_a_crypto_map_sequence_number_is_ascii(seq):
    result, problems = parse("crypto map M %s ipsec-isakmp\n set peer 10.0.0.1\n!\ninterface G1\n crypto map M\n" % seq)
    assert result["tunnels"] == []
    assert [p["reason"] for p in problems if p["line"] == 1] == ["crypto map entry whose sequence number is not 1 to 5 ASCII digits"]
    result, problems = parse("crypto dynamic-map D %s\n set peer 10.0.0.1\n" % seq)
    assert [p["reason"] for p in problems] == ["crypto dynamic-map without a name and sequence number"]


@pytest.mark.parametrize("line", ["Using \u0661\u0662 out of \u0663\u0664 bytes", "r\u0661#show running-config", "hub\uff11#"])
def test_preamble_and_prompt_are_ascii(line):
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config.model import BODY, HEADS
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config.reader import read_config

    # Not a preamble or a prompt: kept as a line (the first one).
    assert read_config(line + "\nhostname r\n", None, HEADS, BODY).first == (1, line)
    assert read_config(line.replace("\u0661", "1").replace("\u0662", "2").replace("\u0663", "3")
                       .replace("\u0664", "4").replace("\uff11", "1") + "\nhostname r\n", None, HEADS, BODY).first == (2, "hostname r")


PER_TUNNEL = """hostname r
crypto ipsec security-association lifetime seconds 3600
crypto ipsec profile P1
 set security-association lifetime seconds 28800
 set ikev2-profile V2
crypto ipsec profile P2
 set security-association lifetime kilobytes 4608000
crypto ikev2 profile V2
 match identity remote address 198.51.100.2 255.255.255.255
crypto map CMAP 10 ipsec-isakmp
 set peer 198.51.100.3
 set security-association lifetime seconds 1800
crypto map CMAP 20 ipsec-isakmp
 set peer 198.51.100.4
interface Tunnel1
 ip address 172.16.1.1 255.255.255.252
 tunnel source GigabitEthernet1
 tunnel mode ipsec ipv4
 tunnel destination 198.51.100.2
 tunnel protection ipsec profile P1
interface Tunnel2
 ip address 172.16.2.1 255.255.255.252
 tunnel source GigabitEthernet1
 tunnel destination 198.51.100.5
 tunnel protection ipsec profile P2
interface GigabitEthernet1
 ip address 198.51.100.1 255.255.255.0
 crypto map CMAP
"""


def test_per_map_and_per_profile_sa_lifetimes_are_the_tunnels_own():
    problems = []
    result = parse_crypto_inventory(PER_TUNNEL, problems)
    assert problems == []
    got = {t["name"]: t["lifetime_sec"] for t in result["tunnels"]}
    # Not set on the entry or profile (or set in kilobytes only): null, the global lifetime applies.
    assert got == {"CMAP 10": 1800, "CMAP 20": None, "Tunnel1": 28800, "Tunnel2": None}
    assert result["ipsec_lifetime_sec"] == 3600


@pytest.mark.parametrize("line", [
    " set security-association lifetime seconds 1800x",
    " set security-association lifetime seconds \u0663\u0666\u0660\u0660",
    " set security-association lifetime seconds 12345678",
    " set security-association lifetime seconds",
    " set security-association lifetime seconds 1800 extra",
])
@pytest.mark.parametrize("section", ["crypto map CMAP 10 ipsec-isakmp\n set peer 198.51.100.3",
                                     "crypto ipsec profile P1"])
def test_a_bad_per_tunnel_lifetime_is_a_problem_and_not_used(line, section):
    problems = []
    text = "hostname r\n%s\n%s\n" % (section, line)
    if section.startswith("crypto ipsec profile"):
        text += ("interface Tunnel1\n tunnel mode ipsec ipv4\n tunnel destination 198.51.100.2\n"
                 " tunnel protection ipsec profile P1\n")
    else:
        text += "interface GigabitEthernet1\n ip address 198.51.100.1 255.255.255.0\n crypto map CMAP\n"
    result = parse_crypto_inventory(text, problems)
    assert [t["lifetime_sec"] for t in result["tunnels"]] == [None]
    assert any("IPsec SA lifetime" in p["reason"] for p in problems), problems
