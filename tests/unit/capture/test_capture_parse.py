"""capture/parse.py: capture files into snapshots, `dir flash:` into a table."""
from __future__ import annotations

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils import capture
from ansible_collections.netops.ipsec_spi.plugins.module_utils import commands
from ansible_collections.netops.ipsec_spi.tests.unit.capture.blocks import BR, HUB, T0, receiver_block, twin_block


def test_parse_dir():
    text = """Directory of bootflash:/

   11  drwx            16384  Nov 25 2026 10:05:16 +00:00  lost+found
   12  -rw-             6755  Nov 12 2026 13:55:00 +00:00  packages.conf
   14  -rw-            43875  Nov 29 2026 18:03:08 +00:00  ipsec_spi_capture.txt

7897796608 bytes total (6616240128 bytes free)
"""
    out = capture.parse_dir(text)
    assert out == {"files": {"packages.conf": 6755, "ipsec_spi_capture.txt": 43875}, "total": 7897796608,
                   "free": 6616240128}
    missing = capture.parse_dir("%Error opening flash:/x (No such file or directory)")
    assert missing == {"files": {}, "total": None, "free": None}


# ----- capture files --------------------------------------------------------------------------------------


def test_parse_capture_reads_every_section():
    problems = []
    snaps = capture.parse_capture(receiver_block(T0, 0xFF123456, [0x620F087]), host="hubc", file="f.txt",
                                  problems=problems)
    assert problems == []
    (snap,) = snaps
    assert snap["kind"] == "receiver" and snap["complete"] and snap["epoch"] == T0
    assert snap["sender"] == BR and snap["spi"] == 0xFF123456 and snap["spi_hex"] == "0xFF123456"
    assert snap["trigger"]["dst"] == HUB and snap["trigger"]["mnemonic"] == "RECVD_PKT_INV_SPI"
    assert snap["ipsec_sas"][0]["inbound_spis"] == [0x620F087]
    assert snap["qfp_ipsec_drops"]["IN_US_V4_PKT_SA_NOT_FOUND_SPI"]["packets"] == 15822
    assert len(snap["log_events"]) == 1 and snap["file"] == "f.txt"
    assert snap["commands"][0] == "show clock"


def test_parse_capture_reports_cut_blocks_and_stray_text():
    text = "garbage before\n" + receiver_block(T0, 0x1234, [], end=False) + twin_block(T0 + 30, [0x1234])
    problems = []
    snaps = capture.parse_capture(text, host="h", problems=problems)
    assert [s["complete"] for s in snaps] == [False, True]
    assert any("outside a capture block" in p["reason"] for p in problems)
    assert any("no end marker" in p["reason"] for p in problems)
    bad = capture.BEGIN + "\nepoch: soon\nspi: 0xZZ\nsender: nobody\nkind: odd\nnot a header\n" + capture.END
    problems = []
    (snap,) = capture.parse_capture(bad, problems=problems)
    reasons = " ".join(p["reason"] for p in problems)
    for what in ("epoch 'soon'", "spi '0xZZ'", "sender 'nobody'", "unknown capture kind", "not a 'key: value'"):
        assert what in reasons
    assert snap["epoch"] is None


def test_parse_capture_records_unsupported_qfp_on_classic_ios():
    text = "\n".join([capture.BEGIN, "kind: twin", "epoch: 5", "--- command: %s ---" % commands.QFP_IPSEC_DROPS,
                      "show platform hardware qfp active feature ipsec datapath drops all",
                      "              ^", "% Invalid input detected at '^' marker.", "", "brd#", capture.END])
    (snap,) = capture.parse_capture(text)
    assert snap["unsupported_commands"] == [commands.QFP_IPSEC_DROPS] and snap["qfp_ipsec_drops"] is None


def test_parse_capture_accepts_every_mnemonic_spelling():
    for mnemonic in commands.INV_SPI_MNEMONICS:
        (snap,) = capture.parse_capture(receiver_block(T0, 0x1234, [], mnemonic=mnemonic))
        assert snap["trigger"]["mnemonic"] == mnemonic


# ----- corrupt headers (issue 17, item 5) ------------------------------------------------------------------

@pytest.mark.parametrize("value", ["1e20", "-1e20", "inf", "-inf", "nan", "9" * 400, "1e12", "-5", "0x10"])
def test_an_epoch_that_is_not_a_time_is_a_problem_not_a_crash(value):
    text = "\n".join([capture.BEGIN, "kind: twin", "epoch: " + value, capture.END])
    problems = []
    (snap,) = capture.parse_capture(text, problems=problems)
    assert snap["epoch"] is None and snap["time"] is None
    assert [p["line"] for p in problems] == [3] and "is not a time stamp" in problems[0]["reason"], problems


def test_a_huge_format_number_is_a_problem_not_a_crash():
    text = "\n".join([capture.BEGIN, "kind: twin", "format: " + "9" * 5000, "epoch: 5", capture.END])
    problems = []
    (snap,) = capture.parse_capture(text, problems=problems)
    assert snap["epoch"] == 5.0 and any("format" in p["reason"] for p in problems)
