"""Two remediate runs at once on a private lab: each clear sent once, both runs' claims kept in the store.

Its own file so that the parallel integration stage runs it beside the shared-lab sequence of
test_remediate.py (each file is one worker's unit).
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from conftest import ROOT  # noqa: E402  (tests/integration is on sys.path)
from remediate_support import marks_of, run, sent_since, stored_clears  # noqa: E402


def clears_sent(lab, marks):
    """Every clear command each router received since ``marks``, in order, repeats kept."""
    out = []
    for router, commands in sent_since(lab, marks).items():
        out.extend((router, " ".join(c.split())) for c in commands if c.strip().lower().startswith("clear"))
    return out


def test_two_runs_at_once_clear_each_peer_once_and_keep_both_entries(lab_factory, tmp_path_factory, run_playbook):
    """Issue 17 item 1: overlapping runs used to send every clear twice and lose one run's entries.

    Run A leaves out hub1 (so only B clears hub1's session), run B leaves out dynhub (so only A can
    prove br4's desync and clear it); both want the hub2 and spoke2 clears. Started together, on the
    same inventory and store. Each run reads only the routers of the live desyncs (eight of the fifteen, less the
    one it leaves out) and changes them in one batch: the routers without a clear and the default batches (both in
    test_remediate.py) add time, not coverage (issue 23). The same race on PostgreSQL is test_store.py's
    (processes claiming the same pairs, on both backends); a remediate run on PostgreSQL is test_partial_views.py's
    limited run.
    """
    lab = lab_factory()
    work = tmp_path_factory.mktemp("overlap")
    store = "state/store.sqlite3"
    truth = lab.ground_truth
    clears = {(a["host"], a["command"]) for a in truth["actions"] if a["action"] != "enable_knob"}
    only_a = {c for c in clears if c[0] == "br4"}
    only_b = {c for c in clears if c[0] == "hub1"}
    assert only_a and only_b and len(clears - only_a - only_b) == 2, clears
    pairs = sorted({h for d in truth["desync"] if d["verdict"] in ("confirmed", "unverified")
                    for h in (d["receiver"], d.get("sender")) if h in truth["routers"]})
    assert {h for h, _c in clears} <= set(pairs) and {"hub1", "dynhub"} <= set(pairs), pairs
    runs = {"A": ",".join(pairs + ["!hub1"]), "B": ",".join(pairs + ["!dynhub"])}
    # Each run reads only part of the fleet: the peer map (as the EDA source has it) says which addresses
    # are the fleet's, so B still knows hub1's sender 203.0.113.77 is outside it (issue 22: without it, a
    # sender that may be the unread dynhub gets no clear).
    peer_map = str(work / "peer_map.json")
    made = run_playbook(os.path.join(ROOT, "extensions", "eda", "playbooks", "peer_map.yml"), lab.inventory,
                        extra_vars={"ipsec_spi_eda_peer_map": peer_map})
    assert made.rc == 0, made
    marks = marks_of(lab)

    def start(run_id):
        return run((lab, work), run_playbook, name=run_id, forks=12, state=store,
                   extra_vars={"ipsec_spi_run_id": run_id, "ipsec_spi_targets": runs[run_id],
                               "ipsec_spi_peer_map": peer_map,
                               "ipsec_spi_serial": ["100%"]})

    with ThreadPoolExecutor(2) as pool:
        results = dict(zip(runs, pool.map(start, runs)))
    for run_id, (result, _report) in results.items():
        assert result.rc == 0, (run_id, result)

    # The lab's own record of every command: each clear exactly once, nothing else cleared.
    sent = clears_sent(lab, marks)
    assert sorted(sent) == sorted(clears), sent
    lab.advance(180)
    assert lab.desyncs() == []

    # Who cleared what: exactly one run did each shared clear; the other skipped it with the reason.
    done = {}
    for run_id, (_result, report) in results.items():
        for router in report["routers"]:
            for action in router["assessment"].get("performed_actions") or []:
                key = (action["host"], action["command"])
                if key not in clears:
                    continue
                if action["result"] == "done":
                    assert key not in done, (key, run_id, done)
                    done[key] = run_id
                else:
                    assert action["result"] == "skipped", action
                    assert "another run" in action["message"] or "no longer needed" in action["message"], action
    assert set(done) == clears and {done[c] for c in only_a} == {"A"} and {done[c] for c in only_b} == {"B"}

    # The store holds both runs' claims, each marked cleared under the run that cleared it.
    by_key = {"%s|%s" % (h, c.split()[-1]): (run_id, "cleared") for (h, c), run_id in done.items()}
    assert stored_clears(str(work / store)) == by_key
