# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter netops.ipsec_spi.ipsec_sas: IPsec SAs from show crypto ipsec sa (documentation in ipsec_sas.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netops.ipsec_spi.plugins.plugin_utils.wrap import call_filter, warn_unparsed
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ipsec_sa import parse_ipsec_sas


def ipsec_sas(text):
    problems = []
    result = call_filter("ipsec_sas", parse_ipsec_sas, text, problems=problems)
    warn_unparsed("ipsec_sas", problems)
    return result


class FilterModule(object):
    def filters(self):
        return {"ipsec_sas": ipsec_sas}
