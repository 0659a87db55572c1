# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""invalid_spi_flows filter: documentation in invalid_spi_flows.yml."""

from __future__ import annotations

from ansible_collections.netops.ipsec_spi.plugins.module_utils.flows import build_flows
from ansible_collections.netops.ipsec_spi.plugins.plugin_utils.wrap import call_filter


def invalid_spi_flows(events, peers=None, min_repeats=2, min_span=50):
    """Group invalid-SPI events into flows: persistent, transient or foreign."""
    return call_filter(
        "invalid_spi_flows", build_flows, events, peers=peers, min_repeats=min_repeats, min_span=min_span
    )


class FilterModule(object):
    def filters(self):
        return {"invalid_spi_flows": invalid_spi_flows}
