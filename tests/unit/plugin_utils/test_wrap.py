"""plugin_utils/wrap.py: how a core error reaches the user of a filter (issue 17, item 5)."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError
from ansible_collections.netops.ipsec_spi.plugins.plugin_utils import wrap


@pytest.fixture
def verbose(monkeypatch):
    shown = []
    monkeypatch.setattr(wrap.display, "vvv", lambda msg, *args, **kwargs: shown.append(msg))
    return shown


def raising(exc):
    def core_function_that_fails(*_args, **_kwargs):
        raise exc
    return core_function_that_fails


def test_parse_error_is_the_message(verbose):
    with pytest.raises(AnsibleFilterError, match=r"^netops\.ipsec_spi\.f: line 3: bad spi$"):
        wrap.call_filter("f", raising(ParseError("line 3: bad spi")))
    assert verbose == []


@pytest.mark.parametrize("exc", [TypeError("unsupported operand"), AttributeError("'NoneType' has no 'get'")])
def test_a_bug_in_the_core_keeps_its_traceback(exc, verbose):
    with pytest.raises(AnsibleFilterError) as info:
        wrap.call_filter("f", raising(exc))
    message = str(info.value)
    assert message.startswith("netops.ipsec_spi.f: ") and type(exc).__name__ in message and str(exc) in message
    assert "could not process the input" not in message and "bug" in message
    # The cause is chained (not `from None`) and the traceback is shown at -vvv.
    assert info.value.__cause__ is exc
    assert len(verbose) == 1 and "Traceback" in verbose[0] and "core_function_that_fails" in verbose[0]


@pytest.mark.parametrize("exc", [ValueError("year 0 is out of range"), OverflowError("timestamp out of range"),
                                 OSError(75, "Value too large for defined data type")])
def test_input_the_core_did_not_catch_is_bad_input(exc, verbose):
    with pytest.raises(AnsibleFilterError, match=r"netops\.ipsec_spi\.f: could not process the input \(%s: "
                       % type(exc).__name__) as info:
        wrap.call_filter("f", raising(exc))
    assert info.value.__cause__ is exc
    assert len(verbose) == 1 and "core_function_that_fails" in verbose[0]


def test_other_exceptions_are_not_swallowed(verbose):
    with pytest.raises(KeyboardInterrupt):
        wrap.call_filter("f", raising(KeyboardInterrupt()))
