import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError
from ansible_collections.netops.ipsec_spi.plugins.module_utils.facts import (
    RejectedCommand,
    build_facts,
    invalid_spi_packets,
    normalize_response,
    parse_version,
    read_capture_dir,
)

XE_VERSION = """Cisco IOS XE Software, Version 17.09.04a
Cisco IOS Software [Cupertino], Virtual XE Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), Version 17.9.4a, RELEASE SOFTWARE (fc3)
hub-1 uptime is 3 weeks, 2 days, 4 hours, 1 minute
cisco C8000V (VXE) processor (revision VXE) with 1987213K/3075K bytes of memory.
"""
INVALID = "show platform hardware qfp active statistics drop\n                  ^\n% Invalid input detected at '^' marker.\n"


def test_normalize_response_undoes_cliconf_bytes_repr():
    raw = 'b"show crypto ipsec sa\\r\\n ^\\r\\n% Invalid input detected at \'^\' marker.\\r\\n"'
    assert normalize_response(raw) == "show crypto ipsec sa\n ^\n% Invalid input detected at '^' marker.\n"
    assert normalize_response("plain") == "plain" and normalize_response(None) is None
    assert normalize_response(b"x\r\ny") == "x\r\ny"


def test_parse_version():
    v = parse_version(XE_VERSION)
    assert v == {"os": "ios-xe", "version": "17.09.04a", "model": "C8000V", "uptime": "3 weeks, 2 days, 4 hours, 1 minute",
                 "hostname": "hub-1"}
    assert parse_version("")["os"] is None


def test_session_failure_is_not_output():
    with pytest.raises(RejectedCommand, match="session failed"):
        build_facts("r", {"version": XE_VERSION, "ipsec_sa": "command timeout triggered, timeout value is 30 secs."})


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


def test_invalid_spi_packets_prefers_datapath_rows():
    datapath = {"IN_US_V4_PKT_SA_NOT_FOUND_SPI": {"packets": 7}, "IN_US_V6_PKT_SA_NOT_FOUND_SPI": {"packets": 1}}
    assert invalid_spi_packets({"IpsecInput": {"packets": 5}}, datapath) == 8
    assert invalid_spi_packets({"IpsecInput": {"packets": 5}}, None) == 5
    assert invalid_spi_packets({}, None) == 0
    assert invalid_spi_packets(None, None) is None


def test_capture_dir(tmp_path):
    with pytest.raises(ParseError, match="does not exist"):
        read_capture_dir(str(tmp_path / "nope"))
    with pytest.raises(ParseError, match="none of the expected files"):
        read_capture_dir(str(tmp_path))
    (tmp_path / "show_crypto_ipsec_sa.txt").write_text("x")
    (tmp_path / "version.txt").write_text(XE_VERSION)
    out = read_capture_dir(str(tmp_path))
    assert out["ipsec_sa"] == "x" and out["version"] == XE_VERSION and out["logging"] is None


def test_parse_clock_matches_log_epochs():
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.facts import parse_clock

    assert parse_clock("*18:00:01.123 UTC Sun Nov 29 2026") == 1795975201.0
    assert parse_clock(".19:00:01.123 CET Sun Nov 29 2026") == 1795975201.0
    assert parse_clock("% Invalid input") is None and parse_clock(None) is None
