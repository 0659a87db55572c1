# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter netops.ipsec_spi.qfp_ipsec_drops: QFP IPsec datapath drop counters (documentation in qfp_ipsec_drops.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netops.ipsec_spi.plugins.plugin_utils.wrap import call_filter, warn_unparsed
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.qfp import parse_qfp_ipsec_drops


def qfp_ipsec_drops(text):
    problems = []
    result = call_filter("qfp_ipsec_drops", parse_qfp_ipsec_drops, text, problems=problems)
    warn_unparsed("qfp_ipsec_drops", problems)
    return result


class FilterModule(object):
    def filters(self):
        return {"qfp_ipsec_drops": qfp_ipsec_drops}
