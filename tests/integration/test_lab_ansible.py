"""The lab through the real path: cisco.ios modules over ansible.netcommon.network_cli (libssh and paramiko)."""
from __future__ import annotations

import re

import pytest

from conftest import host_vars_inventory  # noqa: E402  (tests/integration is on sys.path)

PLAY = """
- hosts: all
  gather_facts: false
  tasks:
    - name: commands
      cisco.ios.ios_command:
        commands:
          - show privilege
          - show version
          - show crypto ipsec sa
          - show logging | include RECVD_PKT_INV_SPI
    - name: facts
      cisco.ios.ios_facts:
        gather_subset: min
    - name: config check
      cisco.ios.ios_config:
        lines: ["crypto isakmp keepalive 20 5 periodic"]
      check_mode: true
    - name: config apply
      cisco.ios.ios_config:
        lines: ["description managed by {{ ssh_type }}"]
        parents: ["interface Loopback0"]
    - name: config reapply
      cisco.ios.ios_config:
        lines: ["description managed by {{ ssh_type }}"]
        parents: ["interface Loopback0"]
"""

# Each transport gets its own routers, so the two runs cannot see each other's changes.
HOSTS = {"libssh": ["hub1", "br4", "vti2", "spoke1"], "paramiko": ["br1", "dmhub", "ezc1", "gre1"]}


# Every lab here has its clock stopped (speed 0): at 60x SAs re-key and logs scroll between two reads, so
# comparing SPIs or log lines would depend on how busy the machine is (issue 23).
@pytest.fixture(scope="module")
def cfg_lab(lab_factory):
    return lab_factory(speed=0)


@pytest.mark.parametrize("ssh_type", ["libssh", "paramiko"])
def test_ios_modules_over_both_transports(cfg_lab, run_playbook, ssh_type):
    hosts = HOSTS[ssh_type]
    res = run_playbook(PLAY, cfg_lab.inventory, limit=",".join(hosts),
                       extra_vars={"ansible_network_cli_ssh_type": ssh_type, "ssh_type": ssh_type})
    assert res.rc == 0, res
    truth = cfg_lab.ground_truth["routers"]
    commands = res.task("commands")
    facts = res.task("facts")
    for host in hosts:
        out = commands[host]["stdout"]
        assert out[0] == "Current privilege level is 15"
        assert truth[host]["version"] in out[1]
        if truth[host]["platform"] == "classic":
            assert out[1].startswith("Cisco IOS Software, C2900 Software")
        else:
            assert out[1].startswith("Cisco IOS XE Software, Version 17.")
        assert "current outbound spi: 0x" in out[2]
        f = facts[host]["ansible_facts"]
        assert f["ansible_net_hostname"] == host
        assert f["ansible_net_version"] in out[1] and f["ansible_net_version"].replace(".0", ".") == truth[host]["version"]
        assert f["ansible_net_serialnum"]
        assert res.task("config check")[host]["changed"] is True
        assert res.task("config apply")[host]["changed"] is True
        assert res.task("config reapply")[host]["changed"] is False
        state = cfg_lab.state(host)
        assert " description managed by %s" % ssh_type in state["running_config"]
        assert "keepalive 20 5" not in state["running_config"], "check mode must not change the router"
        sent = [h["command"] for h in state["history"]]
        assert sent.count("configure terminal") == 1, sent
    # The receiver of a desync shows it in its log; a healthy router does not.
    assert "srcaddr=%s" % truth["br2"]["address"] in commands["hub1"]["stdout"][3] if "hub1" in hosts else True
    assert commands.get("br1", {"stdout": ["", "", "", ""]})["stdout"][3] == ""


def test_spis_agree_in_cli_output(cfg_lab):
    """br1's outbound SPI (show crypto ipsec sa on br1) is an inbound SPI on hub1, and the other way round."""
    br1_addr = cfg_lab.ground_truth["routers"]["br1"]["address"]
    hub1_addr = cfg_lab.ground_truth["routers"]["hub1"]["address"]
    out_br1 = cfg_lab.cli("br1", ["show crypto ipsec sa peer %s detail" % hub1_addr])[0]
    out_hub1 = cfg_lab.cli("hub1", ["show crypto ipsec sa peer %s" % br1_addr])[0]

    def spis(text):
        cur = re.search(r"current outbound spi: 0x([0-9A-F]+)", text).group(1)
        inbound = re.search(r"inbound esp sas:\s+spi: 0x([0-9A-F]+)", text).group(1)
        return int(cur, 16), int(inbound, 16)

    br1_out, br1_in = spis(out_br1)
    hub1_out, hub1_in = spis(out_hub1)
    assert br1_out == hub1_in and hub1_out == br1_in


def test_classic_ios_has_no_qfp(cfg_lab):
    out = cfg_lab.cli("br4", ["show platform hardware qfp active statistics drop",
                              "show platform hardware qfp active feature ipsec datapath drops all", "show version"])
    for text in out[:2]:
        lines = text.splitlines()
        assert lines[1] == "% Invalid input detected at '^' marker."
        # The caret sits under `hardware`, counted from the start of the prompt line as IOS does.
        assert lines[0].index("^") == len("br4#show platform ")
    qfp = cfg_lab.cli("hub1", ["show platform hardware qfp active statistics drop | inc Ipsec",
                               "show platform hardware qfp active feature ipsec datapath drops"])
    assert re.match(r"IpsecInput\s+\d+\s+\d+", qfp[0].strip())
    assert "IN_US_V4_PKT_SA_NOT_FOUND_SPI" in qfp[1]


def test_ios_errors(cfg_lab):
    out = cfg_lab.cli("vti1", ["show crypto", "sh c", "show foo", "configure terminal", "crypto isakmp", "bogus line",
                               "interface Tunnel9", "ip address 10.9.9.1 255.255.255.252", "exit",
                               "no interface Tunnel9", "end", "show running-config | include Tunnel9"])
    assert out[0].strip() == "% Incomplete command."
    assert out[1].strip() == '% Ambiguous command:  "sh c"'
    assert out[2].splitlines()[0].index("^") == len("vti1#show ")
    assert out[4].strip() == "% Incomplete command."
    assert "% Invalid input detected at '^' marker." in out[5]
    assert out[11].strip() == ""


FAULT_PLAY = """
- hosts: all
  gather_facts: false
  tasks:
    - name: commands
      cisco.ios.ios_command:
        commands: ["show crypto ipsec sa"]
      ignore_errors: true
      ignore_unreachable: true
"""


def test_faults_give_real_router_errors(lab_factory, run_playbook, tmp_path):
    lab = lab_factory(speed=0)
    lab.fault("br1", "unreachable")
    lab.fault("br2", "auth")
    lab.fault("gre1", "reject")
    lab.fault("vti1", "slow", delay=30)
    lab.fault("vti2", "drop")
    try:
        res = run_playbook(FAULT_PLAY, lab.inventory, limit="br1,br2,gre1,vti1,vti2,mgs1",
                           args=host_vars_inventory(tmp_path, {"vti1": {"ansible_command_timeout": 6}}))
    finally:
        for r in ("br1", "br2", "gre1", "vti1", "vti2"):
            lab.fault(r, "none")
    hosts = res.task("commands")
    msg = {h: str(hosts[h].get("msg", "")) for h in hosts}
    assert "refused" in msg["br1"].lower(), msg["br1"]
    assert "authentication" in msg["br2"].lower(), msg["br2"]
    assert "Invalid input detected" in msg["gre1"], msg["gre1"]
    assert "timeout" in msg["vti1"].lower(), msg["vti1"]
    # A session dropped mid-command: ansible.netcommon reports no error and the output `None` (both
    # transports), so the collection has to notice it; the lab records the drop.
    assert "current outbound spi" not in str(hosts["vti2"].get("stdout")), hosts["vti2"]
    assert hosts["vti2"].get("failed") or hosts["vti2"].get("stdout") == ["None"], hosts["vti2"]
    assert any(c["event"] == "dropped" for c in lab.state("vti2")["connections"])
    assert not hosts["mgs1"].get("failed"), hosts["mgs1"]
    # The fault is gone once cleared: the same router answers again.
    assert lab.cli("br1", ["show privilege"]) == ["Current privilege level is 15"]
    assert any(h.get("fault") == "reject" for h in lab.history("gre1"))


MODULES_PLAY = """
- hosts: all
  gather_facts: false
  vars:
    # One router runs the modules inside the worker (netcommon's network action), the other as
    # AnsiballZ payloads, which carry only the module_utils they import (device, commands, parsers).
    ansible_network_import_modules: "{{ inventory_hostname not in ansiballz }}"
  tasks:
    - name: facts
      netops.ipsec_spi.spi_facts:
        host: "{{ inventory_hostname }}"
        gather: [running_config, ipsec_sa, qfp_drops, qfp_ipsec_drops]
        poll_interval: 1
    - name: knob check
      netops.ipsec_spi.invalid_spi_recovery:
        state: present
      check_mode: true
      diff: true
    - name: knob apply
      netops.ipsec_spi.invalid_spi_recovery:
        state: present
    - name: knob reapply
      netops.ipsec_spi.invalid_spi_recovery:
        state: present
    - name: knob remove
      netops.ipsec_spi.invalid_spi_recovery:
        state: absent
    - name: clear check
      netops.ipsec_spi.sa_clear:
        peers: "{{ ansible_facts.ipsec_spi.ipsec_sas | map(attribute='peer') | unique | list }}"
      check_mode: true
    - name: clear in a vrf
      netops.ipsec_spi.sa_clear:
        peers: "{{ ansible_facts.ipsec_spi.ipsec_sas | map(attribute='peer') | unique | list }}"
        fvrf: INET
      ignore_errors: true
    - name: clear
      netops.ipsec_spi.sa_clear:
        peers: "{{ ansible_facts.ipsec_spi.ipsec_sas | map(attribute='peer') | unique | list }}"
        scope: session
"""


def test_collection_modules_over_network_cli(lab_factory, run_playbook):
    """spi_facts, invalid_spi_recovery and sa_clear against the lab, in the worker and as AnsiballZ."""
    lab = lab_factory(speed=0)
    truth = lab.ground_truth["routers"]
    hosts = ["hub1", "br4"]  # IOS XE and classic IOS, both without the knob
    assert not any(truth[h]["knob"]["present"] for h in hosts)
    res = run_playbook(MODULES_PLAY, lab.inventory, limit=",".join(hosts), extra_vars={"ansiballz": ["br4"]})
    assert res.rc == 0, res
    for host in hosts:
        facts = res.task("facts")[host]["ansible_facts"]["ipsec_spi"]
        assert facts["platform"]["version"].replace(".0", ".") == truth[host]["version"]
        peers = sorted({sa["peer"] for sa in facts["ipsec_sas"]})
        assert peers and facts["source"] == "live"
        if truth[host]["qfp"]:
            assert facts["unsupported_commands"] == [] and facts["drop_rate"]["interval"] == 1
        else:
            # Rejected over the real cliconf (a bytes repr with check_rc off), recorded, not fatal.
            assert len(facts["unsupported_commands"]) == 2 and facts["drop_rate"] is None

        check = res.task("knob check")[host]
        assert (check["changed"], check["commands"]) == (True, ["crypto isakmp invalid-spi-recovery"])
        assert check["diff"]["after"] == "crypto isakmp invalid-spi-recovery\n"
        assert res.task("knob apply")[host]["changed"] is True and res.task("knob apply")[host]["after"] is True
        assert res.task("knob reapply")[host]["changed"] is False
        assert res.task("knob remove")[host]["commands"] == ["no crypto isakmp invalid-spi-recovery"]
        assert "invalid-spi-recovery" not in lab.state(host)["running_config"]

        dry = res.task("clear check")[host]
        assert dry["changed"] is True and [r["peer"] for r in dry["results"]] == peers
        assert not any(r["sent"] for r in dry["results"])

        # The lab, like a router without that VRF, rejects the fvrf form: each peer fails on its own,
        # and the results still say which peer is which.
        vrf = res.task("clear in a vrf")[host]
        assert vrf["failed"] is True and vrf["changed"] is False
        assert [r["peer"] for r in vrf["results"]] == peers
        for item in vrf["results"]:
            assert (item["sent"], item["ok"], item["changed"]) == (True, False, False)
            assert item["command"] == "clear crypto sa peer vrf INET %s" % item["peer"]
            assert "% Invalid input detected" in item["response"]

        done = res.task("clear")[host]
        assert done["changed"] is True and done["scope"] == "session"
        assert [(r["peer"], r["ok"], r["changed"]) for r in done["results"]] == [(p, True, True) for p in peers]

        sent = lab.commands(host)
        assert sent.count("configure terminal") == 2, sent
        assert [c for c in sent if c.startswith("clear ")] == (
            ["clear crypto sa peer vrf INET %s" % p for p in peers] + ["clear crypto session remote %s" % p for p in peers])
