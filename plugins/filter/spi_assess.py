# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Thin wrapper: the check role's fleet assessment from every host's gathered facts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.netops.ipsec_spi.plugins.module_utils.assess import assess_fleet, no_cached_facts
from ansible_collections.netops.ipsec_spi.plugins.plugin_utils.wrap import call_filter


def _gather_error(result):
    if not isinstance(result, Mapping):
        return None
    if result.get("unreachable") or result.get("failed"):
        return {"kind": "unreachable" if result.get("unreachable") else None, "message": str(result.get("msg") or "failed")}
    return None


def _peer_map_addresses(peer_map):
    """host -> its own addresses from a peer map (the EDA source's file: ``{hosts: {host: {addresses}}}``)."""
    if peer_map in (None, "", {}):
        return {}
    if isinstance(peer_map, Mapping) and isinstance(peer_map.get("hosts"), Mapping):
        peer_map = peer_map["hosts"]
    if not isinstance(peer_map, Mapping):
        raise AnsibleFilterError("netops.ipsec_spi.spi_assess: addresses must be host -> [address] or a peer map")
    out = {}
    for host, value in peer_map.items():
        addrs = value.get("addresses") if isinstance(value, Mapping) else value
        if not isinstance(addrs, (list, tuple)):
            raise AnsibleFilterError("netops.ipsec_spi.spi_assess: addresses of %s must be a list" % host)
        out[str(host)] = [str(a) for a in addrs]
    return out


def _view(hosts, inventory, hostvars, facts_var, known=None):
    """The run's view: the fleet's routers beyond ``hosts``, and what is known of their addresses."""
    if inventory is None:
        return None
    if isinstance(inventory, str) or not isinstance(inventory, (list, tuple)):
        raise AnsibleFilterError("netops.ipsec_spi.spi_assess: inventory must be a list of inventory hosts")
    targeted = set(hosts)
    # Only the routers this run does not assess use them (assess.run_view).
    addresses, hints = _peer_map_addresses(known), {}
    for host in inventory:
        if host in targeted:
            continue
        try:
            hv = hostvars[host]
        except KeyError:
            continue
        if not isinstance(hv, Mapping):
            continue
        # Facts of an earlier run (a fact cache) still say which addresses the router owns.
        earlier = (hv.get("ansible_facts") or {}).get(facts_var)
        if isinstance(earlier, Mapping) and isinstance(earlier.get("addresses"), list):
            addresses.setdefault(host, []).extend(str(a) for a in earlier["addresses"])
        if isinstance(hv.get("ansible_host"), str):
            hints[host] = [hv["ansible_host"]]
    return {"inventory": [str(h) for h in inventory], "targeted": [str(h) for h in hosts],
            "addresses": addresses, "hints": hints}


def spi_assess(hosts, hostvars, waivers=None, source="live", facts_var="ipsec_spi", result_var=None,
               active_window=300, run_id=None, max_age=None, now=None, inventory=None, clear_unverified=False,
               addresses=None):
    """Assess every host in ``hosts`` from ``hostvars[host].ansible_facts.<facts_var>``.

    ``result_var`` names the caller's registered gather result (failure reasons); with
    ``source='cache'`` there is none: facts come from Ansible's fact cache and ``run_id`` /
    ``max_age`` decide whether they still speak for this run. ``inventory``: every router of the
    fleet; those not in ``hosts`` make the view partial (see assess.run_view).
    """
    if isinstance(hosts, str) or not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError("netops.ipsec_spi.spi_assess: input must be a list of inventory hosts")
    view = _view(hosts, inventory, hostvars, facts_var, addresses)
    facts, errors = {}, {}
    for host in hosts:
        try:
            hv = hostvars[host]
        except KeyError:
            raise AnsibleFilterError("netops.ipsec_spi.spi_assess: %s is not in hostvars" % host) from None
        gathered = (hv.get("ansible_facts") or {}).get(facts_var) if isinstance(hv, Mapping) else None
        facts[host] = gathered
        error = _gather_error(hv.get(result_var)) if result_var and isinstance(hv, Mapping) else None
        if gathered is None and error is None:
            if source == "cache":
                error = no_cached_facts(facts_var)
            else:
                error = {"kind": "unreachable", "message": "no facts were gathered for this host"}
        if error:
            errors[host] = error
            facts[host] = None
    freshness = None
    if source == "cache" and (run_id or max_age):
        freshness = {"run_id": run_id or None, "max_age": float(max_age) if max_age else None,
                     "now": float(now) if now is not None else time.time()}
    return call_filter("spi_assess", assess_fleet, facts, errors=errors, waivers=waivers or [], source=source,
                       active_window=float(active_window), freshness=freshness, view=view,
                       clear_unverified=bool(clear_unverified))


class FilterModule(object):
    """netops.ipsec_spi.spi_assess"""

    def filters(self):
        return {"spi_assess": spi_assess}
