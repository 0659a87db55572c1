"""Recording a nightly run of a 10,000-router fleet in the history, and evaluating the history (issue 28).

What the history adds to a run, without the store's own write (the store is measured by its own work):
building the episode and action rows from the night's assessments (history.episode_rows / action_rows),
then reading 30 nights of rows back (history.recurring, hints.recurring_hints, history.trend). Target:
< 2 s together. Best of three; prints the figures. `make bench` (or `bash scripts/bench.sh history`).
"""
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, ".tmp", "collections"))
sys.path.insert(0, os.path.join(ROOT, "tests", "unit"))

# pylint: disable=wrong-import-position
from ansible_collections.netops.ipsec_spi.plugins.module_utils import hints, history  # noqa: E402
import history_fleet  # noqa: E402

ROUTERS = 10000
NIGHTS = 30
BUDGET = 2.0


def best(func, rounds=3):
    out, value = float("inf"), None
    for _round in range(rounds):
        start = time.perf_counter()
        value = func()
        out = min(out, time.perf_counter() - start)
    return out, value


def main():
    fleet = history_fleet.generate(routers=ROUTERS, nights=NIGHTS, near_misses=1000, transients=2000)
    last = NIGHTS - 1
    tonight = history_fleet.night_assessments(ROUTERS, last, fleet["schedule"], {}, None, NIGHTS)
    run_epoch = history_fleet.START + last * history_fleet.DAY + 7200.0
    flows = sum(len(a["flows"]) for a in tonight.values())

    def record():
        return (history.episode_rows(tonight, run_epoch, "remediate", "bench"),
                history.action_rows(tonight, run_epoch, "bench"))

    def evaluate():
        found = history.recurring(fleet["episodes"], fleet["actions"], now=fleet["now"])
        hinted = hints.recurring_hints(found, fleet["facts"])
        trend = history.trend(fleet["episodes"], fleet["actions"], NIGHTS + 1, fleet["now"])
        return found, hinted, trend

    t_record, (episodes, actions) = best(record)
    t_eval, (found, _hinted, _trend) = best(evaluate)
    total = t_record + t_eval
    print("history: %d routers, %d flows tonight -> %d episode rows, %d action rows: %.3f s"
          % (ROUTERS, flows, len(episodes), len(actions), t_record))
    print("history: %d nights, %d episode rows, %d action rows read back -> %d recurring pairs, hints, trend: %.3f s"
          % (NIGHTS, len(fleet["episodes"]), len(fleet["actions"]), len(found), t_eval))
    print("history: record + evaluate %.3f s (budget %.1f s) %s" % (total, BUDGET, "OK" if total < BUDGET else "OVER"))
    t_step = whole_step(fleet, tonight, run_epoch)
    print("history: the whole step on an SQLite store holding the %d earlier nights (open, record tonight, read the "
          "window back, evaluate, settle the findings): %.3f s (budget %.1f s) %s"
          % (NIGHTS - 1, t_step, BUDGET, "OK" if t_step < BUDGET else "OVER"))
    return 0 if total < BUDGET and t_step < BUDGET else 1


def whole_step(fleet, tonight, run_epoch):
    """What the assessment's history step costs, store included (history_run.step, as the check role runs it)."""
    import tempfile  # pylint: disable=import-outside-toplevel

    from ansible_collections.netops.ipsec_spi.plugins.module_utils import history_run  # pylint: disable=import-outside-toplevel
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.store import open_store  # pylint: disable=import-outside-toplevel

    with tempfile.TemporaryDirectory() as folder:
        location = os.path.join(folder, "store.sqlite3")
        with open_store(location) as store:
            store.prepare(run_epoch)
            store.record_episodes([e for e in fleet["episodes"] if e["first_epoch"] < run_epoch - 3600])
            store.record_actions([a for a in fleet["actions"] if a["epoch"] < run_epoch - 3600])
        seconds, _out = best(lambda: history_run.step(location, tonight, run_epoch, "audit", "bench", fleet["facts"]))
    return seconds


if __name__ == "__main__":
    sys.exit(main())
