# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Thin wrapper: EEM capture files or capture sets -> snapshots -> evidence merged into the check role's assessments."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.netops.ipsec_spi.plugins.module_utils.capture.evidence import merge_captures
from ansible_collections.netops.ipsec_spi.plugins.plugin_utils.wrap import call_filter, warn_unparsed


def _from_hostvars(hosts, hostvars, captures_var, capture_sets_var, assessment_var):
    captures, capture_sets, assessments, addresses = {}, {}, {}, {}
    for host in hosts:
        try:
            hv = hostvars[host]
        except KeyError:
            raise AnsibleFilterError("netops.ipsec_spi.spi_captures: %s is not in hostvars" % host) from None
        if not isinstance(hv, Mapping):
            continue
        # A capture set (parsed by capture_fetch) is preferred to raw texts of the same host.
        if hv.get(capture_sets_var) is not None:
            capture_sets[host] = hv.get(capture_sets_var)
        elif hv.get(captures_var) is not None:
            captures[host] = hv.get(captures_var)
        if isinstance(hv.get(assessment_var), Mapping):
            assessments[host] = hv.get(assessment_var)
        facts = (hv.get("ansible_facts") or {}).get("ipsec_spi") or {}
        if facts.get("addresses"):
            addresses[host] = list(facts["addresses"])
    return captures, capture_sets, assessments, addresses


def spi_captures(captures, assessments=None, addresses=None, tolerance=90, waivers=None, year=None, hostvars=None,
                 captures_var="ipsec_spi_capture_texts", assessment_var="ipsec_spi_assessment", capture_sets=None,
                 capture_sets_var="ipsec_spi_capture_set"):
    """Judge every captured INV_SPI of many routers with both ends' SA tables (capture files or capture sets)."""
    if hostvars is not None:
        if isinstance(captures, str) or not isinstance(captures, (list, tuple)):
            raise AnsibleFilterError("netops.ipsec_spi.spi_captures: with hostvars, the input is a list of hosts")
        captures, found_sets, found_assessments, found_addresses = _from_hostvars(
            captures, hostvars, captures_var, capture_sets_var, assessment_var)
        assessments = assessments if assessments is not None else found_assessments
        addresses = dict(found_addresses, **(addresses or {}))
        capture_sets = dict(found_sets, **(capture_sets or {}))
    problems = []
    try:
        tolerance = float(tolerance)
    except (TypeError, ValueError):
        raise AnsibleFilterError("netops.ipsec_spi.spi_captures: tolerance must be seconds, not %r" % (tolerance,)) from None
    result = call_filter("spi_captures", merge_captures, captures, assessments=assessments, addresses=addresses,
                         tolerance=tolerance, waivers=waivers or [], year=year,
                         problems=problems, capture_sets=capture_sets)
    warn_unparsed("spi_captures", problems)
    result["problems"] = problems
    return result


class FilterModule(object):
    """netops.ipsec_spi.spi_captures"""

    def filters(self):
        return {"spi_captures": spi_captures}
