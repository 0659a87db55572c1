"""The invalid_spi source's byte bound at full size: 100,000 worst-size flows (pure Python, no lab).

Here and not in tests/unit because tracemalloc over 400,000 messages takes tens of CPU seconds.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "unit"))

import test_eda_security as security  # noqa: E402  pylint: disable=wrong-import-position


def test_100000_worst_size_flows_stay_under_the_documented_bound():
    used = security.worst_size_flows(100000)
    assert used <= 100000 * security.flows.FLOW_BYTES <= security.flows.DEFAULT_MAX_BYTES
