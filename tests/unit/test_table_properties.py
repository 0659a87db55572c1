"""Property tests: every table parser returns a result or raises ParseError, never anything else,
on generated and mutated inputs (10,000 mutated inputs per parser in the deep profile), and stays linear on
huge lines."""

import glob
import ipaddress
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_profiles import examples

from complexity import FACTOR, assert_linear

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.dmvpn import parse_dmvpn
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ike import parse_ike_sas
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ipsec_sa import parse_ipsec_sas
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.qfp import parse_qfp_drops, parse_qfp_ipsec_drops
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.session import parse_crypto_sessions

FIX = os.path.join(os.path.dirname(__file__), "fixtures")

PARSERS = {
    "qfp_drops": (parse_qfp_drops, dict, "qfp/drops_*.txt"),
    "qfp_ipsec_drops": (parse_qfp_ipsec_drops, dict, "qfp/ipsec_*drop*.txt"),
    "ipsec_sas": (parse_ipsec_sas, list, "ipsec_sa/*.txt"),
    "ike_sas": (parse_ike_sas, list, "ike/*.txt"),
    "crypto_sessions": (parse_crypto_sessions, list, "session/*.txt"),
    "dmvpn": (parse_dmvpn, list, "dmvpn/*.txt"),
}
MUTATIONS_PER_EXAMPLE = 20
EXAMPLES = 500  # x 20 mutations = 10,000 mutated inputs per parser


def _lines(pattern):
    out = []
    for path in sorted(glob.glob(os.path.join(FIX, pattern))):
        with open(path) as handle:
            out.append(handle.read().splitlines())
    return out


CORPUS = {name: _lines(spec[2]) for name, spec in PARSERS.items()}
TOKENS = [
    "0x0(0)", "0xB761863E(3076621886)", "0xFFFFFFFFF", "spi:", "interface:", "current_peer", "port", "#pkts",
    "encaps:", "decaps:", "ident", "(addr/mask/prot/port):", "(10.0.0.0/255.0.0.0/0/0)", "2001:db8::1",
    "10.1.1.1", "999.1.1.1", "IpsecInput", "IN_US_V4_PKT_SA_NOT_FOUND_SPI", "QM_IDLE", "READY", "ACTIVE",
    "(deleted)", "1.1.1.1/500", "none/none", "Local", "Remote", "Interface:", "Peer:", "Session status:",
    "IPSEC FLOW:", "Active SAs:", "UP", "never", "DT2", "%", "Invalid input detected", "inbound esp sas:",
    "outbound ah sas:", "Status:", "(", ")", ",", "/", ":", "-" * 10, "\t", "  ", "12345678901234567890", "é", "²", "٣", "0x²(2)", "spi: 0x1²(1)",
    # The layouts of issue 15: wrapped IPv6 lines, incomplete NHRP entries, non-numeric lifetimes, subnets.
    "local crypto endpt.: 2001:db8::1,", "remote crypto endpt.: 2001:db8::2", "[Not Available]", "UNKNOWN", "IX",
    "IKEv2 SA: local 2001:db8::1/500", "remote 2001:db8::2/500 Active", "KB Vol Rekey Disabled/3060",
    "Remote subnets:", "10.0.0.0 255.0.0.0", "dst: 2001:db8::1", "src: 2001:db8::2",
    "state: QM_IDLE conn-id: 1001 status: ACTIVE", "\uff15\uff10", "\u0665\u0660",
]


def _mutate(lines, rng):
    lines = list(lines)
    if not lines:
        lines = [""]
    start = rng.randrange(len(lines))
    window = lines[start:start + rng.randint(1, 40)]
    for _step in range(rng.randint(1, 4)):
        op = rng.randrange(8)
        index = rng.randrange(len(window)) if window else 0
        if not window:
            window = [""]
        line = window[index]
        if op == 0:
            del window[index]
        elif op == 1:
            window.insert(index, line)
        elif op == 2 and line:
            pos = rng.randrange(len(line))
            window[index] = line[:pos] + rng.choice(TOKENS) + line[pos + 1:]
        elif op == 3:
            window[index] = line[:rng.randrange(len(line) + 1)]
        elif op == 4:
            window[index] = " ".join(rng.choice(TOKENS) for _token in range(rng.randint(1, 8)))
        elif op == 5:
            window[index] = "".join(chr(rng.randrange(32, 127)) if c.isdigit() else c for c in line)
        elif op == 6:
            window[index] = line.strip()
        else:
            window[index] = line.replace(" ", "").replace(",", ", ,")
    return window


def _check(name, data):
    func, kind = PARSERS[name][0], PARSERS[name][1]
    problems = []
    try:
        result = func(data, problems)
    except ParseError as exc:
        assert str(exc)
        return
    assert isinstance(result, kind)
    assert isinstance(problems, list)
    for item in problems:
        assert set(item) == {"line", "reason", "text"} and isinstance(item["line"], int)


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=examples(EXAMPLES), deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_mutated_fixtures(name, seed):
    rng = random.Random(seed)
    corpus = CORPUS[name]
    for _mutation in range(MUTATIONS_PER_EXAMPLE):
        lines = _mutate(rng.choice(corpus), rng)
        _check(name, lines if rng.random() < 0.3 else "\n".join(lines))


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=examples(300), deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=st.one_of(
    st.text(max_size=300),
    st.lists(st.lists(st.sampled_from(TOKENS + [" ", "0", "1", "x"]), max_size=30).map("".join), max_size=20),
    st.lists(st.sampled_from(TOKENS), max_size=40).map(" ".join),
    st.binary(max_size=200),
    st.none(),
    st.integers(),
))
def test_generated_inputs(name, data):
    _check(name, data)


def _long_line_text(line):
    return "interface: Tunnel1\nInterface: Tunnel1, IPv4 NHRP Details\n" + line + "\n" + line[:3000]


# Each line built from its size in characters: a megabyte, and an eighth of it for the complexity guard.
HUGE_LINES = {
    "spaces_after_pkts": lambda n: "#pkts encaps: " + " " * n + "x",
    "spi_digits": lambda n: "spi: 0x" + "1" * n,
    "addresses": lambda n: "1 " + "1.1.1.1 " * (n // 8),
    "spaces_after_map_tag": lambda n: "Crypto map tag: " + " " * n,
    "letters": lambda n: "a" * n,
}


@pytest.mark.parametrize("name", sorted(PARSERS))
@pytest.mark.parametrize("line", sorted(HUGE_LINES))
def test_one_megabyte_line_is_linear(name, line):
    make = HUGE_LINES[line]
    _check(name, _long_line_text(make(1_000_000)))
    assert_linear(lambda text: _check(name, text), _long_line_text(make(1_000_000 // FACTOR)),
                  _long_line_text(make(1_000_000)))


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_many_long_lines_are_linear(name):
    # 250 lines just under the per-line limit, each crafted to tempt backtracking; the guard grows the lines.
    def text(n):
        return "\n".join(["#pkts encaps " + " a" * n, "Crypto map tag: " + " ," * n,
                          "1 " + " 1.1.1.1" * (n // 4), "local ident (" + "a/" * n] * 63)

    _check(name, text(2000))
    assert_linear(lambda data: _check(name, data), text(2000 // FACTOR), text(2000))


# --- layouts (issue 15): the same facts in each printed form give the same result -----------------------------

ADDRS = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)).map(str)
PORTS = st.sampled_from([500, 4500, 38452])


@settings(max_examples=examples(150), deadline=None, database=None)
@given(local=ADDRS, remote=ADDRS, lport=PORTS, rport=PORTS, status=st.sampled_from(["Active", "Inactive"]),
       upper=st.booleans(), indent=st.sampled_from(["", "  ", "\t"]))
def test_session_ike_sa_one_line_or_wrapped(local, remote, lport, rport, status, upper, indent):
    case = str.upper if upper else str
    head = "Interface: Tunnel1\nSession status: UP-ACTIVE\nPeer: %s port %d\n" % (case(remote), rport)
    tail = "%sCapabilities:D connid:7 lifetime:01:02:03\n%sIPSEC FLOW: permit ip any any\n" % (indent, indent)
    one = "%sIKEv2 SA: local %s/%d remote %s/%d %s\n" % (indent, case(local), lport, case(remote), rport, status)
    two = "%sIKEv2 SA: local %s/%d\n%s    remote %s/%d %s\n" % (
        indent, case(local), lport, indent, case(remote), rport, status)
    problems = []
    wrapped = parse_crypto_sessions(head + two + tail, problems)
    assert problems == []
    assert wrapped[0]["ike_sas"] == parse_crypto_sessions(head + one + tail)[0]["ike_sas"]
    assert wrapped[0]["ike_sas"][0]["remote"] == str(ipaddress.ip_address(remote))
    assert wrapped[0]["ike_sas"][0]["capabilities"] == "D"


@settings(max_examples=examples(150), deadline=None, database=None)
@given(local=ADDRS, remote=ADDRS, upper=st.booleans(), indent=st.sampled_from(["", "     ", "\t"]))
def test_ipsec_sa_endpoints_one_line_or_two(local, remote, upper, indent):
    case = str.upper if upper else str
    head = "interface: Tunnel1\n   protected vrf: (none)\n"
    tail = "%scurrent outbound spi: 0x10(16)\n" % indent
    one = "%slocal crypto endpt.: %s, remote crypto endpt.: %s\n" % (indent, case(local), case(remote))
    two = "%slocal crypto endpt.: %s,\n%sremote crypto endpt.: %s\n" % (indent, case(local), indent, case(remote))
    problems = []
    (sa,) = parse_ipsec_sas(head + two + tail, problems)
    assert problems == [] and sa == dict(parse_ipsec_sas(head + one + tail)[0])
    assert (sa["local_endpoint"], sa["remote_endpoint"]) == (str(ipaddress.ip_address(local)),
                                                             str(ipaddress.ip_address(remote)))


@settings(max_examples=examples(150), deadline=None, database=None)
@given(dst=ADDRS, src=ADDRS, conn=st.integers(min_value=1, max_value=65535),
       state=st.sampled_from(["QM_IDLE", "MM_NO_STATE", "MM_KEY_EXCH"]), deleted=st.booleans())
def test_isakmp_row_or_one_field_per_line(dst, src, conn, state, deleted):
    status = "ACTIVE" + (" (deleted)" if deleted else "")
    row = parse_ike_sas("dst src state conn-id status\n%s %s %s %d %s\n" % (dst, src, state, conn, status))
    multi = parse_ike_sas(" dst: %s\n src: %s\n state: %s   conn-id: %d status: %s\n" % (dst, src, state, conn, status))
    keys = ("version", "dst", "src", "state", "conn_id", "status", "deleted")
    assert [{k: r[k] for k in keys} for r in multi] == [{k: r[k] for k in keys} for r in row]
    assert len(multi) == 1


@settings(max_examples=examples(100), deadline=None, database=None)
@given(tunnel=st.ip_addresses(v=4).map(str), entries=st.integers(min_value=0, max_value=9),
       attrb=st.sampled_from(["IX", "I", "X", "IXN"]))
def test_dmvpn_unknown_nbma_is_a_row(tunnel, entries, attrb):
    problems = []
    rows = parse_dmvpn("Interface: Tunnel1, IPv4 NHRP Details\nType:Hub, NHRP Peers:1,\n"
                       "  %d UNKNOWN   %s  NHRP never %s\n" % (entries, tunnel, attrb), problems)
    assert problems == []
    assert [(r["nbma"], r["tunnel_addr"], r["entries"], r["attrb"]) for r in rows] == [(None, tunnel, entries, attrb)]


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_every_fixture_parses_cleanly_and_without_indentation(name):
    func, _kind, pattern = PARSERS[name]
    paths = sorted(glob.glob(os.path.join(FIX, pattern)))
    assert paths
    for path in paths:
        with open(path) as handle:
            text = handle.read()
        problems = []
        result = func(text, problems)
        assert problems == [], (path, problems)
        assert result or "all_zero" in path, path
        stripped = "\n".join(line.strip() for line in text.splitlines())
        assert func(stripped) == result, path
        assert func(text.splitlines()) == result, path
