# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""invalid_spi_archive filter: documentation in invalid_spi_archive.yml."""

from __future__ import annotations

import tempfile

from ansible.errors import AnsibleFilterError

from ansible_collections.netops.ipsec_spi.plugins.module_utils.archive import read_archive
from ansible_collections.netops.ipsec_spi.plugins.module_utils.archive_hosts import archive_result, check_max_events
from ansible_collections.netops.ipsec_spi.plugins.plugin_utils.wrap import call_filter, display

_ON_PROBLEMS = ("warn", "fail", "ignore")


def _read(path, year, peers, min_repeats, min_span, max_events):
    max_events = check_max_events(max_events)
    # The buckets live only as long as this call: the filter keeps no state.
    with tempfile.TemporaryDirectory(prefix="netops-ipsec-spi-archive-") as folder:
        summary = read_archive(path, folder, year=year, keep_recent=max_events)
        return archive_result(folder, summary, peers=peers, min_repeats=min_repeats, min_span=min_span)


def invalid_spi_archive(path, year=None, peers=None, min_repeats=2, min_span=50, max_events=1000, on_problems="warn"):
    """Invalid-SPI flows and recent events of a syslog server's rotated files."""
    if on_problems not in _ON_PROBLEMS:
        raise AnsibleFilterError("netops.ipsec_spi.invalid_spi_archive: on_problems must be one of %s, not %r"
                                 % (", ".join(_ON_PROBLEMS), on_problems))
    result = call_filter("invalid_spi_archive", _read, path, year, peers, min_repeats, min_span, max_events)
    if result["problem_count"] and on_problems != "ignore":
        shown = "; ".join("%s%s: %s" % (p["file"], "" if p.get("line") is None else ":%s" % p["line"], p["reason"])
                          for p in result["problems"][:5])
        more = "" if result["problem_count"] <= 5 else " (and %d more)" % (result["problem_count"] - 5)
        message = "netops.ipsec_spi.invalid_spi_archive: %d problem(s): %s%s" % (result["problem_count"], shown, more)
        if on_problems == "fail":
            raise AnsibleFilterError(message)
        display.warning(message)
    return result


class FilterModule(object):
    def filters(self):
        return {"invalid_spi_archive": invalid_spi_archive}
