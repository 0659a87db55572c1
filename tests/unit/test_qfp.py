import os

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, UnsupportedCommand
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.qfp import parse_qfp_drops, parse_qfp_ipsec_drops

FIX = os.path.join(os.path.dirname(__file__), "fixtures", "qfp")


def fixture(name):
    with open(os.path.join(FIX, name)) as handle:
        return handle.read()


def test_full_drop_table_with_prompt_and_preambles():
    problems = []
    drops = parse_qfp_drops(fixture("drops_full.txt"), problems)
    assert problems == []
    assert len(drops) == 8
    assert drops["IpsecInput"] == {"packets": 4211, "octets": 506892}
    assert drops["UnconfiguredIpv6Fia"] == {"packets": 340, "octets": 27200}
    assert "Load" not in drops and "Global" not in drops


def test_inc_ipsec_extract_and_missing_rows_are_absent():
    drops = parse_qfp_drops(fixture("drops_inc_ipsec.txt"))
    assert drops == {"IpsecInput": {"packets": 4388, "octets": 528004}}
    assert drops.get("IpsecOutput", {}).get("packets", 0) == 0


def test_all_zero_and_empty_inputs():
    assert parse_qfp_drops(fixture("drops_all_zero.txt")) == {}
    assert parse_qfp_drops("") == {}
    assert parse_qfp_drops(None) == {}
    assert parse_qfp_drops("hub-1#show platform hardware qfp active statistics drop | inc Ipsec\nhub-1#") == {}


def test_stripped_and_list_of_lines_agree():
    text = fixture("drops_stripped.txt")
    assert parse_qfp_drops(text) == parse_qfp_drops(text.splitlines()) == {
        "IpsecInput": {"packets": 77, "octets": 9310}, "Ipv4NoRoute": {"packets": 5, "octets": 340}}


@pytest.mark.parametrize("func", [parse_qfp_drops, parse_qfp_ipsec_drops])
def test_classic_ios_rejects_the_command(func):
    with pytest.raises(UnsupportedCommand, match="device does not support this command"):
        func(fixture("unsupported_classic_ios.txt"))
    assert issubclass(UnsupportedCommand, ParseError)


def test_damaged_rows_go_to_problems():
    problems = []
    drops = parse_qfp_drops("Global Drop Stats Packets Octets\nIpsecInput 12 x44\nIpv4NoAdj 7 296\nIpsecInput 1 2\n",
                            problems)
    assert drops == {"Ipv4NoAdj": {"packets": 7, "octets": 296}, "IpsecInput": {"packets": 1, "octets": 2}}
    assert [p["line"] for p in problems] == [2]
    problems = []
    drops = parse_qfp_drops("IpsecInput 5 10\nIpsecInput 6 12\n", problems)
    assert drops == {"IpsecInput": {"packets": 5, "octets": 10}}
    assert "twice" in problems[0]["reason"]


def test_other_command_output_is_refused():
    with pytest.raises(ParseError, match="line 1"):
        parse_qfp_drops("Cisco IOS XE Software, Version 17.09.04a\nuptime is 3 weeks")
    with pytest.raises(ParseError, match="statistics drop"):
        parse_qfp_drops(fixture("ipsec_drops_all.txt"))
    with pytest.raises(ParseError):
        parse_qfp_drops(42)


def test_ipsec_datapath_drops_all():
    problems = []
    drops = parse_qfp_ipsec_drops(fixture("ipsec_drops_all.txt"), problems)
    assert problems == []
    assert len(drops) == 19
    assert drops["IN_US_V4_PKT_SA_NOT_FOUND_SPI"] == {"drop_type": 4, "packets": 4211}
    assert drops["IN_TRANS_V4_IPSEC_PKT_NOT_FOUND_SPI"] == {"drop_type": 7, "packets": 12}
    assert drops["IN_US_V6_PKT_SA_NOT_FOUND_SPI"] == {"drop_type": 12, "packets": 6}
    assert drops["OUT_IPV6_SA_NOT_FOUND"] == {"drop_type": 112, "packets": 0}


def test_ipsec_drops_keyed_on_name_across_releases():
    old = parse_qfp_ipsec_drops(fixture("ipsec_drops_all.txt"))
    other = parse_qfp_ipsec_drops(fixture("ipsec_drops_other_release.txt"))
    assert other["IN_US_V4_PKT_SA_NOT_FOUND_SPI"]["drop_type"] == 3
    assert old["IN_US_V4_PKT_SA_NOT_FOUND_SPI"]["drop_type"] == 4
    assert other["IN_US_V4_PKT_SA_NOT_FOUND_SPI"]["packets"] == 88


def test_ipsec_drops_in_spi_extract_and_problems():
    drops = parse_qfp_ipsec_drops(fixture("ipsec_drops_in_spi.txt"))
    assert sorted(drops) == ["IN_TRANS_V4_IPSEC_PKT_NOT_FOUND_SPI", "IN_US_V4_PKT_SA_NOT_FOUND_SPI",
                             "IN_US_V6_PKT_SA_NOT_FOUND_SPI"]
    problems = []
    assert parse_qfp_ipsec_drops("  4  IN_US_V4_PKT_SA_NOT_FOUND_SPI  12a\n", problems) == {}
    assert problems and problems[0]["line"] == 1
    with pytest.raises(ParseError, match="datapath drops"):
        parse_qfp_ipsec_drops(fixture("drops_full.txt"))


def test_ipsec_data_drop_abbreviated_with_gaps_and_large_counters():
    problems = []
    drops = parse_qfp_ipsec_drops(fixture("ipsec_data_drop_sparse.txt"), problems)
    assert problems == []
    assert drops["IN_US_V4_PKT_SA_NOT_FOUND_SPI"] == {"drop_type": 4, "packets": 51207}
    assert drops["OUT_V4_PKT_HIT_IKE_START_SP"] == {"drop_type": 33, "packets": 1402771315}
    assert sorted(drops) == sorted([
        "IN_US_V4_PKT_SA_NOT_FOUND_SPI", "IN_US_CL_V4_PKT_FAILED_POLICY", "OUT_V4_PKT_HIT_INVALID_SA",
        "OUT_V4_PKT_HIT_IKE_START_SP", "OUT_OCT_HARD_EXPIRY", "OCT_GEN_NOTIFY_SOFT_EXPIRY", "OCT_PKT_HIT_INVALID_SA"])


def test_global_drops_exclude_zero_whole_output_indented():
    problems = []
    drops = parse_qfp_drops(fixture("drops_exclude_zero_indented.txt"), problems)
    assert problems == []
    assert drops["IpsecInput"] == {"packets": 3120, "octets": 374400}
    assert drops["UidbNotCfgd"] == {"packets": 309554, "octets": 19452117} and len(drops) == 5


@pytest.mark.parametrize("func,row", [
    (parse_qfp_drops, "IpsecInput   \u0664\u0663\u0668\u0668   528004"),
    (parse_qfp_drops, "IpsecInput   4388   \uff15\uff12\uff18"),
    (parse_qfp_ipsec_drops, "  \u0664  IN_US_V4_PKT_SA_NOT_FOUND_SPI   4388"),
    (parse_qfp_ipsec_drops, "  4  IN_US_V4_PKT_SA_NOT_FOUND_SPI   \uff14\uff13"),
])
def test_non_ascii_digits_are_damaged_rows_not_numbers(func, row):
    # Issue 17, item 7: "\d" read Arabic-Indic and fullwidth digits as counters.
    problems = []
    assert func(row, problems) == {}
    assert [p["line"] for p in problems] == [1]
