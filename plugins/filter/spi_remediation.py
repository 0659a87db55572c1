# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Thin wrapper over remediate_after.record: the cool-down state with a batch's clears recorded."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netops.ipsec_spi.plugins.module_utils import remediate_after
from ansible_collections.netops.ipsec_spi.plugins.plugin_utils.wrap import call_filter


def spi_clear_state(state, performed, now, run_id=""):
    """The cool-down state with this batch's clears recorded."""
    return call_filter("spi_clear_state", remediate_after.record, state, list(performed or []), float(now), str(run_id))


class FilterModule(object):
    """The cool-down state of netops.ipsec_spi."""

    def filters(self):
        return {"spi_clear_state": spi_clear_state}
