# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Thin wrappers over the remediation core: plan, to-do, re-verify, outcomes, verify, record."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.netops.ipsec_spi.plugins.module_utils import remediate, remediate_after
from ansible_collections.netops.ipsec_spi.plugins.plugin_utils.wrap import call_filter


def _assessments(hosts, hostvars, name):
    if isinstance(hosts, str) or not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError("netops.ipsec_spi.%s: input must be a list of inventory hosts" % name)
    out = {}
    for host in hosts:
        hv = hostvars[host] if host in hostvars else {}
        out[host] = hv.get("ipsec_spi_assessment") if isinstance(hv, Mapping) else None
    return out


def _now(now):
    return None if now is None else float(now)


def spi_remediation_plan(hosts, hostvars, state=None, now=None, allow_clear=True, cooldown=3600, max_clears=10, run_id=""):
    """Each host's planned actions with a run/skip decision (cool-down, budget, allow_clear)."""
    return call_filter("spi_remediation_plan", remediate.plan, _assessments(hosts, hostvars, "spi_remediation_plan"),
                       state=state, now=_now(now), allow_clear=bool(allow_clear), cooldown=float(cooldown),
                       max_clears=int(max_clears), run_id=str(run_id))


def spi_remediation_todo(hosts, hostvars, state=None, now=None, allow_clear=True, cooldown=3600, max_clears=10, run_id=""):
    """Each host's to-do: the plan, plus knob yes/no, peers per clear scope and the routers to re-read."""
    return call_filter("spi_remediation_todo", remediate.todos, _assessments(hosts, hostvars, "spi_remediation_todo"),
                       state=state, now=_now(now), allow_clear=bool(allow_clear), cooldown=float(cooldown),
                       max_clears=int(max_clears), run_id=str(run_id))


def spi_reverify(actions, readings):
    """Keep a clear only while the desync still holds in SA tables read just now."""
    return call_filter("spi_reverify", remediate.reverify, list(actions or []), remediate.fresh_facts(readings or {}))


def spi_verify_remediation(actions, readings):
    """After acting: the pair's SPIs agree and the receiver's drops stopped rising."""
    readings = readings or {}
    return call_filter("spi_verify_remediation", remediate_after.verify, list(actions or []),
                       remediate.fresh_sas(readings), remediate.drop_rates(readings))


def spi_outcomes(actions, knob=None, clears=None, check_mode=False):
    """Each action's result (done, would_run, skipped, failed) from the registered module results."""
    return call_filter("spi_outcomes", remediate_after.outcomes, list(actions or []), knob, list(clears or []),
                       bool(check_mode))


def spi_clear_state(state, performed, now, run_id=""):
    """The cool-down state with this batch's clears recorded."""
    return call_filter("spi_clear_state", remediate_after.record, state, list(performed or []), float(now), str(run_id))


class FilterModule(object):
    """Remediation helpers of netops.ipsec_spi."""

    def filters(self):
        return {
            "spi_remediation_plan": spi_remediation_plan,
            "spi_remediation_todo": spi_remediation_todo,
            "spi_reverify": spi_reverify,
            "spi_verify_remediation": spi_verify_remediation,
            "spi_clear_state": spi_clear_state,
            "spi_outcomes": spi_outcomes,
        }
