"""spi_desync and the fleet assessment over a generated 1,000-router fleet.

Each router has 4 peers with SAs; a tenth of the pairs are desynced and
logged as persistent flows. Target: spi_desync under a second.
"""
import random
import sys
import time

sys.path.insert(0, ".tmp/collections")

from ansible_collections.netops.ipsec_spi.plugins.module_utils.assess import assess_fleet  # noqa: E402
from ansible_collections.netops.ipsec_spi.plugins.module_utils.desync import spi_desync  # noqa: E402


def fleet(n, seed=7):
    rnd = random.Random(seed)
    addr = {i: "10.%d.%d.1" % (i // 250, i % 250) for i in range(n)}
    sas = {i: [] for i in range(n)}
    flows = {i: [] for i in range(n)}
    for i in range(n):
        for k in (1, 2):
            j = (i + k * 37) % n
            a_to_b, b_to_a = rnd.getrandbits(32), rnd.getrandbits(32)
            desync = rnd.random() < 0.1
            b_inbound = [rnd.getrandbits(32)] if desync else [a_to_b]
            sas[i].append({"interface": "Tunnel%d" % k, "peer": addr[j], "local_addr": addr[i], "inbound_spis": [b_to_a],
                           "outbound_spis": [a_to_b], "current_outbound_spi": a_to_b})
            sas[j].append({"interface": "Tunnel%d" % (k + 10), "peer": addr[i], "local_addr": addr[j], "inbound_spis": b_inbound,
                           "outbound_spis": [b_to_a], "current_outbound_spi": b_to_a})
            if desync:
                flows[j].append({"host": "r%d" % j, "src": addr[i], "dst": addr[j], "prot": 50, "spi": a_to_b,
                                 "spi_hex": "0x%08X" % a_to_b, "count": 3, "span_seconds": 120.0, "status": "persistent"})
    return {"r%d" % i: {"addresses": [addr[i]], "sas": sas[i], "flows": flows[i]} for i in range(n)}


def main():
    n = 1000
    data = fleet(n)
    start = time.perf_counter()
    verdicts = spi_desync(data)
    desync_s = time.perf_counter() - start
    facts = {h: {"inventory": {"tunnels": [], "dpd": {"ikev1": True, "ikev2": True}}, "addresses": d["addresses"],
                 "ipsec_sas": d["sas"], "flows": d["flows"]} for h, d in data.items()}
    start = time.perf_counter()
    result = assess_fleet(facts)
    assess_s = time.perf_counter() - start
    confirmed = sum(1 for v in verdicts if v["verdict"] == "confirmed")
    print("%-40s %10s %10s" % ("fleet of %d routers" % n, "seconds", "target"))
    print("%-40s %10.3f %10s  %s" % ("spi_desync (%d verdicts, %d confirmed)" % (len(verdicts), confirmed), desync_s, "< 1.0",
                                     "PASS" if desync_s < 1.0 else "FAIL"))
    print("%-40s %10.3f %10s" % ("assess_fleet (%d actions)" % result["summary"]["planned_actions"], assess_s, "-"))
    return 0 if desync_s < 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
