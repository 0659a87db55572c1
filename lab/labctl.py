"""Start, stop and steer the simulated IOS / IOS XE fleet (run with the project's venv python).

    labctl.py up [--scenario PATH] [--speed N] [--dir DIR] [--base-port P]
    labctl.py down [--dir DIR]
    labctl.py state ROUTER [--dir DIR]        JSON: running-config, SAs, counters, log, history, clock
    labctl.py advance SECONDS [--dir DIR]     move the virtual clock forward
    labctl.py fault ROUTER KIND [--match PREFIX] [--delay S]   KIND: none unreachable auth reject slow drop
    labctl.py configure ROUTER|all LINE...    type configuration lines (e.g. a `logging host` collector)
    labctl.py desync SENDER RECEIVER [--mode lost|replaced]   knock a healthy pair out of sync now
    labctl.py rekey SENDER RECEIVER           the pair re-keys now with new SPIs (heals it if out of sync)
    labctl.py inv-spi RECEIVER SRC SPI        log one INV_SPI message now (a transient)
    labctl.py foreign RECEIVER SRC SPI [--once]   a non-peer sender starts hitting RECEIVER
    labctl.py truth | desyncs | clock [--dir DIR]
    labctl.py serve ...                       the background process itself (used by `up`)
"""
import argparse
import errno
import json
import os
import signal
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from labsim.client import DEFAULT_SCENARIO, PORT_TAKEN, LabClient, LabError, start_lab, stop_lab  # noqa: E402

DEFAULT_DIR = os.path.join(os.path.dirname(HERE), ".tmp", "lab")


def port_range() -> tuple:
    """Where lab ports are chosen: below the kernel's ephemeral range, which every outgoing connection (an SSH
    client of another lab, say) takes its local port from, so a port found free stays free until bound."""
    low, high = 20000, 60000
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as handle:
            first = int(handle.read().split()[0])
        if first - low >= 4000:
            high = first
    except (OSError, ValueError, IndexError):
        pass
    return low, high


def free_base_port(count: int) -> int:
    """A base port with `count` free consecutive ports on 127.0.0.1."""
    import random
    import socket

    rng = random.Random(os.getpid())
    low, high = port_range()
    for _attempt in range(200):
        base = rng.randrange(low, high - count)
        ok = True
        for port in range(base, base + count):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise LabError("no range of %d free ports found" % count)


def serve(args: argparse.Namespace) -> int:
    import logging

    from labsim.build import ScenarioError, load_scenario
    from labsim.server import Lab

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # Probes and clients that hang up before the SSH handshake are normal here, not errors worth a traceback.
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)
    try:
        scenario = load_scenario(args.scenario)
        base = args.base_port or scenario.get("base_port") or free_base_port(len(scenario["routers"]))
        lab = Lab(scenario, speed=args.speed, directory=args.dir, base_port=int(base))
    except (ScenarioError, OSError, KeyError, TypeError, ValueError) as exc:
        print("scenario %s: %s" % (args.scenario, exc), flush=True)
        return 2
    try:
        lab.start()
    except OSError as exc:
        print("cannot start the lab: %s" % exc, flush=True)
        lab.stop()
        os._exit(PORT_TAKEN if exc.errno == errno.EADDRINUSE else 2)
    with open(os.path.join(args.dir, "lab.pid"), "w", encoding="utf-8") as handle:
        handle.write(str(os.getpid()))
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=lab.stop, daemon=True).start())
    signal.signal(signal.SIGINT, lambda *_: threading.Thread(target=lab.stop, daemon=True).start())
    print("lab up: %d routers from port %d, speed %s" % (len(lab.fleet.routers), base, args.speed), flush=True)
    while not lab.stopping.wait(1.0):
        pass
    for name in ("control.sock", "lab.pid"):
        try:
            os.unlink(os.path.join(args.dir, name))
        except OSError:
            pass
    os._exit(0)  # listener threads of fakenos are not daemons; the lab is stopped, so leave now


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--dir", default=os.environ.get("LAB_DIR", DEFAULT_DIR))
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("up", "serve"):
        p = sub.add_parser(name)
        p.add_argument("--scenario", default=DEFAULT_SCENARIO)
        p.add_argument("--speed", type=float, default=60.0, help="simulated seconds per real second (default 60)")
        p.add_argument("--base-port", type=int, default=0)
        p.add_argument("--dir", default=argparse.SUPPRESS)
    for name in ("down", "truth", "desyncs", "clock", "routers"):
        sub.add_parser(name).add_argument("--dir", default=argparse.SUPPRESS)
    p = sub.add_parser("state")
    p.add_argument("router")
    p.add_argument("--dir", default=argparse.SUPPRESS)
    p = sub.add_parser("advance")
    p.add_argument("seconds", type=float)
    p.add_argument("--dir", default=argparse.SUPPRESS)
    p = sub.add_parser("fault")
    p.add_argument("router")
    p.add_argument("kind", choices=["none", "unreachable", "auth", "reject", "slow", "drop"])
    p.add_argument("--match", default=None, help="command prefix the fault applies to")
    p.add_argument("--delay", type=float, default=None, help="seconds of delay for `slow`")
    p.add_argument("--dir", default=argparse.SUPPRESS)
    p = sub.add_parser("configure")
    p.add_argument("router", help="a router name, or `all`")
    p.add_argument("lines", nargs="+")
    p.add_argument("--dir", default=argparse.SUPPRESS)
    p = sub.add_parser("desync")
    p.add_argument("sender")
    p.add_argument("receiver")
    p.add_argument("--mode", choices=["lost", "replaced"], default="lost")
    p.add_argument("--dir", default=argparse.SUPPRESS)
    p = sub.add_parser("rekey")
    p.add_argument("sender")
    p.add_argument("receiver")
    p.add_argument("--dir", default=argparse.SUPPRESS)
    for name in ("inv-spi", "foreign"):
        p = sub.add_parser(name)
        p.add_argument("receiver")
        p.add_argument("src")
        p.add_argument("spi", type=lambda v: int(v, 0))
        if name == "foreign":
            p.add_argument("--once", action="store_true", help="one message, not one a minute")
        p.add_argument("--dir", default=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.dir = os.path.abspath(args.dir)
    try:
        if args.cmd == "serve":
            return serve(args)
        if args.cmd == "up":
            client = start_lab(args.dir, args.scenario, args.speed, args.base_port or None)
            print("lab up in %s: %d routers; inventory %s" % (args.dir, len(client.routers()), client.inventory))
            return 0
        if args.cmd == "down":
            print("lab stopped" if stop_lab(args.dir) else "no lab running in %s" % args.dir)
            return 0
        client = LabClient(args.dir)
        if args.cmd == "state":
            out = client.state(args.router)
        elif args.cmd == "advance":
            out = {"now": client.advance(args.seconds)}
        elif args.cmd == "fault":
            out = client.fault(args.router, args.kind, args.match, args.delay)
        elif args.cmd == "configure":
            names = [r["name"] for r in client.routers()] if args.router == "all" else [args.router]
            for name in names:
                client.configure(name, args.lines)
            out = {"configured": names}
        elif args.cmd == "desync":
            out = client.start_desync(args.sender, args.receiver, args.mode)
        elif args.cmd == "rekey":
            out = client.rekey(args.sender, args.receiver)
        elif args.cmd == "inv-spi":
            out = {"time": client.log_inv_spi(args.receiver, args.src, args.spi)}
        elif args.cmd == "foreign":
            out = {"time": client.add_foreign(args.receiver, args.src, args.spi, live=not args.once)}
        elif args.cmd == "truth":
            out = client.ground_truth
        elif args.cmd == "desyncs":
            out = client.desyncs()
        elif args.cmd == "routers":
            out = client.routers()
        else:
            out = client.clock()
        print(json.dumps(out, indent=2, default=str))
        return 0
    except LabError as exc:
        print("labctl: %s" % exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
