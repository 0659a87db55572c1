import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import (
    ParseError,
    as_lines,
    as_text,
    normalize_addr,
    parse_spi,
    spi_hex,
)


@pytest.mark.parametrize(
    "text,value",
    [
        ("0xB761863E(3076621886)", 0xB761863E),
        ("0x44A4038", 0x44A4038),
        ("0x bb0ed02", 0xBB0ED02),
        ("3A4AAE22", 0x3A4AAE22),
        ("0x1DB73BBB(498547643)", 498547643),
    ],
)
def test_parse_spi_spellings(text, value):
    assert parse_spi(text) == value


def test_parse_spi_hex_decimal_disagreement():
    with pytest.raises(ParseError, match="disagree"):
        parse_spi("0xB761863E(3076621887)")


@pytest.mark.parametrize("bad", ["", "0x", "zz", "0x123456789", "0x12(", None])
def test_parse_spi_rejects(bad):
    with pytest.raises(ParseError):
        parse_spi(bad)


def test_spi_hex_padding():
    assert spi_hex(0x44A4038) == "0x044A4038"


def test_as_text_accepts_lines_and_none():
    assert as_text(["a", "b"]) == "a\nb"
    assert as_text(None) == ""
    assert as_lines("a\r\nb\n") == ["a", "b"]


@pytest.mark.parametrize("bad", [{"a": 1}, 42, ["ok", 3]])
def test_as_text_refuses_other_types(bad):
    with pytest.raises(ParseError, match="string"):
        as_text(bad, "show logging")


def test_normalize_addr_ipv6_and_errors():
    assert normalize_addr("2001:DB8:0::1") == "2001:db8::1"
    with pytest.raises(ParseError):
        normalize_addr("10.1.1")
