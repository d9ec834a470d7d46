"""Reconnect delays: capped exponential backoff with jitter, and the collector's pushback.

Jitter (a uniform delay between a quarter of the exponential cap and the cap) spreads thousands of agents that
lost the same collector at the same moment, so they do not all come back in the same second.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Delay before the next attempt; `reset()` after progress."""

    base_s: float = 0.5
    cap_s: float = 60.0
    attempt: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def next_delay(self, pushback_s: float = 0.0) -> float:
        """Seconds to wait now; never less than what the collector asked for."""
        ceiling = min(self.cap_s, self.base_s * (2 ** min(self.attempt, 30)))
        self.attempt += 1
        return max(pushback_s, self.rng.uniform(ceiling / 4, ceiling))

    def reset(self) -> None:
        """Progress was made: start small again."""
        self.attempt = 0
