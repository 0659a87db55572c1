#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: spi_facts
short_description: Gather IPsec invalid-SPI evidence from a Cisco IOS / IOS XE router
version_added: 0.1.0
description:
  - Runs, in one connection, every read-only command the invalid-SPI assessment needs (version, running-config,
    the INV_SPI lines of the logging buffer filtered on the device, both QFP drop tables, C(show crypto ipsec sa),
    the IKEv1 and IKEv2 SA tables, C(show crypto session detail) and C(show dmvpn)), parses them with the
    collection's parsers and sets C(ansible_facts.ipsec_spi).
  - Commands the platform lacks (the QFP tables on classic IOS, IKEv2 on old releases) are recorded in
    C(unsupported_commands), not treated as failures. Output the parsers do not understand is listed in
    C(unparsed) rather than ignored.
  - Never sends configuration, a C(clear) command or the C(... clear) variants of the QFP counters.
  - With O(source_dir) it reads captured outputs from files instead of a router (run it on the controller).
author:
  - netops.ipsec_spi maintainers (@netops)
extends_documentation_fragment: []
attributes:
  check_mode:
    support: full
    description: Read-only; behaves the same in check mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is nothing to diff.
  platform:
    platforms: ios
    support: full
    description: Cisco IOS and IOS XE over C(ansible.netcommon.network_cli).
options:
  gather:
    description:
      - Which outputs to collect. C(version) and C(clock) are always collected. Without C(running_config) the inventory is empty
        and every flow whose sender is not in the SA or IKE tables counts as foreign, so leave it in for assessments.
    type: list
    elements: str
    choices: [version, clock, running_config, logging, qfp_drops, qfp_ipsec_drops, ipsec_sa, isakmp_sa, ikev2_sa, session, dmvpn]
    default: [version, clock, running_config, logging, qfp_drops, qfp_ipsec_drops, ipsec_sa, isakmp_sa, ikev2_sa, session, dmvpn]
  min_repeats:
    description: INV_SPI messages a flow needs to be C(persistent).
    type: int
    default: 2
  min_span:
    description: Seconds the messages of a flow must span to be C(persistent) (the message is rate-limited to one a minute).
    type: float
    default: 50
  year:
    description: Year for log timestamps that carry none. Defaults to the current year (rolled back for future dates).
    type: int
  max_events:
    description: The most recent INV_SPI events kept in the facts (flows are always computed from all of them).
    type: int
    default: 1000
  poll_interval:
    description:
      - When above 0, the QFP drop tables are read a second time after this many seconds and the difference
        is reported as C(drop_rate). 0 turns the second poll off.
    type: float
    default: 0
  source_dir:
    description:
      - Read captured command outputs from this folder instead of the router (one file per command,
        see the check role's README for the file names). Runs without a connection.
    type: path
  host:
    description:
      - The router's name in events and flows when a log line does not name its origin host.
        The check role passes C(inventory_hostname).
    type: str
  run_id:
    description:
      - The run's identity, stamped into the facts as C(run_id) beside the gather time (C(gathered_at),
        C(gathered_epoch)), so that facts read back from a fact cache can be told from an earlier run's
        (the check role's C(ipsec_spi_source=cache)).
    type: str
    default: ""
notes:
  - Uses C(ansible.netcommon.network_cli) with C(ansible_network_os=cisco.ios.ios). Enable mode is needed for
    C(show running-config).
seealso:
  - module: netops.ipsec_spi.invalid_spi_recovery
  - module: netops.ipsec_spi.sa_clear
"""

EXAMPLES = r"""
- name: Gather the invalid-SPI evidence
  netops.ipsec_spi.spi_facts:

- name: Also measure the drop rate over 10 seconds
  netops.ipsec_spi.spi_facts:
    poll_interval: 10

- name: Parse captured outputs of one router (on the controller)
  netops.ipsec_spi.spi_facts:
    source_dir: "captures/{{ inventory_hostname }}"
  delegate_to: localhost
"""

RETURN = r"""
ansible_facts:
  description: The gathered facts.
  returned: always
  type: dict
  contains:
    ipsec_spi:
      description:
        - C(platform) (os, version, model, qfp), C(inventory) (see the crypto_inventory filter), C(addresses),
          C(known_peers), C(events), C(events_total), C(flows), C(qfp_drops), C(qfp_ipsec_drops), C(ipsec_sas),
          C(ike_sas), C(sessions), C(dmvpn), C(drop_rate), C(commands), C(unsupported_commands), C(unparsed),
          C(gathered_at) (ISO 8601, UTC), C(gathered_epoch) and C(run_id).
      type: dict
      returned: always
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.connection import Connection, ConnectionError

from ansible_collections.netops.ipsec_spi.plugins.module_utils import device
from ansible_collections.netops.ipsec_spi.plugins.module_utils.captured_files import read_capture_dir
from ansible_collections.netops.ipsec_spi.plugins.module_utils.commands import GATHER, POLL_KEYS
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError
from ansible_collections.netops.ipsec_spi.plugins.module_utils.facts import build_facts
from ansible_collections.netops.ipsec_spi.plugins.module_utils.flows import check_options

ALWAYS = ("version", "clock")


def run_device(connection, keys, probe=True):
    """The answers to the GATHER commands named by ``keys``, as text, in one connection."""
    wanted = [pair for pair in GATHER if pair[0] in keys]
    if not wanted:
        return {}
    # With ``probe``, the first command runs with check_rc so that a session that cannot be
    # opened (refused, bad credentials, timeout) fails here instead of coming back as text.
    # The rest, and a second poll on a session already open, run without, so that a command
    # the platform lacks (QFP on classic IOS, IKEv2) is recorded as unsupported, not fatal.
    first = 1 if probe else 0
    answers = device.run(connection, [pair[1] for pair in wanted[:first]], check_rc=True)
    answers += device.run(connection, [pair[1] for pair in wanted[first:]], check_rc=False)
    return dict(zip([pair[0] for pair in wanted], answers))


def main():
    keys = [pair[0] for pair in GATHER]
    module = AnsibleModule(
        argument_spec=dict(
            gather=dict(type="list", elements="str", choices=keys, default=keys),
            min_repeats=dict(type="int", default=2),
            min_span=dict(type="float", default=50),
            year=dict(type="int"),
            max_events=dict(type="int", default=1000),
            poll_interval=dict(type="float", default=0),
            source_dir=dict(type="path"),
            host=dict(type="str"),
            run_id=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        check_options(None, params["min_repeats"], params["min_span"])
    except ParseError as exc:
        module.fail_json(msg="netops.ipsec_spi.spi_facts: %s" % exc)
    if params["poll_interval"] < 0:
        module.fail_json(msg="netops.ipsec_spi.spi_facts: poll_interval cannot be negative")
    wanted = set(params["gather"]) | set(ALWAYS)
    host = params["host"]
    second = None
    try:
        if params["source_dir"]:
            outputs = read_capture_dir(params["source_dir"])
            outputs = {k: v for k, v in outputs.items() if k in wanted}
        else:
            connection = Connection(module._socket_path)
            outputs = run_device(connection, wanted)
            if params["poll_interval"] > 0:
                time.sleep(params["poll_interval"])
                second = run_device(connection, [k for k in POLL_KEYS if k in wanted], probe=False)
    except (ConnectionError, device.SessionDropped) as exc:
        module.fail_json(msg="netops.ipsec_spi.spi_facts: could not read the router: %s" % exc, code=getattr(exc, "code", None))
    except ParseError as exc:
        module.fail_json(msg="netops.ipsec_spi.spi_facts: %s" % exc)

    try:
        facts = build_facts(
            host,
            outputs,
            year=params["year"],
            min_repeats=params["min_repeats"],
            min_span=params["min_span"],
            max_events=params["max_events"],
            second_poll=second,
            poll_interval=params["poll_interval"],
        )
    except ParseError as exc:
        module.fail_json(msg="netops.ipsec_spi.spi_facts: %s" % exc)
    facts["source"] = "files" if params["source_dir"] else "live"
    # Stamped here, at the edge: the core stays free of clocks. Facts read back from a
    # fact cache are judged by these (assess: freshness).
    gathered = time.time()
    facts["gathered_epoch"] = round(gathered, 3)
    facts["gathered_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(gathered))
    facts["run_id"] = params["run_id"] or None
    module.exit_json(changed=False, ansible_facts={"ipsec_spi": facts})


if __name__ == "__main__":
    main()
