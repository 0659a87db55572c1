"""The store (issue 27): claims per second and the p95 latency of one claim with 1, 4 and 16 concurrent writers on
each backend, and the store's size after 1,000,000 recorded actions.

A claim is what the remediate role does per batch: one write transaction that reads the cool-downs of its
routers, decides, and writes one claim (SQLite: BEGIN IMMEDIATE; PostgreSQL: advisory locks on the pair and the
run). Each writer is its own process with its own connection, claiming its own pairs, as overlapping runs and job
slices do. PostgreSQL is a throwaway server started by scripts/pg-dev.sh (skipped when not installed).

    python benchmarks/bench_store.py [--claims 200] [--actions 1000000]
"""
import argparse
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, ".tmp", "collections"))

# pylint: disable=wrong-import-position
from ansible_collections.netops.ipsec_spi.plugins.module_utils.store import open_store  # noqa: E402

WRITERS = (1, 4, 16)


def _writer(location, writer, claims, start, out):
    with open_store(location) as store:
        start.wait()
        latencies = []
        for n in range(claims):
            host, peer = "w%d-r%d" % (writer, n), "10.%d.%d.%d" % (writer, n // 250, n % 250)

            def decide(entries, now, host=host, peer=peer):
                wanted = {"host": host, "peer": peer, "action": "clear_sa", "receiver": "hub", "sender_addr": peer,
                          "spi": n, "command": "clear crypto sa peer %s" % peer}
                return None, ([] if "%s|%s" % (host, peer) in entries else [wanted])
            began = time.perf_counter()
            store.claim("bench-%d" % writer, 3600.0, ["run:bench-%d" % writer, "peer:%s|%s" % (host, peer)], decide,
                        [host, "hub-%d" % writer])
            latencies.append(time.perf_counter() - began)
        out.put(latencies)


def claims_run(location, writers, claims):
    ctx = multiprocessing.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(location, w, claims, start, out)) for w in range(writers)]
    for proc in procs:
        proc.start()
    time.sleep(0.5)  # every writer connected before the clock starts
    began = time.perf_counter()
    start.set()
    latencies = []
    for _proc in procs:
        latencies += out.get(timeout=900)
    took = time.perf_counter() - began
    for proc in procs:
        proc.join(60)
    latencies.sort()
    return len(latencies) / took, latencies[int(0.95 * (len(latencies) - 1))]


def size_of(location):
    if "://" in location:
        with open_store(location) as store:
            return int(store.conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])
    return sum(os.path.getsize(location + suffix) for suffix in ("", "-wal") if os.path.exists(location + suffix))


def fill(location, total, batch=20000):
    began = time.perf_counter()
    with open_store(location) as store:
        store.prepare()
        epoch = time.time() - 80 * 86400
        for first in range(0, total, batch):
            rows = [{"run_id": "run-%d" % (n // 20), "receiver": "r%d" % (n % 5000), "peer": "10.%d.%d.%d" % (
                n % 200, (n // 200) % 250, n % 250), "action": ("clear_sa", "clear_session", "enable_recovery")[n % 3],
                "command": "clear crypto sa peer 10.%d.%d.%d" % (n % 200, (n // 200) % 250, n % 250),
                "epoch": epoch + n * 6.0, "outcome": ("fixed", "still_broken", "not_verified", "failed")[n % 4]}
                for n in range(first, min(first + batch, total))]
            store.record_actions(rows)
        if "://" not in location:
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            store.conn.execute("VACUUM ANALYZE actions")
    return time.perf_counter() - began


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--claims", type=int, default=200, help="claims per writer (default 200)")
    parser.add_argument("--actions", type=int, default=1000000, help="recorded actions for the size (default 1,000,000)")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="ipsec-spi-bench.", dir="/tmp")
    # Its own folder: the postgres user must reach it (mkdtemp's are private to us).
    pg_dir = tempfile.mkdtemp(prefix="ipsec-spi-pg.", dir="/tmp")
    backends = [("sqlite", lambda name: os.path.join(work, name + ".sqlite3"))]
    admin = None
    try:
        try:
            admin = subprocess.run(["bash", os.path.join(ROOT, "scripts", "pg-dev.sh"), "start", pg_dir], check=True,
                                   capture_output=True, text=True, timeout=120).stdout.split()[-1]
        except (subprocess.CalledProcessError, OSError) as exc:
            print("PostgreSQL: skipped (%s)" % getattr(exc, "stderr", exc))
        if admin:
            import psycopg  # pylint: disable=import-outside-toplevel

            def pg(name, admin=admin):
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute("CREATE DATABASE %s" % name)
                return admin.rsplit("/", 1)[0] + "/" + name
            backends.append(("postgresql", pg))
        print("%-11s %8s %12s %14s" % ("backend", "writers", "claims/s", "p95 claim ms"))
        for backend, make in backends:
            for writers in WRITERS:
                location = make("claims_%d" % writers)
                with open_store(location) as store:
                    store.prepare()
                rate, p95 = claims_run(location, writers, args.claims)
                print("%-11s %8d %12.0f %14.1f" % (backend, writers, rate, p95 * 1000), flush=True)
        for backend, make in backends:
            location = make("size")
            took = fill(location, args.actions)
            size = size_of(location)
            print("%s: %d recorded actions in %.0f s (batches of 20,000), store size %.1f MB (%.0f bytes/action)"
                  % (backend, args.actions, took, size / 1e6, size / max(args.actions, 1)), flush=True)
    finally:
        if admin:
            subprocess.run(["bash", os.path.join(ROOT, "scripts", "pg-dev.sh"), "stop", pg_dir], check=False,
                           capture_output=True, timeout=120)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(pg_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
