"""Median and best wall time of repeated runs: the one timing loop the benchmarks share.

Median, because the machine may be running other work (one slow run should not move the figure);
best, because it is the closest to what the code costs alone. The last run's result is returned so a
benchmark can print what was computed beside how long it took.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def median_best(fn: Callable[[], T], runs: int) -> tuple[float, float, T]:
    """Run `fn` `runs` times (at least once): (median seconds, best seconds, the last result)."""
    samples = []
    for _ in range(max(1, runs)):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), min(samples), result
