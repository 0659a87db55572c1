# -*- coding: utf-8 -*-
"""What the collection says about itself: versions, license, the files a release ships (issue 24)."""

from __future__ import annotations

import glob
import os
import re

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def key(version):
    return tuple(int(part) for part in version.split("."))


def test_every_version_added_is_a_release_of_this_collection():
    version = load("galaxy.yml")["version"]
    released = set((load("changelogs/changelog.yaml").get("releases") or {}))
    files = (glob.glob(os.path.join(ROOT, "plugins", "**", "*.py"), recursive=True)
             + glob.glob(os.path.join(ROOT, "plugins", "**", "*.yml"), recursive=True)
             + glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml")))
    seen = {}
    for path in files:
        with open(path, encoding="utf-8") as handle:
            for lineno, line in enumerate(handle, 1):
                found = re.fullmatch(r"\s*version_added:\s*[\"']?([^\"'\s]+)[\"']?\s*", line)
                if found:
                    seen["%s:%d" % (os.path.relpath(path, ROOT), lineno)] = found.group(1)
    assert len(seen) >= 30  # every plugin has one: the scan found them
    wrong = {where: v for where, v in seen.items()
             if not re.fullmatch(r"\d+\.\d+\.\d+", v) or key(v) > key(version) or (v != version and v not in released)}
    assert not wrong, "version_added must be %s or a released version: %s" % (version, wrong)


def test_license_is_the_one_the_headers_and_galaxy_name():
    assert load("galaxy.yml")["license"] == ["GPL-3.0-or-later"]
    with open(os.path.join(ROOT, "LICENSE"), encoding="utf-8") as handle:
        text = handle.read()
    assert text.lstrip().startswith("GNU GENERAL PUBLIC LICENSE") and "Version 3, 29 June 2007" in text
    assert "any later version" in text
