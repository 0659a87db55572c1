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


# --------------------------------------------------------------------------------------------------
# PostgreSQL for the store's tests: one real server per pytest session (per xdist worker), started
# lazily by the first test that asks for it, with scripts/pg-dev.sh (the command a developer runs by
# hand), stopped at the end. Each test gets its own database on it.
# --------------------------------------------------------------------------------------------------

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def pg_server():
    import shutil
    import subprocess
    import tempfile

    if not any(os.path.isfile(os.path.join("/usr/lib/postgresql", v, "bin", "initdb"))
               for v in (os.listdir("/usr/lib/postgresql") if os.path.isdir("/usr/lib/postgresql") else [])):
        pytest.skip("no PostgreSQL server binaries (scripts/system-deps.sh installs Debian's postgresql)")
    # Short and outside pytest's root-only temp folder: the postgres user must reach it, and the
    # server's unix socket path must stay under 107 characters.
    folder = tempfile.mkdtemp(prefix="ipsec-spi-pg.", dir="/tmp")
    script = os.path.join(ROOT, "scripts", "pg-dev.sh")
    try:
        url = subprocess.run(["bash", script, "start", folder], check=True, capture_output=True, text=True,
                             timeout=120).stdout.strip().splitlines()[-1]
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError("scripts/pg-dev.sh start failed: %s" % exc.stderr) from None
    try:
        yield url
    finally:
        subprocess.run(["bash", script, "stop", folder], check=False, capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server):
    """A fresh, empty database on the session's server, as a postgresql:// URL (with its password)."""
    import uuid

    import psycopg

    name = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute("CREATE DATABASE %s STRATEGY FILE_COPY" % name)
    yield pg_server.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
