# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter netops.ipsec_spi.qfp_drops: QFP global drop counters (documentation in qfp_drops.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netops.ipsec_spi.plugins.plugin_utils.wrap import call_filter, warn_unparsed
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.qfp import parse_qfp_drops


def qfp_drops(text):
    problems = []
    result = call_filter("qfp_drops", parse_qfp_drops, text, problems=problems)
    warn_unparsed("qfp_drops", problems)
    return result


class FilterModule(object):
    def filters(self):
        return {"qfp_drops": qfp_drops}
