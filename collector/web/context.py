"""What the views read from: the store, a recent refresh, the clock and the ghost window.

The asset page and the changes view are built by collector/inventory/detail.py and changes.py, which
take a refresh's Snapshot. A refresh resolves every sighting, so the dashboard shares one: it is kept
for `max_age` and rebuilt by the first request after that, while other requests wait for it rather
than start their own (one refresh at a time whatever the number of browsers polling).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from collector.inventory.refresh import Snapshot
from collector.store.duckdb import Store


class SnapshotCache:
    """The latest refresh, rebuilt when older than `max_age` seconds (0: every time)."""

    def __init__(self, build: Callable[[], Snapshot], max_age: float, clock: Callable[[], float] = time.monotonic):
        self._build = build
        self._max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._built_at = 0.0

    def __call__(self) -> Snapshot:
        with self._lock:
            if self._snapshot is None or self._clock() - self._built_at >= self._max_age:
                self._snapshot = self._build()
                self._built_at = self._clock()
            return self._snapshot


@dataclass
class WebContext:
    """Everything a view may use.

    Args:
        store: the database (read-only for `netcensus ui`).
        snapshot: the latest refresh (SnapshotCache).
        clock: now (UTC).
        ghost_after: the ghost window coverage is measured against.
        read_only: shown in the header ("read-only copy") when the dashboard serves a file.
        poll_seconds: how often an open page asks for fresh content.
    """

    store: Store
    snapshot: Callable[[], Snapshot]
    clock: Callable[[], datetime]
    ghost_after: timedelta
    read_only: bool = False
    poll_seconds: int = 15
    extra: dict[str, object] = field(default_factory=dict)
