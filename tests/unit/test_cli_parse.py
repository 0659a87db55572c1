"""ansible.utils.cli_parse with the netops.ipsec_spi.ipsec_spi sub-plugin, run by ansible-playbook,
and ansible-doc for the table filters. Both run as real subprocesses."""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils import routes
from ansible_collections.netops.ipsec_spi.plugins.module_utils.routes import parser_for, route
from ansible_collections.netops.ipsec_spi.plugins.sub_plugins.cli_parser import ipsec_spi_parser
from ansible_collections.netops.ipsec_spi.plugins.sub_plugins.cli_parser.ipsec_spi_parser import CliParser

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIX = os.path.join(HERE, "fixtures")
BIN = os.path.dirname(sys.executable)


def _env(tmp_path):
    env = dict(os.environ)
    collections = os.path.join(ROOT, ".tmp", "collections")
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", collections)
    env["ANSIBLE_LOCAL_TEMP"] = str(tmp_path / "ansible-tmp")
    env["ANSIBLE_NOCOLOR"] = "1"
    env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.builtin.default"
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    return env


def _tool(name):
    path = os.path.join(BIN, name)
    if not os.path.exists(path):
        path = shutil.which(name)
    if not path:
        pytest.skip("%s not installed" % name)
    return path


@pytest.mark.parametrize(
    "command,target",
    [
        ("show crypto ipsec sa detail", "parse_ipsec_sas"),
        ("sh cry ips sa | inc spi", "parse_ipsec_sas"),
        ("show crypto isakmp sa detail", "parse_ike_sas"),
        ("show crypto ikev2 sa", "parse_ike_sas"),
        ("show crypto session detail", "parse_crypto_sessions"),
        ("show dmvpn", "parse_dmvpn"),
        ("show platform hardware qfp active statistics drop | inc Ipsec", "parse_qfp_drops"),
        ("show platform hardware qfp active feature ipsec datapath drops all", "parse_qfp_ipsec_drops"),
        ("sh plat hard qfp act feat ipsec data drop", "parse_qfp_ipsec_drops"),
        ("show logging | include SPI", "parse_events"),
        ("sh run | section crypto", "parse_crypto_inventory"),
    ],
)
def test_route(command, target):
    assert route(command).parse is getattr(routes, target)


@pytest.mark.parametrize("command,message", [
    ("show version", "no netops.ipsec_spi parser"),
    ("", "required"),
    ("sh cry i sa", "ambiguous"),
])
def test_route_refuses(command, message):
    with pytest.raises(ValueError, match=message):
        route(command)


def test_the_sub_plugin_has_no_routing_of_its_own():
    # routes.route is the one command -> parser table; the sub-plugin only asks it.
    assert not hasattr(ipsec_spi_parser, "route") and not hasattr(ipsec_spi_parser, "ROUTES")
    assert ipsec_spi_parser.parser_for is parser_for


def _parse(parser_command, text, **task_args):
    task_args = dict(task_args, text=text)
    if parser_command is not None:
        task_args["parser"] = {"command": parser_command}
    return CliParser(task_args=task_args, task_vars={}, debug=False).parse()


def _fixture(name):
    with open(os.path.join(FIX, name)) as handle:
        return handle.read()


def test_parse_picks_the_parser_from_the_command():
    assert _parse("sh plat hard qfp act stat drop | inc Ipsec", _fixture("qfp/drops_inc_ipsec.txt")) == {
        "parsed": {"IpsecInput": {"packets": 4388, "octets": 528004}}}
    parsed = _parse("show crypto ipsec sa detail", _fixture("ipsec_sa/detail_crypto_map.txt"))["parsed"]
    assert [sa["peer"] for sa in parsed] == ["10.1.1.1", "10.1.1.1", "10.2.2.9"]
    # The task's own command is used when the parser names none (cli_parse running it on the router).
    assert _parse(None, _fixture("qfp/drops_inc_ipsec.txt"),
                  command="show platform hardware qfp active statistics drop")["parsed"]["IpsecInput"]["packets"] == 4388


def test_parse_errors_name_the_sub_plugin():
    (unknown,) = _parse("show version", "anything")["errors"]
    assert unknown.startswith("netops.ipsec_spi.ipsec_spi: no netops.ipsec_spi parser for command 'show version'")
    (missing,) = _parse(None, "anything")["errors"]
    assert "a command is required" in missing
    (unsupported,) = _parse("show platform hardware qfp active statistics drop",
                            _fixture("qfp/unsupported_classic_ios.txt"))["errors"]
    assert "device does not support this command (show platform hardware qfp active statistics drop)" in unsupported
    (bad,) = _parse("show crypto ipsec sa", 42)["errors"]
    assert bad.startswith("netops.ipsec_spi.ipsec_spi: show crypto ipsec sa: ")


def _play(tmp_path, tasks):
    playbook = tmp_path / "play.yml"
    playbook.write_text(textwrap.dedent("""\
        - hosts: localhost
          gather_facts: false
          connection: local
          tasks:
        """) + textwrap.indent(tasks, "    "))
    proc = subprocess.run(
        [_tool("ansible-playbook"), "-i", "localhost,", "-e", "ansible_python_interpreter=%s" % sys.executable,
         str(playbook)],
        env=_env(tmp_path), cwd=str(tmp_path), capture_output=True, text=True, timeout=300, check=False,
    )
    return proc


def test_cli_parse_playbook(tmp_path):
    pytest.importorskip("ansible_collections.ansible.utils")
    out = tmp_path / "out"
    out.mkdir()
    tasks = """\
- name: ipsec sa from captured text
  ansible.utils.cli_parse:
    text: "{{ lookup('ansible.builtin.file', '%(fix)s/ipsec_sa/detail_crypto_map.txt') }}"
    parser:
      name: netops.ipsec_spi.ipsec_spi
      command: show crypto ipsec sa detail
    set_fact: sas
- name: qfp drops with a pipe suffix
  ansible.utils.cli_parse:
    text: "{{ lookup('ansible.builtin.file', '%(fix)s/qfp/drops_inc_ipsec.txt') }}"
    parser:
      name: netops.ipsec_spi.ipsec_spi
      command: show platform hardware qfp active statistics drop | inc Ipsec
  register: drops
- name: ikev2 sa detail, abbreviated command
  ansible.utils.cli_parse:
    text: "{{ lookup('ansible.builtin.file', '%(fix)s/ike/ikev2_sa_detail.txt') }}"
    parser:
      name: netops.ipsec_spi.ipsec_spi
      command: sh cry ikev2 sa det
  register: ike
- name: classic IOS rejects the QFP command
  ansible.utils.cli_parse:
    text: "{{ lookup('ansible.builtin.file', '%(fix)s/qfp/unsupported_classic_ios.txt') }}"
    parser:
      name: netops.ipsec_spi.ipsec_spi
      command: show platform hardware qfp active statistics drop
  register: unsupported
  ignore_errors: true
- name: unknown command
  ansible.utils.cli_parse:
    text: "anything"
    parser:
      name: netops.ipsec_spi.ipsec_spi
      command: show version
  register: unknown
  ignore_errors: true
- name: sessions and dmvpn
  ansible.utils.cli_parse:
    text: "{{ lookup('ansible.builtin.file', '%(fix)s/' + item.file) }}"
    parser:
      name: netops.ipsec_spi.ipsec_spi
      command: "{{ item.command }}"
  loop:
    - {file: session/session_detail.txt, command: show crypto session detail}
    - {file: dmvpn/dmvpn_hub.txt, command: show dmvpn}
  register: tables
- name: show logging
  ansible.utils.cli_parse:
    text: >-
      000412: Sep  2 13:31:00.123 UTC: %%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi
      for destaddr=10.10.1.2, prot=50, spi=0x1DB73BBB(498547643), srcaddr=10.1.1.1, input interface=GigabitEthernet1
    parser:
      name: netops.ipsec_spi.ipsec_spi
      command: show logging | include SPI
  register: logging
- name: show running-config
  ansible.utils.cli_parse:
    text: "crypto isakmp invalid-spi-recovery\\ncrypto map CMAP 10 ipsec-isakmp\\n set peer 10.1.1.1\\n"
    parser:
      name: netops.ipsec_spi.ipsec_spi
      command: show running-config
  register: config
- name: save results
  ansible.builtin.copy:
    content: "{{ {'sas': sas, 'drops': drops.parsed, 'ike': ike.parsed, 'unsupported': unsupported,
                  'unknown': unknown, 'tables': tables.results | map(attribute='parsed') | list,
                  'logging': logging.parsed | default(None), 'config': config.parsed | default(None)} | to_json }}"
    dest: "%(out)s/result.json"
    mode: "0644"
""" % {"fix": FIX, "out": out}
    proc = _play(tmp_path, tasks)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads((out / "result.json").read_text())
    sas = result["sas"]
    assert [sa["peer"] for sa in sas] == ["10.1.1.1", "10.1.1.1", "10.2.2.9"]
    assert sas[0]["inbound_spis"] == [0x1DB73BBB] and sas[0]["current_outbound_spi"] == 0xB761863E
    assert sas[1]["current_outbound_spi"] is None
    assert result["drops"] == {"IpsecInput": {"packets": 4388, "octets": 528004}}
    assert [(r["version"], r["remote"], r["state"]) for r in result["ike"]] == [
        ("ikev2", "198.51.100.20", "READY"), ("ikev2", "2001:db8:c::30", "READY")]
    assert result["unsupported"]["failed"] is True
    assert "device does not support this command" in result["unsupported"]["msg"]
    assert result["unknown"]["failed"] is True and "no netops.ipsec_spi parser" in result["unknown"]["msg"]
    sessions, dmvpn = result["tables"]
    assert [s["peer"] for s in sessions] == ["10.1.1.1", "10.2.2.9", "2001:db8:b::2", "10.5.5.5"]
    assert [p["nbma"] for p in dmvpn][:2] == ["198.51.100.1", "198.51.100.2"]
    events = result["logging"]
    assert isinstance(events, list) and events and events[0]["spi"] == 0x1DB73BBB
    inventory = result["config"]
    assert inventory["invalid_spi_recovery"] is True


@pytest.mark.parametrize("name", ["qfp_drops", "qfp_ipsec_drops", "ipsec_sas", "ike_sas"])
def test_ansible_doc(tmp_path, name):
    proc = subprocess.run(
        [_tool("ansible-doc"), "-t", "filter", "netops.ipsec_spi.%s" % name],
        env=_env(tmp_path), capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "netops.ipsec_spi.%s" % name in proc.stdout
    assert "EXAMPLES" in proc.stdout and "RETURN VALUES" in proc.stdout
