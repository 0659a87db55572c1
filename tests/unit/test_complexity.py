"""The complexity guard other tests use (complexity.py) tells linear from quadratic work, in CPU time."""
import pytest

from complexity import FACTOR, assert_linear


def linear(items):
    return sum(items)


def quadratic(items):
    # copies a growing prefix for every element: n * n / 2 element copies
    return sum(len(items[:i]) for i in range(len(items)))


def test_linear_work_passes():
    assert_linear(linear, list(range(20_000)), list(range(20_000 * FACTOR)))


def test_quadratic_work_fails():
    with pytest.raises(AssertionError, match="more than linear"):
        assert_linear(quadratic, list(range(2_000)), list(range(2_000 * FACTOR)))
