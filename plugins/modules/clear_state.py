#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: clear_state
short_description: The remediation's cool-down state and the lock that serialises SA clears
version_added: 0.1.0
description:
  - Runs on the controller (an action plugin; no module is sent anywhere). The
    P(netops.ipsec_spi.remediate#role) role calls it around its clears; other playbooks rarely need it.
  - The state file maps C(host|peer) to the last clear of that peer (C(time), C(run_id), C(spi),
    C(command), C(receiver), C(sender_addr)). It is validated before use and refused, naming the file and what is
    wrong, when it is not a JSON object, an entry is not a mapping, or a C(time) is not a finite number or lies
    more than 300 seconds in the future. A missing or blank file is an empty state.
  - Clears are serialised fleet-wide by a lock file beside the state file (O(path) plus C(.lock)), created
    atomically and naming its holder (run id, ansible-playbook pid, controller host, time). A run that finds it
    held waits up to O(lock_timeout) seconds, then fails naming the holder. A lock is stale, and taken over with
    a warning, when it is older than O(lock_stale_after) seconds or its pid is gone on this same host.
  - O(step=read) validates the state and proves the path writable (creating its directory, mode 0700) before
    anything is sent. O(step=claim) takes the lock when a clear is pending, reads the state again under it,
    re-verifies each pending clear against the routers' SA tables read just before, and skips, with the reason,
    any peer cleared by another run within the cool-down. O(step=record) turns the registered results into each
    action's outcome, writes the clears that were made into the state (read-modify-write under the lock, atomic
    replace) and drops the lock. O(step=release) drops the lock if this run still holds it (for an C(always)
    section).
author:
  - netops.ipsec_spi maintainers (@netops)
attributes:
  check_mode:
    support: full
    description:
      - Nothing is created or written and no lock is taken; the state is still read and validated, the
        cool-down still applied, and the writability of the path checked without creating anything.
  diff_mode:
    support: full
    description: O(step=record) shows the state entries before and after.
  platform:
    platforms: all
    support: full
    description: Runs on the controller only.
options:
  path:
    description:
      - The state file on the controller (C(~) is expanded, symlinks are followed). Every run that may clear
        the same routers must use the same file, on storage they all see (see docs/awx.md).
    type: path
    required: true
  step:
    description: What to do (see the description).
    type: str
    choices: [read, claim, record, release]
    required: true
  run_id:
    description: This run's identifier, the same in every serial batch (the cool-down does not apply within a run).
    type: str
    default: ""
  cooldown:
    description: Seconds before the same peer may be cleared again (O(step=claim)).
    type: float
    default: 3600
  max_clears:
    description:
      - The run's clear budget, counted again under the lock from the state's entries of O(run_id)
        (O(step=claim)); job slices sharing one run id then share one budget. Unset, only the plan counts it.
    type: int
  lock_timeout:
    description: Seconds to wait for a lock held by another run before failing (O(step=claim)).
    type: float
    default: 300
  lock_stale_after:
    description: Seconds after which a lock is stale whatever its holder (O(step=claim)).
    type: float
    default: 900
  hosts:
    description: The routers still in the batch (O(step=claim), O(step=record)); default all in O(todo).
    type: list
    elements: str
  todo:
    description:
      - Router -> to-do (C(actions), C(clear_sa), C(clear_session), C(reread)...), as the
        P(netops.ipsec_spi.spi_remediation_todo#filter) filter returns it (O(step=claim)), or as the claim
        returned it (O(step=record)).
    type: dict
    default: {}
  readings:
    description:
      - Router -> its registered P(netops.ipsec_spi.spi_facts#module) re-read (plain or looped over
        C(todo.reread)), read just before the claim (O(step=claim)).
    type: dict
    default: {}
  lock:
    description:
      - The C(lock) the claim returned (O(step=record), O(step=release)), passed as C("{{ claim.lock }}").
      - A mapping, or null (or the empty string ansible-core before 2.19 makes of a null) when no lock is
        held; the mapping as JSON text is accepted too. Anything else fails the task, naming the argument.
    type: raw
  knobs:
    description: Router -> registered P(netops.ipsec_spi.invalid_spi_recovery#module) result (O(step=record)).
    type: dict
    default: {}
  clears:
    description: Router -> registered P(netops.ipsec_spi.sa_clear#module) result, plain or looped (O(step=record)).
    type: dict
    default: {}
notes:
  - On AWX the state file must be on a volume every job pod mounts, and sliced jobs must all point at the same
    file; the lock only serialises runs that see the same lock file. See docs/awx.md.
  - The lock holds on filesystems where an exclusive create is atomic (local disks, NFS v3 and later, CephFS,
    EFS); not on object storage mounted as a filesystem.
seealso:
  - module: netops.ipsec_spi.sa_clear
  - plugin: netops.ipsec_spi.spi_remediation_todo
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Read and validate the cool-down state before anything is sent
  netops.ipsec_spi.clear_state:
    path: /var/lib/awx/projects/state/clear-state.json
    step: read
  run_once: true
  delegate_to: localhost
  register: cool_down

- name: Take the lock and decide the batch's clears under it
  netops.ipsec_spi.clear_state:
    path: /var/lib/awx/projects/state/clear-state.json
    step: claim
    run_id: "{{ awx_job_id }}"
    todo: "{{ todo }}"
    readings: "{{ readings }}"
    hosts: "{{ ansible_play_batch }}"
  run_once: true
  delegate_to: localhost
  register: claimed
"""

RETURN = r"""
path:
  description: The state file, resolved.
  returned: always
  type: str
state:
  description: The validated state (O(step=read)).
  returned: O(step=read)
  type: dict
now:
  description: The controller's time the step used, in epoch seconds.
  returned: always
  type: float
todo:
  description: Router -> final to-do, re-verified and with the cool-down applied under the lock (O(step=claim)).
  returned: O(step=claim)
  type: dict
lock:
  description: The lock this run holds (C(token), C(run_id), C(pid), C(host), C(since), C(took_over), C(waited)
    seconds for it), or null
    when no clear was left to make (or in check mode).
  returned: O(step=claim)
  type: dict
took_over:
  description: The stale lock this run took over (its holder and why it was stale), or empty.
  returned: O(step=claim)
  type: str
hosts:
  description: Router -> C(performed) (each action with C(result) and C(message)), C(failed) (messages) and
    C(verify) (the routers to read after the clears, with what to gather) (O(step=record)).
  returned: O(step=record)
  type: dict
recorded:
  description: The state keys written (O(step=record)).
  returned: O(step=record)
  type: list
  elements: str
released:
  description: Whether this run's lock was removed.
  returned: O(step=record), O(step=release)
  type: bool
"""
