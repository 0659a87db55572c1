# -*- coding: utf-8 -*-
"""The fleet_assess cache cases (cases_fleet_assess_cache.py), in a process of their own.

They load the real jsonfile cache plugin, and so Ansible's collection loader, which must not
take over the imports of the tests that run after them in this process.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "cases_fleet_assess_cache.py")


def case_functions():
    with open(CASES, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_fleet_assess_cache_cases(tmp_path):
    report = tmp_path / "cases.xml"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
         "--basetemp", str(tmp_path / "t"), "--junitxml", str(report), CASES],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
    cases = ET.parse(str(report)).getroot().iter("testcase")
    outcomes = {case.get("name"): [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
                for case in cases}
    # Every case of the file ran (each parameter of a parametrized one), and none failed, erred or was skipped.
    assert {name.split("[", 1)[0] for name in outcomes} == case_functions(), sorted(outcomes)
    assert len(outcomes) >= len(case_functions())
    assert {name: tags for name, tags in outcomes.items() if tags} == {}, proc.stdout[-4000:]
