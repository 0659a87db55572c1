"""The capture package's layering: no cycles, nothing depends upward, evidence never imports the assessment."""
from __future__ import annotations

import ast
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PACKAGE = os.path.join(ROOT, "plugins", "module_utils", "capture")
PREFIX = "ansible_collections.netops.ipsec_spi.plugins.module_utils."
# Each module may import only those before it (and the shared core).
LAYERS = ["applet", "syntax", "grammar", "policy", "parse", "evidence", "debugs"]
CORE = {"common", "commands", "routes", "codes", "desync", "parsers.ike", "parsers.ipsec_sa", "parsers.qfp", "parsers.syslog"}


def imports_of(name):
    with open(os.path.join(PACKAGE, name + ".py"), encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PREFIX):
            module = node.module[len(PREFIX):]
            names = [module + "." + alias.name for alias in node.names] if module == "" else [module]
            found.update(n for n in names)
        elif isinstance(node, ast.ImportFrom) and node.module == PREFIX.rstrip("."):
            found.update(alias.name for alias in node.names)
    return found


def test_every_module_imports_only_lower_layers_and_the_core():
    assert sorted(f[:-3] for f in os.listdir(PACKAGE) if f.endswith(".py") and f != "__init__.py") == sorted(LAYERS)
    for index, name in enumerate(LAYERS):
        allowed = CORE | {"capture." + lower for lower in LAYERS[:index]}
        assert imports_of(name) <= allowed, (name, imports_of(name) - allowed)


def test_loading_the_evidence_judge_does_not_load_the_assessment():
    code = ("import sys; import %scapture.evidence; "
            "bad = [m for m in sys.modules if m.startswith('%s') and m[len('%s'):] in ('assess', 'report', 'facts', "
            "'remediate', 'flows')]; print(bad); sys.exit(1 if bad else 0)" % (PREFIX, PREFIX, PREFIX))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert proc.returncode == 0, proc.stdout + proc.stderr
