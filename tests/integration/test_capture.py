"""The capture role on a private lab: deploy, let the desync log, collect and judge, remove; and the lab's EEM."""
from __future__ import annotations

import os

import pytest
import yaml

from labsim.cli import Session
from labsim.sim import Fleet

from ansible_collections.netops.ipsec_spi.plugins.module_utils import capture, commands

HUB, BR = "198.51.100.101", "198.51.100.102"
FF_SPI = 0xFF123456

SCENARIO = {
    "name": "capture",
    "seed": 4242,
    "start": "2026-11-29T18:00:00Z",
    "pps": 20,
    "credentials": {"username": "netops", "password": "Lab-Pass-1", "enable": "Lab-Enable-1"},
    "routers": {
        "hubc": {"platform": "c8000v", "log_style": "sequence", "wan": {"address": HUB + "/24"}, "knob": False,
                 "tunnels": [{"kind": "static_crypto_map", "map": "CMAP", "seq": 10, "peers": ["brc"]},
                             {"kind": "static_crypto_map", "map": "CMAP", "seq": 20, "peers": ["brd"]}]},
        "brc": {"platform": "asr1001x", "log_style": "ntp", "wan": {"address": BR + "/24"}, "knob": True,
                "tunnels": [{"kind": "static_crypto_map", "map": "VPN", "seq": 10, "peers": ["hubc"]}]},
        "brd": {"platform": "classic", "log_style": "ntp", "wan": {"address": "198.51.100.103/24"}, "knob": True,
                "tunnels": [{"kind": "static_crypto_map", "map": "VPN", "seq": 10, "peers": ["hubc"]}]},
    },
    # The receiver lost the SA and re-keyed alone ("replaced"): it holds other SPIs from brc, not brc's.
    "desync": [{"sender": "brc", "receiver": "hubc", "since": 300, "mode": "replaced", "spi": FF_SPI}],
}

PLAY = """
- name: {title}
  hosts: lab
  gather_facts: false
  tasks:
{pre}
    - name: Run the capture role
      ansible.builtin.include_role:
        name: netops.ipsec_spi.capture
      vars:
        ipsec_spi_capture_state: {state}
        ipsec_spi_capture_dir: {dir}
        ipsec_spi_capture_remove_files: true
{post}
"""
CHECK = """    - name: Assess
      ansible.builtin.include_role:
        name: netops.ipsec_spi.check
      vars:
        ipsec_spi_show_summary: false
"""
SHOW = """    - name: Show the assessment
      ansible.builtin.debug:
        var: ipsec_spi_assessment
    - name: Show what travelled through hostvars
      ansible.builtin.debug:
        msg:
          capture_set: "{{ ipsec_spi_capture_set }}"
          raw_texts_kept: "{{ ipsec_spi_capture_texts is defined }}"
"""
APPLET_TASKS = ("Install the capture applet (receiver side, triggered by INV_SPI)",
                "Install the twin applet (sender side, SA snapshots towards its receivers)",
                "Remove a twin applet this router no longer needs", "Remove the capture applets",
                "Remove the capture files from flash")


def play(title, state, directory, pre="", post=""):
    return PLAY.format(title=title, state=state, dir=directory, pre=pre, post=post)


def results(result, names=APPLET_TASKS):
    """(task name, host, result) for every run of the named tasks, in order."""
    out = []
    for task in result.tasks:
        name = task["task"]["name"].split(" : ", 1)[-1]     # role tasks are named "role : task"
        if name in names:
            for host, res in task["hosts"].items():
                for item in res.get("results") or [res]:      # a loop's items, or the task itself
                    out.append((name, host, item))
    return out


def config_entered(lab, router):
    return [h for h in lab.history(router) if h["command"].strip().startswith("conf")]


@pytest.fixture(scope="module")
def clab(lab_factory, tmp_path_factory):
    path = tmp_path_factory.mktemp("capture-scenario") / "capture.yml"
    path.write_text(yaml.safe_dump(SCENARIO), encoding="utf-8")
    lab = lab_factory(scenario=str(path), speed=0)
    return lab


@pytest.fixture(scope="module")
def capdir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("captures"))


def test_check_mode_shows_the_applets_and_changes_nothing(clab, run_playbook, capdir):
    before = {r: clab.state(r)["running_config"] for r in ("hubc", "brc", "brd")}
    r = run_playbook(play("Deploy (dry run)", "present", capdir, pre=CHECK), clab.inventory, check=True,
                     args=["--diff"])
    assert r.rc == 0, r
    runs = {(name, host): res for name, host, res in results(r)}
    hub = runs[(APPLET_TASKS[0], "hubc")]
    assert hub["changed"] is True
    assert hub["commands"][0] == "event manager applet IPSEC_SPI_CAPTURE authorization bypass"
    assert 'event syslog pattern "%s" ratelimit 60 maxrun 120' % commands.INV_SPI_EEM_PATTERN in hub["commands"]
    assert "event manager applet IPSEC_SPI_CAPTURE" in hub["diff"]["after"] and hub["diff"]["before"] == ""
    twin = runs[(APPLET_TASKS[1], "brc")]
    assert twin["changed"] is True
    assert any(c.endswith('cli command "show crypto ipsec sa peer %s"' % HUB) for c in twin["commands"])
    assert runs[(APPLET_TASKS[1], "hubc")].get("skipped")
    for router, config in before.items():
        assert clab.state(router)["running_config"] == config
        assert config_entered(clab, router) == []


def test_deploy_is_idempotent(clab, run_playbook, capdir):
    # The second play re-uses the first one's assessment (host facts last for the whole run).
    text = play("Deploy", "present", capdir, pre=CHECK) + play("Deploy again", "present", capdir)
    r = run_playbook(text, clab.inventory)
    assert r.rc == 0, r
    runs = results(r, APPLET_TASKS[:2])
    first, second = runs[: len(runs) // 2], runs[len(runs) // 2:]
    assert {(n, h) for n, h, res in first if res.get("changed")} == {
        (APPLET_TASKS[0], "hubc"), (APPLET_TASKS[0], "brc"), (APPLET_TASKS[0], "brd"), (APPLET_TASKS[1], "brc")}
    assert [(n, h) for n, h, res in second if res.get("changed")] == []
    hub, brc, brd = (clab.state(x)["running_config"] for x in ("hubc", "brc", "brd"))
    assert "event manager applet IPSEC_SPI_CAPTURE authorization bypass" in hub
    assert "IPSEC_SPI_TWIN" not in hub and "IPSEC_SPI_TWIN" not in brd
    assert "event manager applet IPSEC_SPI_TWIN authorization bypass" in brc
    assert 'cli command "show crypto ipsec sa peer %s"' % HUB in brc
    # What the router shows is what the collection's checker accepts.
    applet = capture.applet_from_running(hub, "IPSEC_SPI_CAPTURE")
    assert capture.check_applet(applet) == [] and capture.capture_policy_problems(applet) == []


def test_collect_judges_the_desync_with_the_captured_sa_tables(clab, run_playbook, capdir):
    clab.advance(200)
    hub = clab.state("hubc")
    assert hub["flash"]["files"].get("ipsec_spi_capture.txt", 0) > 0
    assert [run["result"] for run in hub["eem_runs"] if run["applet"] == "IPSEC_SPI_CAPTURE"].count("ok") >= 3
    brc = clab.state("brc")
    assert brc["flash"]["files"].get("ipsec_spi_twin.txt", 0) > 0
    # The applets only read: no clear and no configuration from the EEM sessions.
    eem_cmds = [h["command"] for h in clab.history("hubc") if str(h["session"]).startswith("eem:")]
    assert eem_cmds and not any(c.startswith(("clear", "conf")) or " clear" in c for c in eem_cmds)

    r = run_playbook(play("Collect", "collect", capdir, post=SHOW), clab.inventory)
    assert r.rc == 0, r
    assessments = {h: res["ipsec_spi_assessment"] for h, res in r.task("Show the assessment").items()}
    hubc = assessments["hubc"]
    desync = [f for f in hubc["findings"] if f["code"] == "CAPTURED_DESYNC"]
    assert len(desync) == 1 and desync[0]["severity"] == "error" and desync[0]["message"].endswith("confirmed")
    assert desync[0]["sender"] == "brc" and desync[0]["spi"] == FF_SPI and desync[0]["captures"] >= 3
    assert [f["code"] for f in hubc["findings"]].count("SPI_TOP_BYTE_FF") == 1
    assert hubc["compliant"] is False
    verdicts = hubc["captures"]["verdicts"]
    assert verdicts and {v["verdict"] for v in verdicts} == {"confirmed"}
    # The captured SA tables are the lab's own at that moment.
    truth_hub = next(s for s in hub["sas"] if s["peer"] == BR)
    truth_br = next(s for s in brc["sas"] if s["peer"] == HUB)
    for v in verdicts:
        assert v["receiver_inbound"] == [truth_hub["inbound_spi"]] and FF_SPI not in v["receiver_inbound"]
        assert v["sender_outbound"] == [truth_br["outbound_spi"]] == [FF_SPI]
        assert any(e.startswith("captured at") and e.endswith(": confirmed") for e in v["evidence"])
    flow = next(f for f in hubc["flows"] if f["spi"] == FF_SPI)
    assert flow["captured"]["verdict"] == "confirmed"
    assert [f for f in assessments["brc"]["findings"] if f["code"] == "CAPTURED_DESYNC"] == []
    # One folder per router; each successful applet run wrote one complete block. (network_cli strips
    # trailing spaces from the lines it reads, so sizes differ slightly from flash.)
    for host, applet, name in (("hubc", "IPSEC_SPI_CAPTURE", "ipsec_spi_capture.txt"),
                               ("brc", "IPSEC_SPI_TWIN", "ipsec_spi_twin.txt")):
        state = clab.state(host)
        with open(os.path.join(capdir, host, name), encoding="utf-8") as handle:
            stored = handle.read()
        ok = [run for run in state["eem_runs"] if run["applet"] == applet and run["result"] == "ok"]
        assert stored.count(capture.BEGIN) == stored.count(capture.END) == len(ok) > 0
        assert abs(len(stored.encode("utf-8")) - state["flash"]["files"][name]) < state["flash"]["files"][name] * 0.02
    assert not os.path.exists(os.path.join(capdir, "brd", "ipsec_spi_twin.txt"))
    # One way for the data: capture_fetch parsed the files; hostvars carry snapshots, not raw text to re-read.
    travelled = {h: res["msg"] for h, res in r.task("Show what travelled through hostvars").items()}
    assert {h: t["raw_texts_kept"] for h, t in travelled.items()} == {"hubc": False, "brc": False, "brd": False}
    hub_set = travelled["hubc"]["capture_set"]
    assert hub_set["files"] == ["ipsec_spi_capture.txt"] and hub_set["problems"] == []
    assert len(hub_set["snapshots"]) == len(verdicts) and {s["host"] for s in hub_set["snapshots"]} == {"hubc"}
    assert all(isinstance(s["ipsec_sas"], list) and s["kind"] == "receiver" for s in hub_set["snapshots"])


UNSAFE_PLAY = """
- name: Try an applet the safety gate refuses
  hosts: hubc
  gather_facts: false
  tasks:
    - name: Install an applet that clears SAs
      netops.ipsec_spi.eem_applet:
        name: NOT_A_CAPTURE
        config: |
          event manager applet NOT_A_CAPTURE authorization bypass
           event syslog pattern "CRYPTO-4-RECVD_PKT_INV_SPI" ratelimit 60 maxrun 60
           action 010 cli command "enable"
           action 020 cli command "clear crypto sa"
"""


@pytest.mark.parametrize("check", [True, False])
def test_an_unsafe_applet_is_refused_on_the_router(clab, run_playbook, check):
    conf_before = len(config_entered(clab, "hubc"))
    r = run_playbook(UNSAFE_PLAY, clab.inventory, check=check)
    assert r.rc != 0, r
    res = r.task("Install an applet that clears SAs")["hubc"]
    assert res["failed"] and "is not a safe capture applet" in res["msg"] and "'clear crypto sa'" in res["msg"]
    assert "NOT_A_CAPTURE" not in clab.state("hubc")["running_config"]
    assert len(config_entered(clab, "hubc")) == conf_before
    # Refused before the router was even read.
    assert not [h for h in clab.history("hubc") if "NOT_A_CAPTURE" in h["command"]]


def test_removal_dry_run_then_removal_twice(clab, run_playbook, capdir):
    routers = ("hubc", "brc", "brd")
    conf_before = {x: len(config_entered(clab, x)) for x in routers}
    r = run_playbook(play("Remove (dry run)", "absent", capdir), clab.inventory, check=True, args=["--diff"])
    assert r.rc == 0, r
    runs = results(r)
    assert any(res.get("changed") and res["commands"] == ["no event manager applet IPSEC_SPI_CAPTURE"]
               for _n, h, res in runs if h == "hubc")
    assert "event manager applet IPSEC_SPI_CAPTURE" in clab.state("hubc")["running_config"]
    assert "ipsec_spi_capture.txt" in clab.state("hubc")["flash"]["files"]
    assert {x: len(config_entered(clab, x)) for x in routers} == conf_before

    text = play("Remove", "absent", capdir) + play("Remove again", "absent", capdir)
    r = run_playbook(text, clab.inventory)
    assert r.rc == 0, r
    runs = results(r)
    first, second = runs[: len(runs) // 2], runs[len(runs) // 2:]
    assert any(res.get("changed") for _n, _h, res in first)
    assert [(n, h) for n, h, res in second if res.get("changed")] == []
    for router in ("hubc", "brc", "brd"):
        state = clab.state(router)
        assert "event manager applet" not in state["running_config"]
        assert not [f for f in state["flash"]["files"] if f.startswith("ipsec_spi_")]
    # Configuration mode once per applet removed, and never on the second run.
    after = {x: len(config_entered(clab, x)) - conf_before[x] for x in routers}
    assert after == {"hubc": 1, "brc": 2, "brd": 1}


# ----- the lab's EEM, in process ----------------------------------------------------------------------------

def configure(fleet, router, lines):
    session = Session(fleet, fleet.routers[router])
    session.priv = 15
    out = [session.handle(line) for line in ["configure terminal"] + lines + ["end"]]
    assert not [o for o in out if "%" in o], out


def test_lab_full_flash_stops_the_applet_like_ios():
    fleet = Fleet(SCENARIO, speed=0)
    hub = fleet.routers["hubc"]
    hub.flash.size = hub.flash.used() + 12000       # room for a capture or two
    configure(fleet, "hubc", capture.capture_applet(min_free=0, ratelimit=10))
    fleet.clock.advance(600)
    fleet.sync()
    results_ = [run["result"] for run in hub.eem_runs]
    assert any(r.startswith("error") and "no space" in r for r in results_), results_
    assert any("%HA_EM-3-FMPD_ERROR: Error executing applet IPSEC_SPI_CAPTURE" in line for _t, line in hub.log)
    assert hub.flash.free() < 2000
    text = hub.flash.files["ipsec_spi_capture.txt"]["data"]
    snaps = capture.parse_capture(text, host="hubc")
    assert snaps[0]["complete"] and not snaps[-1]["complete"]


def test_lab_size_guard_and_ratelimit():
    fleet = Fleet(SCENARIO, speed=0)
    configure(fleet, "hubc", capture.capture_applet(max_bytes=1024, ratelimit=60))
    fleet.clock.advance(400)
    fleet.sync()
    runs = [run["result"] for run in fleet.routers["hubc"].eem_runs]
    # The first capture writes; every later one finds the file over its cap and exits before writing.
    assert runs[0] == "ok" and runs[1:] and all(r.startswith("exit") for r in runs[1:]), runs
    assert fleet.routers["hubc"].flash.files["ipsec_spi_capture.txt"]["data"].count(capture.BEGIN) == 1
    assert any("no further capture" in line for _t, line in fleet.routers["hubc"].log)

    fleet = Fleet(SCENARIO, speed=0)
    configure(fleet, "hubc", capture.capture_applet(ratelimit=3600))
    fleet.clock.advance(400)
    fleet.sync()
    runs = [run["result"] for run in fleet.routers["hubc"].eem_runs]
    assert runs.count("ok") == 1 and runs.count("ratelimited") >= 5, runs


def test_lab_applet_pattern_is_evaluated():
    fleet = Fleet(SCENARIO, speed=0)
    configure(fleet, "hubc", ["event manager applet OTHER", ' event syslog pattern "LINK-3-UPDOWN"',
                              ' action 1 cli command "show clock"'])
    fleet.clock.advance(300)
    fleet.sync()
    assert fleet.routers["hubc"].eem_runs == []
    # Re-entering an action label replaces the action; IOS shows actions sorted by label.
    configure(fleet, "hubc", ["event manager applet OTHER", ' action 0 cli command "show version"',
                              ' action 1 cli command "show logging"'])
    section = capture.applet_from_running("\n".join(fleet.routers["hubc"].config.lines()), "OTHER")
    assert section[2:] == [' action 0 cli command "show version"', ' action 1 cli command "show logging"']
