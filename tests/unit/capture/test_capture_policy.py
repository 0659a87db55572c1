"""capture/policy.py: the safety gate for applets the collection installs."""
from __future__ import annotations

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils import capture


def test_policy_rejects_unsafe_capture_applets():
    bare = ["event manager applet T", ' event syslog pattern "INV_SPI"', ' action 1 cli command "enable"',
            " action 2 file open fh flash:x a+", ' action 3 file puts fh "x"', " action 4 file close fh",
            ' action 5 cli command "clear crypto sa"']
    assert capture.check_applet(bare) == []
    problems = capture.capture_policy_problems(bare)
    assert any("no maxrun" in p for p in problems)
    assert any("no ratelimit" in p for p in problems)
    assert any("without first checking" in p for p in problems)
    assert any("clear crypto sa" in p for p in problems)


SAFE = [
    "event manager applet T authorization bypass",
    ' event syslog pattern "CRYPTO-4-RECVD_PKT_INV_SPI" ratelimit 60 maxrun 60',
    ' action 010 cli command "en"',
    ' action 020 cli command "dir flash:x.txt"',
    " action 030 file open fh flash:x.txt a+",
    ' action 040 cli command "sh crypto ipsec sa | include spi"',
    ' action 050 file puts fh "$_cli_result"',
    " action 060 file close fh",
]


def test_the_collections_applets_and_a_safe_one_pass():
    for applet in (capture.capture_applet(), capture.capture_applet(qfp=False, ratelimit=1),
                   capture.twin_applet(["198.51.100.1"], interval=10, maxrun=10), SAFE):
        assert capture.capture_policy_problems(applet) == [], applet


@pytest.mark.parametrize("index, line, expected", [
    (5, ' action 040 cli command "conf t"', "'conf t'"),
    (5, ' action 040 cli command "config terminal"', "'config terminal'"),
    (5, ' action 040 cli command "configure terminal"', "only enable, show, dir and more"),
    (5, ' action 040 cli command "clea crypto sa"', "'clea crypto sa'"),
    (5, ' action 040 cli command "write memory"', "'write memory'"),
    (5, ' action 040 cli command "copy run start"', "'copy run start'"),
    (5, ' action 040 cli command "debug crypto ipsec"', "'debug crypto ipsec'"),
    (5, ' action 040 cli command "$cmd"', "chosen by a variable"),
    (5, ' action 040 cli command "show platform hardware qfp active feature ipsec datapath drops clear"',
     "destroy the evidence"),
    (5, ' action 040 cli command "show running-config | redirect flash:x"', "'| redirect' writes"),
    (5, ' action 040 cli command "show logging | append flash:x"', "'| append' writes"),
    (5, " action 040 reload", "reloads the router"),
    (5, " action 040 file delete flash:packages.conf", "deletes flash:packages.conf"),
    (4, " action 030 file open fh flash:x.txt w", "file open mode 'w'"),
    (1, ' event syslog pattern "X" ratelimit 0 maxrun 60', "ratelimit '0'"),
    (1, ' event syslog pattern "X" ratelimit 60 maxrun 0', "maxrun '0'"),
    (1, " event timer watchdog time 2 maxrun 2", "watchdog time '2'"),
    (1, ' event cli pattern "show" sync yes maxrun 5', "operators' command path"),
    (3, ' action 020 cli command "show clock"', "without first checking"),
])
def test_policy_refuses(index, line, expected):
    lines = list(SAFE)
    lines[index] = line
    problems = capture.capture_policy_problems(lines)
    assert any(expected in p for p in problems), problems
