# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Thin wrapper over remediate_after.verify: did the clears work."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netops.ipsec_spi.plugins.module_utils import remediate, remediate_after
from ansible_collections.netops.ipsec_spi.plugins.plugin_utils.wrap import call_filter


def spi_verify_remediation(actions, readings):
    """After acting: the pair's SPIs agree and the receiver's drops stopped rising."""
    readings = readings or {}
    return call_filter("spi_verify_remediation", remediate_after.verify, list(actions or []),
                       remediate.fresh_sas(readings), remediate.drop_rates(readings))


class FilterModule(object):
    """The remediation check of netops.ipsec_spi."""

    def filters(self):
        return {"spi_verify_remediation": spi_verify_remediation}
