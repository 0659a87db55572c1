"""The whole core pipeline on the lab's default scenario, with the clock frozen.

Device outputs come from the simulated routers' own CLI (no SSH), then go
through the same Python the roles call: facts, fleet assessment, remediation
plan and the four report files. `test_golden.py` pins the result, so a change
that moves code around cannot change what a user sees.

Regenerate (only when a change is meant to alter the output):
    python tests/unit/golden/pipeline.py --write
"""
from __future__ import annotations

import datetime
import json
import os
import re
import sys
from typing import Dict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
LAB = os.path.join(ROOT, "lab")
EXPECTED = os.path.join(HERE, "default")
TODAY = datetime.date(2026, 11, 30)
GENERATED_AT = "2026-11-30T00:00:00+00:00"
# The simulated minutes between the lab's start and the read-out: enough for
# every scenario flow to log its repeats.
ADVANCE = 1800.0

_STAMP_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:\+00:00|Z)")


def _lab():
    if LAB not in sys.path:
        sys.path.insert(0, LAB)
    from labsim.build import load_scenario  # noqa: E402  (the lab is not a package of the collection)
    from labsim.cli import Session
    from labsim.sim import Fleet
    return load_scenario, Session, Fleet


def outputs() -> Dict[str, Dict[str, str]]:
    """Every router's answer to every command spi_facts sends."""
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.commands import GATHER as COMMANDS
    load_scenario, Session, Fleet = _lab()
    fleet = Fleet(load_scenario(os.path.join(LAB, "scenarios", "default.yml")), speed=0.0)
    fleet.clock.advance(ADVANCE)
    out: Dict[str, Dict[str, str]] = {}
    for name, router in sorted(fleet.routers.items()):
        session = Session(fleet, router)
        session.priv = 15
        out[name] = {key: session.handle(command) for key, command in COMMANDS}
    return out


def run() -> Dict[str, str]:
    """The pipeline's user-visible results, as text files by name."""
    from ansible_collections.netops.ipsec_spi.plugins.module_utils import assess, facts, remediate, report
    raw = outputs()
    gathered = {host: facts.build_facts(host, outs, year=2026) for host, outs in raw.items()}
    fleet = assess.assess_fleet(gathered, today=TODAY, source="live")
    assessments = fleet["assessments"]
    for a in assessments.values():
        a["assessed_at"] = GENERATED_AT
    plan = remediate.plan(assessments, state={}, now=0.0, run_id="golden")
    built = report.build_report(assessments, mode="dry_run", meta={"run_id": "golden"}, generated_at=GENERATED_AT)
    files = {name: _STAMP_RE.sub("<time>", text) for name, text in report.render_all(built).items()}
    files["assessments.json"] = json.dumps(assessments, indent=1, sort_keys=True, default=str) + "\n"
    files["desync.json"] = json.dumps(fleet["desync"], indent=1, sort_keys=True) + "\n"
    files["summary.json"] = json.dumps(fleet["summary"], indent=1, sort_keys=True) + "\n"
    files["plan.json"] = json.dumps(plan, indent=1, sort_keys=True) + "\n"
    return files


def main() -> int:
    files = run()
    if "--write" in sys.argv:
        os.makedirs(EXPECTED, exist_ok=True)
        for name, text in files.items():
            with open(os.path.join(EXPECTED, name), "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        print("wrote %d files to %s" % (len(files), EXPECTED))
    return 0


if __name__ == "__main__":
    sys.exit(main())
