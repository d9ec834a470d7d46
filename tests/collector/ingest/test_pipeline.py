"""The group-commit writer (collector/ingest/pipeline.py): its idle work, and a report the store refuses."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from collector.domain.model import IngestReport, StoreResult
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
