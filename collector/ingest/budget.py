"""A byte budget for reports accepted but not yet committed, shared by every stream (issue #14).

Why bytes and not a count: the pipeline's queue bounds how many reports wait, but reports range
from a few hundred bytes to the message limit, so a count let one sender of large reports hold
gigabytes. A stream takes the serialized size of each report before submitting it and gives it
back when the report's outcome is known (committed, duplicate, rejected); a report that does not
fit is refused with a retry-after, and the sender keeps it in its spool.
"""

from __future__ import annotations

import threading


class InflightBudget:
    """Bytes in flight against a limit; thread-safe (outcomes may be settled on another thread)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._used = 0
        self.peak = 0
        self._lock = threading.Lock()

    @property
    def used(self) -> int:
        """Bytes taken and not yet given back."""
        return self._used

    def take(self, size: int) -> bool:
        """Take `size` bytes if they fit; False (nothing taken) if not.

        A report larger than the whole budget is still taken when nothing else is in flight, so a
        budget set below the message limit slows large reports down instead of refusing them forever.
        """
        with self._lock:
            if self._used and self._used + size > self.limit:
                return False
            self._used += size
            self.peak = max(self.peak, self._used)
            return True

    def give_back(self, size: int) -> None:
        """Return bytes taken by take()."""
        with self._lock:
            self._used = max(0, self._used - size)
