"""Ingest use-case: group commit of decoded reports (no gRPC, no DuckDB imports here).

Every stream submits its reports to one writer thread. The writer takes whatever has queued up
(up to `max_batch` reports), stores it in a single transaction and only then resolves each
report's future, so an ack always means "committed". Batching turns thousands of small reports a
second into a few transactions; if a batch fails, it is stored in halves (recursively) so that one
bad report cannot take others down with it.

Two kinds of failure, answered differently: a report the store refuses (its own content) is
rejected and the sender drops it; a storage failure (StorageUnavailable: disk full, I/O error, an
invalidated connection) says nothing about the reports, so the writer retries the same batch with
back-off, asking the store to recover between attempts, and if the storage is still failing when
the retry budget is spent, answers every report of it retryable: the sender keeps it and sends it
again later. A storage failure is never a rejection (DESIGN "Access and safety").
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from collector.domain.model import IngestReport, StoreResult
from collector.errors import StorageUnavailable

log = logging.getLogger("netcensus.ingest")

StoreBatch = Callable[[Sequence[IngestReport], datetime], StoreResult]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one report: stored, duplicate, or not stored with a reason.

    `need_full_snapshot` asks the sender for a full HostSnapshot next: set on a delta refused for
    an unknown base (with `error`), and on a stored delta whose checksum diverged.
    """

    report_id: str
    duplicate: bool = False
    error: str = ""
    retryable: bool = False  # not stored for a passing reason (shutdown, storage): the sender keeps it and retries
    need_full_snapshot: bool = False
    retry_after_ms: int = 0  # with retryable: how long the sender should wait before trying again


RETRY_LATER_MS = 2000
"""How long a sender is told to wait after a write failed for a passing reason (a full disk, an I/O
error): reports and enrolments alike, whichever process answers."""


class PipelineBusy(Exception):
    """The queue is full; the caller pushes back instead of blocking the event loop."""


@dataclass(frozen=True, slots=True)
class LoopCallback:
    """Where to deliver an outcome: `callback(outcome)` run on `loop`.

    The writer hands every outcome of one batch bound for one loop over in a single
    call_soon_threadsafe (one wake-up of the loop per commit, not one per report): with thousands
    of small reports a second, per-report wake-ups and future chaining cost more than the commit.
    """

    loop: asyncio.AbstractEventLoop
    callback: Callable[[Outcome], None]


class OutcomeSink(Protocol):
    """Where a front-end process's outcomes go (collector/serve/workers.py): one call per commit."""

    def deliver(self, pairs: list[tuple[int, Outcome]]) -> None:
        """Hand over (token, outcome) pairs; must not block on the front-end."""


@dataclass(frozen=True, slots=True)
class Relay:
    """Where to deliver the outcome of a report a front-end process submitted: `token` names it
    there, and every outcome of one commit bound for one sink goes in one message."""

    sink: OutcomeSink
    token: int


Target = Future[Outcome] | LoopCallback | Relay


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _run_callbacks(pairs: list[tuple[Callable[[Outcome], None], Outcome]]) -> None:
    for callback, outcome in pairs:
        try:
            callback(outcome)
        except Exception:
            log.exception("delivering an ingest outcome failed")


class IngestPipeline:
    """A single writer thread committing queued reports in batches."""

    # max_batch: each commit costs a couple of dozen statements whatever its size, so under a burst
    # bigger batches finish sooner: with 2,000 agents reporting at once, a cap of 128 reports per
    # commit took 7.2 s for 6,000 reports, 512 took 3.9 s and 2,048 took 3.2 s (bench_ingest_load).
    # The writer only takes what is queued, so a quiet collector still commits report by report.
    #
    # retry_budget_s bounds how long one commit keeps retrying a storage failure before its reports are
    # answered retryable (the writer holds every later report meanwhile, so it stays a few seconds);
    # retry_base_s/retry_cap_s shape the doubling delays between attempts, and retry_after_ms is
    # what the senders are then told to wait.
    def __init__(self, store_batch: StoreBatch, clock: Callable[[], datetime], *, max_batch: int = 2048,
                 max_queue: int = 20_000, when_idle: Callable[[], object] | None = None,
                 idle_after_s: float = 1.0, recover: Callable[[], object] | None = None,
                 retry_budget_s: float = 5.0, retry_base_s: float = 0.1, retry_cap_s: float = 1.0,
                 retry_after_ms: int = RETRY_LATER_MS, sleep: Callable[[float], object] = time.sleep) -> None:
        self._store_batch = store_batch
        self._recover = recover
        self._retry_budget_s = retry_budget_s
        self._retry_base_s = retry_base_s
        self._retry_cap_s = retry_cap_s
        self._retry_after_ms = retry_after_ms
        self._sleep = sleep
        self._clock = clock
        self._max_batch = max_batch
        # Run once after the writer has committed something and then found nothing to do for
        # idle_after_s (the store's checkpoint: bookkeeping that should not delay an ack).
        self._when_idle = when_idle
        self._idle_after_s = idle_after_s
        self._queue: queue.Queue[tuple[IngestReport, Target] | None] = queue.Queue(max_queue + 1)
        self._max_queue = max_queue
        self.high_water = max_queue // 2  # above this depth acks ask senders to slow down
        self._thread = threading.Thread(target=self._run, name="ingest-writer", daemon=True)
        self._accepting = True
        self.stored = 0
        self.duplicates = 0
        self.failed = 0
        self.retried = 0  # reports answered retryable because the storage kept failing
        self.rows = 0

    def start(self) -> None:
        """Start the writer."""
        self._thread.start()

    def submit(self, report: IngestReport) -> Future[Outcome]:
        """Queue a report; the future resolves once it is committed (or found duplicate, or failed).

        Never blocks: raises PipelineBusy when max_queue reports are already waiting.
        """
        fut: Future[Outcome] = Future()
        if not self._accepting:
            fut.set_result(Outcome(report.report_id, error="collector is shutting down; retry later", retryable=True))
            return fut
        if self._queue.qsize() >= self._max_queue:
            raise PipelineBusy(f"{self._max_queue} reports waiting")
        self._queue.put_nowait((report, fut))
        return fut

    def submit_to_loop(self, report: IngestReport, target: LoopCallback | Relay) -> None:
        """Queue a report; its outcome goes to `target` once it is settled (for a LoopCallback,
        `target.callback(outcome)` runs on `target.loop`).

        Never blocks: raises PipelineBusy when max_queue reports are already waiting.
        """
        if not self._accepting:
            outcome = Outcome(report.report_id, error="collector is shutting down; retry later", retryable=True)
            self._deliver([(target, outcome)])
            return
        if self._queue.qsize() >= self._max_queue:
            raise PipelineBusy(f"{self._max_queue} reports waiting")
        self._queue.put_nowait((report, target))

    @property
    def depth(self) -> int:
        """Reports waiting for the writer."""
        return self._queue.qsize()

    def stop(self) -> None:
        """Stop accepting, commit everything already queued, then end the writer thread."""
        self._accepting = False
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        idle_work = False  # something was committed since the last idle hook
        while True:
            try:
                first = self._queue.get(timeout=self._idle_after_s if idle_work else None)
            except queue.Empty:
                idle_work = False
                self._idle()
                continue
            if first is None:
                return
            idle_work = self._when_idle is not None
            batch = [first]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._commit(batch)
            if stop:
                return

    def _idle(self) -> None:
        if self._when_idle is None:
            return
        try:
            self._when_idle()
        except Exception:
            log.exception("idle task of the ingest writer failed")

    def _commit(self, batch: list[tuple[IngestReport, Target]]) -> None:
        deadline = time.monotonic() + self._retry_budget_s
        self._deliver(self._store_or_split(batch, deadline))

    def _store_or_split(self, batch: list[tuple[IngestReport, Target]], deadline: float, *,
                        top: bool = True) -> list[tuple[Target, Outcome]]:
        """Store a batch in one transaction; if that fails, store its halves, recursively.

        A report the store cannot take is thus isolated in about log2(n) commits (not n, as retrying
        one by one took), and every other report of the batch is still stored, in arrival order.
        A storage failure is not split (no report is to blame): it is retried until `deadline`.
        """
        try:
            result = self._store_retrying([r for r, _ in batch], deadline)
        except StorageUnavailable as exc:
            return [(target, self._retry_later(report, exc)) for report, target in batch]
        except Exception as exc:  # noqa: BLE001 - isolate the culprit, then report per report
            if len(batch) == 1:
                report, target = batch[0]
                return [(target, self._not_stored(report, exc))]
            if top:
                log.warning("batch of %d reports failed; storing it in halves to isolate the culprit", len(batch))
            mid = len(batch) // 2
            return (self._store_or_split(batch[:mid], deadline, top=False)
                    + self._store_or_split(batch[mid:], deadline, top=False))
        settled: set[str] = set()
        return [(target, self._settle(report, result, settled)) for report, target in batch]

    def _store_retrying(self, reports: list[IngestReport], deadline: float) -> StoreResult:
        """store_batch, retried with doubling delays while the storage fails and the deadline allows.

        Between attempts the store may heal itself (`recover`: reopen an invalidated connection);
        a recovery that fails is one more failed attempt, not the end of the writer.
        """
        attempt = 0
        while True:
            try:
                return self._store_batch(reports, self._clock())
            except StorageUnavailable as exc:
                delay = min(self._retry_cap_s, self._retry_base_s * (2 ** min(attempt, 20)))
                if time.monotonic() + delay > deadline:
                    raise
                if attempt == 0:
                    log.warning("storing %d report(s) failed, retrying: %s", len(reports), _first_line(exc))
                attempt += 1
                self._sleep(delay)
                self._try_recover()

    def _try_recover(self) -> None:
        if self._recover is None:
            return
        try:
            self._recover()
        except StorageUnavailable as exc:
            log.warning("storage still unavailable: %s", _first_line(exc))
        except Exception:
            log.exception("recovering the store failed")

    def _retry_later(self, report: IngestReport, exc: Exception) -> Outcome:
        """Not stored because the storage failed: the sender keeps the report and sends it again."""
        self.retried += 1
        log.error("report %s from %s not stored for now (the sender will retry): %s",
                  report.report_id, report.source_id, _first_line(exc))
        return Outcome(report.report_id, error=f"storage unavailable, retry later: {_first_line(exc)[:300]}",
                       retryable=True, retry_after_ms=self._retry_after_ms)

    def _not_stored(self, report: IngestReport, exc: Exception) -> Outcome:
        """A report the store refused for its content becomes a rejected ack, never a crash."""
        self.failed += 1
        reason = _first_line(exc)
        log.error("report %s from %s not stored: %s", report.report_id, report.source_id, reason)
        return Outcome(report.report_id, error=f"not stored: {reason[:300]}")

    def _settle(self, report: IngestReport, result: StoreResult, settled: set[str]) -> Outcome:
        """One report's outcome; `settled` holds ids already counted as stored in this batch, so that
        of two copies of one report in a batch the first is STORED and the second DUPLICATE."""
        report_id = report.report_id
        need_full = report_id in result.need_full_snapshot
        if report_id in result.rejected:
            self.failed += 1
            return Outcome(report_id, error=result.rejected[report_id], need_full_snapshot=need_full)
        if report_id in result.stored and report_id not in settled:
            settled.add(report_id)
            self.stored += 1
            self.rows += report.item_count
            return Outcome(report_id, need_full_snapshot=need_full)
        self.duplicates += 1
        return Outcome(report_id, duplicate=True)

    @staticmethod
    def _deliver(outcomes: list[tuple[Target, Outcome]]) -> None:
        """Resolve futures directly; hand loop callbacks over per loop and relayed outcomes per
        sink, in one call each."""
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Callable[[Outcome], None], Outcome]]] = {}
        by_sink: dict[OutcomeSink, list[tuple[int, Outcome]]] = {}
        for target, outcome in outcomes:
            if isinstance(target, LoopCallback):
                by_loop.setdefault(target.loop, []).append((target.callback, outcome))
            elif isinstance(target, Relay):
                by_sink.setdefault(target.sink, []).append((target.token, outcome))
            else:
                target.set_result(outcome)
        for sink, tokens in by_sink.items():
            try:
                sink.deliver(tokens)
            except Exception:
                log.exception("relaying %d outcomes to a front-end failed", len(tokens))
        for loop, pairs in by_loop.items():
            try:
                loop.call_soon_threadsafe(_run_callbacks, pairs)
            except RuntimeError:  # loop closed: nobody is waiting for these acks any more
                log.warning("dropping %d outcomes for a closed event loop", len(pairs))
