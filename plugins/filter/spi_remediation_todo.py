# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Thin wrapper over remediate.todos: each host's remediation to-do."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.netops.ipsec_spi.plugins.module_utils import remediate
from ansible_collections.netops.ipsec_spi.plugins.plugin_utils.wrap import call_filter


def _assessments(hosts, hostvars):
    if isinstance(hosts, str) or not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError("netops.ipsec_spi.spi_remediation_todo: input must be a list of inventory hosts")
    out = {}
    for host in hosts:
        hv = hostvars[host] if host in hostvars else {}
        out[host] = hv.get("ipsec_spi_assessment") if isinstance(hv, Mapping) else None
    return out


def spi_remediation_todo(hosts, hostvars, state=None, now=None, allow_clear=True, cooldown=3600, max_clears=10, run_id=""):
    """Each host's to-do: the plan, plus knob yes/no, peers per clear scope and the routers to re-read."""
    return call_filter("spi_remediation_todo", remediate.todos, _assessments(hosts, hostvars),
                       state=state, now=None if now is None else float(now), allow_clear=bool(allow_clear),
                       cooldown=float(cooldown), max_clears=int(max_clears), run_id=str(run_id))


class FilterModule(object):
    """The remediation to-do of netops.ipsec_spi."""

    def filters(self):
        return {"spi_remediation_todo": spi_remediation_todo}
