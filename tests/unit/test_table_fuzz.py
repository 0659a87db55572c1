"""Fuzz targets for the table parsers (issue 17): hypothesis builds line-structured inputs from each parser's
own vocabulary (keywords, addresses, SPIs, counters, damaged and non-ASCII digits, odd blanks) and every result
is checked against the documented contract, key by key, not just its top-level type.

Bounded (a fixed number of examples per parser, no deadline, no database) so the whole file runs in a few
seconds; the 1 MB adversarial inputs are in benchmarks/bench_tables.py, not here.
"""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_profiles import examples

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, maybe_addr
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.dmvpn import parse_dmvpn
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ike import parse_ike_sas
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ipsec_sa import parse_ipsec_sas
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.qfp import parse_qfp_drops, parse_qfp_ipsec_drops
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.session import parse_crypto_sessions

EXAMPLES = 60
FUZZ = settings(max_examples=examples(EXAMPLES), deadline=None, database=None,
                suppress_health_check=list(HealthCheck))

# --- the vocabulary ---------------------------------------------------------------------------------------------

ADDRS = st.one_of(
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(lambda a: str(a).upper()),
    st.sampled_from(["::", "0.0.0.0", "10.0.0.300", "2001:db8::zz", "UNKNOWN", "fe80::1%Gi1"]),
)
NUMBERS = st.one_of(
    st.integers(min_value=0, max_value=2 ** 40).map(str),
    st.sampled_from(["-1", "\u0665\u0660", "\uff15\uff10", "\u00b2", "1e3", "0x10", ""]),
)
SPIS = st.one_of(
    st.integers(min_value=0, max_value=2 ** 32 - 1).map(lambda n: "0x%X(%d)" % (n, n)),
    st.integers(min_value=0, max_value=2 ** 32 - 1).map(lambda n: "0x%X" % n),
    st.sampled_from(["0x1(2)", "[Not Available]", "0x\u0661(1)", "0xFFFFFFFFF", "0x"]),
)
BLANKS = st.sampled_from([" ", "  ", "\t", " \t ", ""])
WORDS = st.sampled_from([
    "UP", "DOWN", "NHRP", "IKE", "never", "00:01:02", "1w2d", "D", "S", "IX", "DT2", "READY", "ACTIVE",
    "QM_IDLE", "MM_NO_STATE", "(deleted)", "Active", "Inactive", "none/none", "port", "/", ",", ":", "(", ")",
])


def _line(*parts):
    return st.tuples(*parts).map("".join)


def _spaced(*parts):
    """Parts joined by fuzzed blanks (a blank run between every two parts)."""
    strategies = []
    for index, part in enumerate(parts):
        if index:
            strategies.append(BLANKS.map(lambda b: b or " "))
        strategies.append(st.just(part) if isinstance(part, str) else part)
    return st.tuples(*strategies).map("".join)


def _text(line_strategies, max_lines=30):
    lines = st.lists(st.one_of(*line_strategies), max_size=max_lines)
    return st.tuples(BLANKS, lines, st.booleans()).map(
        lambda t: [t[0] + line for line in t[1]] if t[2] else "\n".join(t[0] + line for line in t[1]))


IPSEC_LINES = [
    _spaced("interface:", st.sampled_from(["Tunnel0", "GigabitEthernet1", "Virtual-Access3", ""])),
    _spaced("Crypto map tag:", st.sampled_from(["CMAP,", "(none),", "Tunnel0-head-0,", ""]), "local addr", ADDRS),
    _spaced("protected vrf:", st.sampled_from(["(none)", "RED", ""])),
    _spaced(st.sampled_from(["local", "remote"]), "ident (addr/mask/prot/port):",
            _line(st.just("("), ADDRS, st.just("/"), NUMBERS, st.just("/"), NUMBERS, st.just("/"), NUMBERS,
                  st.just(")"))),
    _spaced("current_peer", ADDRS, "port", NUMBERS),
    _spaced("#pkts encaps:", _line(NUMBERS, st.just(", #pkts encrypt: 1"))),
    _spaced("#pkts decaps:", NUMBERS),
    _spaced("#pkts no sa (send)", _line(NUMBERS, st.just(", #pkts invalid sa (rcv) "), NUMBERS)),
    _spaced("local crypto endpt.:", _line(ADDRS, st.sampled_from([",", ", remote crypto endpt.: ::", ""]))),
    _spaced("remote crypto endpt.:", ADDRS),
    _spaced("current outbound spi:", SPIS),
    _spaced(st.sampled_from(["inbound", "outbound"]), st.sampled_from(["esp", "ah", "pcp"]), "sas:"),
    _spaced("spi:", SPIS),
    _spaced("sa timing: remaining key lifetime", st.sampled_from(["(k/sec):", "(sec):"]),
            _line(st.just("("), NUMBERS, st.just("/"), NUMBERS, st.just(")"))),
    _spaced("Status:", st.sampled_from(["ACTIVE(ACTIVE)", "STANDBY", "[Not Available]", "\u00c9TAT"])),
    _spaced("PFS (Y/N):", st.sampled_from(["N, DH group: none", "Y, DH group: group19, PQC Key Exchange: X", "?"])),
    st.text(max_size=60),
]
IKE_LINES = [
    _spaced("IPv4 Crypto ISAKMP SA"), _spaced("IPv6 Crypto IKEv2 SA"), _spaced("dst src state conn-id status"),
    _spaced(ADDRS, ADDRS, WORDS, NUMBERS, WORDS),
    _spaced(NUMBERS, _line(ADDRS, st.just("/"), NUMBERS), _line(ADDRS, st.just("/"), NUMBERS), "none/none", WORDS),
    _spaced(NUMBERS, "none/none", WORDS),
    _spaced(st.sampled_from(["Local", "Remote"]), _line(ADDRS, st.just("/"), NUMBERS)),
    _spaced(st.sampled_from(["dst:", "src:"]), ADDRS),
    _spaced("state:", WORDS, "conn-id:", NUMBERS, "status:", WORDS),
    _spaced(NUMBERS, ADDRS, ADDRS, "ACTIVE aes sha psk", NUMBERS, "00:01:47 D"),
    _spaced("DPD configured for", NUMBERS, "seconds, retry", NUMBERS),
    _spaced("Remote subnets:"), _spaced(ADDRS, ADDRS), _line(ADDRS, st.just("/"), NUMBERS),
    _spaced("Local spi:", st.sampled_from(["4CF87E32B25302C0", "XYZ"]), "Remote spi:", st.just("96254131FD306002")),
    st.text(max_size=60),
]
SESSION_LINES = [
    _spaced("Interface:", st.sampled_from(["Tunnel1", "Virtual-Access2", ""])),
    _spaced("Session status:", WORDS),
    _spaced("Peer:", ADDRS, "port", NUMBERS, st.sampled_from(["", "fvrf: (none) ivrf: CORP"])),
    _spaced(st.sampled_from(["IKEv1", "IKEv2", "IKE"]), "SA: local", _line(ADDRS, st.just("/"), NUMBERS),
            st.sampled_from(["", "remote 10.0.0.2/500 Active"])),
    _spaced("remote", _line(ADDRS, st.just("/"), NUMBERS), WORDS),
    _spaced("Capabilities:D connid:", NUMBERS, "lifetime:23:41:07"),
    _spaced("IPSEC FLOW: permit ip any any"),
    _spaced("Active SAs:", _line(NUMBERS, st.just(", origin: crypto map"))),
    _spaced("Inbound: #pkts dec'ed", NUMBERS, "drop", NUMBERS, "life (KB/Sec)",
            st.sampled_from(["4607999/3544", "KB Vol Rekey Disabled/3060", "0/0", "?"])),
    _spaced("Outbound: #pkts enc'ed", NUMBERS, "drop", NUMBERS),
    _spaced("Remote subnets:"), _spaced(ADDRS, ADDRS),
    st.text(max_size=60),
]
DMVPN_LINES = [
    _spaced("Interface:", st.sampled_from(["Tunnel100,", "Tunnel1"]), st.sampled_from(["IPv4", "IPv6"]),
            "NHRP Details"),
    _spaced("Type:Hub, NHRP Peers:", NUMBERS),
    _spaced(NUMBERS, ADDRS, ADDRS, WORDS, WORDS, WORDS),
    _spaced(ADDRS, WORDS, WORDS, WORDS),
    _spaced(NUMBERS, ADDRS),
    _spaced("# Ent  Peer NBMA Addr Peer Tunnel Add State  UpDn Tm Attrb"),
    st.text(max_size=60),
]
QFP_LINES = [
    _spaced("Global Drop Stats", "Packets", "Octets"),
    _spaced(st.sampled_from(["IpsecInput", "Ipv4NoRoute", "x", "_bad"]), NUMBERS, NUMBERS),
    _spaced(NUMBERS, st.sampled_from(["IN_US_V4_PKT_SA_NOT_FOUND_SPI", "OUT_V4_PKT_HIT_IKE_START_SP"]), NUMBERS),
    _spaced("Drop Type", "Name", "Packets"),
    st.sampled_from(["-" * 40, "The Global drop stats were all zero", "r1#show platform", "Load for five secs: 1%"]),
    st.text(max_size=60),
]

# --- the contract -----------------------------------------------------------------------------------------------


def _addr(value, optional=True):
    if value is None:
        assert optional
        return
    assert isinstance(value, str) and maybe_addr(value) == value, value


def _int(value):
    """An int that is not a bool (bool is an int subclass)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _opt(value, kind):
    assert value is None or (isinstance(value, kind) and (kind is bool or not isinstance(value, bool))), (value, kind)


def _count(value):
    assert value is None or (_int(value) and value >= 0), value


def _spi(value, optional=False):
    if value is None:
        assert optional
        return
    assert _int(value) and 0 <= value < 2 ** 32, value


def check_ipsec_sa(row):
    for key in ("interface", "crypto_map_tag", "protected_vrf", "action", "dh_group"):
        _opt(row[key], str)
    for key in ("local_addr", "peer", "local_endpoint", "remote_endpoint"):
        _addr(row[key])
    for key in ("local_ident", "remote_ident"):
        ident = row[key]
        if ident is not None:
            assert set(ident) == {"addr", "mask", "prot", "port"}
            _addr(ident["addr"], optional=False)
            assert isinstance(ident["mask"], str) and _int(ident["prot"]) and _int(ident["port"])
    for key in ("peer_port", "pkts_encaps", "pkts_decaps", "pkts_invalid_sa_rcv", "pkts_no_sa_send"):
        _count(row[key])
    assert row["action"] in (None, "PERMIT", "DENY")
    assert isinstance(row["flags"], list) and all(isinstance(f, str) for f in row["flags"])
    _spi(row["current_outbound_spi"], optional=True)
    assert row["current_outbound_spi"] != 0
    _opt(row["pfs"], bool)
    for key in ("inbound_spis", "outbound_spis"):
        assert isinstance(row[key], list) and len(set(row[key])) == len(row[key])
        for spi in row[key]:
            _spi(spi)
    for sa in row["sas"]:
        assert sa["direction"] in ("inbound", "outbound") and sa["protocol"] in ("esp", "ah", "pcp")
        _spi(sa["spi"])
        for key in ("transform", "mode", "status"):
            _opt(sa[key], str)
        if sa["status"] is not None:
            assert sa["status"].isascii()
        _count(sa["remaining_kb"])
        _count(sa["remaining_sec"])
        assert _int(sa["line"]) and sa["line"] >= 1
    assert _int(row["line"]) and row["line"] >= 1


def check_ike_sa(row):
    assert row["version"] in ("ikev1", "ikev2") and row["af"] in (None, "IPv4", "IPv6")
    for key in ("local", "remote", "dst", "src"):
        _addr(row.get(key))
    for key in ("state", "status"):
        _opt(row[key], str)
    _opt(row["dpd"], bool)
    for key in ("conn_id", "tunnel_id", "local_port", "remote_port", "dpd_interval", "dpd_retry",
                "active_time", "session_id", "keysize", "dh_group"):
        _count(row.get(key))
    # IKEv1 detail prints the remaining lifetime as hh:mm:ss, IKEv2 detail the configured one in seconds.
    _opt(row.get("lifetime"), str if row["version"] == "ikev1" else int)
    for prefix in row.get("remote_subnets", []):
        ipaddress.ip_network(prefix)
    assert _int(row["line"]) and row["line"] >= 1


def check_session(row):
    assert isinstance(row["interface"], str)
    _addr(row["peer"])
    _count(row["peer_port"])
    assert _int(row["active_sas"]) and row["active_sas"] >= 0
    for sa in row["ike_sas"]:
        assert sa["version"] in (None, "ikev1", "ikev2")
        _addr(sa["local"], optional=False)
        _addr(sa["remote"], optional=False)
        _count(sa["local_port"])
        _count(sa["remote_port"])
        _count(sa["conn_id"])
        for prefix in sa.get("remote_subnets", []):
            ipaddress.ip_network(prefix)
    for flow in row["flows"]:
        assert isinstance(flow["flow"], str)
        for key in ("active_sas", "pkts_decrypted", "pkts_encrypted", "drops_in", "drops_out"):
            _count(flow[key])
    assert _int(row["line"]) and row["line"] >= 1


def check_dmvpn(row):
    assert isinstance(row["interface"], str) and row["af"] in ("IPv4", "IPv6")
    _addr(row["nbma"])
    _addr(row["tunnel_addr"], optional=False)
    _count(row["entries"])
    assert isinstance(row["state"], str) and isinstance(row["uptime"], str) and isinstance(row["attrb"], str)
    assert "".join(row["attributes"]) == row["attrb"]
    assert row["static"] == ("S" in row["attributes"]) and row["dynamic"] == ("D" in row["attributes"])


def _check_table(keys):
    def check(result):
        assert isinstance(result, dict)
        for name, values in result.items():
            assert isinstance(name, str) and name.isascii() and set(values) == keys
            for value in values.values():
                assert _int(value) and value >= 0
    return check


PARSERS = {
    "ipsec_sas": (parse_ipsec_sas, IPSEC_LINES, check_ipsec_sa),
    "ike_sas": (parse_ike_sas, IKE_LINES, check_ike_sa),
    "crypto_sessions": (parse_crypto_sessions, SESSION_LINES, check_session),
    "dmvpn": (parse_dmvpn, DMVPN_LINES, check_dmvpn),
    "qfp_drops": (parse_qfp_drops, QFP_LINES, _check_table({"packets", "octets"})),
    "qfp_ipsec_drops": (parse_qfp_ipsec_drops, QFP_LINES, _check_table({"drop_type", "packets"})),
}


def run(name, data):
    func, _lines, check = PARSERS[name]
    problems = []
    try:
        result = func(data, problems)
    except ParseError as exc:
        assert str(exc)
        return
    if isinstance(result, dict):
        check(result)
    else:
        assert isinstance(result, list)
        for row in result:
            check(row)
    for item in problems:
        assert set(item) == {"line", "reason", "text"}
        assert _int(item["line"]) and item["line"] >= 1 and isinstance(item["reason"], str)
        assert isinstance(item["text"], str) and len(item["text"]) <= 200


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_fuzz_structured(name):
    @FUZZ
    @given(data=_text(PARSERS[name][1]))
    def inner(data):
        run(name, data)

    inner()


@pytest.mark.parametrize("name", sorted(PARSERS))
@FUZZ
@given(data=st.one_of(st.text(max_size=200), st.binary(max_size=100), st.none(), st.integers(),
                      st.lists(st.text(max_size=30), max_size=10), st.lists(st.integers(), min_size=1, max_size=3)))
def test_fuzz_any_input(name, data):
    run(name, data)


BAD_FIELDS = {
    "ipsec_sas": ("ipsec_sa/detail_crypto_map.txt", "current_outbound_spi", 0),
    "ike_sas": ("ike/ikev2_sa.txt", "remote", "198.051.100.7"),
    "crypto_sessions": ("session/session_detail.txt", "peer", "2001:DB8:B::2"),
    "dmvpn": ("dmvpn/dmvpn_hub.txt", "nbma", "UNKNOWN"),
    "qfp_drops": ("qfp/drops_full.txt", "IpsecInput", {"packets": -1, "octets": 0}),
    "qfp_ipsec_drops": ("qfp/ipsec_drops_all.txt", "IN_US_V4_PKT_SA_NOT_FOUND_SPI", {"drop_type": 4}),
}


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_contract_checks_can_fail(name):
    # The checkers must pass a real parse and reject it once one field is wrong, or the fuzz targets prove nothing.
    import copy
    import os

    func, _lines, check = PARSERS[name]
    path, key, value = BAD_FIELDS[name]
    with open(os.path.join(os.path.dirname(__file__), "fixtures", path)) as handle:
        result = func(handle.read())
    good = result if isinstance(result, dict) else result[0]
    check(good) if isinstance(result, dict) else [check(row) for row in result]
    bad = copy.deepcopy(good)
    bad[key] = value
    with pytest.raises(AssertionError):
        check(bad)
