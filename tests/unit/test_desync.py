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


def test_judge_is_the_one_rule():
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.desync import CONFIRMED, RESOLVED, UNVERIFIED, judge
    assert judge(5, [1, 2], [5, 6]) == CONFIRMED
    assert judge(5, [5], [5]) == RESOLVED          # the receiver has it now
    assert judge(5, [1], [6]) == RESOLVED          # the sender no longer uses it
    assert judge(5, [1], None) == UNVERIFIED       # the sender was not read
    assert judge(5, [5], None) == RESOLVED


def test_sa_spis_keeps_table_order_and_the_current_outbound_spi():
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.desync import sa_spis
    sas = [{"peer": "10.0.0.1", "inbound_spis": [3, 1, 3], "outbound_spis": [9], "current_outbound_spi": 8},
           {"peer": "10.0.0.2", "inbound_spis": [7], "outbound_spis": [], "current_outbound_spi": None}]
    assert sa_spis(sas, None, "inbound") == [3, 1, 7]
    assert sa_spis(sas, "10.0.0.1", "outbound") == [9, 8]
    assert sa_spis(sas, "10.0.0.9", "outbound") == []


def test_address_book_ambiguity_and_fill_only_secondary():
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.desync import address_book
    book = address_book([("10.0.0.1", "a"), ("10.0.0.9", "a"), ("10.0.0.9", "b")],
                        [("10.0.0.1", "c"), ("10.0.0.2", "b"), ("10.0.0.3", "b"), ("10.0.0.3", "c")])
    assert book == {"10.0.0.1": "a", "10.0.0.2": "b"}
