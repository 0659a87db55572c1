# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""invalid_spi_events filter: documentation in invalid_spi_events.yml."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog import parse_events
from ansible_collections.netops.ipsec_spi.plugins.plugin_utils.wrap import call_filter, warn_unparsed

_ON_UNPARSED = ("warn", "fail", "ignore")


def invalid_spi_events(data, host=None, year=None, on_unparsed="warn"):
    """%CRYPTO-4-RECVD_PKT_INV_SPI messages of a log as a list of events."""
    if on_unparsed not in _ON_UNPARSED:
        raise AnsibleFilterError(
            "netops.ipsec_spi.invalid_spi_events: on_unparsed must be one of %s, not %r"
            % (", ".join(_ON_UNPARSED), on_unparsed)
        )
    problems = []
    result = call_filter("invalid_spi_events", parse_events, data, host=host, year=year, problems=problems)
    if problems and on_unparsed == "fail":
        shown = "; ".join("line %s: %s: %s" % (p["line"], p["reason"], p["text"]) for p in problems[:20])
        more = "" if len(problems) <= 20 else " (and %d more)" % (len(problems) - 20)
        raise AnsibleFilterError(
            "netops.ipsec_spi.invalid_spi_events: %d invalid-SPI line(s) could not be read: %s%s"
            % (len(problems), shown, more)
        )
    if on_unparsed == "warn":
        warn_unparsed("invalid_spi_events", problems)
    return result


class FilterModule(object):
    def filters(self):
        return {"invalid_spi_events": invalid_spi_events}
