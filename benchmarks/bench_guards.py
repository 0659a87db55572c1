"""The time budgets the unit tests used to assert, measured here instead (the tests keep n-versus-8n guards).

Each line: the case, its budget in seconds (the old test's), the best of three wall-clock runs, OK or OVER.
Exit 1 if any is over its budget. Run on a quiet machine: `make bench` (or `bash scripts/bench.sh guards`).
"""
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, ".tmp", "collections"))
sys.path.insert(0, os.path.join(ROOT, "tests", "unit"))

# pylint: disable=wrong-import-position
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, is_unsupported  # noqa: E402
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.dmvpn import parse_dmvpn  # noqa: E402
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ike import parse_ike_sas  # noqa: E402
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ipsec_sa import parse_ipsec_sas  # noqa: E402
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.qfp import (  # noqa: E402
    parse_qfp_drops, parse_qfp_ipsec_drops)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.session import parse_crypto_sessions  # noqa: E402
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report import build_report, render_all  # noqa: E402
from report_support import make_fleet  # noqa: E402

PARSERS = [parse_qfp_drops, parse_qfp_ipsec_drops, parse_ipsec_sas, parse_ike_sas, parse_crypto_sessions, parse_dmvpn]


def best(func, rounds=3):
    out = float("inf")
    for _round in range(rounds):
        start = time.perf_counter()
        func()
        out = min(out, time.perf_counter() - start)
    return out


def parse_all(text):
    for parser in PARSERS:
        try:
            parser(text, [])
        except ParseError:
            pass


def main():
    blank = "\n" * 200_000
    spis = "\n".join(["interface: Tunnel1", "current_peer 10.0.0.2 port 500", "inbound esp sas:"] +
                     ["spi: 0x%X(%d)" % (n, n) for n in range(1, 70_001)] + ["outbound esp sas:", "spi: 0x1(1)"])
    huge = "interface: Tunnel1\n#pkts encaps: " + " " * 1_000_000 + "x\n"
    long_lines = "\n".join(["#pkts encaps " + " a" * 2000, "Crypto map tag: " + " ," * 2000,
                            "1 " + " 1.1.1.1" * 500, "local ident (" + "a/" * 2000] * 63)
    fleet = make_fleet(200)
    cases = [
        ("is_unsupported, 200,000 blank lines (twice)", 2.0,
         lambda: (is_unsupported(blank), is_unsupported(blank + "% Invalid input detected at '^' marker."))),
        ("parse_ipsec_sas, 70,000 SPIs in one block", 5.0, lambda: parse_ipsec_sas(spis)),
        ("six table parsers, a 1 MB line", 5.0 * len(PARSERS), lambda: parse_all(huge)),
        ("six table parsers, 252 lines near the limit", 5.0 * len(PARSERS), lambda: parse_all(long_lines)),
        ("report, 200 routers, four files", 5.0, lambda: render_all(build_report(fleet))),
    ]
    status = 0
    for name, budget, func in cases:
        took = best(func)
        over = took > budget
        status |= over
        print("%-48s budget %5.1f s  best %6.3f s  %s" % (name, budget, took, "OVER" if over else "OK"))
    return status


if __name__ == "__main__":
    sys.exit(main())
