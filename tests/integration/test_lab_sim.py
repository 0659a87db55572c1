"""The lab's simulation: SPIs per pair, ground truth, rate limit, counters, clears and invalid-spi-recovery."""
from __future__ import annotations

import datetime
import re
import time
from collections import defaultdict

import pytest

from labsim.build import load_scenario
from labsim.client import DEFAULT_SCENARIO
from labsim.model import RATE_LIMIT
from labsim.sim import Fleet

INV = re.compile(r"RECVD_PKT_INV_SPI: .*destaddr=(?P<dst>[\d.]+), prot=50, spi=0x(?P<hex>[0-9A-F]+)\((?P<dec>\d+)\), "
                 r"srcaddr=(?P<src>[\d.]+)")
STAMP = re.compile(r"^(?:\d{6}: )?\*?(?P<mon>\w{3}) +(?P<day>\d+) (?:(?P<year>\d{4}) )?(?P<hms>\d\d:\d\d:\d\d\.\d{3}) UTC: ")


def events(log_lines):
    out = []
    for line in log_lines:
        m = INV.search(line)
        if not m:
            continue
        assert int(m.group("hex"), 16) == int(m.group("dec")), line
        t = STAMP.match(line)
        assert t, line
        when = datetime.datetime.strptime("%s %s %s %s" % (t.group("year") or "2026", t.group("mon"), t.group("day"),
                                                           t.group("hms")), "%Y %b %d %H:%M:%S.%f")
        out.append({"src": m.group("src"), "dst": m.group("dst"), "spi": int(m.group("dec")),
                    "epoch": when.replace(tzinfo=datetime.timezone.utc).timestamp()})
    return out


def flows(log_lines):
    by = defaultdict(list)
    for e in events(log_lines):
        by[(e["src"], e["spi"])].append(e["epoch"])
    return by


def sa_to(state, peer_addr):
    return next(s for s in state["sas"] if s["peer"] == peer_addr)


@pytest.fixture(scope="module")
def mlab(lab_factory):
    # Lab time moves only by advance(): each comparison sees exactly the simulated time it asked for.
    return lab_factory(speed=0)


def test_spis_consistent_across_pairs(lab):
    truth = lab.ground_truth["routers"]
    states = {name: lab.state(name) for name in truth}
    desynced = {(d["receiver"], d["sender_addr"]) for d in lab.desyncs()}
    pairs = 0
    for name, st in states.items():
        for sa in st["sas"]:
            if sa["peer_router"] is None:
                continue
            other = sa_to(states[sa["peer_router"]], st["address"])
            if (sa["peer_router"], st["address"]) in desynced:
                # name is the sender: the receiver lacks its outbound SPI
                assert sa["outbound_spi"] is not None
                assert other["inbound_spi"] != sa["outbound_spi"]
                continue
            if (name, sa["peer"]) in desynced:
                continue
            pairs += 1
            assert sa["outbound_spi"] == other["inbound_spi"], (name, sa)
            assert sa["inbound_spi"] == other["outbound_spi"], (name, sa)
    assert pairs >= 12


def test_default_scenario_covers_the_domain(lab):
    gt = lab.ground_truth
    routers = gt["routers"]
    assert len(routers) >= 12
    kinds = {(t["kind"], t["ike_version"], t["recovery"]) for r in routers.values() for t in r["tunnels"]}
    for kind in ("static_crypto_map", "dynamic_crypto_map", "p2p_gre", "mgre_static_nhrp", "mgre_dynamic_nhrp",
                 "svti", "dvti", "ezvpn_client"):
        assert any(k[0] == kind for k in kinds), kind
    assert any(k[1] == "ikev2" for k in kinds)
    assert any(not r["qfp"] and r["platform"] == "classic" for r in routers.values())
    assert any(r["dpd_missing"] for r in routers.values())
    assert any(r["knob"]["present"] and not r["knob"]["relevant"] and
               all(t["ike_version"] == "ikev2" for t in r["tunnels"]) for r in routers.values())
    spis = [s[k] for name in routers for s in lab.state(name)["sas"] for k in ("inbound_spi", "outbound_spi") if s[k]]
    assert any(spi >> 24 == 0xFF for spi in spis)
    verdicts = {d["verdict"] for d in gt["desync"]}
    assert {"confirmed", "unverified", "resolved"} <= verdicts
    assert {f["status"] for f in gt["flows"]} == {"persistent", "transient", "foreign"}


def test_ground_truth_matches_the_routers(lab):
    gt = lab.ground_truth
    live = {(d["receiver"], d["sender_addr"]): d for d in lab.desyncs()}
    for d in gt["desync"]:
        key = (d["receiver"], d["sender_addr"])
        if d["verdict"] in ("confirmed", "unverified"):
            assert key in live, key
            sender_state = lab.state(d["sender"]) if d["sender"] else None
            if sender_state:
                out = sa_to(sender_state, d["receiver_addr"])["outbound_spi"]
                assert out == live[key]["spi"]
                receiver_in = [s["inbound_spi"] for s in lab.state(d["receiver"])["sas"]]
                assert out not in receiver_in
        else:
            assert key not in live
    for f in gt["flows"]:
        state = lab.state(f["receiver"])
        seen = [times for (src, _spi), times in flows(state["log"]).items() if src == f["src"]]
        assert seen, f
        if f["status"] == "persistent":
            # Already persistent when the lab is up: two messages a minute or more apart.
            assert any(len(t) >= 2 and max(t) - min(t) >= 60 for t in seen), f
        elif f["status"] == "transient":
            assert all(len(t) == 1 for t in seen), f
        else:
            peers = {s["peer"] for s in state["sas"]}
            assert f["src"] not in peers, f
    hosts = {a["host"] for a in gt["actions"]}
    assert hosts <= set(gt["routers"])
    for a in gt["actions"]:
        if a["action"] == "enable_knob":
            assert gt["routers"][a["host"]]["knob"]["needed"]
            assert not lab.state(a["host"])["knob"]


def test_rate_limit_counters_and_flat_decaps(mlab):
    spoke2 = mlab.ground_truth["routers"]["spoke2"]["address"]
    dmhub = mlab.ground_truth["routers"]["dmhub"]["address"]
    before_r, before_s = mlab.state("dmhub"), mlab.state("spoke2")
    mlab.advance(600)
    after_r, after_s = mlab.state("dmhub"), mlab.state("spoke2")
    old = sum(len(t) for (src, _spi), t in flows(before_r["log"]).items() if src == spoke2)
    new = sum(len(t) for (src, _spi), t in flows(after_r["log"]).items() if src == spoke2)
    assert 9 <= new - old <= 13, (old, new)
    for log in (after_r["log"], mlab.state("hub1")["log"]):
        for key, times in flows(log).items():
            gaps = [b - a for a, b in zip(times, times[1:])]
            assert all(g >= 60 for g in gaps), (key, gaps)
    s_before, s_after = sa_to(before_s, dmhub), sa_to(after_s, dmhub)
    assert s_after["pkts_encaps"] - s_before["pkts_encaps"] >= 20 * 600
    assert sa_to(after_r, spoke2)["pkts_decaps"] == sa_to(before_r, spoke2)["pkts_decaps"] == 0
    grew = after_r["counters"]["qfp_drops"]["IpsecInput"]["packets"] - before_r["counters"]["qfp_drops"]["IpsecInput"]["packets"]
    assert grew >= 20 * 600
    assert after_r["counters"]["ipsec_drops"]["IN_US_V4_PKT_SA_NOT_FOUND_SPI"] >= grew
    # A healthy pair's receiver decapsulates what its sender encapsulates.
    spoke1 = mlab.ground_truth["routers"]["spoke1"]["address"]
    assert sa_to(after_r, spoke1)["pkts_decaps"] > sa_to(before_r, spoke1)["pkts_decaps"]


def test_clears_resync_pairs(mlab):
    gt = mlab.ground_truth["routers"]
    vti2, hub2, br4, dynhub = (gt[n]["address"] for n in ("vti2", "hub2", "br4", "dynhub"))
    old_out = sa_to(mlab.state("hub2"), vti2)["outbound_spi"]
    # Sender side: clear crypto sa peer <receiver>; receiver side: clear crypto session remote <sender>.
    mlab.cli("hub2", ["clear crypto sa peer %s" % vti2])
    mlab.cli("dynhub", ["clear crypto session remote %s" % br4])
    cleared_at = mlab.clock()["now"]
    live = {(d["receiver"], d["sender_addr"]) for d in mlab.desyncs()}
    assert ("vti2", hub2) not in live and ("dynhub", br4) not in live
    mlab.advance(300)
    for recv, send, recv_addr, send_addr in (("vti2", "hub2", vti2, hub2), ("dynhub", "br4", dynhub, br4)):
        r, s = mlab.state(recv), mlab.state(send)
        r_sa, s_sa = sa_to(r, send_addr), sa_to(s, recv_addr)
        assert s_sa["outbound_spi"] == r_sa["inbound_spi"] and r_sa["outbound_spi"] == s_sa["inbound_spi"]
        assert r_sa["pkts_decaps"] > 0
        late = [e for e in events(r["log"]) if e["src"] == send_addr and e["epoch"] > cleared_at + 1]
        assert late == [], late
    assert sa_to(mlab.state("hub2"), vti2)["outbound_spi"] != old_out
    assert "clear crypto sa peer %s" % vti2 in mlab.commands("hub2")
    # `clear crypto sa` without a peer re-keys every pair of that router.
    before = {s["peer"]: s["outbound_spi"] for s in mlab.state("hub2")["sas"]}
    mlab.cli("hub2", ["clear crypto sa"])
    after = {s["peer"]: s["outbound_spi"] for s in mlab.state("hub2")["sas"]}
    assert all(after[p] != before[p] for p in before)


def test_knob_recovers_supported_kinds_only(mlab):
    gt = mlab.ground_truth["routers"]
    br2, ext, spoke2 = gt["br2"]["address"], "203.0.113.77", gt["spoke2"]["address"]
    mlab.advance(300)                       # without the knob nothing recovers by itself
    live = {(d["receiver"], d["sender_addr"]) for d in mlab.desyncs()}
    assert {("hub1", br2), ("hub1", ext), ("dmhub", spoke2)} <= live
    out = mlab.cli("hub1", ["configure terminal", "crypto isakmp invalid-spi-recovery", "end",
                            "show running-config | include invalid-spi"])
    assert out[-1].strip() == "crypto isakmp invalid-spi-recovery"
    knob_at = mlab.clock()["now"]
    mlab.advance(150)
    live = {(d["receiver"], d["sender_addr"]) for d in mlab.desyncs()}
    assert ("hub1", br2) not in live                 # static crypto map, IKEv1: recovered
    assert ("hub1", ext) in live                      # IKEv2: the knob does not apply
    assert ("dmhub", spoke2) in live                  # dynamic NHRP: knob present, unsupported
    hub1 = mlab.state("hub1")
    last = max(e["epoch"] for e in events(hub1["log"]) if e["src"] == br2)
    assert knob_at <= last + 1 and last <= knob_at + 120
    assert sa_to(hub1, br2)["inbound_spi"] == sa_to(mlab.state("br2"), gt["hub1"]["address"])["outbound_spi"]


def test_destructive_commands_are_recorded(mlab):
    mlab.cli("gre1", ["show platform hardware qfp active statistics drop clear", "clear logging", ""])
    st = mlab.state("gre1")
    cmds = mlab.commands("gre1")
    assert "show platform hardware qfp active statistics drop clear" in cmds and "clear logging" in cmds
    assert st["counters"]["qfp_drops"]["Ipv4NoRoute"]["packets"] == 0
    assert st["log"] == []


def test_clock_runs_at_speed(mlab):
    assert mlab.clock()["speed"] == 0
    mlab.set_speed(60)
    try:
        started = time.monotonic()
        a = mlab.clock()
        time.sleep(0.5)
        b = mlab.clock()
        elapsed = time.monotonic() - started
    finally:
        mlab.set_speed(0)
    assert a["speed"] == 60
    # Bounded by the real time around the two readings, however long a loaded machine took for them.
    assert 0.5 * 60 <= b["now"] - a["now"] <= elapsed * 60
    frozen = mlab.clock()["now"]
    time.sleep(0.1)
    assert mlab.clock()["now"] == frozen


def test_ground_truth_agrees_with_crypto_inventory(lab):
    """The lab's per-router expectations and the collection's config parser describe the same tunnels."""
    config = pytest.importorskip("ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config")
    for name, truth in lab.ground_truth["routers"].items():
        inv = config.parse_crypto_inventory(lab.state(name)["running_config"])
        got = sorted((t["name"], t["kind"], t["ike_version"], t["recovery"]) for t in inv["tunnels"])
        exp = sorted((t["name"], t["kind"], t["ike_version"], t["recovery"]) for t in truth["tunnels"])
        assert got == exp, name
        assert inv["invalid_spi_recovery"] == truth["knob"]["present"], name
        assert inv["dpd"] == truth["dpd"], name


def test_a_long_jump_equals_waiting_and_live_flows_keep_logging():
    """Issue 23: after a jump of hours each flow used to fill the buffer on its own, the last one in the list
    (hub1's foreign sender) pushing every desync out, so a pair `desyncs` listed as live logged nothing."""
    scenario = load_scenario(DEFAULT_SCENARIO)
    jumped, waited = Fleet(scenario, speed=0), Fleet(scenario, speed=0)
    hours = 12
    jumped.clock.advance(hours * 3600)
    jumped.sync()
    for _step in range(hours * 3600 // 45):
        waited.clock.advance(45)
        waited.sync()
    now = jumped.clock.now()
    assert waited.clock.now() == now
    for name, router in jumped.routers.items():
        # the same lines; the epochs only to float rounding (thousands of additions against one)
        assert [line for _t, line in router.log] == [line for _t, line in waited.routers[name].log], name
        assert router.logged_total == waited.routers[name].logged_total, name
        stamps = [epoch for epoch, _line in router.log]
        assert stamps == sorted(stamps), name
    live = jumped.desyncs()
    assert live
    for d in live:
        times = flows([line for _t, line in jumped.routers[d["receiver"]].log]).get((d["sender_addr"], d["spi"]), [])
        # once a minute of lab time (plus the jitter), to the end
        assert times and now - max(times) <= RATE_LIMIT + 3, d
        assert len(times) >= 100, d


def test_a_taken_port_is_reported_as_such(tmp_path):
    """start_lab starts again on other ports only for this status: a port taken between the check and the bind."""
    import socket
    import subprocess
    import sys

    from labsim.client import LABCTL, PORT_TAKEN

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run([sys.executable, LABCTL, "serve", "--dir", str(tmp_path), "--base-port", str(port)],
                              capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == PORT_TAKEN, proc.stdout + proc.stderr
    assert "cannot start the lab" in proc.stdout
