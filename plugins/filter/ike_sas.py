# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter netops.ipsec_spi.ike_sas: IKE SAs from show crypto isakmp/ikev2 sa (documentation in ike_sas.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netops.ipsec_spi.plugins.plugin_utils.wrap import call_filter, warn_unparsed
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.ike import parse_ike_sas


def ike_sas(text, local_addresses=None):
    problems = []
    result = call_filter("ike_sas", parse_ike_sas, text, problems=problems, local_addresses=local_addresses)
    warn_unparsed("ike_sas", problems)
    return result


class FilterModule(object):
    def filters(self):
        return {"ike_sas": ike_sas}
