"""The audit log's writer: rows are committed in batches by one thread of its own.

Why its own thread: every Query and Admin call, refused ones included, writes its audit row before
it is answered (as with Vault's audit devices: no row, no answer). Written through the default
executor, a flood of anonymous calls queued hundreds of single-row transactions in front of
enrolment's store writes, which share that executor: enrolment took 1.0-1.8 s instead of 14 ms
under four clients sending 200 anonymous calls at a time. One thread that drains everything queued
into one transaction keeps a flood to a few commits, and off the threads enrolment uses.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import threading
from collections.abc import Callable, Mapping, Sequence

from collector.errors import NetcensusError

log = logging.getLogger("netcensus.audit")

AuditRow = tuple[Mapping[str, object], str | None]
"""(entry, token whose last use it records or None): what Store.record_audit_rows takes."""

_STOP = object()


class AuditBacklogFull(NetcensusError):
    """More audit rows wait than the writer may hold: the call is refused rather than left unaudited."""


class AuditWriter:
    """Queues audit rows and commits them in batches; `write` returns once its row is committed.

    Args:
        record: commits a batch of rows in one transaction (Store.record_audit_rows); may raise
            NetcensusError, which every caller of that batch then sees.
        max_pending: rows that may wait at once; past it `write` raises AuditBacklogFull.
        max_batch: rows per transaction at most.
    """

    def __init__(self, record: Callable[[Sequence[AuditRow]], None], *, max_pending: int = 50_000,
                 max_batch: int = 2_000) -> None:
        self._record = record
        self._queue: queue.Queue[tuple[AuditRow, concurrent.futures.Future[None]] | object] = queue.Queue()
        self._max_pending = max_pending
        self._max_batch = max_batch
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._started = False

    def start(self) -> None:
        """Start the writer thread (once)."""
        if not self._started:
            self._started = True
            self._thread.start()

    def stop(self) -> None:
        """Commit what is queued, then end the thread."""
        if self._started and self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout=30)

    async def write(self, entry: Mapping[str, object], used_token: str | None) -> None:
        """Queue one row and wait until it is committed (raises what the commit raised)."""
        if self._queue.qsize() >= self._max_pending:
            raise AuditBacklogFull(f"{self._max_pending} audit rows are waiting to be written; retry later")
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._queue.put(((entry, used_token), done))
        await asyncio.wrap_future(done)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stopping = False
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                batch.append(item)
            self._commit(batch)  # type: ignore[arg-type]
            if stopping:
                return

    def _commit(self, batch: list[tuple[AuditRow, concurrent.futures.Future[None]]]) -> None:
        try:
            self._record([row for row, _ in batch])
        except NetcensusError as exc:
            for _, done in batch:
                done.set_exception(exc)
            return
        except Exception as exc:  # never leave a caller waiting for ever
            log.exception("audit writer failed")
            for _, done in batch:
                done.set_exception(NetcensusError(f"audit log not written: {type(exc).__name__}"))
            return
        for _, done in batch:
            done.set_result(None)
