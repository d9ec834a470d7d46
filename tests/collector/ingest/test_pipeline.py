"""The group-commit writer (collector/ingest/pipeline.py): its idle work, and a report the store refuses."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from collector.domain.model import IngestReport, StoreResult
from collector.errors import StorageUnavailable
from collector.ingest.pipeline import IngestPipeline

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _report(n: int) -> IngestReport:
    return IngestReport(report_id=f"r{n}", source_id="s", seq=n, kind="heartbeat", created_at=None)


class _Recorder:
    def __init__(self, *, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail
        self.called = threading.Event()

    def __call__(self) -> None:
        self.calls += 1
        self.called.set()
        if self.fail:
            raise RuntimeError("idle task broke")


def _store_all(reports: Sequence[IngestReport], now: datetime) -> StoreResult:
    return StoreResult(stored=frozenset(r.report_id for r in reports))


def test_idle_work_runs_once_after_commits_and_again_after_new_ones() -> None:
    idle = _Recorder()
    pipeline = IngestPipeline(_store_all, lambda: NOW, when_idle=idle, idle_after_s=0.05)
    pipeline.start()
    try:
        time.sleep(0.2)
        assert idle.calls == 0, "nothing committed yet: nothing to do when idle"
        assert not pipeline.submit(_report(1)).result(timeout=5).error
        assert idle.called.wait(5)
        time.sleep(0.2)
        assert idle.calls == 1, "one idle pass per stretch of work, not one per timeout"
        idle.called.clear()
        pipeline.submit(_report(2)).result(timeout=5)
        assert idle.called.wait(5) and idle.calls == 2
    finally:
        pipeline.stop()


def test_failing_idle_work_does_not_stop_the_writer() -> None:
    idle = _Recorder(fail=True)
    pipeline = IngestPipeline(_store_all, lambda: NOW, when_idle=idle, idle_after_s=0.01)
    pipeline.start()
    try:
        pipeline.submit(_report(1)).result(timeout=5)
        assert idle.called.wait(5)
        outcome = pipeline.submit(_report(2)).result(timeout=5)
        assert not outcome.error and not outcome.duplicate
    finally:
        pipeline.stop()


def test_a_report_the_store_refuses_is_isolated_and_the_rest_stored_in_order() -> None:
    calls: list[list[str]] = []
    stored: list[str] = []

    def store(reports: Sequence[IngestReport], now: datetime) -> StoreResult:
        ids = [r.report_id for r in reports]
        calls.append(ids)
        if "r5" in ids:
            raise RuntimeError("constraint violated\nsecond line never shown")
        stored.extend(ids)
        return StoreResult(stored=frozenset(ids))

    pipeline = IngestPipeline(store, lambda: NOW)
    futures = [pipeline.submit(_report(n)) for n in range(16)]  # queued before the writer starts: one batch
    pipeline.start()
    try:
        outcomes = [f.result(timeout=5) for f in futures]
    finally:
        pipeline.stop()
    assert calls[0] == [f"r{n}" for n in range(16)]
    assert [o.error for o in outcomes if o.error] == ["not stored: constraint violated"]
    assert outcomes[5].error and all(not o.error and not o.duplicate for n, o in enumerate(outcomes) if n != 5)
    assert stored == [f"r{n}" for n in range(16) if n != 5], "stored once each, in arrival order"
    assert len(calls) <= 1 + 2 * 4, "isolated in about log2(n) commits, not one per report"
    assert (pipeline.stored, pipeline.failed) == (15, 1)


class _FlakyDisk:
    """A store whose disk is full for the first `full_for` commits (StorageUnavailable, like the Store raises)."""

    def __init__(self, full_for: int) -> None:
        self.full_for = full_for
        self.calls: list[list[str]] = []
        self.stored: list[str] = []
        self.recovered = 0

    def __call__(self, reports: Sequence[IngestReport], now: datetime) -> StoreResult:
        ids = [r.report_id for r in reports]
        self.calls.append(ids)
        if len(self.calls) <= self.full_for:
            raise StorageUnavailable("nc.duckdb: a write failed: Could not write file: No space left on device")
        fresh = [i for i in ids if i not in self.stored]
        self.stored.extend(fresh)
        return StoreResult(stored=frozenset(fresh), duplicates=frozenset(set(ids) - set(fresh)))

    def recover(self) -> None:
        self.recovered += 1


def test_a_passing_storage_failure_is_retried_whole_and_then_stored() -> None:
    disk = _FlakyDisk(full_for=2)
    pipeline = IngestPipeline(disk, lambda: NOW, recover=disk.recover, retry_budget_s=30, retry_base_s=0.01)
    futures = [pipeline.submit(_report(n)) for n in range(8)]
    pipeline.start()
    try:
        outcomes = [f.result(timeout=30) for f in futures]
    finally:
        pipeline.stop()
    assert all(not o.error and not o.retryable and not o.duplicate for o in outcomes)
    assert disk.calls == [[f"r{n}" for n in range(8)]] * 3, "retried as one batch: no report is to blame"
    assert disk.stored == [f"r{n}" for n in range(8)]
    assert disk.recovered == 2, "the store may heal itself (reopen) before each retry"
    assert (pipeline.stored, pipeline.failed, pipeline.retried) == (8, 0, 0)


def test_a_storage_failure_that_outlasts_the_budget_is_answered_retryable_never_rejected() -> None:
    disk = _FlakyDisk(full_for=10**9)
    pipeline = IngestPipeline(disk, lambda: NOW, recover=disk.recover, retry_budget_s=0.2, retry_base_s=0.01,
                              retry_cap_s=0.02, retry_after_ms=1500)
    futures = [pipeline.submit(_report(n)) for n in range(4)]
    pipeline.start()
    try:
        outcomes = [f.result(timeout=30) for f in futures]
    finally:
        pipeline.stop()
    assert all(o.retryable and o.retry_after_ms == 1500 and "retry later" in o.error for o in outcomes)
    assert "No space left on device" in outcomes[0].error
    assert len(disk.calls) > 1 and all(c == disk.calls[0] for c in disk.calls), "never split for the disk's sake"
    assert (pipeline.failed, pipeline.retried, disk.stored) == (0, 4, [])


def test_a_bad_report_is_still_rejected_while_a_storage_failure_of_its_half_is_retried() -> None:
    calls: list[list[str]] = []
    stored: list[str] = []
    full = [True]

    def store(reports: Sequence[IngestReport], now: datetime) -> StoreResult:
        ids = [r.report_id for r in reports]
        calls.append(ids)
        if "r1" in ids:
            raise RuntimeError("constraint violated")
        if full[0] and ids == ["r2", "r3"]:
            full[0] = False
            raise StorageUnavailable("No space left on device")
        stored.extend(ids)
        return StoreResult(stored=frozenset(ids))

    pipeline = IngestPipeline(store, lambda: NOW, retry_budget_s=30, retry_base_s=0.01)
    futures = [pipeline.submit(_report(n)) for n in range(4)]
    pipeline.start()
    try:
        outcomes = [f.result(timeout=30) for f in futures]
    finally:
        pipeline.stop()
    assert [bool(o.error) for o in outcomes] == [False, True, False, False]
    assert not outcomes[1].retryable, "a report the store refuses for its content is rejected"
    assert sorted(stored) == ["r0", "r2", "r3"]
    assert (pipeline.stored, pipeline.failed, pipeline.retried) == (3, 1, 0)
