"""Replay a month of nights in seconds: the month scenario's faults, and the collection's pipeline each night.

Each night the virtual clock jumps to 02:00, the scenario's faults happen (the recurring pair re-keys and its
receiver loses the new inbound SA; once, a router reloads), and at 02:30 the nightly run reads every router through
the simulated CLI, builds the facts, assesses the fleet, clears what the plan clears, verifies the pair from the
lab's state and records the history rows (history.episode_rows / action_rows) the way the store's upsert merges
them. Returns the rows, each night's facts and what was planted. Used by tests and `python -m labsim.nights`.
"""
from __future__ import annotations

import sys
from typing import Any, Dict, List, Optional, Tuple

from labsim.cli import Session
from labsim.sim import Fleet

DAY = 86400.0


def _gather(fleet: Fleet) -> Dict[str, Dict[str, str]]:
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.commands import GATHER as COMMANDS
    out: Dict[str, Dict[str, str]] = {}
    for name, router in sorted(fleet.routers.items()):
        session = Session(fleet, router)
        session.priv = 15
        out[name] = {key: session.handle(command) for key, command in COMMANDS}
    return out


def _act(fleet: Fleet, assessments: Dict[str, Dict[str, Any]]) -> None:
    """Run the planned clears on the lab and record them as spi_verify_remediation would: done, and verified
    when the pair is no longer out of sync."""
    for host, assessment in sorted(assessments.items()):
        performed = []
        for action in assessment.get("planned_actions") or []:
            if action.get("action") not in ("clear_sa", "clear_session"):
                continue
            fleet.clear(host, action["peer"])
            still = any(d["receiver"] == action["receiver"] and d["sender_addr"] == action["sender_addr"]
                        for d in fleet.desyncs())
            performed.append(dict(action, decision="run", result="done", verified=not still))
        assessment["performed_actions"] = performed


def replay(scenario: Dict[str, Any], nights: Optional[int] = None) -> Dict[str, Any]:
    from ansible_collections.netops.ipsec_spi.plugins.module_utils import assess, facts, history
    plan = scenario["nights"]
    count = int(nights if nights is not None else plan.get("count", 30))
    fleet = Fleet(scenario, speed=0.0)
    start = fleet.clock.now()
    first_night = start - start % DAY + DAY + 2 * 3600.0  # 02:00 UTC the next day
    recurring, reload = plan["recurring"], plan.get("reload") or {}
    episodes: Dict[Tuple[str, str, int], Dict[str, Any]] = {}
    actions: Dict[Tuple[str, str, str, Optional[str]], Dict[str, Any]] = {}
    facts_by_night: List[Dict[str, Dict[str, Any]]] = []
    for night in range(count):
        fleet.clock.advance(first_night + night * DAY - fleet.clock.now())
        fleet.sync()
        if fleet.find_link(recurring["sender"], recurring["receiver"]).desync is None:
            fleet.rekey(recurring["sender"], recurring["receiver"])
        if night == reload.get("night"):
            router = fleet.routers[reload["router"]]
            router.boot = fleet.clock.now()
            fleet.start_desync(reload["peer"], reload["router"])
        fleet.clock.advance(float(recurring.get("after_rekey", 30)))
        if fleet.find_link(recurring["sender"], recurring["receiver"]).desync is None:
            fleet.start_desync(recurring["sender"], recurring["receiver"])
        fleet.clock.advance(float(plan.get("run_after", 1800)))
        fleet.sync()
        run_epoch = fleet.clock.now()
        gathered = {h: facts.build_facts(h, outs, year=2026) for h, outs in _gather(fleet).items()}
        result = assess.assess_fleet(gathered, source="live")
        assessments = result["assessments"]
        _act(fleet, assessments)
        run_id = "night-%02d" % night
        history.merge_rows(episodes, history.episode_rows(assessments, run_epoch, "remediate", run_id))
        for row in history.action_rows(assessments, run_epoch, run_id):
            actions[(row["run_id"], row["receiver"], row["action"], row["peer"])] = row
        facts_by_night.append(gathered)
    addr = {name: r.spec.addr for name, r in fleet.routers.items()}
    return {"episodes": sorted(episodes.values(), key=lambda r: (r["receiver"], r["sender_addr"], r["first_epoch"])),
            "actions": sorted(actions.values(), key=lambda r: (r["epoch"], r["receiver"], r["action"])),
            "facts": facts_by_night, "now": fleet.clock.now(), "addresses": addr,
            "recurring": (recurring["receiver"], addr[recurring["sender"]]),
            "reload": (reload.get("router"), addr.get(reload.get("peer", "")), reload.get("night"))}


def main(argv: List[str]) -> int:
    import os
    from labsim.build import load_scenario
    from ansible_collections.netops.ipsec_spi.plugins.module_utils import history, hints
    path = argv[0] if argv else os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                             "scenarios", "month.yml")
    out = replay(load_scenario(path))
    found = history.recurring(out["episodes"], out["actions"], now=out["now"])
    found_hints = hints.recurring_hints(found, out["facts"][-1])
    for item in found:
        print(item["message"])
        for hint in found_hints["%s|%s" % (item["receiver"], item["sender_addr"])]["hints"]:
            print("  hint %s (%s): %s" % (hint["hint"], hint["end"], hint["message"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
