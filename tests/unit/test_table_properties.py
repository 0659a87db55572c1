"""Property tests: every table parser returns a result or raises ParseError, never anything else,
on generated and mutated inputs (10,000 mutated inputs per parser), and stays fast on huge lines."""

import glob
import os
import random
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.dmvpn import parse_dmvpn
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ike import parse_ike_sas
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ipsec_sa import parse_ipsec_sas
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.qfp import parse_qfp_drops, parse_qfp_ipsec_drops
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.session import parse_crypto_sessions

FIX = os.path.join(os.path.dirname(__file__), "fixtures")

PARSERS = {
    "qfp_drops": (parse_qfp_drops, dict, "qfp/drops_*.txt"),
    "qfp_ipsec_drops": (parse_qfp_ipsec_drops, dict, "qfp/ipsec_drops_*.txt"),
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
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_mutated_fixtures(name, seed):
    rng = random.Random(seed)
    corpus = CORPUS[name]
    for _mutation in range(MUTATIONS_PER_EXAMPLE):
        lines = _mutate(rng.choice(corpus), rng)
        _check(name, lines if rng.random() < 0.3 else "\n".join(lines))


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
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


@pytest.mark.parametrize("name", sorted(PARSERS))
@pytest.mark.parametrize("line", [
    "#pkts encaps: " + " " * 1_000_000 + "x",
    "spi: 0x" + "1" * 1_000_000,
    "1 " + "1.1.1.1 " * 125_000,
    "Crypto map tag: " + " " * 1_000_000,
    "a" * 1_000_000,
])
def test_one_megabyte_line_is_fast(name, line):
    start = time.perf_counter()
    _check(name, "interface: Tunnel1\nInterface: Tunnel1, IPv4 NHRP Details\n" + line + "\n" + line[:3000])
    assert time.perf_counter() - start < 5.0


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_many_long_lines_are_fast(name):
    # 250 lines just under the per-line limit, each crafted to tempt backtracking.
    text = "\n".join(["#pkts encaps " + " a" * 2000, "Crypto map tag: " + " ," * 2000,
                      "1 " + " 1.1.1.1" * 500, "local ident (" + "a/" * 2000] * 63)
    start = time.perf_counter()
    _check(name, text)
    assert time.perf_counter() - start < 5.0
