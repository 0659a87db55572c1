# -*- coding: utf-8 -*-
"""A folder per run under the report directory, the `latest` link, and the move of a flat layout."""

from __future__ import annotations

import os

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils.report import runs

NAMES = ["report.json", "report.md", "report.html", "junit.xml"]


def test_run_name_is_the_report_time_in_utc():
    assert runs.run_name("2026-11-30T02:00:00+00:00") == "20261130T020000Z"
    assert runs.run_name("2026-11-30T03:00:00+01:00") == "20261130T020000Z"
    assert runs.run_name("2026-11-30T02:00:00Z") == "20261130T020000Z"
    assert runs.RUN_NAME_RE.fullmatch(runs.run_name("not a time"))


def test_two_runs_in_one_second_get_two_folders(tmp_path):
    first = runs.new_run_dir(str(tmp_path), "2026-11-30T02:00:00+00:00")
    second = runs.new_run_dir(str(tmp_path), "2026-11-30T02:00:00+00:00")
    assert os.path.basename(first) == "20261130T020000Z" and os.path.basename(second) == "20261130T020000Z-2"
    assert runs.RUN_NAME_RE.fullmatch(os.path.basename(second))


def test_publish_points_latest_and_the_top_files_at_the_newest_run(tmp_path):
    dest = str(tmp_path)
    for when in ("2026-11-30T02:00:00+00:00", "2026-12-01T02:00:00+00:00"):
        run = runs.new_run_dir(dest, when)
        for name in NAMES:
            (tmp_path / os.path.basename(run) / name).write_text(when, encoding="utf-8")
        runs.publish(dest, run, NAMES)
    assert os.readlink(str(tmp_path / "latest")) == "20261201T020000Z"
    assert runs.latest_run(dest) == str(tmp_path / "20261201T020000Z")
    for name in NAMES:
        assert (tmp_path / name).read_text(encoding="utf-8") == "2026-12-01T02:00:00+00:00"
    # The older run stays, and no temporary link is left behind.
    assert (tmp_path / "20261130T020000Z" / "report.json").exists()
    assert not [n for n in os.listdir(dest) if n.endswith(".tmp")]


@pytest.mark.parametrize("target", ["../elsewhere", "/etc", "notes", "20261130T020000Z/../.."])
def test_latest_is_only_ever_a_run_folder(tmp_path, target):
    (tmp_path / "notes").mkdir()
    os.symlink(target, str(tmp_path / "latest"))
    assert runs.latest_run(str(tmp_path)) is None


def test_latest_missing_or_a_plain_folder(tmp_path):
    assert runs.latest_run(str(tmp_path)) is None
    (tmp_path / "latest").mkdir()
    assert runs.latest_run(str(tmp_path)) is None


def test_flat_files_move_aside_and_links_are_left_alone(tmp_path):
    dest = str(tmp_path)
    assert runs.move_flat_files(dest, NAMES) is None
    for name in NAMES[:2]:
        (tmp_path / name).write_text("old " + name, encoding="utf-8")
    (tmp_path / "mine.txt").write_text("not ours", encoding="utf-8")
    folder = runs.move_flat_files(dest, NAMES)
    assert os.path.basename(folder).startswith(runs.FLAT_PREFIX)
    assert sorted(os.listdir(folder)) == sorted(NAMES[:2])
    assert (tmp_path / "mine.txt").exists()  # nothing but the report files moves
    run = runs.new_run_dir(dest, "2026-11-30T02:00:00+00:00")
    runs.publish(dest, run, NAMES)
    assert runs.move_flat_files(dest, NAMES) is None  # links to latest/ are not a flat layout
