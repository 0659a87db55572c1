# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Thin wrapper: a slice's part of the fleet plan, checked (remediate.fleet_plan)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.errors import AnsibleFilterError

from ansible_collections.netops.ipsec_spi.plugins.module_utils import remediate
from ansible_collections.netops.ipsec_spi.plugins.plugin_utils.wrap import call_filter


def spi_fleet_plan(plan, hosts, max_age=21600, now=None):
    """host -> its planned actions from the fleet plan; refused whole when stale, from the future or malformed."""
    if isinstance(hosts, str) or not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError("netops.ipsec_spi.spi_fleet_plan: hosts must be a list of inventory hosts")
    return call_filter("spi_fleet_plan", remediate.fleet_plan, plan, [str(h) for h in hosts],
                       time.time() if now is None else float(now), float(max_age))


class FilterModule(object):
    """netops.ipsec_spi.spi_fleet_plan"""

    def filters(self):
        return {"spi_fleet_plan": spi_fleet_plan}
