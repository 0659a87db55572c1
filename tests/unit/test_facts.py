"""facts: from the router's answers (live or captured) to the ipsec_spi facts of one router."""
from __future__ import annotations

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils.facts import (
    RejectedCommand,
    build_facts,
    invalid_spi_packets,
    known_peers,
)

XE_VERSION = """Cisco IOS XE Software, Version 17.09.04a
Cisco IOS Software [Cupertino], Virtual XE Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), Version 17.9.4a, RELEASE SOFTWARE (fc3)
hub-1 uptime is 3 weeks, 2 days, 4 hours, 1 minute
cisco C8000V (VXE) processor (revision VXE) with 1987213K/3075K bytes of memory.
"""
INVALID = "show platform hardware qfp active statistics drop\n                  ^\n% Invalid input detected at '^' marker.\n"
LOG = ("000412: Nov 29 17:58:00.123 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for "
       "destaddr=10.10.1.2, prot=50, spi=0x1DB73BBB(498547643), srcaddr=10.1.1.1, input interface=GigabitEthernet1\n"
       "000413: Nov 29 17:59:10.123 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for "
       "destaddr=10.10.1.2, prot=50, spi=0x1DB73BBB(498547643), srcaddr=10.1.1.1, input interface=GigabitEthernet1\n")
CONFIG = "hostname r\ncrypto map CMAP 10 ipsec-isakmp\n set peer 10.1.1.1\n"


def test_rejected_essential_command_is_not_an_unsupported_one():
    with pytest.raises(RejectedCommand, match="rejected 'show crypto ipsec sa'"):
        build_facts("r", {"version": XE_VERSION, "running_config": "hostname r\n", "ipsec_sa": INVALID})
    facts = build_facts("r", {"version": XE_VERSION, "running_config": "hostname r\n", "qfp_drops": INVALID})
    assert facts["unsupported_commands"] == ["show platform hardware qfp active statistics drop"]
    assert facts["platform"]["qfp"] is False


def test_unreadable_output_is_reported_not_dropped():
    logging = ("*Mar  1 00:01:02.123: %CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for "
               "destaddr=1.1.1.1, prot=50, spi=0x10(17), srcaddr=2.2.2.2")
    facts = build_facts("r", {"version": XE_VERSION, "running_config": "hostname r\n", "logging": logging})
    assert facts["events"] == [] and facts["unparsed"]
    assert facts["unparsed"][0]["command"] == "show logging | include PKT_INV_SPI"


def test_platform_facts_from_version_clock_and_config():
    facts = build_facts("r", {"version": XE_VERSION, "clock": "*18:00:00.000 UTC Sun Nov 29 2026",
                              "running_config": CONFIG, "logging": LOG}, year=2026)
    assert facts["platform"] == {"os": "ios-xe", "version": "17.09.04a", "model": "C8000V",
                                 "uptime": "3 weeks, 2 days, 4 hours, 1 minute", "hostname": "hub-1", "qfp": False}
    assert facts["device_epoch"] == 1795975200.0
    (flow,) = facts["flows"]
    assert flow["status"] == "persistent" and flow["age_seconds"] == 49.9
    assert facts["known_peers"] == ["10.1.1.1"] and facts["unparsed"] == []
    assert facts["commands"] == ["show version", "show clock", "show running-config", "show logging | include PKT_INV_SPI"]


def test_platform_outputs_not_understood_are_reported():
    facts = build_facts("r", {"version": "Huawei VRP (R) software\n", "clock": "% Invalid input detected at '^' marker.\n",
                              "running_config": CONFIG})
    assert facts["platform"]["os"] is None and facts["platform"]["hostname"] == "r"
    assert facts["unsupported_commands"] == ["show clock"] and facts["device_epoch"] is None
    assert [(p["command"], p["text"]) for p in facts["unparsed"]] == [("show version", "Huawei VRP (R) software")]
    assert build_facts("r", {"clock": "sometime"})["unparsed"][0]["command"] == "show clock"


def test_drop_rate_from_a_second_poll():
    first = "IpsecInput 10 1200\n"
    facts = build_facts("r", {"version": XE_VERSION, "qfp_drops": first}, second_poll={"qfp_drops": "IpsecInput 40 4800\n"},
                        poll_interval=10)
    assert facts["drop_rate"] == {"interval": 10, "before": 10, "after": 40, "delta": 30, "pps": 3.0}
    # A second poll the router rejected gives no rate rather than a wrong one.
    assert build_facts("r", {"qfp_drops": first}, second_poll={"qfp_drops": INVALID}, poll_interval=10)["drop_rate"] is None


def test_known_peers_from_every_table():
    nhrp = {"static_maps": [{"nbma": "10.0.0.2"}], "nhs": [{"nbma": "10.0.0.3"}, "10.0.0.4"]}
    inventory = {"tunnels": [{"peers": ["10.0.0.1"], "nhrp": nhrp}]}
    peers = known_peers(inventory, [{"peer": "2001:DB8::1"}], [{"remote": "10.0.0.5"}], [{"peer": "10.0.0.6"}],
                        [{"nbma": "bogus"}, {"nbma": None}])
    assert peers == ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6", "2001:db8::1"]


def test_invalid_spi_packets_prefers_datapath_rows():
    datapath = {"IN_US_V4_PKT_SA_NOT_FOUND_SPI": {"packets": 7}, "IN_US_V6_PKT_SA_NOT_FOUND_SPI": {"packets": 1}}
    assert invalid_spi_packets({"IpsecInput": {"packets": 5}}, datapath) == 8
    assert invalid_spi_packets({"IpsecInput": {"packets": 5}}, None) == 5
    assert invalid_spi_packets({}, None) == 0
    assert invalid_spi_packets(None, None) is None
