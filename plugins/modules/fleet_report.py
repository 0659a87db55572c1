#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: fleet_report
short_description: Write the fleet invalid-SPI compliance report (JSON, Markdown, HTML, JUnit)
version_added: 0.1.0
description:
  - Renders the per-router assessments set by the C(netops.ipsec_spi.check) role (and the performed actions
    added by C(netops.ipsec_spi.remediate)) into four files in O(dest), namely
    C(report.json) (versioned, see C(docs/schemas/report-v1.schema.json)), C(report.md), C(report.html)
    (one self-contained page, nothing fetched from the network) and C(junit.xml) (one test case per router
    and check family, failing for non-compliant routers).
  - Meant to run once on the controller, for example with C(run_once) and C(delegate_to=localhost);
    the C(netops.ipsec_spi.report) role does that and collects the assessments from C(hostvars).
  - Every file is written atomically (a temporary file in O(dest), then a rename), and only when its
    content changed.
  - Every string that came from a router is escaped for the format it lands in, and only the documented
    assessment keys are copied into the report, so no raw device configuration reaches it.
author:
  - netops.ipsec_spi maintainers (@netops)
options:
  dest:
    description:
      - Directory the report files are written to. Created (with parents) when missing.
    type: path
    required: true
  assessments:
    description:
      - Mapping of inventory host name to its C(ipsec_spi_assessment) (see C(docs/assessment.md)).
      - A host mapped to C(null) or C({}) has no assessment and is reported as not assessed, with the
        reason from O(reasons) or C(no assessment).
      - Exactly one of O(assessments) and O(assessments_file) is required.
    type: dict
  assessments_file:
    description:
      - A JSON file on the machine the module runs on holding the same mapping, read instead of O(assessments).
      - P(netops.ipsec_spi.fleet_assess#module) writes one, so that a fleet of thousands of assessments does not
        travel through task variables (which costs Ansible seconds per thousand routers).
    type: path
  reasons:
    description:
      - Mapping of host name to the reason it has no assessment, for example the message of its failed
        task. A plain string is reported with kind V(failed); its words are not read for a kind.
      - A value may also be a failed task result, of which only C(msg) is used (kind V(unreachable) when it
        has C(unreachable=true), else V(failed)), or a mapping with C(kind) and C(message), the shape of an
        assessment's C(error), whose kind is reported as given.
    type: dict
    default: {}
  active_hosts:
    description:
      - The hosts still active in the play (C(ansible_play_hosts)). A host of O(assessments) that is not
        in this list and has no assessment is reported as failed or unreachable earlier in the run.
      - Leave unset when the report runs in a separate play.
    type: list
    elements: str
  run_mode:
    description:
      - V(dry_run) labels the report as a dry run (use it in check mode).
      - V(auto) labels it as applied only when some router has performed actions; with no performed action
        the run changed nothing, so the report says dry run.
      - V(applied) (a real remediation run) labels it as applied even when there was nothing to change.
    type: str
    choices: [auto, dry_run, applied]
    default: auto
  meta:
    description:
      - Free-form information about the run copied into the report (for example C(title), C(playbook),
        C(collection_version)). C(title) is used as the heading of the Markdown and HTML reports.
    type: dict
    default: {}
  formats:
    description:
      - Which files to write.
    type: list
    elements: str
    choices: [json, markdown, html, junit]
    default: [json, markdown, html, junit]
  view:
    description:
      - The assessment's view of the fleet (the C(view) of the P(netops.ipsec_spi.spi_assess#filter) result or of
        P(netops.ipsec_spi.fleet_assess#module)), with C(complete), the C(inventory), C(targeted) and C(assessed) counts
        and C(not_assessed), a mapping of each inventory router this run did not assess to C(kind) and C(message).
      - The report lists those routers under "Not seen in this run", including routers a C(--limit) run did not
        target, which have no assessment at all.
    type: dict
  history:
    description:
      - What the history store says (docs/recurrence.md) - C(findings) (the C(RECURRING_DESYNC) findings), C(timelines),
        C(hints) and C(debug_plans) (each a mapping C(receiver|sender_addr) to the pair's value), C(trend) (per-day
        rows) and C(settings).
      - Rendered first in every format as "Recurring pairs". Omitted, the section says no history store was read.
    type: dict
  per_run:
    description:
      - V(true) writes each run's files into a new folder of O(dest) named after the report time
        (C(20261130T020000Z)), points the link C(latest) at it and links C(report.json), C(report.md),
        C(report.html) and C(junit.xml) at the top of O(dest) to C(latest/), so the newest report opens at the
        same path as with V(false) and older runs stay. Report files of the flat layout found at the top of O(dest)
        are first moved into a folder C(before-per-run-<time>). Nothing is ever deleted.
      - V(false) writes the four files straight into O(dest), replacing the previous run's.
      - When the content equals the latest run's (apart from C(generated_at)), no folder is added and nothing changes.
    type: bool
    default: false
  fail_on_unassessed:
    description:
      - After writing every file, fail when a router of O(assessments) could not be assessed, with a message naming
        the routers and their reasons. Routers a C(--limit) run did not target are not counted.
    type: bool
    default: false
  fail_on_noncompliant:
    description:
      - After writing every file, fail when a router is non-compliant or could not be assessed.
    type: bool
    default: false
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - In check mode the report is still written, because a dry-run report is the point of an audit.
        The module changes nothing on any router in either mode; it only writes report files on the
        controller.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
notes:
  - C(changed) is true when at least one report file was created or its content changed. When the fleet
    content is the same as in the existing C(report.json) of O(dest), the earlier C(generated_at) time is
    kept, so an unchanged fleet leaves all four files untouched and C(changed) false. Live assessments
    carry their C(assessed_at) time, so a new live run normally changes the report.
  - The rendering lives in the pure Python core C(plugins/module_utils/report/) (model, one module per
    output format), with no Ansible imports.
seealso:
  - name: The report format
    description: docs/report.md in the collection.
    link: https://example.invalid/netops/ipsec_spi/docs/report.md
"""

EXAMPLES = r"""
- name: Write the fleet report on the controller
  netops.ipsec_spi.fleet_report:
    dest: "{{ playbook_dir }}/reports"
    assessments: "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars)
      | map(attribute='ipsec_spi_assessment', default={}))) }}"
    run_mode: "{{ 'dry_run' if ansible_check_mode else 'auto' }}"
  run_once: true
  delegate_to: localhost

- name: Only the JUnit file for CI, from assessments saved earlier
  netops.ipsec_spi.fleet_report:
    dest: /var/tmp/ipsec-spi
    assessments: "{{ lookup('ansible.builtin.file', 'assessments.json') | from_json }}"
    formats: [junit]
  delegate_to: localhost
"""

RETURN = r"""
run_dir:
  description: The folder the files are in (O(dest), or with O(per_run) the run's own folder).
  returned: always
  type: str
  sample: /srv/audit/reports/20261130T020000Z
unassessed:
  description:
    - The routers that could not be assessed, with kind and reason (the C(unassessed) list of C(report.json)), at most
      the first 100; C(summary.unreachable) counts them all.
  returned: always
  type: list
  elements: dict
  sample: [{host: spoke-9, kind: unreachable, reason: "ssh: connect to host 192.0.2.9 port 22: No route to host"}]
paths:
  description: Path of every file written or left unchanged, by format.
  returned: always
  type: dict
  sample:
    json: /srv/audit/reports/report.json
    markdown: /srv/audit/reports/report.md
    html: /srv/audit/reports/report.html
    junit: /srv/audit/reports/junit.xml
changed_files:
  description: Paths of the files whose content changed (created or rewritten).
  returned: always
  type: list
  elements: str
  sample: [/srv/audit/reports/report.json]
mode:
  description: The run mode the report states, V(dry_run) or V(applied).
  returned: always
  type: str
  sample: dry_run
generated_at:
  description: The report's generation time (kept from the existing report when the fleet content is unchanged).
  returned: always
  type: str
  sample: "2026-11-29T18:05:00+00:00"
summary:
  description: The fleet summary of the report (the C(summary) object of C(report.json)).
  returned: always
  type: dict
  sample:
    routers: 7
    assessed: 6
    compliant: 2
    non_compliant: 4
    unreachable: 1
    confirmed_desyncs: 1
    planned_actions: 3
    performed_actions: 0
    findings_by_code: {KNOB_MISSING: 1, SPI_DESYNC_CONFIRMED: 1, UNREACHABLE: 1}
"""

import json
import os
import re
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netops.ipsec_spi.plugins.module_utils.bulk import paused_gc
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report import (
    FILES,
    FORMATS,
    MODES,
    ReportError,
    build_report,
    render_json,
    run_failure,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.report import runs


MAX_UNASSESSED = 100

# report.json's layout puts generated_at on a line of its own (report/jsonfile.py).
_GENERATED_AT_RE = re.compile(r'^  "generated_at": ("(?:[^"\\\n]|\\.)*"),?$', re.M)


def _previous_time(previous, current):
    """generated_at of the existing report.json when its text equals ours apart from the time.

    Compared as text, with the old time put into ours: parsing both files costs a second on a
    large fleet, and the layout is fixed, so equal content means equal text.
    """
    if previous is None:
        return None
    try:
        text = previous.decode("utf-8")
    except UnicodeDecodeError:
        return None
    old, new = _GENERATED_AT_RE.search(text), _GENERATED_AT_RE.search(current)
    if not old or not new or current[:new.start(1)] + old.group(1) + current[new.end(1):] != text:
        return None
    try:
        value = json.loads(old.group(1))
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _write_atomic(path, data):
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main():
    # A large fleet's report is millions of small objects and no reference cycle: without the cyclic
    # collector walking them again and again, 10,000 routers take a third less time.
    with paused_gc():
        _main()


def _main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            assessments=dict(type="dict"),
            assessments_file=dict(type="path"),
            reasons=dict(type="dict", default={}),
            active_hosts=dict(type="list", elements="str"),
            run_mode=dict(type="str", choices=list(MODES), default="auto"),
            meta=dict(type="dict", default={}),
            formats=dict(type="list", elements="str", choices=list(FORMATS), default=list(FORMATS)),
            view=dict(type="dict"),
            history=dict(type="dict"),
            per_run=dict(type="bool", default=False),
            fail_on_unassessed=dict(type="bool", default=False),
            fail_on_noncompliant=dict(type="bool", default=False),
        ),
        required_one_of=[("assessments", "assessments_file")],
        mutually_exclusive=[("assessments", "assessments_file")],
        supports_check_mode=True,
    )
    dest = module.params["dest"]
    assessments = module.params["assessments"]
    if module.params["assessments_file"]:
        try:
            with open(module.params["assessments_file"], encoding="utf-8") as handle:
                assessments = json.load(handle)
        except (OSError, ValueError) as exc:
            module.fail_json(msg="netops.ipsec_spi.fleet_report: cannot read assessments_file %s: %s"
                             % (module.params["assessments_file"], exc))
    try:
        report = build_report(assessments, mode=module.params["run_mode"],
                              meta=module.params["meta"], reasons=module.params["reasons"],
                              active_hosts=module.params["active_hosts"], view=module.params["view"],
                              history=module.params["history"])
    except ReportError as exc:
        module.fail_json(msg="netops.ipsec_spi.fleet_report: %s" % exc)

    paths = {}
    changed_files = []
    formats = module.params["formats"]
    names = [name for fmt, name, _render in FILES if fmt in formats]
    per_run = module.params["per_run"]
    run_dir = dest
    try:
        if not os.path.isdir(dest):
            os.makedirs(dest)
        if per_run:
            runs.move_flat_files(dest, [name for _fmt, name, _render in FILES])
            # The run to compare with is the latest one; without one, every run is new.
            run_dir = runs.latest_run(dest)
        rendered = {}
        same = False
        if "json" in formats:
            rendered["json"] = render_json(report)
            existing = _read(os.path.join(run_dir, "report.json")) if run_dir else None
            previous = _previous_time(existing, rendered["json"])
            if previous:
                # Same content: keep the old time everywhere, and the old file is what we would write.
                report["generated_at"] = previous
                rendered["json"] = existing.decode("utf-8")
                same = True
        if per_run and not same:
            run_dir = runs.new_run_dir(dest, report["generated_at"])
        for fmt, name, render in FILES:
            if fmt not in formats:
                continue
            path = os.path.join(run_dir, name)
            paths[fmt] = path
            data = (rendered.pop(fmt, None) or render(report)).encode("utf-8")
            if _read(path) != data:
                # Check mode writes too: the dry-run report is what an audit run is for.
                _write_atomic(path, data)
                changed_files.append(path)
        if per_run:
            runs.publish(dest, run_dir, names)
    except (OSError, IOError) as exc:
        module.fail_json(msg="netops.ipsec_spi.fleet_report: cannot write the report in %s: %s" % (dest, exc),
                         paths=paths, changed_files=changed_files)

    result = dict(
        changed=bool(changed_files),
        paths=paths,
        changed_files=changed_files,
        run_dir=run_dir,
        mode=report["mode"],
        generated_at=report["generated_at"],
        summary=report["summary"],
        # At most MAX_UNASSESSED here (a task result travels through callbacks and AWX events); report.json has all.
        unassessed=report["unassessed"][:MAX_UNASSESSED],
    )
    # Only now, with every file written: a job that saw too little goes red, and its report says why.
    failure = run_failure(report, unassessed=module.params["fail_on_unassessed"],
                          noncompliant=module.params["fail_on_noncompliant"])
    if failure:
        where = paths.get("html") or paths.get("markdown") or run_dir
        module.fail_json(msg="netops.ipsec_spi.fleet_report: %s. The report is written: %s" % (failure, where), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
