# -*- coding: utf-8 -*-
"""scripts/env.sh: strict and self-contained for the scripts, harmless in a user's interactive shell (issue 24)."""

from __future__ import annotations

import hashlib
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV_SH = os.path.join(ROOT, "scripts", "env.sh")
SHOW = 'echo "rc=$? opts=$- home=$HOME ahome=$ANSIBLE_HOME venv=${VIRTUAL_ENV:-}"; set -o | grep -E "^pipefail"\n'


def fake_venv(tmp_path):
    """A virtualenv env.sh takes as up to date, so nothing is installed."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to("/bin/true")
    (venv / "bin" / "activate").write_text('export VIRTUAL_ENV="%s"\n' % venv)
    text = b"".join(open(os.path.join(ROOT, name), "rb").read() for name in ("requirements-test.txt", "requirements.txt"))
    (venv / ".requirements.sha").write_text("%s  -\n" % hashlib.sha256(text).hexdigest())
    return venv


def run(tmp_path, args, script):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IPSEC_SPI_", "VIRTUAL_ENV"))}
    env.update(HOME=str(tmp_path / "user-home"), IPSEC_SPI_VENV=str(fake_venv(tmp_path)),
               IPSEC_SPI_TMP=str(tmp_path / "scratch"))
    proc = subprocess.run(["bash", "--norc", "--noprofile"] + args, input=script, env=env, cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=60, check=False)
    return proc, dict(part.split("=", 1) for line in proc.stdout.splitlines() if line.startswith("rc=")
                      for part in line.split())


def test_an_interactive_shell_keeps_its_options_and_home(tmp_path):
    proc, shown = run(tmp_path, ["-i"], ". %s\n%s" % (ENV_SH, SHOW))
    assert shown["rc"] == "0", proc.stderr
    assert "e" not in shown["opts"] and "u" not in shown["opts"], shown
    assert "pipefail       \toff" in proc.stdout, proc.stdout
    assert shown["home"] == str(tmp_path / "user-home")
    # Ansible's own files still go to the scratch folder, and the virtualenv is active.
    assert shown["ahome"] == str(tmp_path / "scratch" / "home" / ".ansible") and shown["venv"] == str(tmp_path / "venv")


def test_a_failure_returns_to_the_interactive_shell(tmp_path):
    script = "IPSEC_SPI_VENV=%s PYTHON=/bin/false . %s\necho still-here rc=$?\n" % (tmp_path / "none", ENV_SH)
    proc, dummy = run(tmp_path, ["-i"], script)
    assert "still-here rc=1" in proc.stdout and "could not set up" in proc.stderr, (proc.stdout, proc.stderr)


def test_a_script_gets_strict_mode_and_a_private_home(tmp_path):
    proc, shown = run(tmp_path, ["-s"], ". %s\n%s" % (ENV_SH, SHOW))
    assert shown["rc"] == "0", proc.stderr
    assert "e" in shown["opts"] and "u" in shown["opts"] and "pipefail       \ton" in proc.stdout
    assert shown["home"] == str(tmp_path / "scratch" / "home")


def test_a_build_reports_its_time_and_an_existing_virtualenv_none(tmp_path):
    """scripts/test.sh prints the virtualenv's build apart from the stages (issue 23): env.sh says how long."""
    fake = tmp_path / "fake-python"
    # `python -m venv DIR` makes a virtualenv whose python accepts anything (pip installs nothing).
    fake.write_text('#!/bin/sh\n[ "$1 $2" = "-m venv" ] || exit 1\nmkdir -p "$3/bin"\n'
                    'printf "#!/bin/sh\\nexit 0\\n" > "$3/bin/python"\nchmod +x "$3/bin/python"\n'
                    'echo "export VIRTUAL_ENV=$3" > "$3/bin/activate"\n')
    fake.chmod(0o755)
    show = 'echo "rc=$? built=${IPSEC_SPI_VENV_BUILD_SECONDS:-none}"\n'
    fresh = tmp_path / "fresh"
    script = "IPSEC_SPI_VENV=%s PYTHON=%s . %s\n%s" % (fresh, fake, ENV_SH, show)
    (tmp_path / "first").mkdir()
    proc, shown = run(tmp_path / "first", ["-s"], script)
    assert shown["rc"] == "0" and shown["built"].isdigit(), (proc.stdout, proc.stderr)
    assert (fresh / ".requirements.sha").is_file()
    # Sourced again: the virtualenv is up to date, nothing is built, no build time.
    (tmp_path / "again").mkdir()
    proc, shown = run(tmp_path / "again", ["-s"], script)
    assert shown == {"rc": "0", "built": "none"}, (proc.stdout, proc.stderr)
