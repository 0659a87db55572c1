# -*- coding: utf-8 -*-
"""Fuzz the syslog parser with Hypothesis: header grammar pieces, other scripts' digits and raw noise.

Bounded (a few hundred examples of short logs) so that it runs in a few
seconds. The time limit on adversarial input is checked in the benchmark
(benchmarks/bench_syslog.py), not here.
"""

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_profiles import examples

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers import syslog

FAST = dict(deadline=None, database=None, suppress_health_check=list(HealthCheck))
BODY = "decaps: rec'd IPSEC packet has invalid spi for destaddr=10.10.1.2, prot=50, spi=0x1DB73BBB(498547643), srcaddr=10.1.1.1"
PIECES = [
    "<189>", "<0>", "Sep  2 13:31:00 ", "2024-09-02T13:31:00.123+02:00 ", "hub-1.example.net ", "2001:db8::5 ",
    "10.9.9.9 ", "91: ", "000413: ", "hub-1: ", "*", ".", "2024 ", "Oct 07 ", "03:10:04", ".707", " UTC", " EDT",
    " UTC+07:30", ": ", ": : ", "mydevice.com ", "1d02h", "2y10w", "7:04", "00:01:23", "[x=y] ", "%CRYPTO-4-",
    "CRYPTO-4-", "RECVD_PKT_INV_SPI", "RECV_PKT_INV_SPI", "RECV_D_PKT_INV_SPI", "PKT_INV_SPI", ": " + BODY, BODY,
    ", input interface=Tunnel1", "destaddr=", "prot=", "spi=", "srcaddr=", "\n", "\r\n", "\t",
    # other scripts' digits and look-alikes
    "\uff10\uff11\uff19", "\u0665\u0660", "\u0663", "\u00b2", "\u2007", "\u00a0", "\ufeff", "\x00",
]


@st.composite
def logs(draw):
    parts = draw(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=40))
    return "".join(parts)


def outcome(data, **kwargs):
    problems = []
    try:
        events = syslog.parse_events(data, problems=problems, **kwargs)
    except ParseError as exc:
        return ("error", str(exc))
    return events, problems


@settings(max_examples=examples(400), **FAST)
@given(logs(), st.sampled_from([None, 2024]))
def test_fuzzed_logs_read_alike_from_text_lines_and_streams(text, year):
    kwargs = dict(year=year, host="arg", now=1725300000.0)
    result = outcome(text, **kwargs)
    assert result[0] != "error", result
    events, problems = result
    for event in events:
        assert set(event) == set(syslog.KEYS)
        assert event["time"] is None or event["time"].isascii()
        assert isinstance(event["prot"], int) and 0 <= event["prot"] <= 255
        assert event["sequence"] is None or isinstance(event["sequence"], int)
    mentioning = {n for n, line in enumerate(text.split("\n"), 1) if "PKT_INV_SPI" in line}
    assert {e["line"] for e in events} | {p["line"] for p in problems} == mentioning
    # the same log as a list of lines, and as a stream read in tiny chunks
    assert outcome(text.split("\n"), **kwargs) == result
    scanner = syslog.new_scanner(problems=[], **kwargs)
    syslog.scan_stream(scanner, io.StringIO(text), chunk=5)
    assert (scanner.events, scanner.problems) == result


@settings(max_examples=examples(200), **FAST)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_any_text_with_a_mnemonic_gives_a_result(noise):
    text = noise + " %CRYPTO-4-RECVD_PKT_INV_SPI: " + noise
    events, problems = outcome(text, year=2024)
    assert len(events) + len(problems) >= 1
