# -*- coding: utf-8 -*-
"""The fleet_assess cache cases (cases_fleet_assess_cache.py), in a process of their own.

They load the real jsonfile cache plugin, and so Ansible's collection loader, which must not
take over the imports of the tests that run after them in this process.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def test_fleet_assess_cache_cases(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
         "--basetemp", str(tmp_path / "t"), os.path.join(HERE, "cases_fleet_assess_cache.py")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert re.search(r"^8 passed", proc.stdout, re.M), proc.stdout[-2000:]
