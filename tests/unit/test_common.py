import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import (
    ParseError,
    as_lines,
    as_text,
    cached_addr,
    maybe_addr,
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


def test_is_unsupported_is_linear_on_blank_lines():
    # Issue 17, item 3: "^\s*%" under MULTILINE let "\s" cross newlines: 40 kB of newlines took 16-18 s.
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import is_unsupported

    from complexity import FACTOR, assert_linear

    def both(text):
        assert is_unsupported(text) is False
        assert is_unsupported(text + "  % Invalid input detected at '^' marker.") is True

    for blank in ("\n", "\r\n", " \n", "\t\n\n"):
        assert_linear(both, blank * 25_000, blank * 25_000 * FACTOR)


@pytest.mark.parametrize("text,expected", [
    ("% Invalid input detected at '^' marker.", True),
    ("r1#show x\n         ^\n% Invalid input detected at '^' marker.\n", True),
    ("\r\n  % Incomplete command.\r\n", True),
    ("\t% Ambiguous command:  \"show c\"", True),
    ("Global Drop Stats  Packets  Octets\n% of drops: 12", False),
    ("text % Invalid input detected", False),
])
def test_is_unsupported_forms(text, expected):
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import is_unsupported

    assert is_unsupported(text) is expected


@pytest.mark.parametrize("text", [
    "0x\u0661\u0662(18)", "0x12(\u0661\u0668)", "\uff11\uff12", "0x12(\uff11\uff18)", "0x1\n2", "0x12(18\n)",
])
def test_parse_spi_refuses_non_ascii_digits_and_line_breaks(text):
    with pytest.raises(ParseError):
        parse_spi(text)


def test_ascii_digit_helpers():
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import is_ascii_digits

    assert is_ascii_digits("0123") and not is_ascii_digits("") and not is_ascii_digits("\u0665\u0660")
    assert not is_ascii_digits("\uff15") and not is_ascii_digits("\u00b2") and not is_ascii_digits("-1")


@pytest.mark.parametrize("text", [
    "1.2.3.4", "0.0.0.0", "255.255.255.255", "10.0.0.1", "01.2.3.4", "1.2.3.04", "256.1.1.1", "1.2.3.4 ",
    " 1.2.3.4", "1.2.3.4\n", "1.2.3", "1.2.3.4.5", "1..3.4", "\u0661.2.3.4", "1.2.3.\u0664", "2001:DB8::1",
    "::ffff:1.2.3.4", "1.2.3.4/32", "", "x",
])
def test_the_ipv4_shortcut_agrees_with_ipaddress(text):
    import ipaddress

    try:
        expected = str(ipaddress.ip_address(text.strip()))
    except ValueError:
        expected = None
    assert maybe_addr(text) == expected
    assert cached_addr(text) == expected
    if expected is None:
        with pytest.raises(ParseError):
            normalize_addr(text)
    else:
        assert normalize_addr(text) == expected
