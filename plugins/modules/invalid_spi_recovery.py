#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: invalid_spi_recovery
short_description: Manage C(crypto isakmp invalid-spi-recovery) on Cisco IOS / IOS XE
version_added: 0.1.0
description:
  - Adds or removes the global IKEv1 command C(crypto isakmp invalid-spi-recovery), which lets a router that
    receives IPsec packets with an unknown SPI, and has no IKE SA with the sender, open one and send a DELETE
    notify so the pair re-keys.
  - Reads the running-config first and sends the line only when the router does not already match O(state).
    Verifies the running-config afterwards.
  - It only helps IKEv1 peers whose address is statically known (static crypto maps, P2P GRE and sVTI with
    tunnel protection, mGRE with static NHRP). The P(netops.ipsec_spi.check#role) role decides where it helps.
author:
  - netops.ipsec_spi maintainers (@netops)
attributes:
  check_mode:
    support: full
    description: Reports C(changed) and the commands it would send, and sends nothing.
  diff_mode:
    support: full
    description: Shows the global line before and after.
  platform:
    platforms: ios
    support: full
    description: Cisco IOS and IOS XE over C(ansible.netcommon.network_cli).
options:
  state:
    description: Whether the command should be configured.
    type: str
    choices: [present, absent]
    default: present
  running_config:
    description:
      - The router's current running-config, to skip reading it again (for example from
        C(ansible_facts.ipsec_spi)). It is still read after a change, to verify it.
    type: str
notes:
  - Runs over C(ansible.netcommon.network_cli) with C(ansible_network_os=cisco.ios.ios); needs enable mode.
  - Does not save the configuration (C(write memory)); use C(cisco.ios.ios_config) with C(save_when) for that.
seealso:
  - module: netops.ipsec_spi.sa_clear
  - module: netops.ipsec_spi.spi_facts
"""

EXAMPLES = r"""
- name: Enable invalid SPI recovery
  netops.ipsec_spi.invalid_spi_recovery:
    state: present

- name: Remove it from an IKEv2-only router where it has no effect
  netops.ipsec_spi.invalid_spi_recovery:
    state: absent
"""

RETURN = r"""
commands:
  description: The configuration lines sent, or that would be sent in check mode.
  returned: always
  type: list
  elements: str
  sample: ["crypto isakmp invalid-spi-recovery"]
before:
  description: Whether the command was configured before the task.
  returned: always
  type: bool
after:
  description: Whether the command is configured after the task (as planned, in check mode).
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.connection import Connection, ConnectionError

from ansible_collections.netops.ipsec_spi.plugins.module_utils import device
from ansible_collections.netops.ipsec_spi.plugins.module_utils.commands import KNOB_COMMAND, KNOB_READ
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError
from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.running_config import parse_crypto_inventory

NAME = "netops.ipsec_spi.invalid_spi_recovery"


def is_present(config):
    """Whether the knob is configured: the crypto inventory's rule, so the check role and this module agree."""
    return bool(parse_crypto_inventory(config or "")["invalid_spi_recovery"])


def read_running(connection):
    (out,) = device.run(connection, [KNOB_READ], check_rc=True)
    return out


def change_for(want):
    """The one configuration line that brings the router to ``want``."""
    return KNOB_COMMAND if want else "no " + KNOB_COMMAND


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", choices=["present", "absent"], default="present"),
            running_config=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    want = module.params["state"] == "present"
    connection = Connection(module._socket_path)
    try:
        config = module.params["running_config"]
        if config is None:
            config = read_running(connection)
        before = is_present(config)
        commands = [] if before == want else [change_for(want)]
        result = {"changed": bool(commands), "commands": commands, "before": before, "after": want}
        if module._diff:
            result["diff"] = {
                "before": (KNOB_COMMAND + "\n") if before else "",
                "after": (KNOB_COMMAND + "\n") if want else "",
                "before_header": "running-config (global)",
                "after_header": "running-config (global)",
            }
        if commands and not module.check_mode:
            connection.edit_config(candidate=commands)
            after = is_present(read_running(connection))
            result["after"] = after
            if after != want:
                module.fail_json(
                    msg="%s: the router accepted '%s' but the running-config does not show the expected state"
                    % (NAME, commands[0]),
                    **result
                )
    except (ConnectionError, device.SessionDropped) as exc:
        module.fail_json(msg="%s: the router refused or did not answer: %s" % (NAME, exc), commands=[change_for(want)])
    except ParseError as exc:
        module.fail_json(msg="%s: %s" % (NAME, exc), commands=[change_for(want)])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
