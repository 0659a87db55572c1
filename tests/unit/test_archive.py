# -*- coding: utf-8 -*-
"""Syslog-server archives: rotated files read as one stream, attribution to routers, the cache, the filter."""

import bz2
import gzip
import json
import lzma
import os
import subprocess
import sys
import threading
import zlib

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils import archive, archive_cache
from ansible_collections.netops.ipsec_spi.plugins.module_utils.archive_hosts import (
    archive_flows,
    archive_result,
    attributed_hosts,
    check_host_map,
    merge_into_facts,
    router_events,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError
from ansible_collections.netops.ipsec_spi.plugins.module_utils.flows import build_flows
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog import parse_events

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "logging")


def msg(relay, seq, spi, src="198.51.100.7", dst="192.0.2.21", minute=31, second=0, origin=None):
    """One relayed INV_SPI line in a syslog server's format."""
    return ("Sep  2 13:%02d:%02d %s 88: %s%06d: Sep  2 13:%02d:%02d.250 UTC: %%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: "
            "rec'd IPSEC packet has invalid spi for destaddr=%s, prot=50, spi=0x%08X, srcaddr=%s\n" % (
                minute, second, relay, (origin + ": ") if origin else "", seq, minute, second, dst, spi, src))


NOISE = "Sep  2 13:30:00 hub-1.example.net 12: %SYS-5-CONFIG_I: Configured from console by admin on vty0\n"


def write(path, text, kind=None):
    data = text.encode()
    opener = {None: open, "gzip": gzip.open, "bzip2": bz2.open, "xz": lzma.open}[kind]
    with opener(str(path), "wb") as out:
        out.write(data)


def text_of(path):
    for suffix, opener in ((".gz", gzip.open), (".bz2", bz2.open), (".xz", lzma.open)):
        if path.endswith(suffix):
            with opener(path, "rt") as handle:
                return handle.read()
    with open(path) as handle:
        return handle.read()


@pytest.fixture()
def rotated(tmp_path):
    """messages.3.xz messages.2.gz messages.1.bz2 messages: oldest first, one line shared by .1 and the current file."""
    logs = tmp_path / "logs"
    logs.mkdir()
    write(logs / "messages.3.xz", NOISE + msg("hub-1.example.net", 1, 0x11, minute=1), "xz")
    write(logs / "messages.2.gz", msg("hub-1.example.net", 2, 0x11, minute=2) + NOISE, "gzip")
    shared = msg("192.0.2.50", 7, 0x22, dst="192.0.2.50", minute=3)
    write(logs / "messages.1.bz2", NOISE + shared, "bzip2")
    write(logs / "messages", shared + msg("spoke-9", 8, 0x33, dst="192.0.2.9", minute=4, origin="spoke-9")
          + msg("10.99.0.7", 9, 0x44, dst="192.0.2.77", minute=5))
    (logs / ".hidden").write_text(msg("hub-1.example.net", 99, 0x99))
    return logs


def read(spec, tmp_path, **kwargs):
    folder = tmp_path / ("work%d" % len(list(tmp_path.iterdir())))
    folder.mkdir()
    return str(folder), archive.read_archive(spec, str(folder), year=2024, **kwargs)


def test_rotation_order_oldest_first():
    names = ["messages", "messages.1", "messages.10.gz", "messages.2.gz", "auth.log", "auth.log.1",
             "cisco-20240902.gz", "cisco-20240901", "cisco"]
    ordered = [os.path.basename(p) for p in sorted(("/l/" + n for n in names), key=archive.rotation_key)]
    assert ordered == ["auth.log.1", "auth.log", "cisco-20240901", "cisco-20240902.gz", "cisco",
                       "messages.10.gz", "messages.2.gz", "messages.1", "messages"]


def test_folder_read_oldest_first_every_compression(rotated, tmp_path):
    folder, summary = read(str(rotated), tmp_path, keep_recent=10)
    files = [(os.path.basename(f["path"]), f["compression"], f["lines"], f["events"], f["duplicates"])
             for f in summary["files"]]
    assert files == [("messages.3.xz", "xz", 2, 1, 0), ("messages.2.gz", "gzip", 2, 1, 0),
                     ("messages.1.bz2", "bzip2", 2, 1, 0), ("messages", None, 3, 2, 1)]
    assert (summary["lines"], summary["events"], summary["duplicates"], summary["problem_count"]) == (9, 5, 1, 0)
    assert set(summary["hosts"]) == {"hub-1.example.net", "192.0.2.50", "spoke-9", "10.99.0.7"}
    events = archive.row_events(summary["recent"], summary)
    assert [(os.path.basename(e["file"]), e["line"], e["sequence"]) for e in events] == [
        ("messages.3.xz", 2, 1), ("messages.2.gz", 1, 2), ("messages.1.bz2", 2, 7), ("messages", 2, 8),
        ("messages", 3, 9)]
    # the events are what the parser gives for each file on its own
    alone = parse_events(msg("hub-1.example.net", 2, 0x11, minute=2) + NOISE, year=2024)
    assert {k: v for k, v in events[1].items() if k != "file"} == alone[0]


def test_flows_of_the_archive_are_the_flows_of_all_its_events(rotated, tmp_path):
    folder, summary = read(str(rotated), tmp_path)
    text = "".join(text_of(p) for p in archive.archive_files(str(rotated))[0])
    expected = build_flows(parse_events(text, year=2024))
    got = archive_flows(folder, summary)

    def key(flow):
        return (flow["host"], flow["src"], flow["spi"])

    assert sorted(got, key=key) == sorted(expected, key=key)
    assert [f["count"] for f in got if f["spi"] == 0x11] == [2]


def test_same_line_twice_in_one_file_is_left_to_the_flow_rules(tmp_path):
    line = msg("hub-1", 5, 0x55)
    write(tmp_path / "messages", line + line)
    folder, summary = read(str(tmp_path / "messages"), tmp_path)
    assert (summary["events"], summary["duplicates"]) == (2, 0)
    [flow] = archive_flows(folder, summary)
    assert flow["count"] == 1


def test_a_mnemonic_inside_another_message_is_no_event_in_an_archive(tmp_path):
    """Rotated archives go through the same rule as show logging: the line's own first mnemonic only."""
    forged = msg("hub-1", 6, 0x66, src="203.0.113.66").replace(
        "%CRYPTO-4-", "%SEC_LOGIN-4-LOGIN_FAILED: Login failed [user: %CRYPTO-4-", 1)
    write(tmp_path / "messages.1.gz", forged + msg("hub-1", 7, 0x77), "gzip")
    _folder, summary = read(str(tmp_path / "messages*"), tmp_path)
    assert summary["events"] == 1
    [item] = summary["problems"]
    assert item["line"] == 1 and "%SEC_LOGIN-4-LOGIN_FAILED" in item["reason"] and "not an event" in item["reason"]


def test_duplicate_window_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "DEDUPE_WINDOW", 2)
    lines = [msg("hub-1", n, 0x100 + n, minute=10 + n) for n in range(4)]
    write(tmp_path / "messages.1", "".join(lines))
    write(tmp_path / "messages", lines[0] + lines[3])
    _folder, summary = read(str(tmp_path / "messages*"), tmp_path)
    # the window holds the last two lines: line 3's copy is dropped, line 0's is past the window and counts
    assert (summary["events"], summary["duplicates"]) == (5, 1)


def test_missing_unreadable_and_corrupt_files_are_named_and_the_rest_read(tmp_path, monkeypatch):
    logs = tmp_path / "logs"
    logs.mkdir()
    good = "".join(msg("hub-1", n, 0x200 + n, minute=10 + n) for n in range(3))
    whole = gzip.compress((good * 200).encode())
    (logs / "messages.3.gz").write_bytes(whole[:len(whole) // 2])  # truncated
    write(logs / "messages.2", msg("hub-1", 50, 0x300))
    write(logs / "messages.1", msg("hub-1", 51, 0x301))
    os.symlink(str(logs / "gone"), str(logs / "messages.4"))  # a dangling link: a missing file
    write(logs / "messages", msg("hub-1", 52, 0x302) + msg("hub-1", 53, 0x303).replace("prot=50", "prot=5x0"))
    real_open = archive._open

    def deny(path):
        if path.endswith("messages.2"):
            raise PermissionError(13, "Permission denied")
        return real_open(path)

    monkeypatch.setattr(archive, "_open", deny)
    _folder, summary = read([str(logs), str(tmp_path / "nowhere")], tmp_path)
    reasons = {os.path.basename(p["file"]): p["reason"] for p in summary["problems"] if p["line"] is None}
    reasons["messages"] = [p["reason"] for p in summary["problems"] if p["file"].endswith("/messages")][0]
    assert "no such file or folder" in reasons["nowhere"]
    assert "No such file" in reasons["messages.4"]
    assert "Permission denied" in reasons["messages.2"]
    assert "corrupt after line" in reasons["messages.3.gz"] and "the lines before were read" in reasons["messages.3.gz"]
    assert "prot=" in reasons["messages"]
    by_name = {os.path.basename(f["path"]): f for f in summary["files"]}
    assert by_name["messages.3.gz"]["events"] > 100  # what came before the truncation
    assert by_name["messages.1"]["events"] == 1 and by_name["messages"]["events"] == 1
    # the line cut by the truncation is one of the file's problems too, and never read
    cut = [p for p in summary["problems"] if p["file"].endswith("messages.3.gz") and p["line"]]
    assert len(cut) == 1 and "line cut by the corruption" in cut[0]["reason"] and "not parsed" in cut[0]["reason"]
    assert cut[0]["line"] == by_name["messages.3.gz"]["lines"] + 1
    assert summary["problem_count"] == 6


def _cut_gzip(text):
    """A gzip member that stops after exactly ``text`` (no end of stream, no trailer): a truncated copy."""
    packer = zlib.compressobj(wbits=31)
    return packer.compress(text.encode()) + packer.flush(zlib.Z_SYNC_FLUSH)


@pytest.mark.parametrize("chunk", [None, 7, 100])
def test_text_after_the_last_newline_before_a_truncation_is_reported_never_parsed(tmp_path, chunk):
    """Issue 22 item 3: a .gz cut inside ``srcaddr=192.0.2.41`` gave an event from 192.0.2.4."""
    good = msg("hub-1", 1, 0x11, src="192.0.2.41")
    cut = msg("hub-1", 2, 0x11, src="192.0.2.41", minute=33)
    cut = cut[:cut.index("192.0.2.41") + len("192.0.2.4")]
    (tmp_path / "messages.1.gz").write_bytes(_cut_gzip(NOISE + good + cut))
    _folder, summary = read(str(tmp_path / "messages*"), tmp_path, chunk=chunk)
    [info] = summary["files"]
    assert (info["events"], info["lines"]) == (1, 2)
    offset = len((NOISE + good).encode())
    assert "corrupt after line 2" in info["error"]
    reasons = [p["reason"] for p in summary["problems"]]
    assert [p["line"] for p in summary["problems"]] == [None, 3]
    assert all(p["file"].endswith("messages.1.gz") for p in summary["problems"])
    assert "%d bytes" % len(cut) in reasons[1] and "offset %d" % offset in reasons[1] and "not parsed" in reasons[1]
    assert summary["problems"][1]["text"] == cut[:200]


def test_a_truncation_right_after_a_newline_loses_nothing(tmp_path):
    good = msg("hub-1", 1, 0x11) + msg("hub-1", 2, 0x12, minute=33)
    (tmp_path / "messages.gz").write_bytes(_cut_gzip(good))
    _folder, summary = read(str(tmp_path / "messages.gz"), tmp_path)
    assert summary["events"] == 2 and [p["line"] for p in summary["problems"]] == [None]
    assert "corrupt after line 2" in summary["problems"][0]["reason"]


def test_a_plain_file_without_a_final_newline_is_read_whole(tmp_path):
    """Only a corruption makes the last line a fragment: a file that just lacks its last line end is whole."""
    write(tmp_path / "messages", msg("hub-1", 1, 0x11).rstrip("\n"))
    _folder, summary = read(str(tmp_path / "messages"), tmp_path)
    assert summary["events"] == 1 and summary["problems"] == []


def test_no_file_is_read_whole(tmp_path, monkeypatch):
    """Every read asks for a bounded chunk, whatever the file's size."""
    write(tmp_path / "messages", (NOISE * 50 + msg("hub-1", 1, 0x1)) * 50)
    asked = []
    real_open = archive._open

    class Spy(object):
        def __init__(self, stream):
            self.stream = stream

        def read(self, size=-1):
            asked.append(size)
            return self.stream.read(size)

        def close(self):
            self.stream.close()

    def spied(path):
        raw, stream, kind = real_open(path)
        return raw, Spy(stream), kind

    monkeypatch.setattr(archive, "_open", spied)
    _folder, summary = read(str(tmp_path / "messages"), tmp_path, chunk=4096)
    assert summary["events"] == 50
    assert len(asked) > 10 and all(0 < size <= 4096 for size in asked)


@pytest.mark.parametrize("spec,message", [(5, "archive must be"), ([], "archive must be"), ([""], "non-empty")])
def test_bad_specs(spec, message, tmp_path):
    with pytest.raises(ParseError, match=message):
        archive.read_archive(spec, str(tmp_path))


# -- which events belong to which router --------------------------------------------------

SUMMARY = {"hosts": {"hub-1.example.net": {}, "HUB-2": {}, "192.0.2.50": {}, "2001:DB8::5": {}, "spoke-9": {},
                     "10.99.0.7": {}, "": {}}}


@pytest.mark.parametrize("router,names,addresses,host_map,expected", [
    ("hub-1", [], [], {}, ["hub-1.example.net"]),
    ("hub-2.example.net", [], [], {}, ["HUB-2"]),
    ("r-two", ["hub-2"], [], {}, ["HUB-2"]),
    ("r50", [], ["192.0.2.50", "2001:db8::5"], {}, ["192.0.2.50", "2001:DB8::5"]),
    ("hub-1", [], [], {"10.99.0.7": "hub-1"}, ["hub-1.example.net", "10.99.0.7"]),
    # the map is checked first and overrides the names
    ("spoke-9", [], [], {"spoke-9": "spoke-10"}, []),
    ("spoke-10", [], [], {"spoke-9": "spoke-10"}, ["spoke-9"]),
    ("hub-1.site-b", [], [], {}, []),
])
def test_attribution_rule(router, names, addresses, host_map, expected):
    assert attributed_hosts(SUMMARY, router, names, addresses, host_map) == expected


def test_host_map_is_checked():
    assert check_host_map({" 2001:DB8::5 ": "r1", "Hub-1.": "r2"}) == {"2001:db8::5": "r1", "hub-1": "r2"}
    with pytest.raises(ParseError, match="host_map"):
        check_host_map(["r1"])
    with pytest.raises(ParseError, match="non-empty"):
        check_host_map({"x": 5})


def test_router_events_take_the_inventory_name_unless_the_device_named_itself(rotated, tmp_path):
    folder, summary = read(str(rotated), tmp_path)
    events = router_events(folder, summary, "hub-1", host_map={"spoke-9": "hub-1"})
    assert [(e["host"], e["sequence"]) for e in events] == [("hub-1", 1), ("hub-1", 2), ("spoke-9", 8)]


def test_merge_with_the_routers_own_buffer_counts_each_message_once(rotated, tmp_path):
    folder, summary = read(str(rotated), tmp_path)
    archived = router_events(folder, summary, "r50", addresses=["192.0.2.50"])
    # the router's own buffer holds the same message (no relay header) and a newer one
    buffer = ("000007: Sep  2 13:03:00.250 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid "
              "spi for destaddr=192.0.2.50, prot=50, spi=0x00000022, srcaddr=198.51.100.7\n"
              "000010: Sep  2 13:09:00.250 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid "
              "spi for destaddr=192.0.2.50, prot=50, spi=0x00000022, srcaddr=198.51.100.7\n")
    live = parse_events(buffer, host="r50", year=2024)
    facts = {"host": "r50", "events": live, "events_total": 2, "known_peers": ["198.51.100.7"],
             "device_epoch": live[1]["epoch"] + 30, "flows": build_flows(live)}
    merged = merge_into_facts(facts, archived, {"path": "x"}, max_events=10)
    [flow] = merged["flows"]
    assert (flow["count"], flow["status"], flow["age_seconds"]) == (2, "persistent", 30.0)
    assert merged["events_total"] == 2 and len(merged["events"]) == 2
    assert merged["events"][0]["file"].endswith("messages.1.bz2")
    assert merged["syslog_archive"] == {"path": "x"} and "note" not in merged["syslog_archive"]
    # facts that kept only part of the buffer: said so
    short = merge_into_facts(dict(facts, events_total=5), archived, {"path": "x"})
    assert "held 2 of its 5 events" in short["syslog_archive"]["note"] and short["events_total"] == 5


def test_archive_result_shape(rotated, tmp_path):
    folder, summary = read(str(rotated), tmp_path, keep_recent=2)
    result = archive_result(folder, summary, peers=["198.51.100.7"])
    assert set(result) == {"files", "problems", "problem_count", "lines", "events_total", "duplicates", "hosts",
                           "flows", "events"}
    assert len(result["events"]) == 2 and result["events_total"] == 5
    assert [(f["spi"], f["status"]) for f in result["flows"]] == [
        (0x11, "persistent"), (0x22, "transient"), (0x33, "transient"), (0x44, "transient")]
    with pytest.raises(ParseError, match="min_repeats"):
        archive_result(folder, summary, min_repeats=0)


# -- read once per run ----------------------------------------------------------------------

def test_cache_reads_once_and_again_when_a_file_changes(rotated, tmp_path):
    cache = str(tmp_path / "cache")
    first = archive_cache.open_index(str(rotated), cache, year=2024)
    second = archive_cache.open_index(str(rotated), cache, year=2024)
    assert (first[2], second[2]) == (True, False) and first[0] == second[0] and first[1] == second[1]
    assert oct(os.stat(cache).st_mode & 0o777) == "0o700"
    with open(str(rotated / "messages"), "a") as out:
        out.write(msg("hub-1", 60, 0x60, minute=20))
    third = archive_cache.open_index(str(rotated), cache, year=2024)
    assert third[2] is True and third[1]["events"] == second[1]["events"] + 1


def test_cache_is_shared_by_concurrent_callers(rotated, tmp_path, monkeypatch):
    cache = str(tmp_path / "cache")
    reads = []
    real = archive.read_archive
    monkeypatch.setattr(archive, "read_archive", lambda *a, **k: reads.append(1) or real(*a, **k))
    results = []
    threads = [threading.Thread(target=lambda: results.append(archive_cache.open_index(str(rotated), cache, year=2024)))
               for _unused in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(reads) == 1 and sorted(r[2] for r in results) == [False, False, False, True]


def test_cache_folder_must_be_private(tmp_path):
    open_dir = tmp_path / "shared"
    open_dir.mkdir()
    os.chmod(str(open_dir), 0o777)
    with pytest.raises(ParseError, match="closed to others"):
        archive_cache.open_index(str(tmp_path), str(open_dir))


# -- the filter and the module -------------------------------------------------------------

def test_filter(rotated, tmp_path, monkeypatch):
    from ansible.errors import AnsibleFilterError
    from ansible_collections.netops.ipsec_spi.plugins.filter import invalid_spi_archive as plugin
    from ansible_collections.netops.ipsec_spi.plugins.plugin_utils import wrap

    warnings = []
    monkeypatch.setattr(wrap.display, "warning", warnings.append)
    result = plugin.invalid_spi_archive(str(rotated), year=2024)
    assert result["events_total"] == 5 and len(result["flows"]) == 4 and warnings == []
    missing = [str(rotated), str(tmp_path / "nowhere")]
    assert plugin.invalid_spi_archive(missing, year=2024)["problem_count"] == 1
    assert len(warnings) == 1 and "nowhere: no such file or folder" in warnings[0]
    with pytest.raises(AnsibleFilterError, match="invalid_spi_archive: 1 problem"):
        plugin.invalid_spi_archive(missing, on_problems="fail")
    with pytest.raises(AnsibleFilterError, match="invalid_spi_archive: max_events"):
        plugin.invalid_spi_archive(str(rotated), max_events=-1)
    with pytest.raises(AnsibleFilterError, match="invalid_spi_archive: archive must be"):
        plugin.invalid_spi_archive(42)
    assert plugin.FilterModule().filters()["invalid_spi_archive"] is plugin.invalid_spi_archive


def _ansible(*args):
    return subprocess.run([os.path.join(os.path.dirname(sys.executable), args[0])] + list(args[1:]),
                          capture_output=True, text=True, timeout=180, check=False)


def test_module_on_the_controller(rotated, tmp_path):
    args = json.dumps({"path": [str(rotated)], "host": "r50", "addresses": ["192.0.2.50"], "year": 2024,
                       "cache_dir": str(tmp_path / "cache")})
    result = _ansible("ansible", "localhost", "-m", "netops.ipsec_spi.syslog_archive", "-a", args, "-o")
    assert result.returncode == 0, result.stdout + result.stderr
    payload = json.loads(result.stdout.split("=>", 1)[1])
    assert payload["changed"] is False and payload["archive"]["read"] is True
    assert payload["archive"]["attributed_events"] == 1 and [f["spi"] for f in payload["flows"]] == [0x22]


@pytest.mark.parametrize("kind,name", [("filter", "invalid_spi_archive"), ("module", "syslog_archive")])
def test_ansible_doc(kind, name):
    result = _ansible("ansible-doc", "-t", kind, "netops.ipsec_spi." + name)
    assert result.returncode == 0, result.stderr
    assert name in result.stdout and "RETURN VALUES" in result.stdout.upper()
    assert "[WARNING]" not in result.stderr
