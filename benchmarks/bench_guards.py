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
sys.path.insert(0, os.path.join(ROOT, "tests"))  # hypothesis_profiles, for test_config_properties' generator

# pylint: disable=wrong-import-position
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, is_unsupported  # noqa: E402
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.dmvpn import parse_dmvpn  # noqa: E402
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ike import parse_ike_sas  # noqa: E402
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ipsec_sa import parse_ipsec_sas  # noqa: E402
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.qfp import (  # noqa: E402
    parse_qfp_drops, parse_qfp_ipsec_drops)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config import (  # noqa: E402
    parse_crypto_inventory)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.session import parse_crypto_sessions  # noqa: E402
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog import parse_events  # noqa: E402
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


def tolerant(parser, text):
    try:
        parser(text, [])
    except ParseError:
        pass


def config_lines():
    lines = ["interface " + "A" * (1 << 20), "crypto map " + "M 1 " * (1 << 18), " set peer " + "1" * (1 << 20),
             "password " * (1 << 17), "banner motd " + "x" * (1 << 20), "ip nhrp map " + "1.1.1.1 " * (1 << 17),
             "\t" * (1 << 20) + "x"]
    tunnels = ["crypto ipsec profile P"]
    for i in range(2000):
        tunnels += ["interface Tunnel%d" % i, " tunnel destination 10.0.%d.%d" % (i // 250, i % 250 + 1),
                    " tunnel protection ipsec profile P"]
    banners = "".join("banner motd %s\n" % chr(0x4E00 + i) for i in range(20000))
    return lines, "\n".join(tunnels), banners


def syslog_lines():
    head = "Sep  2 13:00:00: %CRYPTO-4-RECVD_PKT_INV_SPI: "
    body = "decaps: rec'd IPSEC packet has invalid spi for destaddr=10.10.1.2, prot=50, spi=0x1DB73BBB(498547643), srcaddr=10.1.1.1"
    return [head + "destaddr=" * 120000, head + "1:" * 500000, "1:" * 500000 + " %CRYPTO-4-RECVD_PKT_INV_SPI: " + body,
            "Sep  2 " + "0" * 1000000 + "%CRYPTO-4-RECVD_PKT_INV_SPI: " + body, head + "destaddr=" + "1" * 1000000,
            "%CRYPTO-4-RECVD_PKT_INV_SPI" * 40000]


def generated_configs():
    # tests/unit/test_config_properties.py's generator: 600 configs covering every tunnel kind.
    import random  # pylint: disable=import-outside-toplevel

    from test_config_properties import build_config, check  # pylint: disable=import-outside-toplevel
    rnd = random.Random(7)
    for _config in range(600):
        check("\n".join(build_config(rnd, ["ZQsecret"])))


def main():
    blank = "\n" * 200_000
    spis = "\n".join(["interface: Tunnel1", "current_peer 10.0.0.2 port 500", "inbound esp sas:"] +
                     ["spi: 0x%X(%d)" % (n, n) for n in range(1, 70_001)] + ["outbound esp sas:", "spi: 0x1(1)"])
    huge = "interface: Tunnel1\n#pkts encaps: " + " " * 1_000_000 + "x\n"
    long_lines = "\n".join(["#pkts encaps " + " a" * 2000, "Crypto map tag: " + " ," * 2000,
                            "1 " + " 1.1.1.1" * 500, "local ident (" + "a/" * 2000] * 63)
    fleet = make_fleet(200)
    config_long, config_tunnels, config_banners = config_lines()
    slashes = "1.1.1.1/" * 500
    syslog_texts = syslog_lines()
    cases = [
        ("is_unsupported, 200,000 blank lines (twice)", 2.0,
         lambda: (is_unsupported(blank), is_unsupported(blank + "% Invalid input detected at '^' marker."))),
        ("parse_ipsec_sas, 70,000 SPIs in one block", 5.0, lambda: parse_ipsec_sas(spis)),
        ("six table parsers, a 1 MB line", 5.0 * len(PARSERS), lambda: parse_all(huge)),
        ("six table parsers, 252 lines near the limit", 5.0 * len(PARSERS), lambda: parse_all(long_lines)),
        ("report, 200 routers, four files", 5.0, lambda: render_all(build_report(fleet))),
        ("running config, seven 1 MB lines", 5.0 * 7,
         lambda: [tolerant(parse_crypto_inventory, line) for line in config_long]),
        ("running config, 2,000 tunnels", 5.0, lambda: parse_crypto_inventory(config_tunnels)),
        ("running config, 20,000 unclosed banners", 5.0, lambda: parse_crypto_inventory(config_banners, [])),
        ("running config, 600 generated configs", 10.0, generated_configs),
        ("crypto sessions, 250 tokens of 500 slashes", 1.0,
         lambda: parse_crypto_sessions("Interface: Tunnel1\n" + ("IKEv2 SA: local " + slashes + "1 remote 1/1 x\n") * 250,
                                       [])),
        ("IKE SAs, 250 tokens of 500 slashes", 1.0, lambda: parse_ike_sas(("1 " + slashes + "\n") * 250, [])),
        ("syslog, six adversarial 1 MB lines", 5.0 * 6,
         lambda: [parse_events(text, problems=[], year=2024) for text in syslog_texts]),
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
