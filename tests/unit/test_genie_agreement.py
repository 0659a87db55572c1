"""Our parsers and Cisco's genie parsers agree on the fields both return (same fixture text).

Runs only where genie is installed (requirements-bench.txt)."""

import ipaddress
import os
import sys

import pytest

genie = pytest.importorskip("genie")
pytest.importorskip("genie.libs.parser")
pytest.importorskip("pyats")

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import parse_spi, subnet_prefix  # noqa: E402
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.dmvpn import parse_dmvpn  # noqa: E402
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ike import parse_ike_sas  # noqa: E402
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ipsec_sa import parse_ipsec_sas  # noqa: E402
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.qfp import (  # noqa: E402
    parse_qfp_drops,
    parse_qfp_ipsec_drops,
)

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "fixtures")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "benchmarks"))


def fixture(name):
    with open(os.path.join(FIX, name)) as handle:
        return handle.read()


@pytest.fixture(scope="module")
def device():
    from genie.conf.base import Device

    dev = Device("r1", os="iosxe")
    dev.custom.setdefault("abstraction", {})["order"] = ["os"]
    return dev


def _generated():
    import random

    import gen_tables

    rng = random.Random(gen_tables.SEED)
    return {
        "qfp": gen_tables.qfp_drop_table(rng),
        "ipsec_drops": gen_tables.qfp_ipsec_drop_table(rng),
        "ipsec_sa": gen_tables.ipsec_sa_detail(rng, 30),
    }


@pytest.mark.parametrize("source", ["qfp/drops_full.txt", "qfp/drops_inc_ipsec.txt", "qfp/drops_stripped.txt",
                                    "qfp/drops_exclude_zero_indented.txt", "generated"])
def test_qfp_drops_agree(device, source):
    text = _generated()["qfp"] if source == "generated" else fixture(source)
    theirs = device.parse("show platform hardware qfp active statistics drop", output=text)["global_drop_stats"]
    ours = parse_qfp_drops(text)
    assert ours == {name: {"packets": row["packets"], "octets": row["octets"]} for name, row in theirs.items()}


@pytest.mark.parametrize("source", ["qfp/ipsec_drops_all.txt", "qfp/ipsec_drops_other_release.txt",
                                    "qfp/ipsec_data_drop_sparse.txt", "generated"])
def test_qfp_ipsec_drops_agree(device, source):
    text = _generated()["ipsec_drops"] if source == "generated" else fixture(source)
    theirs = device.parse("show platform hardware qfp active feature ipsec datapath drops all", output=text)["drops"]
    ours = parse_qfp_ipsec_drops(text)
    assert {name: row["packets"] for name, row in ours.items()} == {
        name: row["packets"] for name, row in theirs.items()}
    assert {name: row["drop_type"] for name, row in ours.items()} == {
        name: row["drop_type"] for name, row in theirs.items()}


def _genie_sas(parsed):
    out = []
    for interface, body in parsed["interface"].items():
        for _index, ident in sorted(body["ident"].items()):
            spis = {}
            for direction in ("inbound", "outbound"):
                spis[direction] = [
                    parse_spi(spi)
                    for proto in ("esp", "ah")
                    for spi in (ident.get("%s_%s_sas" % (direction, proto)) or {}).get("spi", {})
                ]
            current = parse_spi(ident["current_outbound_spi"])
            out.append({
                # genie keeps addresses as printed (upper-case IPv6); ours are canonical.
                "interface": interface, "peer": str(ipaddress.ip_address(ident["peer_ip"])), "peer_port": ident["port"],
                "pkts_encaps": ident["pkts_encaps"], "pkts_decaps": ident["pkts_decaps"],
                "current_outbound_spi": current or None,
                "inbound_spis": spis["inbound"], "outbound_spis": spis["outbound"],
            })
    return out


@pytest.mark.parametrize("source,command", [
    ("ipsec_sa/detail_crypto_map.txt", "show crypto ipsec sa detail"),
    ("ipsec_sa/stripped_no_detail.txt", "show crypto ipsec sa"),
    ("ipsec_sa/transport_kb_rekey_disabled.txt", "show crypto ipsec sa detail"),
    ("generated", "show crypto ipsec sa detail"),
])
def test_ipsec_sas_agree(device, source, command):
    text = _generated()["ipsec_sa"] if source == "generated" else fixture(source)
    theirs = _genie_sas(device.parse(command, output=text))
    keys = ("interface", "peer", "peer_port", "pkts_encaps", "pkts_decaps", "current_outbound_spi",
            "inbound_spis", "outbound_spis")
    ours = [{k: sa[k] for k in keys} for sa in parse_ipsec_sas(text)]
    # genie keys SPIs by their text (dict order kept), so lists compare in printed order.
    assert ours == theirs


def test_isakmp_states_agree(device):
    text = fixture("ike/isakmp_sa.txt")
    theirs = device.parse("show crypto isakmp sa", output=text)["isakmp_stats"]
    flat = [row for af in ("IPv4", "IPv6") for _i, row in sorted(theirs.get(af, {}).items())]
    ours = parse_ike_sas(text)
    assert [(r["dst"], r["src"], r["state"], r["conn_id"], r["status"]) for r in ours] == [
        (str(__import__("ipaddress").ip_address(row["destination"])),
         str(__import__("ipaddress").ip_address(row["source"])),
         row["session_state"], row["conn_id"], row["status"]) for row in flat]


def test_ikev2_states_agree(device):
    text = fixture("ike/ikev2_sa_detail.txt")
    theirs = device.parse("show crypto ikev2 sa detail", output=text)["tunnel_id"]
    ours = {row["tunnel_id"]: row for row in parse_ike_sas(text)}
    assert set(ours) == set(theirs)
    for tunnel_id, row in theirs.items():
        assert ours[tunnel_id]["status"].lower() == row["status"].lower()
        local = row["local"].rsplit("/", 1)[0]
        assert ours[tunnel_id]["local"] == str(__import__("ipaddress").ip_address(local))
        if "local_spi" in row:
            assert ours[tunnel_id]["ike_spi_local"] == row["local_spi"].upper()


# genie (26.9) raises on IPv6 "show crypto ipsec sa" (its Crypto map tag pattern takes IPv4 only), finds no
# SA in the ISAKMP "slot" column or one-field-per-line layouts, and leaves the addresses of IPv6 IKEv2 detail
# rows (Local/Remote on lines of their own) without ports and subnets: compared where genie reads them.


# dmvpn_hub.txt is left out: genie's schema refuses its IPv6 NHRP section.
@pytest.mark.parametrize("source", ["dmvpn/dmvpn_incomplete_unknown.txt", "dmvpn/dmvpn_spokes_indented.txt"])
def test_dmvpn_agrees(device, source):
    text = fixture(source)
    theirs = set()
    for interface, body in device.parse("show dmvpn", output=text)["interfaces"].items():
        for entries, ent in body["ent"].items():
            for nbma, peer in ent["peers"].items():
                for tunnel, attrs in peer["tunnel_addr"].items():
                    for attrb, row in attrs["attrb"].items():
                        theirs.add((interface, int(entries), None if nbma == "UNKNOWN" else
                                    str(ipaddress.ip_address(nbma)), str(ipaddress.ip_address(tunnel)), attrb,
                                    row["state"], row["time"]))
    ours = {(p["interface"], p["entries"], p["nbma"], p["tunnel_addr"], p["attrb"], p["state"], p["uptime"])
            for p in parse_dmvpn(text)}
    assert ours == theirs


def test_ikev2_detail_remote_subnets_agree(device):
    text = fixture("ike/ikev2_sa_detail_flexvpn.txt")
    ours = {r["tunnel_id"]: r for r in parse_ike_sas(text)}
    theirs = device.parse("show crypto ikev2 sa detail", output=text)["tunnel_id"]
    assert sorted(int(t) for t in theirs) == sorted(ours)
    for tunnel_id, row in theirs.items():
        mine = ours[int(tunnel_id)]
        local, remote = row["local"].split("/"), row["remote"].split("/")
        assert (str(ipaddress.ip_address(local[0])), str(ipaddress.ip_address(remote[0])), row["status"].upper()) == (
            mine["local"], mine["remote"], mine["status"])
        if len(local) == 2:
            # genie keeps the ports and the subnets only for the one-line (IPv4) rows.
            assert (int(local[1]), int(remote[1])) == (mine["local_port"], mine["remote_port"])
            assert [subnet_prefix(s) for s in row["remote_subnets"]] == mine["remote_subnets"]
