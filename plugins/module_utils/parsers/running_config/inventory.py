# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The entry point: a running-config in, the crypto inventory out."""

from __future__ import annotations

import re
from typing import List, Optional

from ansible_collections.netops.ipsec_spi.plugins.module_utils.bulk import paused_gc
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, TextInput, UnsupportedCommand, is_unsupported
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config.crypto_maps import ezvpn_tunnels, map_tunnels
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config.interfaces import tunnel_interfaces
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config.model import BODY, HEADS, build_config
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config.reader import read_config
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config.tunnel import add_unique, finish
from ansible_collections.netops.ipsec_spi.plugins.module_utils.secrets import scrub, secret_words

_REFUSED_RE = re.compile(r"^\s*(?:Command authorization failed|% ?Authorization failed|% Permission denied)", re.I)


def parse_crypto_inventory(data: TextInput, problems: Optional[list] = None) -> dict:
    """Classify the IPsec tunnels of a ``show running-config`` for invalid-spi-recovery.

    Returns ``{hostname, invalid_spi_recovery, dpd: {ikev1, ikev2}, ike_versions_in_use,
    addresses, tunnels: [...]}``; see the ``crypto_inventory`` filter documentation for
    every key. Secrets never appear in the result: config lines go through
    ``mask_secrets``. Raises ParseError (UnsupportedCommand when the device
    rejected the command) for input that is not a configuration.
    """
    # The parse makes tens of thousands of small objects and no reference cycle (a unit test checks):
    # the cyclic collector would only walk them again and again, half the time on a config with
    # thousands of tunnels. Reference counting frees everything as before.
    with paused_gc():
        return _parse(data, problems)


def _parse(data: TextInput, problems: Optional[list]) -> dict:
    # Problem texts are masked where they are recorded; scrub them for reused secrets too.
    first_problem = len(problems) if problems is not None else 0
    text = read_config(data, problems, HEADS, BODY)
    if text.first is not None:
        no, first = text.first
        if is_unsupported(first):
            raise UnsupportedCommand("line %d: the device rejected the command: %s" % (no, first[:120]))
        if _REFUSED_RE.match(first):
            raise ParseError("line %d: the device refused the command: %s" % (no, first[:120]))
    secrets = secret_words(text.secrets)
    cfg = build_config(text.sections, problems)

    tunnels = map_tunnels(cfg, problems)
    tunnels += tunnel_interfaces(cfg, problems)
    tunnels += ezvpn_tunnels(cfg, problems)
    tunnels.sort(key=lambda t: t.order)

    addresses: List[str] = []
    for name in cfg.iface_order:
        add_unique(addresses, cfg.ifaces[name].v4)
        add_unique(addresses, cfg.ifaces[name].v6)

    dpd_v1 = cfg.isakmp_keepalive is not None or any(p.dpd is not None for p in cfg.isakmp_profiles.values())
    dpd_v2 = cfg.ikev2_dpd is not None or any(p.dpd is not None for p in cfg.ikev2_profiles.values())
    result_tunnels = [finish(t, secrets) for t in tunnels]
    if problems is not None:
        for entry in problems[first_problem:]:
            entry["text"] = scrub(entry["text"], secrets)
    return {
        "hostname": cfg.hostname,
        "invalid_spi_recovery": cfg.knob,
        "dpd": {"ikev1": dpd_v1, "ikev2": dpd_v2},
        "ipsec_lifetime_sec": cfg.ipsec_lifetime_sec,
        "ike_versions_in_use": sorted({t["ike_version"] for t in result_tunnels if t["ike_version"]}),
        "addresses": addresses,
        "tunnels": result_tunnels,
    }
