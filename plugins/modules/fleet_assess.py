#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the fleet_assess action (it runs on the controller only)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: fleet_assess
short_description: Assess the whole fleet from Ansible's fact cache, once, on the controller
version_added: 0.1.0
author: netops.ipsec_spi maintainers (@netops)
description:
  - The fleet-wide half of a sliced audit. A separate, possibly sliced, gather (the C(netops.ipsec_spi.gather) playbook,
    AWX C(job_slice_count) with C(use_fact_cache)) leaves each router's C(ipsec_spi) facts in the fact cache;
    this action reads them for every listed host straight from the configured cache plugin, proves desyncs across
    the whole fleet (both ends of a pair, wherever each was gathered) and returns the assessments, the summary and
    the fleet plan.
  - A router without cached facts is not assessed (error kind C(missing)); facts of another run (O(run_id)) or older
    than O(max_age) are not assessed either (C(stale)) and take no part in the correlation. A cache entry that
    cannot be read (corrupt file or payload) makes only that router not assessed (C(failed)), with the reason.
    None of them is ever reported compliant.
  - Connects to no router. Needs a persistent fact cache (C(fact_caching) / C(ANSIBLE_CACHE_PLUGIN), e.g.
    C(ansible.builtin.jsonfile)); fails with a clear message without one.
options:
  hosts:
    description: Inventory hostnames to assess, e.g. C(query('ansible.builtin.inventory_hostnames', 'all')).
    type: list
    elements: str
    required: true
  waivers:
    description: Accepted exceptions, as the check role's C(ipsec_spi_waivers).
    type: list
    elements: dict
    default: []
  inventory:
    description:
      - Every router of the fleet, assessed in this run or not (the check role passes its C(ipsec_spi_fleet_hosts)).
      - A router listed here but not in O(hosts), or not assessed, makes the view partial; only its cached addresses
        are read, to tell whether an unread sender may be it. A persistent flow whose sender may be such a router is
        C(unverified), says why, and gets no clear unless O(clear_unverified).
      - Unset, O(hosts) are the whole fleet.
    type: list
    elements: str
    version_added: 0.1.0
  clear_unverified:
    description: Opt in to receiver-side clears for persistent flows whose sender this run did not read.
    type: bool
    default: false
    version_added: 0.1.0
  run_id:
    description:
      - Only facts stamped with this run id (P(netops.ipsec_spi.spi_facts#module) C(run_id)) are assessed.
      - Empty, the run is the latest gather in the cache (the run id of the newest cached facts); C(any) turns that
        off, and only O(max_age) applies.
    type: str
    default: ""
  max_age:
    description: Facts gathered more than this many seconds ago are not assessed; C(0) turns the check off.
    type: float
    default: 3600
  active_window:
    description: As the check role's C(ipsec_spi_active_window).
    type: float
    default: 300
  facts_var:
    description: Name of the fact under C(ansible_facts).
    type: str
    default: ipsec_spi
  assessments:
    description: Return every router's assessment (C(false) returns only summary, plan and verdicts).
    type: bool
    default: true
  assessments_file:
    description:
      - Also write the assessments to a JSON file in the controller's temporary directory (removed when
        ansible-playbook exits) and return its path as RV(assessments_file), for
        P(netops.ipsec_spi.fleet_report#module)'s O(netops.ipsec_spi.fleet_report#module:assessments_file).
    type: bool
    default: false
  history:
    description:
      - Run the check role's history step (docs/recurrence.md) on the facts read from the cache, as
        P(netops.ipsec_spi.store#module) O(netops.ipsec_spi.store#module:step=history) does for an unsliced audit
        (the same code) - record this run's desync episodes in the store, read the window back, and give each
        recurring pair a C(RECURRING_DESYNC) finding on its receiver's assessment (the summary and the file of
        O(assessments_file) include it) with its timeline, root-cause hints and the capture to arm (RV(history)).
      - Unset, no store is read or written.
    type: dict
    version_added: 0.1.0
    suboptions:
      store:
        description: The store, as the check role's C(ipsec_spi_store) (a file path or a C(postgresql://) URL).
        type: str
        required: true
      source:
        description: What kind of run records the episodes (the check role's C(ipsec_spi_history_source)).
        type: str
        default: audit
        choices: [audit, remediate, eda, capture, fleet]
      settings:
        description: Recurrence settings, as the check role's C(ipsec_spi_history_settings).
        type: dict
        default: {}
      run_id:
        description: The run id the episodes are recorded under (the check role's C(ipsec_spi_run_id)).
        type: str
        default: ""
      lock_timeout:
        description: Seconds to wait for the store's lock.
        type: float
        default: 300
attributes:
  check_mode:
    support: full
    description: Reads only; the same in check mode (with O(history), the store is read and nothing is recorded).
  diff_mode:
    support: none
    description: Reads only; there is nothing to show.
  platform:
    support: full
    platforms: all
    description: Runs on the controller.
notes:
  - Action plugin only; it reads the fact cache of the controller that runs the play.
seealso:
  - module: netops.ipsec_spi.spi_facts
  - module: netops.ipsec_spi.fleet_report
"""

EXAMPLES = r"""
- name: Assess the fleet from the fact cache
  netops.ipsec_spi.fleet_assess:
    hosts: "{{ query('ansible.builtin.inventory_hostnames', 'all') }}"
    max_age: 7200
  register: fleet
"""

RETURN = r"""
assessments:
  description: host -> C(ipsec_spi_assessment) (docs/assessment.md).
  returned: when O(assessments=true)
  type: dict
assessments_file:
  description: The file of O(assessments_file=true).
  returned: when O(assessments_file=true)
  type: str
summary:
  description: The fleet summary (as C(ipsec_spi_summary)).
  returned: always
  type: dict
plan:
  description: host -> planned actions, for the hosts that have any.
  returned: always
  type: dict
desync:
  description: The fleet's desync verdicts (as P(netops.ipsec_spi.spi_desync#filter)).
  returned: always
  type: list
  elements: dict
history:
  description:
    - What the history store says (C(findings), C(timelines), C(hints), C(debug_plans), C(trend), C(settings)), for the
      report role's C(ipsec_spi_report_history). Empty in check mode without a store.
  returned: when O(history) is set
  type: dict
history_rows:
  description: How many episode and action rows the history step inserted or changed.
  returned: when O(history) is set
  type: dict
"""
