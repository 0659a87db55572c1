"""parsers.platform: show version and show clock."""
from __future__ import annotations

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.platform import parse_clock, parse_version

XE_VERSION = """Cisco IOS XE Software, Version 17.09.04a
Cisco IOS Software [Cupertino], Virtual XE Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), Version 17.9.4a, RELEASE SOFTWARE (fc3)
hub-1 uptime is 3 weeks, 2 days, 4 hours, 1 minute
cisco C8000V (VXE) processor (revision VXE) with 1987213K/3075K bytes of memory.
"""
CLASSIC_VERSION = """Cisco IOS Software, C2900 Software (C2900-UNIVERSALK9-M), Version 15.7(3)M8, RELEASE SOFTWARE (fc2)
br-4 uptime is 12 weeks, 1 day
cisco CISCO2911/K9 (revision 1.0) with 483328K/40960K bytes of memory.
"""


def test_parse_version_xe():
    assert parse_version(XE_VERSION) == {"os": "ios-xe", "version": "17.09.04a", "model": "C8000V",
                                         "uptime": "3 weeks, 2 days, 4 hours, 1 minute", "hostname": "hub-1"}


def test_parse_version_classic_and_lines():
    expected = {"os": "ios", "version": "15.7(3)M8", "model": "CISCO2911/K9", "uptime": "12 weeks, 1 day",
                "hostname": "br-4"}
    assert parse_version(CLASSIC_VERSION) == expected
    assert parse_version(CLASSIC_VERSION.splitlines()) == expected


def test_parse_version_reports_what_it_cannot_read():
    problems = []
    assert parse_version("", problems=problems)["os"] is None and problems == []
    assert parse_version(None)["version"] is None
    out = parse_version("\nsome banner\nmore", problems=problems)
    assert out["os"] is None and problems == [
        {"line": 2, "reason": "no Cisco IOS / IOS XE release in the show version output", "text": "some banner"}]
    with pytest.raises(ParseError, match="show version output must be a string"):
        parse_version(42)


def test_parse_version_does_not_read_across_lines():
    assert parse_version("Cisco IOS Software, C2900 Software, Version\n15.7")["version"] is None


def test_parse_clock_matches_log_epochs():
    assert parse_clock("*18:00:01.123 UTC Sun Nov 29 2026") == 1795975201.0
    assert parse_clock(".19:00:01.123 CET Sun Nov 29 2026") == 1795975201.0
    assert parse_clock(["", "18:00:01 UTC Sun Nov 29 2026"]) == 1795975201.0


def test_parse_clock_reports_what_it_cannot_read():
    problems = []
    assert parse_clock(None, problems=problems) is None and parse_clock("", problems=problems) is None
    assert problems == []
    assert parse_clock("% Invalid input", problems=problems) is None
    assert parse_clock("18:00:01 UTC Sun Foo 29 2026", problems=problems) is None
    assert parse_clock("18:00:01\nUTC Sun Nov 29 2026", problems=problems) is None
    assert [p["text"] for p in problems] == ["% Invalid input", "18:00:01 UTC Sun Foo 29 2026", "18:00:01"]
