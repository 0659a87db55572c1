#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: capture_fetch
short_description: Read (and optionally delete) capture files on a Cisco router's flash
version_added: 0.1.0
description:
  - Lists C(flash:) (C(dir flash:)), reads each requested file that exists with C(more flash:FILE) and returns
    its text, so the controller can store it (the P(netops.ipsec_spi.capture#role) role writes one folder per
    router).
  - Parses what it read as capture files of the collection's EEM applets, where the files arrive, and returns
    the snapshots in RV(captures), ready for the P(netops.ipsec_spi.spi_captures#filter) filter's
    O(netops.ipsec_spi.spi_captures#filter:capture_sets) - the raw text is not read back by anyone.
  - With O(delete=true), deletes the requested files that exist (C(delete /force flash:FILE)), after reading
    them when O(fetch=true). A file that does not exist is not an error, so a second run changes nothing.
author:
  - netops.ipsec_spi maintainers (@netops)
attributes:
  check_mode:
    support: full
    description: Reads as usual; reports the files it would delete and deletes nothing.
  diff_mode:
    support: none
    description: Reading and deleting files changes no configuration.
  platform:
    platforms: ios
    support: full
    description: Cisco IOS and IOS XE over C(ansible.netcommon.network_cli).
options:
  files:
    description: File names on C(flash:) (no path).
    type: list
    elements: str
    required: true
  fetch:
    description: Return the text of each file.
    type: bool
    default: true
  delete:
    description: Delete the files after reading them.
    type: bool
    default: false
  max_bytes:
    description: Refuse to read a file larger than this (it is reported with C(skipped)).
    type: int
    default: 16777216
  host:
    description: The name the parsed snapshots carry as C(host) (the capture role passes C(inventory_hostname)).
    type: str
  year:
    description: Year for log time stamps without one in the captured log lines (default - the current year).
    type: int
notes:
  - Runs over C(ansible.netcommon.network_cli) with C(ansible_network_os=cisco.ios.ios); needs enable mode.
seealso:
  - module: netops.ipsec_spi.eem_applet
"""

EXAMPLES = r"""
- name: Read the capture files
  netops.ipsec_spi.capture_fetch:
    files: [ipsec_spi_capture.txt, ipsec_spi_twin.txt]
  register: captured

- name: Remove them from flash
  netops.ipsec_spi.capture_fetch:
    files: [ipsec_spi_capture.txt, ipsec_spi_twin.txt]
    fetch: false
    delete: true
"""

RETURN = r"""
files:
  description: One entry per requested file.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The file name.
      type: str
    present:
      description: Whether the file was on flash.
      type: bool
    size:
      description: Its size in bytes as C(dir) showed it (null when absent).
      type: int
    content:
      description: Its text (null when not fetched, absent or skipped).
      type: str
    skipped:
      description: Why it was not read, or null.
      type: str
flash:
  description: C(total) and C(free) bytes of flash as C(dir flash:) showed them.
  returned: always
  type: dict
commands:
  description: The delete commands sent, or that would be sent in check mode.
  returned: always
  type: list
  elements: str
captures:
  description:
    - The fetched files parsed as capture files - C(files) (names read), C(snapshots) (oldest first, the shape
      P(netops.ipsec_spi.spi_captures#filter) returns in C(snapshots)) and C(problems) (capture lines that could
      not be read - C(line), C(reason) naming the file, C(text)).
    - Pass it per host to P(netops.ipsec_spi.spi_captures#filter) as O(netops.ipsec_spi.spi_captures#filter:capture_sets).
  returned: always
  type: dict
  sample: {"files": ["ipsec_spi_capture.txt"], "snapshots": [], "problems": []}
"""

import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.connection import Connection, ConnectionError

from ansible_collections.netops.ipsec_spi.plugins.module_utils.capture.parse import parse_dir, read_captures
from ansible_collections.netops.ipsec_spi.plugins.module_utils.commands import (
    DIR_FLASH,
    delete_flash_file,
    is_plain_name,
    more_flash_file,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError, is_unsupported
from ansible_collections.netops.ipsec_spi.plugins.module_utils.device import normalize_response

NAME = "netops.ipsec_spi.capture_fetch"
# Spaces and tabs only: `\s` under MULTILINE would cross blank lines (quadratic on a file of newlines).
_ERROR_RE = re.compile(r"^[ \t]*%[ \t]*Error", re.MULTILINE)


def run(connection, command):
    (out,) = connection.run_commands(commands=[command], check_rc=False)
    out = normalize_response(out)
    if out is None or out.strip() == "None":
        raise ConnectionError("the session was dropped while running '%s'" % command)
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(type="list", elements="str", required=True),
            fetch=dict(type="bool", default=True),
            delete=dict(type="bool", default=False),
            max_bytes=dict(type="int", default=16777216),
            host=dict(type="str"),
            year=dict(type="int"),
        ),
        supports_check_mode=True,
    )
    year = module.params["year"]
    if year is not None and not 1970 <= year <= 9999:
        module.fail_json(msg="%s: year must be from 1970 to 9999, not %d" % (NAME, year))
    names = []
    for name in module.params["files"]:
        if not is_plain_name(name):
            module.fail_json(msg="%s: %r is not a plain file name (letters, digits, '_', '.', '-')" % (NAME, name))
        if name not in names:
            names.append(name)
    connection = Connection(module._socket_path)
    commands = []
    try:
        listing = run(connection, DIR_FLASH)
        if is_unsupported(listing) or _ERROR_RE.search(listing):
            module.fail_json(msg="%s: 'dir flash:' failed: %s" % (NAME, " ".join(listing.split())[:300]))
        table = parse_dir(listing)
        files = []
        for name in names:
            size = table["files"].get(name)
            item = {"name": name, "present": size is not None, "size": size, "content": None, "skipped": None}
            if size is not None and module.params["fetch"]:
                if size > module.params["max_bytes"]:
                    item["skipped"] = "%d bytes, more than max_bytes %d" % (size, module.params["max_bytes"])
                else:
                    text = run(connection, more_flash_file(name))
                    if _ERROR_RE.match(text):
                        module.fail_json(msg="%s: could not read flash:%s: %s" % (NAME, name, text.strip()[:300]))
                    item["content"] = text
            files.append(item)
        if module.params["delete"]:
            commands = [delete_flash_file(f["name"]) for f in files if f["present"]]
            if not module.check_mode:
                for command in commands:
                    answer = run(connection, command)
                    if _ERROR_RE.search(answer) or is_unsupported(answer):
                        module.fail_json(msg="%s: '%s' failed: %s" % (NAME, command, answer.strip()[:300]),
                                         files=files, commands=commands, changed=True)
                left = parse_dir(run(connection, DIR_FLASH))["files"]
                still = [f["name"] for f in files if f["present"] and f["name"] in left]
                if still:
                    module.fail_json(msg="%s: still on flash after delete: %s" % (NAME, ", ".join(still)),
                                     files=files, commands=commands, changed=True)
    except ConnectionError as exc:
        module.fail_json(msg="%s: the router refused or did not answer: %s" % (NAME, exc))
    try:
        captures = read_captures([(f["name"], f["content"]) for f in files], host=module.params["host"],
                                 year=module.params["year"])
    except ParseError as exc:
        module.fail_json(msg="%s: could not read the capture files: %s" % (NAME, exc), files=files, commands=commands,
                         changed=bool(commands))
    module.exit_json(changed=bool(commands), files=files, flash={"total": table["total"], "free": table["free"]},
                     commands=commands, captures=captures)


if __name__ == "__main__":
    main()
