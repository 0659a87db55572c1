"""The store's contract on both backends (issue 27): a real SQLite file and a real PostgreSQL server.

What the JSON state got wrong must not come back: a clear is claimed (cool-down and budget checked in
the same transaction) before it is sent and marked after; overlapping runs and job slices never clear a
pair twice; a run killed between claim and record leaves a visible claim that holds the cool-down and
expires by rule; every unusable store is refused naming it, its password masked.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils import remediate
from ansible_collections.netops.ipsec_spi.plugins.module_utils.store import StoreError, mask, open_store
from ansible_collections.netops.ipsec_spi.plugins.module_utils.store.lifecycle import describe_open_claims, open_for_run
from ansible_collections.netops.ipsec_spi.plugins.module_utils.store.schema import SCHEMA_VERSION

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".tmp", "collections")


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "store" / "store.sqlite3")
    return request.getfixturevalue("pg_url")


def pair(i):
    """Router s<i> clears its SAs to peer 10.1.<i>.1 (router r<i>), whose re-read proves the desync."""
    host, receiver, peer, sender_addr = "s%d" % i, "r%d" % i, "10.1.%d.1" % i, "10.2.%d.1" % i
    action = {"action": "clear_sa", "host": host, "peer": peer, "spi": 1, "receiver": receiver, "receiver_addr": peer,
              "sender_addr": sender_addr, "decision": "run", "command": "clear crypto sa peer %s" % peer}
    sas = {host: [{"peer": peer, "inbound_spis": [2], "outbound_spis": [1], "current_outbound_spi": 1}],
           receiver: [{"peer": sender_addr, "inbound_spis": [5], "outbound_spis": [2], "current_outbound_spi": 2}]}
    reading = {"results": [{"item": h, "ansible_facts": {"ipsec_spi": {"ipsec_sas": s}}} for h, s in sas.items()]}
    return host, remediate.todo(host, [action]), reading


def claim(location, run_id, pairs, max_clears=None, cooldown=3600.0):
    """One batch's claim: (claimed host|peer keys, skip reasons)."""
    todos, readings = {}, {}
    for i in pairs:
        host, todo, reading = pair(i)
        todos[host], readings[host] = todo, reading
    with open_store(location) as store:
        store.prepare()
        final, _now = remediate.claim_in(store, todos, readings, cooldown, run_id, max_clears=max_clears)
    actions = [a for t in final.values() for a in t["actions"]]
    return (sorted("%s|%s" % (a["host"], a["peer"]) for a in actions if a["decision"] == "run"),
            [a["skip_reason"] for a in actions if a["decision"] == "skip"])


def finish(location, run_id, keys, cleared=True):
    with open_store(location) as store:
        return store.finish(run_id, [tuple(k.split("|")) + (cleared,) for k in keys], time.time())


def statuses(location, run_id):
    with open_store(location) as store:
        return {"%s|%s" % (c["host"], c["peer"]): c["status"] for c in store.run_clears(run_id)}


# --------------------------------------------------------------------------------------------------
# Claims: cool-down, budget, written before the clear
# --------------------------------------------------------------------------------------------------

def test_a_claim_is_written_before_the_clear_and_marked_after(location):
    won, skipped = claim(location, "A", [1])
    assert won == ["s1|10.1.1.1"] and skipped == []
    assert statuses(location, "A") == {"s1|10.1.1.1": "claimed"}
    assert finish(location, "A", won) == []
    assert statuses(location, "A") == {"s1|10.1.1.1": "cleared"}
    # Another run within the cool-down skips it, saying why; the same run too.
    won, skipped = claim(location, "B", [1])
    assert won == [] and "another run (A)" in skipped[0] and "cool-down" in skipped[0]
    won, skipped = claim(location, "A", [1])
    assert won == [] and "already cleared in this run" in skipped[0]
    # Out of its cool-down (by rule), it may be cleared again.
    won, _skipped = claim(location, "C", [1], cooldown=0.001)
    assert won == ["s1|10.1.1.1"]


def test_a_clear_not_made_gives_its_peer_back(location):
    won = claim(location, "A", [1])[0]
    assert finish(location, "A", won, cleared=False) == []
    assert statuses(location, "A") == {"s1|10.1.1.1": "not_cleared"}
    assert claim(location, "B", [1])[0] == ["s1|10.1.1.1"]


def test_the_budget_is_counted_in_the_store_across_batches(location):
    won, skipped = claim(location, "A", [1, 2, 3], max_clears=2)
    assert len(won) == 2 and "limit of 2 clears" in skipped[0]
    finish(location, "A", won)
    won, skipped = claim(location, "A", [4], max_clears=2)
    assert won == [] and "limit of 2 clears" in skipped[0]


def test_a_finish_without_a_claim_is_reported(location):
    claim(location, "A", [1])
    with open_store(location) as store:
        assert store.finish("A", [("s9", "10.1.9.1", True)], time.time()) == [("s9", "10.1.9.1")]


# --------------------------------------------------------------------------------------------------
# Concurrency: real processes
# --------------------------------------------------------------------------------------------------

def _claimer(location, run_id, pairs, max_clears, out):
    try:
        out.put((run_id, claim(location, run_id, pairs, max_clears=max_clears)[0]))
    except Exception as exc:  # pylint: disable=broad-except
        out.put((run_id, "error: %s" % exc))


def _together(location, jobs):
    with open_store(location) as store:
        store.prepare()
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_claimer, args=(location,) + job + (out,)) for job in jobs]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=120) for _proc in procs]
    for proc in procs:
        proc.join(30)
    assert not [r for r in results if isinstance(r[1], str)], results
    return results


def test_runs_claiming_the_same_pair_at_once_exactly_one_wins(location):
    results = _together(location, [("run%d" % n, [1, 2], None) for n in range(4)])
    won = sorted(k for _run, keys in results for k in keys)
    assert won == ["s1|10.1.1.1", "s2|10.1.2.1"], results


def test_the_budget_holds_across_three_concurrent_slices(location):
    slices = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    results = _together(location, [("sliced", pairs, 4) for pairs in slices])
    assert sum(len(keys) for _run, keys in results) == 4, results
    assert len(statuses(location, "sliced")) == 4


def _claim_then_hang(location, ready):
    claim(location, "killed", [1])
    ready.set()
    time.sleep(600)


def test_a_run_killed_between_claim_and_record(location):
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Event()
    proc = ctx.Process(target=_claim_then_hang, args=(location, ready))
    proc.start()
    try:
        assert ready.wait(60)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(30)
    # The claim is visible, holds the cool-down, and says what happened; nothing is cleared twice.
    assert statuses(location, "killed") == {"s1|10.1.1.1": "claimed"}
    won, skipped = claim(location, "next", [1])
    assert won == [] and "has not recorded the clear" in skipped[0] and "killed" in skipped[0]
    seen = open_for_run(location, time.time(), 3600, "next", hosts=["s1"])
    assert seen["open_claims"]["count"] == 1 and seen["state"]["s1|10.1.1.1"]["status"] == "claimed"
    assert "never recorded" in describe_open_claims(seen["open_claims"])
    # It expires by rule (its cool-down), and is pruned by retention with the rest.
    assert claim(location, "later", [1], cooldown=0.001)[0] == ["s1|10.1.1.1"]
    with open_store(location) as store:
        assert store.prune(time.time() + 1) == 2


# --------------------------------------------------------------------------------------------------
# Refusals, before the first clear, naming the store
# --------------------------------------------------------------------------------------------------

def test_a_newer_schema_is_refused(location):
    with open_store(location) as store:
        store.prepare()
        store.conn.execute("INSERT INTO schema_version (version, applied_at, what) VALUES (%d, 0, 'future')"
                           % (SCHEMA_VERSION + 1))
    with pytest.raises(StoreError) as err:
        open_for_run(location, time.time(), 3600)
    text = str(err.value)
    assert "schema version %d, newer" % (SCHEMA_VERSION + 1) in text and mask(location) in text
    with pytest.raises(StoreError):
        open_for_run(location, time.time(), 3600, check=True)


def test_a_corrupt_sqlite_file_is_refused_naming_it(tmp_path):
    path = tmp_path / "store.sqlite3"
    path.write_bytes(b"this is not a database, it is a JSON file or worse" * 100)
    with pytest.raises(StoreError) as err:
        open_for_run(str(path), time.time(), 3600)
    assert str(path) in str(err.value) and "not a usable SQLite database" in str(err.value)


def test_a_read_only_sqlite_file_is_refused_before_anything():
    folder = tempfile.mkdtemp(prefix="ipsec-spi-ro.", dir="/tmp")
    try:
        path = os.path.join(folder, "store.sqlite3")
        with open_store(path) as store:
            store.prepare()
        os.chmod(path, 0o444)
        os.chmod(folder, 0o755)
        code = ("import sys, time\nsys.path.insert(0, sys.argv[2])\n"
                "from ansible_collections.netops.ipsec_spi.plugins.module_utils.store.lifecycle import open_for_run\n"
                "try:\n    open_for_run(sys.argv[1], time.time(), 3600)\nexcept Exception as exc:\n    print(exc)\n")
        cmd = [sys.executable, "-c", code, path, COLLECTIONS]
        if os.getuid() == 0:
            # Root writes any file: read it as an unprivileged user, to whom it is truly read-only.
            if not os.path.exists("/usr/bin/python3"):
                pytest.skip("no /usr/bin/python3 to run as an unprivileged user")
            cmd = ["runuser", "-u", "nobody", "--", "/usr/bin/python3"] + cmd[1:]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False, cwd="/")
        assert "is read-only" in out.stdout and path in out.stdout, (out.stdout, out.stderr)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_a_directory_where_the_file_should_be_is_refused(tmp_path):
    with pytest.raises(StoreError) as err:
        open_for_run(str(tmp_path), time.time(), 3600)
    assert "is a directory" in str(err.value)


def test_wrong_credentials_are_refused_with_the_password_masked(pg_url):
    bad = pg_url.replace("postgres:", "postgres:Wr0ng-S3cret", 1)
    with pytest.raises(StoreError) as err:
        open_for_run(bad, time.time(), 3600)
    text = str(err.value)
    assert "credentials were refused" in text and "Wr0ng-S3cret" not in text and "postgres:***@" in text


def test_an_unreachable_database_is_refused_naming_it(pg_url):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = "postgresql://netops:s3cret@127.0.0.1:%d/ipsec" % port
    with pytest.raises(StoreError) as err:
        open_for_run(url, time.time(), 3600)
    text = str(err.value)
    assert "cannot be reached" in text and "s3cret" not in text and "netops:***@127.0.0.1:%d" % port in text


def test_the_database_going_away_mid_run_stops_further_clears(pg_url):
    won = claim(pg_url, "A", [1])[0]
    name = pg_url.rsplit("/", 1)[1]
    import psycopg  # the session server's admin database
    admin = pg_url.rsplit("/", 1)[0] + "/postgres"
    with open_store(pg_url) as store, psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("ALTER DATABASE %s ALLOW_CONNECTIONS false" % name)
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        # A connection cut under a run: its next statement fails naming the store.
        with pytest.raises(StoreError) as err:
            store.finish("A", [("s1", "10.1.1.1", True)], time.time())
        assert mask(pg_url) in str(err.value) and "recording the clears" in str(err.value)
    # The next batch cannot claim, so it clears nothing.
    with pytest.raises(StoreError) as err:
        claim(pg_url, "A", [2])
    assert "cannot connect to the store" in str(err.value) and pg_url.split("@")[0].split(":")[-1] not in str(err.value)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("ALTER DATABASE %s ALLOW_CONNECTIONS true" % name)
    assert statuses(pg_url, "A") == {"s1|10.1.1.1": "claimed"} and won == ["s1|10.1.1.1"]


def test_a_missing_psycopg_says_how_to_install_it():
    code = ("import sys\nsys.modules['psycopg'] = None\n"
            "from ansible_collections.netops.ipsec_spi.plugins.module_utils.store import open_store\n"
            "try:\n    open_store('postgresql://u:pw@127.0.0.1/db')\nexcept Exception as exc:\n    print(type(exc).__name__, exc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False,
                         env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert out.stdout.startswith("StoreError") and "pip install 'psycopg[binary]" in out.stdout, out


@pytest.mark.parametrize("text, shown", [
    ("postgresql://ops:p@ss:w0rd@db.example:5432/ipsec", "postgresql://ops:***@db.example:5432/ipsec"),
    ("host=db password=hunter2 user=x", "host=db password=*** user=x"),
    ("postgresql://db.example/ipsec?password=hunter2&sslmode=require", "postgresql://db.example/ipsec?password=***&sslmode=require"),
    ("/var/lib/store.sqlite3", "/var/lib/store.sqlite3"),
])
def test_passwords_are_masked(text, shown):
    assert mask(text) == shown


# --------------------------------------------------------------------------------------------------
# The old JSON state, retention, bounded results
# --------------------------------------------------------------------------------------------------

def test_the_json_state_is_imported_once_and_left_alone(location, tmp_path):
    now = time.time()
    legacy = tmp_path / "clear-state.json"
    legacy.write_text(json.dumps({"s1|10.1.1.1": {"time": now - 60, "run_id": "old", "receiver": "r1",
                                                  "sender_addr": "10.2.1.1", "spi": 1, "command": "clear crypto sa peer 10.1.1.1"}}))
    before = legacy.read_bytes(), os.stat(str(legacy)).st_mtime_ns
    # The dry run already honours it, without importing it.
    assert "s1|10.1.1.1" in open_for_run(location, now, 3600, check=True, legacy=str(legacy))["state"]
    seen = open_for_run(location, now, 3600, legacy=str(legacy))
    assert seen["imported"] == {"file": str(legacy), "entries": 1} and "s1|10.1.1.1" in seen["state"]
    won, skipped = claim(location, "new", [1])
    assert won == [] and "another run (old)" in skipped[0]
    # Imported once: the file changing later is not read again, and is never written.
    legacy.write_text(json.dumps({"s2|10.1.2.1": {"time": now - 60, "run_id": "old"}}))
    assert open_for_run(location, now, 3600, legacy=str(legacy))["imported"] is None
    assert claim(location, "new", [2])[0] == ["s2|10.1.2.1"]
    assert before[0] != legacy.read_bytes()  # only the test wrote it


def test_a_json_state_that_cannot_be_trusted_is_refused_naming_it(tmp_path):
    legacy = tmp_path / "clear-state.json"
    legacy.write_text('{"s1|10.1.1.1": {"time": 1.0,}')
    with pytest.raises(StoreError) as err:
        open_for_run(str(tmp_path / "s.sqlite3"), time.time(), 3600, legacy=str(legacy))
    assert str(legacy) in str(err.value) and "not valid JSON" in str(err.value)


def test_retention_prunes_and_the_open_result_stays_small(location):
    now = time.time()
    with open_store(location) as store:
        store.prepare()
        old = [{"run_id": "r%d" % n, "receiver": "r1", "peer": "10.1.1.%d" % (n % 250), "action": "clear_sa",
                "command": "clear crypto sa peer x", "epoch": now - 200 * 86400 + n, "outcome": "fixed"} for n in range(3000)]
        assert store.record_actions(old) == 3000
        store.conn.execute("INSERT INTO clears (run_id, host, peer, action, claimed_at, status) "
                           "SELECT run_id, receiver, peer, action, epoch, 'cleared' FROM actions")
    claim(location, "now", [1, 2])
    seen = open_for_run(location, now, 3600, "other", retention_days=90)
    assert seen["pruned"] == 6000 and sorted(seen["state"]) == ["s1|10.1.1.1", "s2|10.1.2.1"]
    with pytest.raises(StoreError) as err:
        open_for_run(location, now, 3600 * 48, retention_days=1)
    assert "shorter than the cool-down" in str(err.value)


def test_check_mode_creates_nothing(tmp_path):
    path = tmp_path / "new" / "store.sqlite3"
    seen = open_for_run(str(path), time.time(), 3600, check=True)
    assert seen["state"] == {} and not (tmp_path / "new").exists()


# --------------------------------------------------------------------------------------------------
# History (the contract shared with issue 28)
# --------------------------------------------------------------------------------------------------

def episode(**over):
    row = {"receiver": "hub1", "sender": "br4", "sender_addr": "198.51.100.5", "receiver_addr": "203.0.113.1",
           "tunnel": None, "spi": 0x1DB73BBB, "first_epoch": 1000.0, "last_epoch": 2000.0, "messages": 5,
           "verdict": "confirmed", "fixed_epoch": None, "source": "audit", "run_id": "a1"}
    row.update(over)
    return row


def test_episodes_upsert_idempotently_and_merge(location):
    with open_store(location) as store:
        store.prepare()
        assert store.record_episodes([episode(), episode(spi=7)]) == 2
        assert store.record_episodes([episode(), episode(spi=7)]) == 0
        # An older sighting widens the window, keeps the newer verdict; a newer one sets fixed_epoch.
        assert store.record_episodes([episode(first_epoch=500.0, last_epoch=900.0, messages=2, verdict="transient")]) == 1
        assert store.record_episodes([episode(last_epoch=3000.0, messages=9, verdict=None, fixed_epoch=2990.0,
                                              tunnel="Tunnel0", source="remediate", run_id="a2")]) == 1
        rows = store.episodes(0)
        assert [r["spi"] for r in rows] == [0x1DB73BBB, 7]  # by first_epoch within the pair
        got = rows[0]
        assert (got["first_epoch"], got["last_epoch"], got["messages"]) == (500.0, 3000.0, 9)
        assert (got["verdict"], got["fixed_epoch"], got["tunnel"], got["source"]) == ("confirmed", 2990.0, "Tunnel0", "remediate")
        assert store.episodes(2500, receiver="hub1", sender_addr="198.51.100.5") == [got]
        assert store.episodes(0, receiver="nobody") == []
        with pytest.raises(StoreError) as err:
            store.record_episodes([episode(spi="1")])
        assert "episode 0: spi" in str(err.value)


def test_actions_upsert_idempotently(location):
    row = {"run_id": "r1", "receiver": "hub1", "peer": "198.51.100.5", "action": "clear_sa",
           "command": "clear crypto sa peer 198.51.100.5", "epoch": 100.0, "outcome": "claimed"}
    with open_store(location) as store:
        store.prepare()
        assert store.record_actions([row]) == 1 and store.record_actions([row]) == 0
        assert store.record_actions([dict(row, outcome="fixed")]) == 1
        assert store.record_actions([dict(row, outcome=None)]) == 0
        assert [a["outcome"] for a in store.actions(0, receiver="hub1", peer="198.51.100.5")] == ["fixed"]
        with pytest.raises(StoreError) as err:
            store.record_actions([dict(row, action="reload")])
        assert "action 0: action must be one of" in str(err.value)
        assert store.prune(101) == 1 and store.actions(0) == []


def test_a_knob_action_has_no_peer_and_is_recorded_once(location):
    """The remediation's knob (enable_recovery) names no peer: a NULL in the unique key would record the
    same run's knob again on every call; it is stored once and read back with peer None. Only the knob
    may lack a peer."""
    row = {"run_id": "r1", "receiver": "hub1", "peer": None, "action": "enable_recovery",
           "command": "crypto isakmp invalid-spi-recovery", "epoch": 100.0, "outcome": "fixed"}
    with open_store(location) as store:
        store.prepare()
        assert store.record_actions([row]) == 1 and store.record_actions([row]) == 0
        assert [(a["action"], a["peer"]) for a in store.actions(0)] == [("enable_recovery", None)]
        with pytest.raises(StoreError, match="action 0: peer must be a non-empty string"):
            store.record_actions([dict(row, action="clear_sa")])


def test_a_store_removed_or_replaced_mid_run_stops_further_clears(location):
    open_for_run(location, time.time(), 3600)
    if "://" in location:
        with open_store(location) as store:
            store.conn.execute("DROP TABLE schema_version")
        words = "has no schema"
    else:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(location + suffix):
                os.unlink(location + suffix)
        words = "is gone"
    with pytest.raises(StoreError) as err:
        open_store(location, opened=True)
    assert words in str(err.value) and "no clear is made" in str(err.value) and mask(location) in str(err.value)
    assert "://" in location or not os.path.exists(location)
