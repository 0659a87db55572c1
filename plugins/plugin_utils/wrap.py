# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place where the pure core meets Ansible's filter machinery."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError

display = Display()


def call_filter(name, func, *args, **kwargs):
    """Run a core parser; turn any bad-input error into an AnsibleFilterError naming the filter."""
    try:
        return func(*args, **kwargs)
    except ParseError as exc:
        raise AnsibleFilterError("netops.ipsec_spi.%s: %s" % (name, exc)) from None
    except (TypeError, ValueError, AttributeError) as exc:
        # The core validates its input, so this is a bug; still name the filter
        # and the input problem rather than showing a traceback.
        raise AnsibleFilterError(
            "netops.ipsec_spi.%s: could not process the input (%s: %s)" % (name, type(exc).__name__, exc)
        ) from None


def warn_unparsed(name, problems, limit=5):
    """Report lines the parser recognised as relevant but could not read.

    ``problems`` is a list of ``{line, reason, text}``. Device output we do not
    understand is reported, never silently dropped.
    """
    if not problems:
        return
    shown = "; ".join("line %s: %s" % (p.get("line"), p.get("reason")) for p in problems[:limit])
    more = "" if len(problems) <= limit else " (and %d more)" % (len(problems) - limit)
    display.warning("netops.ipsec_spi.%s: %d line(s) not understood: %s%s" % (name, len(problems), shown, more))
