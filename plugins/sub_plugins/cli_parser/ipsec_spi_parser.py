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
    version_added: 0.1.0
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

from ansible.module_utils._text import to_native

from ansible_collections.ansible.utils.plugins.plugin_utils.base.cli_parser import CliParserBase
from ansible_collections.netops.ipsec_spi.plugins.module_utils.routes import parser_for
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, UnsupportedCommand
from ansible_collections.netops.ipsec_spi.plugins.plugin_utils.wrap import warn_unparsed

NAME = "netops.ipsec_spi.ipsec_spi"


class CliParser(CliParserBase):
    """The netops.ipsec_spi core parsers, chosen by routes.parser_for (the collection's one routing table)."""

    DEFAULT_TEMPLATE_EXTENSION = None
    PROVIDE_TEMPLATE_CONTENTS = False

    def parse(self, *_args, **_kwargs):
        parser_args = self._task_args.get("parser") or {}
        command = parser_args.get("command") or self._task_args.get("command")
        text = self._task_args.get("text")
        try:
            func = parser_for(command)
        except ValueError as exc:
            return {"errors": ["%s: %s" % (NAME, to_native(exc))]}
        except (ImportError, AttributeError) as exc:
            return {"errors": ["%s: parser for %r is not available (%s)" % (NAME, command, to_native(exc))]}
        problems = []
        try:
            parsed = func(text, problems=problems)
        except UnsupportedCommand as exc:
            return {"errors": ["%s: device does not support this command (%s): %s" % (NAME, command, to_native(exc))]}
        except (ParseError, TypeError, ValueError) as exc:
            return {"errors": ["%s: %s: %s" % (NAME, command, to_native(exc))]}
        warn_unparsed("ipsec_spi (%s)" % command, problems)
        return {"parsed": parsed}
