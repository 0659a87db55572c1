# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter crypto_inventory: documentation in crypto_inventory.yml beside this file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config import parse_crypto_inventory
from ansible_collections.netops.ipsec_spi.plugins.plugin_utils.wrap import call_filter, warn_unparsed


def crypto_inventory(running_config):
    problems = []
    result = call_filter("crypto_inventory", parse_crypto_inventory, running_config, problems=problems)
    warn_unparsed("crypto_inventory", problems)
    return result


class FilterModule(object):
    def filters(self):
        return {"crypto_inventory": crypto_inventory}
