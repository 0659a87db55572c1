# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place where the pure core meets Ansible's filter machinery."""

from __future__ import annotations

import traceback

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError

display = Display()

# Raised by conversions of values the core did not validate (a number out of range, an impossible
# date; OSError is what datetime and time raise for a time stamp the platform cannot hold). The
# core is pure, so none of these comes from a file or the network: it is still bad input.
_BAD_INPUT = (ValueError, OverflowError, OSError)
# A core function that meets a value of the wrong type despite its checks: a bug in the core.
_BUGS = (TypeError, AttributeError, KeyError, IndexError)


def call_filter(name, func, *args, **kwargs):
    """Run a core function; turn its errors into an AnsibleFilterError naming the filter.

    A ParseError is the whole message. Anything else keeps its traceback at -vvv and
    as the error's cause, so a bug in the core can be found rather than guessed at.
    """
    try:
        return func(*args, **kwargs)
    except ParseError as exc:
        raise AnsibleFilterError("netops.ipsec_spi.%s: %s" % (name, exc)) from None
    except _BAD_INPUT as exc:
        display.vvv(traceback.format_exc())
        raise AnsibleFilterError(
            "netops.ipsec_spi.%s: could not process the input (%s: %s)" % (name, type(exc).__name__, exc)
        ) from exc
    except _BUGS as exc:
        display.vvv(traceback.format_exc())
        raise AnsibleFilterError(
            "netops.ipsec_spi.%s: internal error (%s: %s); this is a bug in netops.ipsec_spi, please report it "
            "with the traceback that -vvv shows" % (name, type(exc).__name__, exc)
        ) from exc


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
