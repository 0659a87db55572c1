# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Thin wrapper: the run's identity (remediate.run_id), one home for its format and its grammar."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netops.ipsec_spi.plugins.module_utils import remediate
from ansible_collections.netops.ipsec_spi.plugins.plugin_utils.wrap import call_filter


def spi_run_id(given="", job_id=""):
    """``given`` (checked) when set, else ``job_id``, else a new id unique to this run."""
    return call_filter("spi_run_id", remediate.run_id, given, job_id)


class FilterModule(object):
    """netops.ipsec_spi.spi_run_id"""

    def filters(self):
        return {"spi_run_id": spi_run_id}
