# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs netops.ipsec_spi.sa_clear in the worker over network_cli (see plugin_utils/network_action.py)."""

from __future__ import annotations

from ansible_collections.netops.ipsec_spi.plugins.plugin_utils.network_action import NetworkModuleAction


class ActionModule(NetworkModuleAction):
    pass
