"""`make demo-eda`: the Event-Driven Ansible loop on the lab in about a minute, told as a story.

    python lab/eda_demo.py [--dir DIR] [--keep]

Three simulated routers send syslog to the collection's invalid_spi event source inside a real
ansible-rulebook; a desync appears, the rulebook remediates just that pair, a repeat within the cool-down
is not cleared again. Logs (rulebook output, peer map, cool-down state) stay in DIR.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import eda_loop  # noqa: E402  pylint: disable=wrong-import-position
from labsim.client import start_lab  # noqa: E402  pylint: disable=wrong-import-position

T0 = time.monotonic()


def say(text: str, bold: bool = False) -> None:
    stamp = "%5.1fs" % (time.monotonic() - T0)
    print(("\033[1m%s  %s\033[0m" if bold and sys.stdout.isatty() else "%s  %s") % (stamp, text), flush=True)


def _logins(lab, router: str) -> int:
    return sum(1 for c in lab.state(router)["connections"] if c["event"] == "login")


def chapter(number: int, title: str) -> None:
    print(flush=True)
    say("[%d/6] %s" % (number, title), bold=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--dir", default=os.path.join(os.path.dirname(HERE), ".tmp", "demo-eda"))
    args = parser.parse_args(argv)
    problem = eda_loop.java_problem()
    if problem:
        print("demo-eda: %s" % problem, file=sys.stderr)
        return 2
    work = os.path.abspath(args.dir)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    state = os.path.join(work, "store.sqlite3")
    env = {"IPSEC_SPI_STORE": state}

    chapter(1, "Three simulated routers (lab/scenarios/eda.yml)")
    lab = start_lab(os.path.join(work, "lab"), scenario=os.path.join(HERE, "scenarios", "eda.yml"), speed=60)
    say("hub (C8000V) has an IKEv2 sVTI to spoke and a static crypto map to br; all in sync.")
    say("The lab's clock runs 60x: the router's once-a-minute INV_SPI message comes every second.")
    rulebook = None
    try:
        chapter(2, "The event source learns who is who (extensions/eda/playbooks/peer_map.yml)")
        peer_map = eda_loop.write_peer_map(lab.inventory, os.path.join(work, "peer_map.json"), env)
        for name, entry in sorted(peer_map["hosts"].items()):
            wan = [a for a in entry["addresses"] if a.startswith("198.51.100.")]
            say("%-6s addresses %-16s knows peers %s" % (name, ", ".join(wan), ", ".join(entry["peers"])))

        chapter(3, "ansible-rulebook -r netops.ipsec_spi.invalid_spi_remediate, routers send syslog to it")
        port = eda_loop.free_port()
        rulebook = eda_loop.Rulebook("netops.ipsec_spi.invalid_spi_remediate", lab.inventory, work, port,
                                     {"ipsec_spi_eda_peer_map": os.path.join(work, "peer_map.json"),
                                      "ipsec_spi_eda_min_arrival_span": 0.5}, env)  # the lab's clock runs 60x
        rulebook.wait_listening()
        say("the invalid_spi source listens on udp+tcp 127.0.0.1:%d" % port)
        eda_loop.point_syslog(lab, port)
        say("every router: logging host 127.0.0.1 transport udp port %d / logging origin-id hostname" % port)

        chapter(4, "Noise: a one-off INV_SPI (a rekey race) and a scanner nobody peers with")
        lab.log_inv_spi("hub", "br", 0x0C0FFEE1)
        lab.add_foreign("hub", "192.0.2.66", 0x0BADF00D, live=True)
        time.sleep(4)
        say("four simulated minutes later: %d syslog datagrams from hub, %d events, %d playbook runs" % (
            lab.state("hub")["syslog"]["sent"], len(rulebook.persistent_events()), rulebook.runs_finished()))
        say("(the single message is transient; 192.0.2.66 is foreign: reported by the audit, never remediated)")

        chapter(5, "A black hole: spoke loses its SAs, hub keeps sending with its old SPI")
        br_logins = _logins(lab, "br")
        desync = lab.start_desync("hub", "spoke")
        say("hub -> spoke, SPI 0x%08X; spoke logs %%CRYPTO-4-RECVD_PKT_INV_SPI once a minute" % desync["spi"])
        eda_loop.wait_for(rulebook.persistent_events, 60)
        event = rulebook.persistent_events()[0]
        say("source: %s (second message, >= 50 s apart: persistent)" % event.split("invalid_spi: ", 1)[1])
        say("rulebook: run_playbook netops.ipsec_spi.remediate, limited to spoke,hub")
        eda_loop.wait_for(lambda: eda_loop.clears(lab, "hub"), 120)
        say("hub received: %s" % eda_loop.clears(lab, "hub")[0])
        eda_loop.wait_for(lambda: rulebook.runs_finished() >= 1, 120)
        say("playbook done; out of sync now: %s; logins on br during the run: %d (not in the pair)" % (
            lab.desyncs() or "none", _logins(lab, "br") - br_logins))

        chapter(6, "It happens again within the cool-down")
        lab.start_desync("hub", "spoke")
        eda_loop.wait_for(lambda: rulebook.runs_finished() >= 2, 150)
        skip = re.search(r"hub: SKIP clear crypto sa peer [0-9.]+ \(([^)]*)\)", rulebook.output())
        say("source: a new persistent flow -> the rulebook runs the playbook again")
        say("remediate: SKIP (%s)" % (skip.group(1) if skip else "see %s" % rulebook.log_path))
        say("clears on hub in all: %d; the pair stays out of sync until the cool-down ends or a person acts" % len(
            eda_loop.clears(lab, "hub")))
        print(flush=True)
        say("Rulebook output: %s   cool-down state: %s" % (rulebook.log_path, state))
        return 0
    finally:
        if rulebook is not None:
            rulebook.stop()
        lab.stop()


if __name__ == "__main__":
    sys.exit(main())
