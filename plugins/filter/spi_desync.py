# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Thin wrapper: fleet-wide SPI desync verdicts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netops.ipsec_spi.plugins.module_utils.desync import spi_desync as _spi_desync
from ansible_collections.netops.ipsec_spi.plugins.plugin_utils.wrap import call_filter


def spi_desync(fleet):
    """Correlate INV_SPI flows with the senders' and receivers' SA tables."""
    return call_filter("spi_desync", _spi_desync, fleet)


class FilterModule(object):
    """netops.ipsec_spi.spi_desync"""

    def filters(self):
        return {"spi_desync": spi_desync}
