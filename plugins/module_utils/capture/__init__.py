# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EEM evidence capture for intermittent invalid-SPI events (docs/capture.md).

One job per module, each depending only on those listed before it:

- ``applet``: the capture applets' text, the capture file markers, the install/remove config diff;
- ``syntax``: applet text into words, header, event and actions;
- ``grammar``: the EEM 3.0 grammar check (would IOS accept it?);
- ``policy``: the safety gate (is it safe to leave running? enforced by the eem_applet module);
- ``parse``: capture files into snapshots (with the collection's parsers) and ``dir flash:``;
- ``evidence``: the judgement of each captured INV_SPI with both ends' captured SA tables, merged
  into assessments (codes, desync and parse only; never the assessment module).
"""

from __future__ import annotations

from ansible_collections.netops.ipsec_spi.plugins.module_utils.capture.applet import (  # noqa: F401
    BEGIN,
    CAPTURE_FORMAT,
    CMD_MARK,
    DEFAULT_FILE,
    DEFAULT_NAME,
    DEFAULT_TWIN_FILE,
    DEFAULT_TWIN_NAME,
    END,
    applet_from_running,
    capture_applet,
    config_commands,
    twin_applet,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.capture.evidence import (  # noqa: F401
    BUG_FF,
    BUG_IKEV2_SYNTAX,
    BUG_NEW_SPI,
    merge_captures,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.capture.grammar import check_applet  # noqa: F401
from ansible_collections.netops.ipsec_spi.plugins.module_utils.capture.parse import (  # noqa: F401
    parse_capture,
    parse_dir,
    read_captures,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.capture.policy import (  # noqa: F401
    capture_policy_problems,
)
from ansible_collections.netops.ipsec_spi.plugins.module_utils.capture.syntax import parse_applet, tokenize  # noqa: F401
