# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Thin wrapper: the routers to read again after a router's remediation (remediate_after.reread_hosts)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.netops.ipsec_spi.plugins.module_utils import remediate_after
from ansible_collections.netops.ipsec_spi.plugins.plugin_utils.wrap import call_filter


def _reread(hosts, hostvars):
    out = []
    for host in hosts:
        hv = hostvars[host] if host in hostvars else {}
        performed = hv.get("ipsec_spi_performed_actions") if isinstance(hv, Mapping) else None
        assessment = hv.get("ipsec_spi_assessment") if isinstance(hv, Mapping) else None
        for name in remediate_after.reread_hosts(str(host), list(performed or []), assessment):
            if name not in out:
                out.append(name)
    return out


def spi_reread_hosts(hosts, hostvars):
    """Each router that acted, and the pair partners of what it acted on (from its performed actions)."""
    if isinstance(hosts, str) or not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError("netops.ipsec_spi.spi_reread_hosts: input must be a list of inventory hosts")
    return call_filter("spi_reread_hosts", _reread, list(hosts), hostvars)


class FilterModule(object):
    """netops.ipsec_spi.spi_reread_hosts"""

    def filters(self):
        return {"spi_reread_hosts": spi_reread_hosts}
