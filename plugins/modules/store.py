#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: store
short_description: The remediation's store of clears (cool-down, budget), on SQLite or PostgreSQL
version_added: 0.1.0
description:
  - Runs on the controller (an action plugin; no module is sent anywhere). The
    P(netops.ipsec_spi.remediate#role) role calls it around its clears; other playbooks rarely need it.
  - The store remembers every clear as a claim, written in the same transaction that checks the peer's cool-down
    and the run's clear budget, B(before) the command is sent, and marked C(cleared) or C(not_cleared) after.
    A claim never marked (a run killed between the clear and its record) stays visible, counts as a clear until
    its cool-down ends, and is pruned with the rest by retention; nothing is cleared twice within a cool-down.
  - O(store) is a file path (SQLite, one writer at a time with C(BEGIN IMMEDIATE), WAL journal; the default) or a
    C(postgresql://) URL (psycopg 3 on the controller; advisory locks per pair and per run, so job slices and
    overlapping runs never clear one pair twice). A URL's password is masked in every message.
  - O(step=open) refuses, before anything is sent, a store that cannot be used, naming it and what is wrong
    (unreachable database, refused credentials, a read-only or corrupt SQLite file, a schema newer than this
    collection, psycopg missing); creates or migrates the schema; imports the JSON state file of earlier releases
    once (O(legacy_state)); prunes records older than O(retention_days); and returns the cool-down entries that
    still apply to O(hosts) (bounded by one cool-down's clears, never the whole store).
  - O(step=claim) re-verifies each pending clear against the routers' SA tables read just before, and claims,
    in one store transaction, the clears out of their cool-down and within O(max_clears); the others are skipped
    with the reason. O(step=record) turns the registered results into each action's outcome and marks the
    claims. O(step=run) lists what one run claimed and cleared.
  - O(step=history) records this run's desync episodes (and, with O(record_actions), the remediation's actions
    and their verified outcomes) from O(assessments), reads the window back and returns the recurring pairs
    (C(RECURRING_DESYNC)), each pair's timeline, root-cause hints from this run's facts, the proposed capture and
    the fleet trend (docs/recurrence.md), for the report role's C(ipsec_spi_report_history). Idempotent, so the same
    episode recorded twice is one episode. The result's size follows the recurring pairs, not the store.
author:
  - netops.ipsec_spi maintainers (@netops)
attributes:
  check_mode:
    support: full
    description:
      - Nothing is created, migrated, imported, pruned or claimed; the store (and the JSON state file not imported
        yet) is still read, the cool-down still applied.
  diff_mode:
    support: full
    description: O(step=record) shows each claim's status before and after.
  platform:
    platforms: all
    support: full
    description: Runs on the controller only.
options:
  store:
    description:
      - The store. A path (C(~) expanded; default in the role
        C(~/.ansible/netops.ipsec_spi/store.sqlite3)) or C(postgresql://user:password@host:port/db?sslmode=...);
        C(postgresql://) alone takes everything from the C(PG*) environment variables (the AWX credential type
        in C(extensions/awx/) sets them). Every run that may clear the same routers must use the same store.
    type: str
    required: true
  step:
    description: What to do (see the description).
    type: str
    choices: [open, claim, record, run, history]
    required: true
  run_id:
    description: This run's identifier, the same in every serial batch and job slice (the budget is the run's).
    type: str
    default: ""
  cooldown:
    description: Seconds before the same peer (or the same pair, from its other end) may be cleared again.
    type: float
    default: 3600
  max_clears:
    description: The run's clear budget, counted in the claim transaction from the store's claims of O(run_id).
    type: int
  lock_timeout:
    description: Seconds to wait for another run's claim on the same store (SQLite) or pair (PostgreSQL) before failing.
    type: float
    default: 300
  retention_days:
    description: Claims, episodes and actions older than this are deleted at O(step=open); 0 keeps everything.
      Must cover the cool-down.
    type: float
    default: 90
  legacy_state:
    description: The JSON cool-down state file of releases up to 0.1.0, imported once (O(step=open)), then left alone.
    type: path
  hosts:
    description: The routers of the play (O(step=open)) or still in the batch (O(step=claim), O(step=record)).
    type: list
    elements: str
  todo:
    description:
      - Router -> to-do, as the P(netops.ipsec_spi.spi_remediation_todo#filter) filter returns it
        (O(step=claim)), or as the claim returned it (O(step=record)).
    type: dict
    default: {}
  readings:
    description: Router -> its registered P(netops.ipsec_spi.spi_facts#module) re-read, read just before the claim.
    type: dict
    default: {}
  knobs:
    description: Router -> registered P(netops.ipsec_spi.invalid_spi_recovery#module) result (O(step=record)).
    type: dict
    default: {}
  clears:
    description: Router -> registered P(netops.ipsec_spi.sa_clear#module) result, plain or looped (O(step=record)).
    type: dict
    default: {}
  assessments:
    description: Router -> C(ipsec_spi_assessment) of this run (O(step=history)).
    type: dict
    default: {}
  source:
    description: What kind of run records the episodes (O(step=history)).
    type: str
    choices: [audit, remediate, eda, capture, fleet]
    default: audit
  settings:
    description:
      - Recurrence settings (O(step=history)) C(min_episodes) (default 3) black holes within C(window_days)
        (default 30) make a pair recurring; C(trend_days) (default 30) days of fleet trend; C(debugs) (default
        false) adds the opt-in conditional ISAKMP/IPsec debug applet to the proposed capture (docs/recurrence.md).
    type: dict
    default: {}
  waivers:
    description: The check role's waivers, applied to the C(RECURRING_DESYNC) findings (O(step=history)).
    type: list
    elements: dict
    default: []
  record_actions:
    description: Record the remediation's performed actions too (O(step=history), after a remediation).
    type: bool
    default: false
  result_var:
    description: The variable each router's P(netops.ipsec_spi.spi_facts#module) result is registered in (hints read it).
    type: str
    default: _ipsec_spi_gathered
requirements:
  - psycopg >= 3.1 on the controller, for a PostgreSQL store only.
notes:
  - On AWX with several execution nodes use PostgreSQL (docs/awx.md); an SQLite file must be on storage every
    job sees, and SQLite's locking does not hold over NFS.
seealso:
  - module: netops.ipsec_spi.sa_clear
  - plugin: netops.ipsec_spi.spi_remediation_todo
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Open the store before anything is sent (refused here when it cannot be used)
  netops.ipsec_spi.store:
    store: "{{ lookup('ansible.builtin.env', 'IPSEC_SPI_STORE') | default('~/.ansible/netops.ipsec_spi/store.sqlite3', true) }}"
    step: open
    hosts: "{{ ansible_play_hosts }}"
  run_once: true
  delegate_to: localhost
  register: cool_down

- name: Claim the batch's clears
  netops.ipsec_spi.store:
    store: postgresql://
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
store:
  description: The store, its URL password masked.
  returned: always
  type: str
backend:
  description: C(sqlite) or C(postgresql).
  returned: O(step=open)
  type: str
state:
  description: C(host|peer) -> the claim that still holds its cool-down (C(time), C(run_id), C(status), C(receiver),
    C(sender_addr), C(spi), C(command)), for O(hosts) and this run only.
  returned: O(step=open)
  type: dict
open_claims:
  description: C(count) of claims other runs never recorded, and up to 10 of them (C(shown)); also a warning.
  returned: O(step=open)
  type: dict
imported:
  description: C(file) and C(entries) when the JSON state file was imported by this step, else null.
  returned: O(step=open)
  type: dict
pruned:
  description: Records deleted by retention.
  returned: O(step=open)
  type: int
now:
  description: The controller's time the step used, in epoch seconds.
  returned: always
  type: float
todo:
  description: Router -> final to-do, re-verified and with the cool-down and budget applied in the claim (O(step=claim)).
  returned: O(step=claim)
  type: dict
claimed:
  description: The C(host|peer) claimed by this step (O(step=claim)).
  returned: O(step=claim)
  type: list
  elements: str
hosts:
  description: Router -> C(performed) (each action with C(result) and C(message)), C(failed) (messages) and
    C(verify) (the routers to read after the clears, with what to gather) (O(step=record)).
  returned: O(step=record)
  type: dict
recorded:
  description: The C(host|peer) marked cleared (O(step=record)).
  returned: O(step=record)
  type: list
  elements: str
clears:
  description: The run's claims (C(host), C(peer), C(status), C(claimed_at), C(done_at), ...), oldest first (O(step=run)).
  returned: O(step=run)
  type: list
  elements: dict
history:
  description:
    - C(findings) (the C(RECURRING_DESYNC) findings), C(timelines), C(hints) and C(debug_plans) (each keyed
      C(receiver|sender_addr)), C(trend) (per day C(found), C(fixed), C(recurring), C(clears)) and C(settings)
      (O(step=history)); the report role's C(ipsec_spi_report_history). Empty in check mode without a store.
  returned: O(step=history)
  type: dict
history_rows:
  description: How many episode and action rows this step inserted or changed (O(step=history)).
  returned: O(step=history)
  type: dict
assessments:
  description: The receivers' assessments that a recurring pair adds its finding to, settled again (only those) (O(step=history)).
  returned: O(step=history)
  type: dict
summary:
  description: The fleet summary again when an assessment changed, else null (O(step=history)).
  returned: O(step=history)
  type: dict
"""
