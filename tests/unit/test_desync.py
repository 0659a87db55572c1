import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError
from ansible_collections.netops.ipsec_spi.plugins.module_utils.desync import spi_desync


def sa(peer, local, inbound, outbound):
    return {"interface": "Tunnel0", "peer": peer, "local_addr": local, "inbound_spis": inbound,
            "outbound_spis": outbound, "current_outbound_spi": outbound[-1] if outbound else None}


def flow(src, dst, spi, status="persistent"):
    return {"host": "x", "src": src, "dst": dst, "spi": spi, "status": status}


def fleet(b_inbound, a_outbound, flows):
    return {
        "A": {"addresses": ["10.1.1.1"], "sas": [sa("10.10.1.2", "10.1.1.1", [0x1111], a_outbound)], "flows": []},
        "B": {"addresses": ["10.10.1.2"], "sas": [sa("10.1.1.1", "10.10.1.2", b_inbound, [0x1111])], "flows": flows},
    }


def test_confirmed_when_sender_still_uses_spi_receiver_lacks_it():
    out = spi_desync(fleet([0x2222], [0x1DB73BBB], [flow("10.1.1.1", "10.10.1.2", 0x1DB73BBB)]))
    assert len(out) == 1
    v = out[0]
    assert (v["receiver"], v["sender"], v["verdict"]) == ("B", "A", "confirmed")
    assert v["sender_addr"] == "10.1.1.1" and v["receiver_addr"] == "10.10.1.2"
    assert any("is among A's outbound" in e for e in v["evidence"])


def test_resolved_when_sender_no_longer_has_spi():
    out = spi_desync(fleet([0x2222], [0x3333], [flow("10.1.1.1", "10.10.1.2", 0x1DB73BBB)]))
    assert out[0]["verdict"] == "resolved"


def test_resolved_when_receiver_now_has_spi():
    out = spi_desync(fleet([0x1DB73BBB], [0x1DB73BBB], [flow("10.1.1.1", "10.10.1.2", 0x1DB73BBB)]))
    assert out[0]["verdict"] == "resolved"


def test_unverified_when_sender_not_in_inventory():
    out = spi_desync(fleet([0x2222], [0x1111], [flow("192.0.2.9", "10.10.1.2", 0x44A4038)]))
    assert out[0]["verdict"] == "unverified" and out[0]["sender"] is None


def test_one_verdict_per_receiver_sender_spi():
    flows = [flow("10.1.1.1", "10.10.1.2", 7), flow("10.1.1.1", "10.10.1.2", 7, "transient")]
    assert len(spi_desync(fleet([1], [7], flows))) == 1


def test_shared_address_does_not_name_a_sender():
    data = fleet([1], [7], [flow("10.1.1.1", "10.10.1.2", 7)])
    data["C"] = {"addresses": ["10.1.1.1"], "sas": [], "flows": []}
    assert spi_desync(data)[0]["verdict"] == "unverified"


@pytest.mark.parametrize(
    "bad",
    [None, [], "x", {"B": []}, {"B": {"sas": "no"}}, {"B": {"flows": [1]}}, {"B": {"flows": [{"src": "nope", "spi": 1}]}}],
)
def test_bad_input_is_a_parse_error(bad):
    with pytest.raises(ParseError):
        spi_desync(bad)
