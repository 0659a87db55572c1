"""Helpers the remediate integration files share (tests/integration is on sys.path)."""
from __future__ import annotations

import json
import sqlite3

PLAYBOOK = "netops.ipsec_spi.remediate"
CONFIG_MODE = ("configure", "conf t", "config t")


def snapshot(lab):
    out = {}
    for router in lab.ground_truth["routers"]:
        state = lab.state(router)
        out[router] = {k: state[k] for k in ("running_config", "sas", "counters", "log", "knob")}
    return out


def sent_since(lab, marks):
    return {r: lab.commands(r)[n:] for r, n in marks.items()}


def marks_of(lab):
    return {r: len(lab.commands(r)) for r in lab.ground_truth["routers"]}


def changed_tasks(result):
    """(task, host) pairs that reported changed, the report's own files aside."""
    out = []
    for task in result.tasks:
        name = task["task"]["name"]
        if name.startswith("netops.ipsec_spi.report"):
            continue
        for host, res in task["hosts"].items():
            if res.get("changed"):
                out.append((name, host))
    return out


def run(rlab, run_playbook, check=False, name="run", forks=20, extra_vars=None, state="state/store.sqlite3"):
    lab, work = rlab
    report_dir = work / name
    result = run_playbook(PLAYBOOK, lab.inventory, check=check, forks=forks,
                          extra_vars=dict({"ipsec_spi_report_dir": str(report_dir), "ipsec_spi_verify_delay": 3},
                                          **(extra_vars or {})),
                          env={"IPSEC_SPI_STORE": state if "://" in state else str(work / state)})
    report = json.loads((report_dir / "report.json").read_text()) if (report_dir / "report.json").exists() else None
    return result, report


def stored_clears(location):
    """host|peer -> (run id, status) of every claim in the store (SQLite file or PostgreSQL URL)."""
    if "://" in location:
        import psycopg  # pylint: disable=import-outside-toplevel
        with psycopg.connect(location) as conn:
            rows = conn.execute("SELECT host, peer, run_id, status FROM clears").fetchall()
    else:
        conn = sqlite3.connect(location)
        try:
            rows = conn.execute("SELECT host, peer, run_id, status FROM clears").fetchall()
        finally:
            conn.close()
    return {"%s|%s" % (h, p): (run, status) for h, p, run, status in rows}
