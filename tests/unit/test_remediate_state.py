"""The cool-down state file and its lock (issue 17, items 1 and 2).

Item 2: the state used to be trusted blindly (an unusable path read as {}, a non-mapping or a bad
``time`` was ignored, so the cool-down was bypassed; an unwritable path failed only after the clears;
garbage gave a from_json error without the file name). Item 1: two overlapping runs each read the
state at the start and wrote it at the end, so both cleared every peer and the last writer won.
"""
from __future__ import annotations

import json
import math
import multiprocessing
import os
import stat
import time

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils import remediate
from ansible_collections.netops.ipsec_spi.plugins.module_utils import remediate_after as after
from ansible_collections.netops.ipsec_spi.plugins.module_utils import state as cstate
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError

NOW = 1_800_000_000.0


def clear(host="spoke", peer="10.0.0.1", spi=0x1DB73BBB, receiver=None):
    # Each peer is another receiver router: one pair (receiver, sender) per clear.
    return {"action": "clear_sa", "host": host, "peer": peer, "spi": spi, "receiver": receiver or "r-" + peer,
            "receiver_addr": peer, "sender_addr": "10.0.0.2", "command": "clear crypto sa peer %s" % peer}


def assessments(**planned):
    return {h: {"assessed": True, "planned_actions": acts} for h, acts in planned.items()}


# --------------------------------------------------------------------------------------------------
# Item 2: validate, and refuse naming the file and what is wrong
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad, words", [
    ([], "list"),
    ("x", "str"),
    ({"spoke|10.0.0.1": {"time": "yesterday"}}, "spoke|10.0.0.1"),
    ({"spoke|10.0.0.1": {"time": float("nan")}}, "not a finite"),
    ({"spoke|10.0.0.1": {"time": None}}, "time"),
    ({"spoke|10.0.0.1": {"time": True}}, "time"),
    ({"spoke|10.0.0.1": {"time": NOW + 86400}}, "future"),
    ({"spoke|10.0.0.1": {"time": float("inf")}}, "not a finite"),
    ({"spoke|10.0.0.1": "done"}, "spoke|10.0.0.1"),
    ({"spoke": {"time": NOW - 10}}, "host|peer"),
])
def test_plan_refuses_a_state_it_cannot_trust(bad, words):
    # Before: every one of these read as "no earlier clear" (or as a cool-down that never ends) silently.
    with pytest.raises(ParseError) as err:
        remediate.plan(assessments(spoke=[clear()]), state=bad, now=NOW, run_id="r")
    assert words in str(err.value)


def test_validate_lists_every_problem_with_its_key():
    bad = {"a|1.1.1.1": {"time": "x"}, "b|2.2.2.2": {"time": NOW + 1e6}, "c|3.3.3.3": {"time": NOW - 5, "run_id": 7}}
    with pytest.raises(cstate.StateError) as err:
        cstate.validate(bad, NOW, "/srv/state.json")
    text = str(err.value)
    assert "/srv/state.json" in text and "a|1.1.1.1" in text and "b|2.2.2.2" in text and "c|3.3.3.3" in text


def test_a_small_clock_skew_is_a_cool_down_not_an_error():
    ok = cstate.validate({"spoke|10.0.0.1": {"time": NOW + 5, "run_id": "other"}}, NOW, "s")
    out = remediate.plan(assessments(spoke=[clear()]), state=ok, now=NOW, run_id="r")
    assert out["spoke"][0]["decision"] == "skip" and "cool-down" in out["spoke"][0]["skip_reason"]


def test_missing_file_is_an_empty_state_and_empty_file_too(tmp_path):
    assert cstate.read(str(tmp_path / "absent.json"), NOW) == {}
    (tmp_path / "empty.json").write_text("  \n")
    assert cstate.read(str(tmp_path / "empty.json"), NOW) == {}


def test_garbage_file_names_the_file_and_the_place(tmp_path):
    path = tmp_path / "clear-state.json"
    path.write_text('{"spoke|10.0.0.1": {"time": 1.0,}\n')
    with pytest.raises(cstate.StateError) as err:
        cstate.read(str(path), NOW)
    assert str(path) in str(err.value) and "not valid JSON" in str(err.value) and "line 1" in str(err.value)


def test_binary_garbage_is_refused_not_a_traceback(tmp_path):
    path = tmp_path / "clear-state.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(cstate.StateError) as err:
        cstate.read(str(path), NOW)
    assert str(path) in str(err.value)


def test_a_directory_or_a_path_under_a_file_is_refused(tmp_path):
    with pytest.raises(cstate.StateError) as err:
        cstate.read(str(tmp_path), NOW)
    assert "directory" in str(err.value)
    (tmp_path / "plain").write_text("{}")
    with pytest.raises(cstate.StateError) as err:
        cstate.check_writable(str(tmp_path / "plain" / "state.json"), create=True)
    assert str(tmp_path / "plain") in str(err.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_unwritable_directory_is_refused_before_anything(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(cstate.StateError) as err:
            cstate.check_writable(str(ro / "state.json"), create=True)
        assert str(ro) in str(err.value) and "writ" in str(err.value)
    finally:
        ro.chmod(stat.S_IRWXU)


def test_unwritable_directory_is_refused_even_as_root(tmp_path, monkeypatch):
    # Root ignores modes, so make the probe's own write fail the way a full or read-only volume would.
    def refuse(*_a, **_k):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(cstate.tempfile, "mkstemp", refuse)
    with pytest.raises(cstate.StateError) as err:
        cstate.check_writable(str(tmp_path / "state.json"), create=True)
    assert str(tmp_path) in str(err.value) and "Permission denied" in str(err.value)


def test_check_writable_creates_the_directory_only_when_asked(tmp_path):
    target = tmp_path / "a" / "b" / "state.json"
    cstate.check_writable(str(target), create=False)
    assert not (tmp_path / "a").exists()
    cstate.check_writable(str(target), create=True)
    assert (tmp_path / "a" / "b").is_dir() and os.listdir(str(tmp_path / "a" / "b")) == []


def test_write_is_atomic_and_private(tmp_path):
    path = tmp_path / "s.json"
    cstate.write(str(path), {"h|10.0.0.1": {"time": NOW, "run_id": "r"}})
    assert json.loads(path.read_text()) == {"h|10.0.0.1": {"time": NOW, "run_id": "r"}}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(os.listdir(str(tmp_path))) == ["s.json"]


def test_write_follows_a_symlink_instead_of_replacing_it(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    cstate.write(str(link), {"h|10.0.0.1": {"time": NOW}})
    assert link.is_symlink() and json.loads(real.read_text()) == {"h|10.0.0.1": {"time": NOW}}


# --------------------------------------------------------------------------------------------------
# Item 1: the lock
# --------------------------------------------------------------------------------------------------

def owner(run_id="r1", pid=None, host="ctl", when=NOW):
    return cstate.lock_owner(run_id, pid if pid is not None else os.getpid(), host, when)


def test_lock_is_exclusive_and_names_the_holder(tmp_path):
    path = str(tmp_path / "s.json")
    first = cstate.acquire(path, owner("r1"), timeout=0, stale_after=900, now=lambda: NOW, this_host="ctl")
    with pytest.raises(cstate.LockHeld) as err:
        cstate.acquire(path, owner("r2"), timeout=0, stale_after=900, now=lambda: NOW + 3, this_host="ctl")
    text = str(err.value)
    assert "r1" in text and "pid %d" % os.getpid() in text and "ctl" in text and path + ".lock" in text
    assert cstate.holds(path, first["token"])
    assert cstate.release(path, first["token"]) is True
    second = cstate.acquire(path, owner("r2"), timeout=0, stale_after=900, now=lambda: NOW + 4, this_host="ctl")
    assert cstate.holds(path, second["token"]) and not cstate.holds(path, first["token"])


def test_release_never_removes_someone_elses_lock(tmp_path):
    path = str(tmp_path / "s.json")
    held = cstate.acquire(path, owner("r1"), timeout=0, stale_after=900, now=lambda: NOW, this_host="ctl")
    assert cstate.release(path, "not-my-token") is False
    assert cstate.holds(path, held["token"])


def test_a_lock_of_a_dead_process_on_this_host_is_taken_over(tmp_path):
    path = str(tmp_path / "s.json")
    cstate.acquire(path, owner("crashed", pid=4_000_000), timeout=0, stale_after=900, now=lambda: NOW, this_host="ctl")
    got = cstate.acquire(path, owner("r2"), timeout=0, stale_after=900, now=lambda: NOW + 1, this_host="ctl",
                         alive=lambda pid: False)
    assert got["run_id"] == "r2" and "4000000" in got["took_over"]


def test_a_live_process_on_another_host_keeps_its_lock_until_it_is_old(tmp_path):
    path = str(tmp_path / "s.json")
    cstate.acquire(path, owner("pod-a", pid=1, host="pod-a"), timeout=0, stale_after=900, now=lambda: NOW, this_host="pod-a")
    # Another pod cannot see pod-a's processes: only age makes the lock stale.
    with pytest.raises(cstate.LockHeld):
        cstate.acquire(path, owner("pod-b", host="pod-b"), timeout=0, stale_after=900, now=lambda: NOW + 899,
                       this_host="pod-b", alive=lambda pid: False)
    got = cstate.acquire(path, owner("pod-b", host="pod-b"), timeout=0, stale_after=900, now=lambda: NOW + 901,
                         this_host="pod-b", alive=lambda pid: False)
    assert got["run_id"] == "pod-b" and "old" in got["took_over"]


def test_an_unreadable_lock_file_goes_stale_by_its_age(tmp_path):
    path = str(tmp_path / "s.json")
    with open(path + ".lock", "w") as handle:
        handle.write("")
    past = time.time() - 1000
    os.utime(path + ".lock", (past, past))
    got = cstate.acquire(path, owner("r2"), timeout=0, stale_after=900, now=time.time, this_host="ctl")
    assert got["run_id"] == "r2"


def test_waiting_for_the_lock_then_getting_it(tmp_path):
    path = str(tmp_path / "s.json")
    held = cstate.acquire(path, owner("r1"), timeout=0, stale_after=900, now=lambda: NOW, this_host="ctl")
    clock = [NOW]
    naps = []

    def sleep(seconds):
        naps.append(seconds)
        clock[0] += seconds
        if len(naps) == 3:
            cstate.release(path, held["token"])

    got = cstate.acquire(path, owner("r2"), timeout=60, stale_after=900, now=lambda: clock[0], sleep=sleep, this_host="ctl")
    assert got["run_id"] == "r2" and len(naps) == 3


def test_waiting_gives_up_after_the_timeout(tmp_path):
    path = str(tmp_path / "s.json")
    cstate.acquire(path, owner("r1"), timeout=0, stale_after=900, now=lambda: NOW, this_host="ctl")
    clock = [NOW]

    def sleep(seconds):
        clock[0] += seconds

    with pytest.raises(cstate.LockHeld) as err:
        cstate.acquire(path, owner("r2"), timeout=10, stale_after=900, now=lambda: clock[0], sleep=sleep, this_host="ctl")
    assert "waited 10 s" in str(err.value)


def test_update_under_the_lock_keeps_both_runs_entries(tmp_path):
    # Before: each run wrote the state it read at its start plus its own clears: the last writer won.
    path = str(tmp_path / "s.json")
    start = cstate.read(path, NOW)
    a = after.record(start, [dict(clear(host="br4"), result="done")], NOW, "A")
    b = after.record(start, [dict(clear(host="hub2", peer="10.0.0.9"), result="done")], NOW, "B")
    for run, new in (("A", a), ("B", b)):
        held = cstate.acquire(path, owner(run), timeout=0, stale_after=900, now=lambda: NOW, this_host="ctl")
        cstate.commit(path, held["token"], lambda current, new=new: dict(current, **new), NOW)
        cstate.release(path, held["token"])
    assert set(cstate.read(path, NOW)) == {"br4|10.0.0.1", "hub2|10.0.0.9"}


def test_commit_refuses_without_the_lock(tmp_path):
    path = str(tmp_path / "s.json")
    with pytest.raises(cstate.StateError) as err:
        cstate.commit(path, "nobody", lambda current: current, NOW)
    assert "lock" in str(err.value)


def _race(path, run_id, peers, out):
    """One simulated remediate run: lock, re-check the cool-down, 'clear', record, unlock."""
    sent = []
    for peer in peers:
        held = cstate.acquire(path, cstate.lock_owner(run_id, os.getpid(), "ctl", time.time()), timeout=30,
                              stale_after=900, poll=0.005)
        try:
            current = cstate.read(path, time.time())
            action = dict(clear(peer=peer), decision="run")
            if remediate.cooldown_reason(current, action, time.time(), 3600, run_id) is None:
                sent.append(peer)
                done = dict(action, result="done")
                cstate.commit(path, held["token"],
                              lambda cur, done=done: after.record(cur, [done], time.time(), run_id), time.time())
        finally:
            cstate.release(path, held["token"])
    out.put((run_id, sent))


def test_two_processes_racing_clear_each_peer_once(tmp_path):
    path = str(tmp_path / "s.json")
    peers = ["10.0.0.%d" % i for i in range(1, 9)]
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_race, args=(path, run, peers, out)) for run in ("A", "B")]
    for proc in procs:
        proc.start()
    results = dict(out.get(timeout=60) for _proc in procs)
    for proc in procs:
        proc.join(10)
    assert sorted(results["A"] + results["B"]) == peers
    state = cstate.read(path, time.time())
    assert set(state) == {"spoke|%s" % p for p in peers}
    assert {v["run_id"] for v in state.values()} <= {"A", "B"}
    assert not os.path.exists(path + ".lock")


def test_finite_check_is_not_fooled_by_huge_ints():
    with pytest.raises(cstate.StateError):
        cstate.validate({"h|10.0.0.1": {"time": 10 ** 400}}, NOW, "s")
    assert math.isfinite(cstate.validate({"h|10.0.0.1": {"time": 5}}, NOW, "s")["h|10.0.0.1"]["time"])
