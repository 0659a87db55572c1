"""capture/policy.py: the safety gate for applets the collection installs."""
from __future__ import annotations

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


