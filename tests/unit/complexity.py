"""Complexity guards that hold on a loaded machine: CPU time of the same work at two sizes, never a time limit.

A parser that turned quadratic on some input takes factor**2 times longer on factor times the input, a linear
one about factor times. Comparing the two in CPU time (process_time: not the time spent waiting for a core that
other jobs hold) with a generous slack tells them apart however slow or busy the machine is. Wall-clock budgets
are benchmarks (`make bench`), not tests.
"""
from __future__ import annotations

import gc
import time
from typing import Any, Callable

# Linear work measured at n and 8n differs by 8x, give or take caches and allocation: 4x slack still leaves
# a factor of two below what a quadratic cost gives (64x).
FACTOR = 8
SLACK = 4.0
MIN_CPU = 0.01   # CPU seconds the small size is repeated to, so the clock's resolution and noise do not matter
ROUNDS = 2


def _cpu(run: Callable[[Any], Any], data: Any, reps: int) -> float:
    gc.collect()
    start = time.process_time()
    for _rep in range(reps):
        run(data)
    return time.process_time() - start


def assert_linear(run: Callable[[Any], Any], small: Any, large: Any, factor: float = FACTOR,
                  slack: float = SLACK) -> None:
    """Fail unless run(large) costs at most slack * factor times run(small) in CPU time.

    `large` is `factor` times the size of `small` (in whatever grows: characters, lines, SPIs). The small
    run is repeated until it takes MIN_CPU, the large one as often; each is the best of ROUNDS.
    """
    reps = 1
    while True:
        spent = _cpu(run, small, reps)
        if spent >= MIN_CPU or reps >= 1 << 20:
            break
        reps = reps * 2 if spent <= 0 else max(reps * 2, int(reps * MIN_CPU / spent) + 1)
    t_small = min([spent] + [_cpu(run, small, reps) for _round in range(ROUNDS - 1)])
    t_large = float("inf")
    for _round in range(ROUNDS):
        t_large = min(t_large, _cpu(run, large, reps))
        if t_large <= slack * factor * t_small:
            return
    raise AssertionError(
        "%d x %s-times larger input cost %.3f CPU s against %.3f: %.0fx, more than linear (%.0fx allowed)"
        % (reps, factor, t_large, t_small, t_large / max(t_small, 1e-9), slack * factor))
