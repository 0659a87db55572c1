"""captured_files: a folder of captured outputs reads like a live gather."""
from __future__ import annotations

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils.captured_files import read_capture_dir
from ansible_collections.netops.ipsec_spi.plugins.module_utils.commands import GATHER
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError


def test_missing_or_empty_folder_is_an_error(tmp_path):
    with pytest.raises(ParseError, match="does not exist"):
        read_capture_dir(str(tmp_path / "nope"))
    with pytest.raises(ParseError, match="none of the expected files .*version.txt"):
        read_capture_dir(str(tmp_path))
    with pytest.raises(ParseError, match="path is required"):
        read_capture_dir("")


def test_both_file_names_and_every_key(tmp_path):
    (tmp_path / "show_crypto_ipsec_sa.txt").write_text("x")
    (tmp_path / "version.txt").write_text("Cisco IOS XE Software, Version 17.09.04a\n")
    (tmp_path / "show_logging.txt").write_bytes(b"caf\xe9\n")
    out = read_capture_dir(str(tmp_path))
    assert sorted(out) == sorted(key for key, _command in GATHER)
    assert out["ipsec_sa"] == "x" and out["version"].startswith("Cisco IOS XE")
    assert out["logging"] == "caf\ufffd\n" and out["dmvpn"] is None


def test_the_key_name_wins_over_the_command_name(tmp_path):
    (tmp_path / "dmvpn.txt").write_text("first")
    (tmp_path / "show_dmvpn.txt").write_text("second")
    assert read_capture_dir(str(tmp_path))["dmvpn"] == "first"


def test_a_failed_session_saved_as_output_is_refused(tmp_path):
    (tmp_path / "ipsec_sa.txt").write_text("command timeout triggered, timeout value is 30 secs.\n")
    with pytest.raises(ParseError, match="ipsec_sa.txt holds a failed session's message"):
        read_capture_dir(str(tmp_path))
