# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Crypto inventory of an IOS / IOS XE running-config.

``parse_crypto_inventory`` classifies every IPsec tunnel the configuration
defines by whether ``crypto isakmp invalid-spi-recovery`` can help it
(docs: domain notes, section 3). Every config line it returns has been
through ``secrets.mask_secrets``.

Layers, each importing only the ones before it: ``reader`` (text -> sections),
``model`` (sections -> interfaces, maps, profiles), ``tunnel`` (a tunnel being
classified and the rules all kinds share), ``crypto_maps`` and ``interfaces``
(the kinds), ``inventory`` (the entry point).
"""

from __future__ import annotations

from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config.inventory import parse_crypto_inventory
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config.tunnel import KINDS

__all__ = ["KINDS", "parse_crypto_inventory"]
