# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A folder per run under the report directory, and the links that make the newest one easy to open.

    ipsec_spi_reports/
      20261130T020000Z/   report.json report.md report.html junit.xml   (one run)
      20261201T020000Z/   ...
      latest -> 20261201T020000Z
      report.html -> latest/report.html   (and the other three: what a bookmark or a script opens)

Only folders named like a run (``RUN_NAME_RE``) are ever read as runs; nothing here deletes a file.
Standard library only, no Ansible imports (the fleet_report module calls it).
"""

from __future__ import annotations

import datetime
import os
import re
from typing import Iterable, Optional

LATEST = "latest"
RUN_NAME_RE = re.compile(r"[0-9]{8}T[0-9]{6}Z(?:-[0-9]{1,3})?")
# A report directory of the flat layout (before folders per run) moves its files here first.
FLAT_PREFIX = "before-per-run-"


def run_name(generated_at: str) -> str:
    """20261130T020000Z from the report's generated_at (ISO 8601); the controller's clock if unreadable."""
    try:
        moment = datetime.datetime.fromisoformat(str(generated_at).replace("Z", "+00:00"))
    except ValueError:
        moment = datetime.datetime.now(datetime.timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def latest_run(dest: str) -> Optional[str]:
    """The run folder ``latest`` points to, when it is a link to a run folder of ``dest``."""
    link = os.path.join(dest, LATEST)
    if not os.path.islink(link):
        return None
    target = os.readlink(link)
    if not RUN_NAME_RE.fullmatch(target) or not os.path.isdir(os.path.join(dest, target)):
        return None
    return os.path.join(dest, target)


def new_run_dir(dest: str, generated_at: str) -> str:
    """Create the folder of a new run; a second run in the same second gets -2, -3, ..."""
    base = run_name(generated_at)
    for index in range(1, 1000):
        name = base if index == 1 else "%s-%d" % (base, index)
        path = os.path.join(dest, name)
        try:
            os.mkdir(path)
        except FileExistsError:
            continue
        return path
    raise OSError("999 report folders named %s already exist in %s" % (base, dest))


def _replace_link(path: str, target: str) -> None:
    """Point ``path`` at ``target`` atomically (a new link, then a rename over the old one)."""
    tmp = "%s.%d.tmp" % (path, os.getpid())
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(target, tmp)
    os.replace(tmp, path)


def move_flat_files(dest: str, names: Iterable[str]) -> Optional[str]:
    """Files of the flat layout (real files at the top of ``dest``) move into a folder of their own,
    so that switching to folders per run loses no earlier report. Returns that folder, or None."""
    flat = [n for n in names if os.path.isfile(os.path.join(dest, n)) and not os.path.islink(os.path.join(dest, n))]
    if not flat:
        return None
    when = max(os.path.getmtime(os.path.join(dest, n)) for n in flat)
    stamp = datetime.datetime.fromtimestamp(when, tz=datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    folder = os.path.join(dest, FLAT_PREFIX + stamp)
    os.makedirs(folder, exist_ok=True)
    for name in flat:
        os.replace(os.path.join(dest, name), os.path.join(folder, name))
    return folder


def publish(dest: str, run_dir: str, names: Iterable[str]) -> None:
    """Make ``run_dir`` the latest run and link each file name at the top of ``dest`` to it."""
    _replace_link(os.path.join(dest, LATEST), os.path.basename(run_dir))
    for name in names:
        top = os.path.join(dest, name)
        target = os.path.join(LATEST, name)
        if os.path.islink(top) and os.readlink(top) == target:
            continue
        _replace_link(top, target)
