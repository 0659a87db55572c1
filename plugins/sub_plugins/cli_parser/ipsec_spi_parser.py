# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible.utils.cli_parse sub-plugin netops.ipsec_spi.ipsec_spi."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = """
    author: netops.ipsec_spi contributors
    name: ipsec_spi
    short_description: Parse the IOS / IOS XE outputs the invalid-SPI checks need with M(ansible.utils.cli_parse)
    description:
    - Sub-plugin of M(ansible.utils.cli_parse), selected with C(parser.name=netops.ipsec_spi.ipsec_spi).
    - Picks the parser from the command (C(parser.command), or the task's C(command)); C(| include ...)
      and other pipe suffixes are ignored, and IOS-style abbreviations (C(sh cry ips sa)) are accepted.
    - "Commands: C(show platform hardware qfp active statistics drop) (dict drop -> packets/octets),
      C(show platform hardware qfp active feature ipsec datapath drops [all]) (dict drop -> drop_type/packets),
      C(show crypto ipsec sa [detail]), C(show crypto isakmp sa [detail]), C(show crypto ikev2 sa [detail]),
      C(show crypto session [detail]), C(show dmvpn) (lists), C(show logging) (invalid-SPI events) and
      C(show running-config) (crypto inventory)."
    - The output shapes are those of the filters of the same names (see C(ansible-doc -t filter)).
    - A device that rejected the command (C(% Invalid input detected)) fails the task with
      "device does not support this command"; unreadable rows are reported as warnings.
    version_added: 1.0.0
"""

EXAMPLES = r"""
- name: Parse captured output
  ansible.utils.cli_parse:
    text: "{{ lookup('ansible.builtin.file', 'hub-1/show_crypto_ipsec_sa.txt') }}"
    parser:
      name: netops.ipsec_spi.ipsec_spi
      command: show crypto ipsec sa detail
    set_fact: ipsec_sas

- name: Run on the router and parse
  ansible.utils.cli_parse:
    command: show platform hardware qfp active statistics drop | inc Ipsec
    parser:
      name: netops.ipsec_spi.ipsec_spi
  register: drops
"""

import inspect
from importlib import import_module

from ansible.module_utils._text import to_native
from ansible.utils.display import Display

from ansible_collections.ansible.utils.plugins.plugin_utils.base.cli_parser import CliParserBase

display = Display()

_MU = "ansible_collections.netops.ipsec_spi.plugins.module_utils."


def route(command):
    """(module, function) for a command, from the collection's one command table (module_utils/commands.py)."""
    return import_module(_MU + "commands").route(command)


class CliParser(CliParserBase):
    """Dispatch to the netops.ipsec_spi core parsers."""

    DEFAULT_TEMPLATE_EXTENSION = None
    PROVIDE_TEMPLATE_CONTENTS = False

    def parse(self, *_args, **_kwargs):
        parser_args = self._task_args.get("parser") or {}
        command = parser_args.get("command") or self._task_args.get("command")
        text = self._task_args.get("text")
        try:
            module_name, func_name = route(command)
        except ValueError as exc:
            return {"errors": ["netops.ipsec_spi.ipsec_spi: %s" % to_native(exc)]}
        try:
            module = import_module(_MU + module_name)
            func = getattr(module, func_name)
        except (ImportError, AttributeError) as exc:
            return {"errors": ["netops.ipsec_spi.ipsec_spi: parser for %r is not available (%s)"
                               % (command, to_native(exc))]}
        common = import_module(_MU + "common")
        problems = []
        try:
            if "problems" in inspect.signature(func).parameters:
                parsed = func(text, problems=problems)
            else:
                parsed = func(text)
        except common.UnsupportedCommand as exc:
            return {"errors": ["netops.ipsec_spi.ipsec_spi: device does not support this command (%s): %s"
                               % (command, to_native(exc))]}
        except (common.ParseError, TypeError, ValueError) as exc:
            return {"errors": ["netops.ipsec_spi.ipsec_spi: %s: %s" % (command, to_native(exc))]}
        if problems:
            shown = "; ".join("line %s: %s" % (p.get("line"), p.get("reason")) for p in problems[:5])
            display.warning("netops.ipsec_spi.ipsec_spi (%s): %d line(s) not understood: %s"
                            % (command, len(problems), shown))
        return {"parsed": parsed}
