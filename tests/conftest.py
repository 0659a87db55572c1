"""Make the repository importable as ansible_collections.netops.ipsec_spi, and load the Hypothesis profile.

scripts/env.sh does the same for every entry point; this keeps a bare
`pytest tests/unit` working too. Profiles: tests/hypothesis_profiles.py (HYPOTHESIS_PROFILE=ci|deep).

Tests that run a tool outside Python and Ansible (a browser, ansible-builder, ansible-rulebook on Java) are
marked `external` here, in one list, and run as their own stage (scripts/test.sh external).
"""
import os
import sys

import hypothesis_profiles

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".tmp", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "netops", "ipsec_spi")

if not os.path.islink(LINK) and not os.path.exists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(ROOT, LINK)
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", COLLECTIONS)

hypothesis_profiles.load()


# test file (from the repository root) -> the tests in it that run an external tool (None: all of them)
EXTERNAL = {
    "tests/unit/test_report_html.py": None,                        # chromium through selenium
    "tests/unit/test_ee.py": None,                                 # ansible-builder, ansible-galaxy install
    "tests/unit/test_eda_rulebooks.py": {"test_decision_environment_builds_a_context_with_java_rulebook_and_the_collection"},
    "tests/integration/test_eda.py": None,                         # ansible-rulebook (Java) against a lab
}


def pytest_configure(config):
    config.addinivalue_line("markers", "external: runs a tool outside Python and Ansible (scripts/test.sh external)")


def pytest_collection_modifyitems(config, items):  # pylint: disable=unused-argument
    import pytest

    for item in items:
        path = os.path.relpath(str(item.path), ROOT)
        if path in EXTERNAL and (EXTERNAL[path] is None or getattr(item, "originalname", item.name) in EXTERNAL[path]):
            item.add_marker(pytest.mark.external)
