"""capture_fetch parses what it reads where it arrives: the capture set it returns is what spi_captures judges."""
from __future__ import annotations

import json

import pytest
from conftest import patch_module_args  # ansible-core 2.19+ has it; conftest has the stand-in for older cores

from ansible_collections.netops.ipsec_spi.plugins.module_utils import capture
from ansible_collections.netops.ipsec_spi.plugins.modules import capture_fetch
from ansible_collections.netops.ipsec_spi.tests.unit.capture.blocks import T0, receiver_block, twin_block

DIR = """Directory of bootflash:/

   14  -rw-            {size}  Nov 29 2026 18:03:08 +00:00  ipsec_spi_capture.txt

7897796608 bytes total (6616240128 bytes free)
"""


class FakeRouter:
    files = {}
    sent = []

    def __init__(self, _socket_path):
        pass

    def run_commands(self, commands, check_rc=False):
        (command,) = commands
        FakeRouter.sent.append(command)
        if command == "dir flash:":
            return [DIR.format(size=sum(len(t) for t in FakeRouter.files.values()))]
        if command.startswith("more flash:"):
            return [FakeRouter.files[command[len("more flash:"):]]]
        raise AssertionError("unexpected command %r" % command)


def run(args, files, capsys, monkeypatch):
    FakeRouter.files, FakeRouter.sent = dict(files), []
    monkeypatch.setattr(capture_fetch, "Connection", FakeRouter)
    with patch_module_args(dict(args, _ansible_check_mode=True)), pytest.raises(SystemExit):
        capture_fetch.main()
    return json.loads(capsys.readouterr().out)


def test_fetched_files_come_back_parsed(capsys, monkeypatch):
    text = receiver_block(T0, 0x1234, []) + "--- stray ---\n"
    result = run({"files": ["ipsec_spi_capture.txt", "ipsec_spi_twin.txt"], "host": "hubc"},
                 {"ipsec_spi_capture.txt": text}, capsys, monkeypatch)
    assert not result.get("failed"), result
    assert [f["present"] for f in result["files"]] == [True, False] and result["files"][0]["content"] == text
    assert result["captures"] == json.loads(json.dumps(
        capture.read_captures([("ipsec_spi_capture.txt", text)], host="hubc")))
    (snap,) = result["captures"]["snapshots"]
    assert snap["host"] == "hubc" and snap["kind"] == "receiver" and snap["spi"] == 0x1234
    assert [p["reason"] for p in result["captures"]["problems"]] == ["ipsec_spi_capture.txt: text outside a capture block"]
    assert FakeRouter.sent == ["dir flash:", "more flash:ipsec_spi_capture.txt"]


def test_a_corrupt_header_is_a_problem_in_the_result(capsys, monkeypatch):
    text = twin_block(T0, [0x1234]).replace("epoch: %d" % T0, "epoch: 1e20")
    result = run({"files": ["ipsec_spi_capture.txt"]}, {"ipsec_spi_capture.txt": text}, capsys, monkeypatch)
    assert not result.get("failed"), result
    assert result["captures"]["snapshots"][0]["epoch"] is None
    assert "is not a time stamp" in result["captures"]["problems"][0]["reason"]


@pytest.mark.parametrize("args, message", [
    ({"files": ["../etc"]}, "not a plain file name"),
    ({"files": ["x.txt"], "year": 99999}, "year must be from 1970 to 9999"),
])
def test_bad_options_are_refused_before_anything_is_sent(args, message, capsys, monkeypatch):
    result = run(args, {}, capsys, monkeypatch)
    assert result["failed"] and message in result["msg"] and FakeRouter.sent == []
