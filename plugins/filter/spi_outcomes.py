# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Thin wrapper over remediate_after.outcomes: one outcome per remediation action."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netops.ipsec_spi.plugins.module_utils import remediate_after
from ansible_collections.netops.ipsec_spi.plugins.plugin_utils.wrap import call_filter


def spi_outcomes(actions, knob=None, clears=None, check_mode=False):
    """Each action's result (done, would_run, skipped, failed) from the registered module results."""
    actions = [actions] if isinstance(actions, str) else list(actions or [])
    return call_filter("spi_outcomes", remediate_after.outcomes, actions, knob, list(clears or []),
                       bool(check_mode))


class FilterModule(object):
    """Remediation outcomes of netops.ipsec_spi."""

    def filters(self):
        return {"spi_outcomes": spi_outcomes}
