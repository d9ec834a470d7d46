"""Per-source rate limit: a token bucket per source id (pure; the clock is injected).

One misbehaving or looping agent must not be able to fill the ingest queue that every other
agent shares. The bucket refills at `rate` reports per second up to `burst`; a source that finds
it empty is told how long to wait, and the service turns that into RESOURCE_EXHAUSTED with a
retry-after the agent honours.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets keyed by source id."""

    def __init__(self, rate: float, burst: float, *, clock: Callable[[], float] = time.monotonic,
                 max_sources: int = 1_000_000) -> None:
        self.rate = rate
        self.burst = max(burst, 1.0)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._max_sources = max_sources

    def take(self, source_id: str, cost: float = 1.0) -> float:
        """Spend `cost` tokens; 0.0 when allowed, else the seconds until it would be."""
        if self.rate <= 0:
            return 0.0
        now = self._clock()
        bucket = self._buckets.get(source_id)
        if bucket is None:
            if len(self._buckets) >= self._max_sources:
                self._buckets.clear()  # a full table is forgotten, never allowed to grow without bound
            bucket = self._buckets[source_id] = _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return 0.0
        return (cost - bucket.tokens) / self.rate
