#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: syslog_archive
short_description: Invalid-SPI history from a syslog server's rotated files, per router or for the whole archive
version_added: 0.1.0
description:
  - Reads a syslog server's archive on the machine it runs on (run it with C(delegate_to=localhost)) - a folder
    of rotated files (C(messages), C(messages.1), C(messages.2.gz), ... or C(messages-20240901.gz)), a glob, a
    file, or a list of these - as one stream, oldest first, plain or compressed (gzip, bzip2, xz), a chunk at a
    time, so memory stays the same whatever the archive's size.
  - The same line in two files counts once. A missing, unreadable or corrupt file (a truncated gzip) is reported
    by name (in RV(archive) and as a warning); the lines before a corruption are kept and the other files are read.
  - With O(facts) (a router's C(ipsec_spi) facts from M(netops.ipsec_spi.spi_facts)) it returns those facts with
    the archive's events for the router added and the flows rebuilt, as C(ansible_facts.ipsec_spi); the
    C(netops.ipsec_spi.check) role does this when C(ipsec_spi_syslog_archive) is set.
  - Without O(facts) it returns the flows and recent events of O(host), or of every host in the archive.
  - "Which events belong to a router: the host the line names (origin host, else the host after the device stamp,
    else the relay's host field) mapped by O(host_map), else equal to one of the router's names (O(host), O(names),
    and with O(facts) its configured and C(show version) host names; case is ignored and C(hub-1) matches
    C(hub-1.example.net)), else, for an address, one of the router's own addresses (O(addresses), and with O(facts)
    its C(addresses)). The details are in docs/user-guide.md."
  - The archive is read once for all the routers of a run - the first call reads it into O(cache_dir) under a
    lock, and calls for the same files (same size and modification time) use that reading.
author:
  - netops.ipsec_spi maintainers (@netops)
attributes:
  check_mode:
    support: full
    description: Read-only; behaves the same in check mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is nothing to diff.
  platform:
    platforms: posix
    support: full
    description: Runs where the archive is, normally the controller.
options:
  path:
    description: Folder, file or glob of the archive, or a list of them.
    type: list
    elements: path
    required: true
  host:
    description: The router (inventory name) whose events are wanted. Required with O(facts).
    type: str
  names:
    description: More names the router's lines may carry.
    type: list
    elements: str
    default: []
  addresses:
    description: More of the router's own addresses (a relay names a sender by its address).
    type: list
    elements: str
    default: []
  host_map:
    description:
      - Host name or address as the lines give it -> inventory host. Checked before the other rules, and overrides them.
    type: dict
    default: {}
  facts:
    description: The router's C(ipsec_spi) facts to add the archive's events to.
    type: dict
  year:
    description: Year for time stamps that carry none; default is the current-year rule of the C(invalid_spi_events) filter.
    type: int
  peers:
    description: Known peer addresses for the flows when O(facts) is not given (with O(facts) its C(known_peers) are used).
    type: list
    elements: str
  min_repeats:
    description: Messages a flow needs to be C(persistent).
    type: int
    default: 2
  min_span:
    description: Seconds those messages must span.
    type: float
    default: 50
  max_events:
    description: The most recent events kept in the result (flows are always computed from all of them).
    type: int
    default: 1000
  cache:
    description: Read the archive once for all calls on the same files (false reads it on every call, in a temporary folder).
    type: bool
    default: true
  cache_dir:
    description:
      - Where the reading is kept (created mode 0700; it must belong to the user and be closed to others).
        Readings unused for a day are removed. Default is a folder in the system's temporary folder named after the user id.
    type: path
seealso:
  - name: Syslog-server archives
    description: docs/user-guide.md in the collection.
    link: https://example.invalid/netops/ipsec_spi/docs/user-guide.md
"""

EXAMPLES = r"""
- name: Add the syslog server's history to each router's evidence (what the check role does)
  netops.ipsec_spi.syslog_archive:
    path: /var/log/cisco
    host: "{{ inventory_hostname }}"
    facts: "{{ ansible_facts.ipsec_spi }}"
    host_map:
      10.99.0.7: hub-1
  delegate_to: localhost

- name: Every flow in the archive, ad hoc
  netops.ipsec_spi.syslog_archive:
    path:
      - /var/log/remote/ipsec.log*
  delegate_to: localhost
  run_once: true
  register: archive
"""

RETURN = r"""
archive:
  description: What was read - C(path), C(files) (each with C(path), C(compression), C(lines), C(events), C(duplicates),
    C(problems), C(error)), C(lines), C(events), C(duplicates), C(attributed_events) (the events given to O(host)),
    C(problem_count), C(problems) (the first 20) and C(read) (true when this call read the files).
  returned: always
  type: dict
flows:
  description: Flows of O(host), or of every host, as the C(invalid_spi_flows) filter returns them.
  returned: without O(facts)
  type: list
  elements: dict
events:
  description: The last O(max_events) events, with C(file), the file their C(line) is in.
  returned: without O(facts)
  type: list
  elements: dict
ansible_facts:
  description: C(ipsec_spi) - the router's facts with the archive's events added, the flows rebuilt, and C(syslog_archive)
    (what RV(archive) says).
  returned: with O(facts)
  type: dict
"""

import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.netops.ipsec_spi.plugins.module_utils.archive import read_archive
from ansible_collections.netops.ipsec_spi.plugins.module_utils.archive_cache import open_index
from ansible_collections.netops.ipsec_spi.plugins.module_utils.archive_hosts import (
    archive_brief,
    archive_result,
    check_max_events,
    merge_into_facts,
    router_events,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError
from ansible_collections.netops.ipsec_spi.plugins.module_utils.flows import build_flows


def _router_names(params):
    facts = params["facts"] or {}
    names = list(params["names"])
    for value in ((facts.get("platform") or {}).get("hostname"), (facts.get("inventory") or {}).get("hostname"),
                  facts.get("host")):
        if isinstance(value, str):
            names.append(value)
    return names


def _answer(folder, summary, params, read):
    host, facts = params["host"], params["facts"]
    max_events = check_max_events(params["max_events"])
    result = {"changed": False}
    if host is None:
        whole = archive_result(folder, summary, peers=params["peers"], min_repeats=params["min_repeats"],
                               min_span=params["min_span"])
        result.update(flows=whole["flows"], events=whole["events"][-max_events:] if max_events else [])
        result["archive"] = dict(archive_brief(summary, params["path"], None), read=read)
        return result
    addresses = list(params["addresses"]) + list((facts or {}).get("addresses") or [])
    events = router_events(folder, summary, host, _router_names(params), addresses, params["host_map"])
    brief = dict(archive_brief(summary, params["path"], len(events)), read=read)
    if facts is not None:
        merged = merge_into_facts(facts, events, brief, min_repeats=params["min_repeats"],
                                  min_span=params["min_span"], max_events=max_events)
        result["ansible_facts"] = {"ipsec_spi": merged}
        result["archive"] = merged["syslog_archive"]
    else:
        result["flows"] = build_flows(events, peers=params["peers"], min_repeats=params["min_repeats"],
                                      min_span=params["min_span"])
        result["events"] = events[-max_events:] if max_events else []
        result["archive"] = brief
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="list", elements="path", required=True),
            host=dict(type="str"),
            names=dict(type="list", elements="str", default=[]),
            addresses=dict(type="list", elements="str", default=[]),
            host_map=dict(type="dict", default={}),
            facts=dict(type="dict"),
            year=dict(type="int"),
            peers=dict(type="list", elements="str"),
            min_repeats=dict(type="int", default=2),
            min_span=dict(type="float", default=50),
            max_events=dict(type="int", default=1000),
            cache=dict(type="bool", default=True),
            cache_dir=dict(type="path"),
        ),
        required_by={"facts": "host"},
        supports_check_mode=True,
    )
    params = module.params
    keep = params["max_events"] if params["host"] is None and isinstance(params["max_events"], int) else 0
    try:
        if params["cache"]:
            folder, summary, read = open_index(params["path"], params["cache_dir"], year=params["year"],
                                               keep_recent=max(keep, 0))
            result = _answer(folder, summary, params, read)
        else:
            with tempfile.TemporaryDirectory(prefix="netops-ipsec-spi-archive-") as folder:
                summary = read_archive(params["path"], folder, year=params["year"], keep_recent=max(keep, 0))
                read = True
                result = _answer(folder, summary, params, read)
    except (ParseError, OSError) as exc:
        module.fail_json(msg="netops.ipsec_spi.syslog_archive: %s" % exc)
    if read:
        # Once per reading: the other routers of the run get the same problems in their result only.
        for item in summary.get("problems") or []:
            if item.get("line") is None:
                module.warn("netops.ipsec_spi.syslog_archive: %s: %s" % (item["file"], item["reason"]))
        lines = summary.get("problem_count", 0) - sum(1 for p in summary.get("problems") or [] if p.get("line") is None)
        if lines > 0:
            module.warn("netops.ipsec_spi.syslog_archive: %d invalid-SPI line(s) not understood (see archive.problems)"
                        % lines)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
