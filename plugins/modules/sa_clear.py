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
    description: Front-door VRF of the peers, when they are not in the global table.
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
"""

RETURN = r"""
commands:
  description: The commands sent, or that would be sent in check mode.
  returned: always
  type: list
  elements: str
  sample: ["clear crypto sa peer 10.0.0.1"]
results:
  description: One entry per peer.
  returned: always
  type: list
  elements: dict
  contains:
    peer:
      description: The peer address.
      type: str
    command:
      description: The command for this peer.
      type: str
    sent:
      description: Whether the command was sent.
      type: bool
    ok:
      description: Whether the router accepted it (null in check mode).
      type: bool
    response:
      description: What the router answered.
      type: str
"""

import ipaddress
import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.connection import Connection, ConnectionError

from ansible_collections.netops.ipsec_spi.plugins.module_utils.facts import normalize_response

_ERROR_RE = re.compile(r"^\s*%\s*\S", re.MULTILINE)
_VRF_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,32}$")


def validate_peers(peers):
    """Normalised, de-duplicated peers, or an error message (never a global clear)."""
    if not peers:
        return None, "peers is empty: refusing, sa_clear never clears all SAs"
    out = []
    for raw in peers:
        text = str(raw).strip()
        try:
            addr = ipaddress.ip_address(text)
        except ValueError:
            return None, "peer %r is not a single IP address (wildcards, ranges and names are refused)" % text
        if addr.is_unspecified:
            return None, "peer %s is the unspecified address: refusing what would match every SA" % text
        if str(addr) not in out:
            out.append(str(addr))
    return out, None


def command_for(peer, scope, fvrf):
    if scope == "sa":
        return "clear crypto sa peer %s%s" % ("vrf %s " % fvrf if fvrf else "", peer)
    return "clear crypto session remote %s%s" % (peer, " fvrf %s" % fvrf if fvrf else "")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            peers=dict(type="list", elements="str", required=True),
            scope=dict(type="str", choices=["sa", "session"], default="sa"),
            fvrf=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    peers, error = validate_peers(module.params["peers"])
    if error:
        module.fail_json(msg="netops.ipsec_spi.sa_clear: %s" % error)
    fvrf = module.params["fvrf"]
    if fvrf is not None and not _VRF_RE.match(fvrf):
        module.fail_json(msg="netops.ipsec_spi.sa_clear: fvrf %r is not a VRF name" % fvrf)
    scope = module.params["scope"]
    commands = [command_for(peer, scope, fvrf) for peer in peers]
    results = [{"peer": p, "command": c, "sent": False, "ok": None, "response": ""} for p, c in zip(peers, commands)]
    if module.check_mode:
        module.exit_json(changed=True, commands=commands, results=results)

    connection = Connection(module._socket_path)
    for item in results:
        try:
            (response,) = connection.run_commands(commands=[item["command"]], check_rc=False)
        except ConnectionError as exc:
            item.update(sent=True, ok=False, response="no answer: %s" % exc)
            # The session is gone: the remaining peers cannot be attempted safely.
            break
        response = (normalize_response(response) or "").strip()
        item.update(sent=True, response=response, ok=not _ERROR_RE.search(response))
    failed = [r for r in results if r["ok"] is False or not r["sent"]]
    changed = any(r["ok"] for r in results)
    if failed:
        module.fail_json(
            msg="netops.ipsec_spi.sa_clear: %d of %d peer(s) not cleared: %s"
            % (len(failed), len(results), "; ".join("%s: %s" % (r["peer"], r["response"] or "not attempted") for r in failed)),
            changed=changed, commands=commands, results=results,
        )
    module.exit_json(changed=changed, commands=commands, results=results)


if __name__ == "__main__":
    main()
