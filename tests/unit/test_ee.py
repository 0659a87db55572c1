"""The execution environment AWX builds for the collection, checked without a container engine.

The collection tarball is built with `ansible-galaxy collection build` from a copy of the checkout in which
the local state that `make test` leaves behind (.venv, .tmp with a lab inventory, tests/output, test caches)
is planted on purpose; `ansible-builder create` then writes the build context from execution-environment.yml
next to that tarball, and the context's own introspection script reads the installed collection the way
the image build does.
"""
from __future__ import annotations

import fnmatch
import glob
import os
import shutil
import subprocess
import sys
import tarfile
from typing import Dict, List, NamedTuple, Set

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.dirname(sys.executable)
LAB = os.path.join(ROOT, "lab")

# Not copied (large or machine-local); a small stand-in is planted instead.
NOT_COPIED = {".venv", ".tmp", ".git", "tests/output", "benchmarks/data"}
# Local state that must never reach the tarball, with the stand-in planted for each.
PLANTED = {
    ".venv": "bin/activate",
    ".tmp": "lab/inventory.yml",
    "tests/output": "junit.xml",
    "benchmarks/data": "fleet.txt",
    ".hypothesis": "examples/0123/abcd",
    "tests/unit/.hypothesis": "constants/0123",
    ".pytest_cache": "v/cache/lastfailed",
    "ipsec_spi_reports": "report.json",  # make demo's reports: router names, addresses, config evidence
}


def tool(name: str) -> str:
    path = os.path.join(VENV_BIN, name)
    return path if os.path.exists(path) else shutil.which(name) or name


def run(cmd: List[str], cwd: str, env: Dict[str, str] = None, timeout: float = 300) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env or dict(os.environ), capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert proc.returncode == 0, "%s failed (rc %d):\n%s\n%s" % (
        " ".join(cmd), proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:])
    return proc


def lab_secrets() -> Set[str]:
    """Every password, enable secret and pre-shared key the lab scenarios give their routers."""
    if LAB not in sys.path:
        sys.path.insert(0, LAB)
    from labsim.build import RouterSpec, load_scenario  # pylint: disable=import-outside-toplevel

    secrets: Set[str] = set()
    for path in sorted(glob.glob(os.path.join(LAB, "scenarios", "*.yml"))):
        scenario = load_scenario(path)
        creds = scenario.get("credentials") or {}
        defaults = {"username": creds.get("username", "netops"), "password": creds.get("password", ""),
                    "enable": creds.get("enable", "")}
        for index, (name, spec) in enumerate((scenario.get("routers") or {}).items()):
            router = RouterSpec(str(name), spec or {}, index + 1, defaults)
            secrets.update((router.password, router.enable, router.psk))
        secrets.update(v for k, v in creds.items() if k != "username")
    # Short values ("cisco") would match ordinary words; the lab's secrets are longer.
    return {s for s in secrets if isinstance(s, str) and len(s) >= 6}


class Built(NamedTuple):
    tarball: "os.PathLike[str]"
    names: List[str]


class Context(NamedTuple):
    definition: Dict
    ctx: "os.PathLike[str]"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The tarball and the names in it."""
    src = tmp_path_factory.mktemp("checkout") / "ipsec_spi"

    def ignore(folder, names):
        rel = os.path.relpath(folder, ROOT)
        return [n for n in names if os.path.normpath(os.path.join(rel, n)) in NOT_COPIED or n == "__pycache__"]

    shutil.copytree(ROOT, src, symlinks=True, ignore=ignore)
    password = sorted(lab_secrets())[0]
    for folder, filename in PLANTED.items():
        target = src / folder / filename
        target.parent.mkdir(parents=True, exist_ok=True)
        # What a lab run leaves there: an inventory with the lab's credentials.
        target.write_text("all:\n  vars:\n    ansible_user: netops\n    ansible_password: %s\n" % password)
    dist = tmp_path_factory.mktemp("dist")
    run([tool("ansible-galaxy"), "collection", "build", "--output-path", str(dist), str(src)], cwd=str(src))
    tarballs = sorted(dist.glob("netops-ipsec_spi-*.tar.gz"))
    assert len(tarballs) == 1, tarballs
    with tarfile.open(tarballs[0]) as tar:
        names = tar.getnames()
    return Built(tarballs[0], names)


@pytest.fixture(scope="module")
def context(built, tmp_path_factory):
    """The build context written by ansible-builder create, from a copy of what the definition needs."""
    tarball = built.tarball
    work = tmp_path_factory.mktemp("ee")
    shutil.copy(os.path.join(ROOT, "execution-environment.yml"), work)
    shutil.copy(tarball, work)
    definition = yaml.safe_load((work / "execution-environment.yml").read_text())
    for dep in ("python", "system"):
        value = definition.get("dependencies", {}).get(dep)
        if isinstance(value, str):  # a file name rather than an inline list
            shutil.copy(os.path.join(ROOT, value), work)
    ctx = work / "context"
    run([tool("ansible-builder"), "create", "-f", "execution-environment.yml", "--context", str(ctx),
         "--output-filename", "Containerfile", "-v", "1"], cwd=str(work))
    return Context(definition, ctx)


def requirement_names(lines) -> Set[str]:
    out = set()
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            out.add(line.split()[0].split(";")[0].split("[")[0].split("=")[0].split(">")[0].split("<")[0]
                    .split("!")[0].split("~")[0].lower().replace("_", "-"))
    return out


# The tarball (what a Galaxy / Automation Hub upload and the EE image get)

def test_build_ignore_keeps_local_state_out(built):
    names = built.names
    for folder in PLANTED:
        leaked = [n for n in names if n == folder or n.startswith(folder + "/")]
        assert not leaked, "%s is in the collection tarball: add it to build_ignore in galaxy.yml" % folder
    junk = [n for n in names if fnmatch.fnmatch(n, "*.pyc") or "__pycache__" in n.split("/")
            or ".hypothesis" in n.split("/") or ".pytest_cache" in n.split("/")]
    assert not junk, junk


def test_tarball_has_what_the_runtime_needs(built):
    names = built.names
    present = set(names)
    for needed in ("MANIFEST.json", "FILES.json", "meta/runtime.yml", "meta/execution-environment.yml",
                   "playbooks/audit.yml", "playbooks/remediate.yml", "plugins/modules/spi_facts.py",
                   "plugins/module_utils/common.py"):
        assert needed in present, needed
    for role in ("check", "remediate", "report"):
        assert "roles/%s/meta/argument_specs.yml" % role in present, role
    # The collection's own EE metadata names files; they have to travel with it.
    meta = yaml.safe_load(open(os.path.join(ROOT, "meta", "execution-environment.yml"), encoding="utf-8"))
    for dep in ("python", "system"):
        value = meta["dependencies"].get(dep)
        if isinstance(value, str):
            assert value in present, value


def test_no_lab_secret_in_the_tarball(built):
    tarball = built.tarball
    secrets = lab_secrets()
    assert secrets, "no secret found in lab/scenarios: the check would prove nothing"
    found = []
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            data = tar.extractfile(member).read()
            for secret in secrets:
                if secret.encode() in data:
                    found.append((member.name, secret))
    assert not found, "lab secrets shipped in the collection tarball: %s" % found


# The build context (what AWX's image build runs)

def test_containerfile_installs_the_collection_tarball(context, built):
    definition, ctx = context.definition, context.ctx
    tarball = built.tarball
    containerfile = (ctx / "Containerfile").read_text()
    assert 'ARG EE_BASE_IMAGE="%s"' % definition["images"]["base_image"]["name"] in containerfile
    deps = definition["dependencies"]
    refs = 'ARG ANSIBLE_INSTALL_REFS="%s %s"' % (deps["ansible_core"]["package_pip"], deps["ansible_runner"]["package_pip"])
    assert refs in containerfile
    # Collections from Galaxy, then Python and system dependencies from introspection, then ours.
    order = ["ansible-galaxy collection install", "introspect.py introspect", "/output/scripts/install-from-bindep",
             "COPY _build/collections", "ansible-galaxy collection install --no-deps"]
    positions = [containerfile.find(step) for step in order]
    assert -1 not in positions and positions == sorted(positions), dict(zip(order, positions))
    copied = sorted(p.name for p in (ctx / "_build" / "collections").iterdir())
    assert copied == [tarball.name]
    install = next(line for line in containerfile.splitlines() if "collection install --no-deps" in line)
    pattern = next(word for word in install.split() if word.endswith(".tar.gz"))
    assert fnmatch.fnmatch("/tmp/netops-collections/" + tarball.name, pattern), (pattern, tarball.name)
    assert "-p /usr/share/ansible/collections" in install


def test_context_python_requirements(context):
    ctx = context.ctx
    names = requirement_names((ctx / "_build" / "requirements.txt").read_text().splitlines())
    assert {"ansible-pylibssh", "jmespath"} <= names, names
    with open(os.path.join(ROOT, "requirements.txt"), encoding="utf-8") as handle:
        ours = requirement_names(handle)
    assert ours <= names, "requirements.txt has %s, the EE definition lacks them" % (ours - names)


def test_context_system_and_galaxy_requirements(context):
    ctx = context.ctx
    bindep = (ctx / "_build" / "bindep.txt").read_text().splitlines()
    assert any(line.split()[0] == "libssh" and "platform:rpm" in line for line in bindep if line.strip()), bindep
    # The EE base image is RPM based: every RPM package the collection asks for must be there.
    with open(os.path.join(ROOT, "bindep.txt"), encoding="utf-8") as handle:
        rpm = {line.split()[0] for line in handle if line.strip() and not line.startswith("#") and "platform:rpm" in line}
    assert rpm <= {line.split()[0] for line in bindep if line.strip()}, rpm
    galaxy = yaml.safe_load((ctx / "_build" / "requirements.yml").read_text())
    wanted = {c["name"]: c.get("version") for c in galaxy["collections"]}
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        dependencies = yaml.safe_load(handle)["dependencies"]
    assert wanted == dependencies


def test_context_tarball_installs_and_introspects(context, tmp_path):
    """The image's last steps, here: install our tarball, read its EE metadata, load its playbooks."""
    ctx = context.ctx
    target = tmp_path / "collections"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(target))
    env.pop("PYTHONPATH", None)  # the checkout must not stand in for the tarball
    tarball = next((ctx / "_build" / "collections").glob("*.tar.gz"))
    run([tool("ansible-galaxy"), "collection", "install", "--force", "--no-deps", "-p", str(target), str(tarball)],
        cwd=str(tmp_path), env=env)
    installed = target / "ansible_collections" / "netops" / "ipsec_spi"
    assert (installed / "playbooks" / "audit.yml").is_file()

    proc = run([sys.executable, str(ctx / "_build" / "scripts" / "introspect.py"), "introspect", str(target)],
               cwd=str(tmp_path), env=env)
    found = yaml.safe_load(proc.stdout)
    python = requirement_names(line.split("#")[0] for line in found["python"])
    assert {"ansible-pylibssh", "jmespath"} <= python, found
    assert any(line.startswith("libssh ") and "platform:rpm" in line for line in found["system"]), found

    proc = run([tool("ansible-playbook"), "--syntax-check", "netops.ipsec_spi.audit", "netops.ipsec_spi.remediate"],
               cwd=str(tmp_path), env=env)
    assert str(installed / "playbooks" / "remediate.yml") in proc.stdout, proc.stdout
