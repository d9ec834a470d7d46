"""Query and Admin work on threads of its own, with a bounded wait (issue #14).

Why: findings and assets are recomputed at call time (seconds of Python on a large inventory),
and they ran on asyncio's default executor, the same few threads that persist enrolments. Fifty
anonymous queries took every thread and enrolment waited behind them. Here queries get
`threads` threads and at most `waiting` calls queued for them; a call beyond that is refused at
once (RESOURCE_EXHAUSTED) instead of growing a queue nobody bounds, and enrolment and ingest
never wait for a query thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class QueryPoolFull(Exception):
    """Every query thread is busy and the wait queue is full; the caller answers RESOURCE_EXHAUSTED."""


class QueryPool:
    """A bounded executor: `threads` running, up to `waiting` more admitted to wait."""

    def __init__(self, threads: int, waiting: int, *, on_refused: Callable[[], object] | None = None) -> None:
        self.threads = threads
        self.waiting = waiting
        self.on_refused = on_refused  # counts refusals (the collector's metrics)
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="query")
        self._admitted = 0
        self._lock = threading.Lock()

    @property
    def admitted(self) -> int:
        """Calls running or waiting now."""
        return self._admitted

    async def run(self, work: Callable[..., T], *args: object) -> T:
        """Run `work(*args)` on a query thread; QueryPoolFull when threads and queue are taken."""
        with self._lock:
            if self._admitted >= self.threads + self.waiting:
                raise QueryPoolFull(f"too many queries in progress ({self._admitted}); retry")
            self._admitted += 1
        try:
            future = self._executor.submit(work, *args)
        except RuntimeError:  # shut down
            self._release()
            raise QueryPoolFull("the collector is stopping; retry") from None
        # Released when the work ends, not when the caller stops waiting: a cancelled call whose
        # work already runs still holds its thread, and the bound must count it.
        future.add_done_callback(lambda _: self._release())
        return await asyncio.wrap_future(future)

    def _release(self) -> None:
        with self._lock:
            self._admitted -= 1

    def shutdown(self) -> None:
        """Let running work finish in its thread; start nothing new."""
        self._executor.shutdown(wait=False, cancel_futures=True)
