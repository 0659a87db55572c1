# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time crypto_inventory (the running-config parser) per MB, against the tokenizing floor.

Inputs are generated here (fixed seed):

- tiny lines: over 1 MB of 1-3 character lines, three ways (whitespace-stripped,
  indented, comment lines), the case issue 17 found at 1.7 s/MB;
- a realistic big hub: a DMVPN and crypto-map hub with 3,000 tunnel
  interfaces, 1,500 crypto map entries, keyrings, profiles, routing, ACLs;
- adversarial, 1 MB each: unclosed banners, one 1 MB line, a secret on every
  line, a stripped config where every line needs the look-ahead, 12,000
  tunnels, and 1 MB of blank lines.

The peer is the tokenizing floor, measured on the same text in the same run:
``text.splitlines()`` and ``line.split()`` for every line, the least any
line-based config reader does. Times are CPU seconds of one core (best of 3),
which other load on the machine does not distort. Targets (issue 17, item 9):
< 1 s/MB on tiny lines and on the hub, < 1 s for every 1 MB adversarial input.
Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
COLLECTIONS = os.path.join(ROOT, ".tmp", "collections")
if os.path.isdir(COLLECTIONS) and COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError  # noqa: E402
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config import (  # noqa: E402
    parse_crypto_inventory,
)

SEED = 20261203
MB = 1 << 20
TARGET_S_PER_MB = 1.0
TARGET_ADVERSARIAL_S = 1.0


def tiny_stripped(size: int) -> str:
    rnd = random.Random(SEED)
    words = ["a", "b", "x", "!", "q", "z", "ab", "no"]
    out, total = ["hostname r"], 10
    while total < size:
        line = rnd.choice(words)
        out.append(line)
        total += len(line) + 1
    return "\n".join(out) + "\n"


def tiny_indented(size: int) -> str:
    rnd = random.Random(SEED + 1)
    out, total = [], 0
    while total < size:
        line = rnd.choice(["a", "b", " x", " y", "  z", "!", " !"])
        out.append(line)
        total += len(line) + 1
    return "\n".join(out) + "\n"


def tiny_comments(size: int) -> str:
    return "!\n" * (size // 2 + 1)


def hub(tunnels: int = 3000, maps: int = 1500) -> str:
    rnd = random.Random(SEED + 2)
    lines = ["Building configuration...", "", "Current configuration : 1234567 bytes", "!", "version 17.9",
             "service timestamps log datetime msec", "service password-encryption", "hostname big-hub", "!",
             "enable secret 9 $9$HubEnableSecret$abcdefghijklmnop", "username netops privilege 15 secret 9 $9$x$y",
             "!", "crypto isakmp invalid-spi-recovery", "crypto isakmp keepalive 10 3 periodic"]
    for index in range(200):
        lines += ["crypto keyring KR%d" % index,
                  "  pre-shared-key address 10.%d.%d.0 255.255.255.0 key Psk%08d" % (index // 250, index % 250, index),
                  "!"]
        lines.append("crypto isakmp key Wild%06d address 192.0.%d.%d" % (index, index // 250, index % 250 + 1))
    for index in range(20):
        lines += ["crypto isakmp profile IKP%d" % index, "   keyring KR%d" % index,
                  "   match identity address 10.%d.0.0 255.255.0.0" % index, "   keepalive 10 retry 2", "!",
                  "crypto ikev2 profile V2P%d" % index, " match identity remote address 10.%d.0.0 255.255.0.0" % index,
                  " authentication remote pre-share", " authentication local pre-share key V2k%06d" % index,
                  " dpd 10 3 periodic", "!"]
        lines += ["crypto ipsec profile IPP%d" % index, " set transform-set TS",
                  " set %s IKP%d" % ("isakmp-profile", index) if index % 2 else " set ikev2-profile V2P%d" % index, "!"]
    lines += ["crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac", " mode tunnel", "!",
              "crypto dynamic-map DYN 10", " set transform-set TS", "!"]
    for index in range(maps):
        lines += ["crypto map CMAP %d ipsec-isakmp" % (index + 1),
                  " description branch %d" % index,
                  " set peer 203.0.%d.%d" % (index // 250, index % 250 + 1),
                  " set transform-set TS",
                  " match address ACL%d" % index]
    lines += ["crypto map CMAP 65000 ipsec-isakmp dynamic DYN", "!"]
    for index in range(tunnels):
        mode = rnd.choice(["gre multipoint", "ipsec ipv4", "gre ip"])
        lines += ["interface Tunnel%d" % index, " description tunnel %d to site %d" % (index, index),
                  " ip address 172.%d.%d.1 255.255.255.252" % (16 + index // 65536, (index // 256) % 256),
                  " no ip redirects", " ip mtu 1400", " ip tcp adjust-mss 1360"]
        if mode == "gre multipoint":
            lines += [" ip nhrp authentication Nhrp%04d" % index, " ip nhrp map multicast dynamic",
                      " ip nhrp network-id %d" % index, " ip nhrp redirect"]
        else:
            lines.append(" tunnel destination 198.18.%d.%d" % (index // 250, index % 250 + 1))
        lines += [" tunnel source GigabitEthernet1", " tunnel mode %s" % mode, " tunnel key %d" % index,
                  " tunnel protection ipsec profile IPP%d" % (index % 20), "!"]
    for index in range(8):
        lines += ["interface GigabitEthernet%d" % index, " description uplink %d" % index,
                  " ip address 198.51.%d.1 255.255.255.0" % index, " negotiation auto"]
        if index == 1:
            lines.append(" crypto map CMAP")
        lines.append("!")
    lines += ["router bgp 65000", " bgp log-neighbor-changes"]
    for index in range(2000):
        lines += [" neighbor 172.16.%d.%d remote-as 65%03d" % (index // 250, index % 250 + 2, index % 1000),
                  " neighbor 172.16.%d.%d password 7 %012X" % (index // 250, index % 250 + 2, index)]
    lines.append("!")
    for index in range(maps):
        lines += ["ip access-list extended ACL%d" % index,
                  " permit ip 10.%d.%d.0 0.0.0.255 10.200.%d.0 0.0.0.255" % (index // 250, index % 250, index % 250)]
    lines += ["!", "line vty 0 4", " password 7 0822455D0A16", " transport input ssh", "!", "end", ""]
    return "\n".join(lines)


def adversarial() -> dict:
    return {
        "unclosed banners": "".join("banner motd %s\n" % chr(0x4E00 + i % 20000) for i in range(MB // 14)),
        "one 1 MB line": "interface " + "A" * MB,
        "a secret on every line": "".join("username u%d password 0 Secret%d community %d\n" % (i, i, i)
                                          for i in range(MB // 44)),
        "stripped, look-ahead on every line": "".join(
            "interface G%d\ncrypto ipsec client ezvpn E\nconnect auto\n" % i for i in range(MB // 51)),
        "12,000 tunnels": "crypto ipsec profile P\n" + "".join(
            "interface Tunnel%d\n tunnel destination 10.%d.%d.1\n tunnel protection ipsec profile P\n"
            % (i, i // 250, i % 250) for i in range(12000)),
        "blank lines": "\n" * MB,
        "keyword soup": ("crypto map M 1 ipsec-isakmp set peer key password secret community md5 nhrp authentication\n"
                         * (MB // 92)),
    }


def cpu(func, repeat: int = 3) -> float:
    best = float("inf")
    for _run in range(repeat):
        start = time.process_time()
        func()
        best = min(best, time.process_time() - start)
    return best


def parse(text: str) -> None:
    try:
        parse_crypto_inventory(text, [])
    except ParseError:
        pass


def floor(text: str) -> None:
    for line in text.splitlines():
        line.split()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=MB + MB // 8, help="bytes of each tiny-lines input")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    failed = 0
    print("%-38s %9s %9s %9s %9s %8s  %s" % ("input", "MB", "ours s", "s/MB", "floor s", "x floor", "target"))
    per_mb = [("tiny lines, stripped", tiny_stripped(args.size)), ("tiny lines, indented", tiny_indented(args.size)),
              ("tiny lines, all '!'", tiny_comments(args.size)), ("realistic big hub", hub())]
    for name, text in per_mb:
        size = len(text.encode("utf-8")) / MB
        mine = cpu(lambda: parse(text), args.repeat)
        base = cpu(lambda: floor(text), args.repeat)
        verdict = "PASS" if mine / size < TARGET_S_PER_MB else "FAIL"
        failed += verdict == "FAIL"
        print("%-38s %9.2f %9.3f %9.3f %9.3f %7.1fx  < %.1f s/MB %s"
              % (name, size, mine, mine / size, base, mine / base, TARGET_S_PER_MB, verdict))
    result = parse_crypto_inventory(per_mb[-1][1])
    print("  (hub: %d tunnels classified)" % len(result["tunnels"]))
    for name, text in adversarial().items():
        size = len(text.encode("utf-8")) / MB
        mine = cpu(lambda: parse(text), args.repeat)
        base = cpu(lambda: floor(text), args.repeat)
        verdict = "PASS" if mine < TARGET_ADVERSARIAL_S else "FAIL"
        failed += verdict == "FAIL"
        print("%-38s %9.2f %9.3f %9.3f %9.3f %7.1fx  < %.1f s %s"
              % (name, size, mine, mine / size, base, mine / max(base, 1e-6), TARGET_ADVERSARIAL_S, verdict))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
