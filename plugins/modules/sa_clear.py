#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: sa_clear
short_description: Clear the IPsec SAs of named peers only on Cisco IOS / IOS XE
version_added: 0.1.0
description:
  - Clears the IPsec SAs (O(scope=sa), C(clear crypto sa peer X)) or the whole crypto session
    (O(scope=session), C(clear crypto session remote X)) of each listed peer, one command per peer, so that
    a desynchronised pair negotiates new SAs.
  - Refuses an empty peer list, a wildcard, an unspecified address (C(0.0.0.0), C(::)) or anything that is not
    a single IP address, so it can never clear every SA of the router.
  - Clearing is not idempotent and interrupts the peer's traffic for a moment. The
    P(netops.ipsec_spi.remediate#role) role re-verifies the desync just before calling it and rate-limits it.
author:
  - netops.ipsec_spi maintainers (@netops)
attributes:
  check_mode:
    support: full
    description: Sends nothing; returns C(changed=true) and the commands it would send.
  diff_mode:
    support: none
    description: Clearing SAs changes no configuration.
  platform:
    platforms: ios
    support: full
    description: Cisco IOS and IOS XE over C(ansible.netcommon.network_cli).
options:
  peers:
    description: Peer addresses (IPv4 or IPv6) whose SAs are cleared. Duplicates are cleared once.
    type: list
    elements: str
    required: true
  scope:
    description:
      - C(sa) clears the IPsec SAs with the peer (C(clear crypto sa peer X)); the IKE SA stays.
      - C(session) clears the crypto session with the remote peer, IKE and IPsec (C(clear crypto session remote X)).
    type: str
    choices: [sa, session]
    default: sa
  fvrf:
    description:
      - Front-door VRF of the peers, when they are not in the global table
        (C(clear crypto sa peer vrf V X), C(clear crypto session remote X fvrf V)).
      - 1-32 letters, digits or C(_.:-).
    type: str
notes:
  - A router answer starting with C(%) (for example C(% Invalid input detected)) fails that peer; the other
    peers are still attempted and the results say which ones were cleared.
seealso:
  - module: netops.ipsec_spi.invalid_spi_recovery
"""

EXAMPLES = r"""
- name: Clear the SAs towards the receiver that lost them (on the sender)
  netops.ipsec_spi.sa_clear:
    peers:
      - 10.0.0.1
    scope: sa

- name: Clear the session with a sender outside the inventory (on the receiver)
  netops.ipsec_spi.sa_clear:
    peers: [198.51.100.7]
    scope: session

- name: Clear peers reached through a front-door VRF, then list those the router refused
  netops.ipsec_spi.sa_clear:
    peers: [192.0.2.10, 192.0.2.11]
    fvrf: INTERNET
  register: cleared
  ignore_errors: true

- name: Show which peers were not cleared (matched by peer, not by command text)
  ansible.builtin.debug:
    msg: "{{ cleared.results | rejectattr('changed') | map(attribute='peer') | list }}"
"""

RETURN = r"""
commands:
  description: The commands sent, or that would be sent in check mode, one per peer in the order of O(peers).
  returned: always
  type: list
  elements: str
  sample: ["clear crypto sa peer 10.0.0.1"]
scope:
  description: The O(scope) the commands were built for.
  returned: always
  type: str
  sample: sa
results:
  description:
    - One entry per peer (duplicates removed), in the order of O(peers).
    - Match a result to what asked for it by C(peer) (and C(scope)), never by C(command), whose text depends on
      O(fvrf).
  returned: always
  type: list
  elements: dict
  contains:
    peer:
      description: The peer address, normalised (IPv6 compressed, lower case).
      type: str
      sample: 10.0.0.1
    scope:
      description: C(sa) or C(session), as given.
      type: str
    command:
      description: The command for this peer.
      type: str
    sent:
      description: Whether the command was sent.
      type: bool
    ok:
      description: Whether the router accepted it (null when not sent).
      type: bool
    changed:
      description:
        - Whether this peer's SAs were cleared (the router accepted the command).
        - In check mode C(true), since they would be.
      type: bool
    response:
      description: What the router answered (empty when nothing was sent; the reason when it could not be).
      type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.connection import Connection, ConnectionError

from ansible_collections.netops.ipsec_spi.plugins.module_utils import device
from ansible_collections.netops.ipsec_spi.plugins.module_utils.commands import CLEAR_BUILDERS
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, maybe_addr

NAME = "netops.ipsec_spi.sa_clear"


def plan(peers, scope, fvrf=None):
    """One result per distinct peer with its command, or an error message (never a global clear).

    The command and what counts as one peer are commands.CLEAR_BUILDERS' rules;
    this only refuses the empty list and merges duplicates.
    """
    if not peers:
        return None, "peers is empty: refusing, sa_clear never clears all SAs"
    build = CLEAR_BUILDERS[scope]
    results = []
    seen = set()
    for raw in peers:
        try:
            command = build(str(raw), fvrf)
        except ParseError as exc:
            return None, str(exc)
        peer = maybe_addr(str(raw))
        if peer in seen:
            continue
        seen.add(peer)
        results.append({"peer": peer, "scope": scope, "command": command, "sent": False, "ok": None,
                        "changed": False, "response": ""})
    return results, None


def clear(connection, results):
    """Send each peer's clear in turn; stop at the first peer whose session broke."""
    for item in results:
        try:
            (response,) = device.run(connection, [item["command"]], check_rc=False)
        except (ConnectionError, device.RejectedCommand) as exc:
            item.update(sent=True, ok=False, changed=False, response="no answer: %s" % exc)
            # The session is gone: the remaining peers cannot be attempted safely.
            break
        response = response.strip()
        ok = not device.router_error(response)
        item.update(sent=True, ok=ok, changed=ok, response=response)
    return results


def main():
    module = AnsibleModule(
        argument_spec=dict(
            peers=dict(type="list", elements="str", required=True),
            scope=dict(type="str", choices=["sa", "session"], default="sa"),
            fvrf=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    scope = module.params["scope"]
    results, error = plan(module.params["peers"], scope, module.params["fvrf"])
    if error:
        module.fail_json(msg="%s: %s" % (NAME, error))
    commands = [item["command"] for item in results]
    if module.check_mode:
        for item in results:
            item["changed"] = True
        module.exit_json(changed=True, commands=commands, scope=scope, results=results)

    clear(Connection(module._socket_path), results)
    failed = [r for r in results if not r["ok"]]
    changed = any(r["changed"] for r in results)
    if failed:
        module.fail_json(
            msg="%s: %d of %d peer(s) not cleared: %s"
            % (NAME, len(failed), len(results), "; ".join("%s: %s" % (r["peer"], r["response"] or "not attempted") for r in failed)),
            changed=changed, commands=commands, scope=scope, results=results,
        )
    module.exit_json(changed=changed, commands=commands, scope=scope, results=results)


if __name__ == "__main__":
    main()
