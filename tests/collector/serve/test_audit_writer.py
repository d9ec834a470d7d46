"""The audit writer: rows committed in batches on its own thread, failures reach every caller."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from collector.errors import NetcensusError, StoreError
from collector.serve.audit import AuditBacklogFull, AuditRow, AuditWriter


class GatedRecorder:
    """Records batches; the first batch waits until `release` is set (a slow disk)."""

    def __init__(self) -> None:
        self.batches: list[list[AuditRow]] = []
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, rows: Sequence[AuditRow]) -> None:
        self.entered.set()
        self.release.wait(10)
        self.batches.append(list(rows))


def entry(n: int) -> dict[str, object]:
    return {"at": n, "who": f"u{n}", "role": "reader", "action": "ListAssets", "target": "", "peer": "-",
            "outcome": "ok"}


def test_rows_queued_behind_a_commit_go_in_one_batch_and_every_write_returns() -> None:
    recorder = GatedRecorder()
    writer = AuditWriter(recorder)
    writer.start()

    async def main() -> None:
        first = asyncio.ensure_future(writer.write(entry(0), None))
        await asyncio.to_thread(recorder.entered.wait, 10)
        rest = [asyncio.ensure_future(writer.write(entry(n), "alice")) for n in range(1, 101)]
        await asyncio.sleep(0.05)
        recorder.release.set()
        await asyncio.gather(first, *rest)

    asyncio.run(main())
    writer.stop()
    assert [len(b) for b in recorder.batches] == [1, 100]
    assert [row[0]["who"] for row in recorder.batches[1]] == [f"u{n}" for n in range(1, 101)]
    assert {row[1] for row in recorder.batches[1]} == {"alice"}


def test_a_failed_commit_is_raised_to_every_caller_of_its_batch() -> None:
    def failing(rows: Sequence[AuditRow]) -> None:
        raise StoreError("No space left on device")

    writer = AuditWriter(failing)
    writer.start()

    async def main() -> list[BaseException | None]:
        return await asyncio.gather(*(writer.write(entry(n), None) for n in range(5)), return_exceptions=True)

    results = asyncio.run(main())
    writer.stop()
    assert all(isinstance(r, StoreError) and "No space left" in str(r) for r in results)


def test_a_full_backlog_refuses_instead_of_growing() -> None:
    recorder = GatedRecorder()
    writer = AuditWriter(recorder, max_pending=3)
    writer.start()

    async def main() -> None:
        first = asyncio.ensure_future(writer.write(entry(0), None))
        await asyncio.to_thread(recorder.entered.wait, 10)
        waiting = [asyncio.ensure_future(writer.write(entry(n), None)) for n in range(1, 4)]
        await asyncio.sleep(0)
        with pytest.raises(AuditBacklogFull):
            await writer.write(entry(9), None)
        recorder.release.set()
        await asyncio.gather(first, *waiting)

    asyncio.run(main())
    writer.stop()
    assert sum(len(b) for b in recorder.batches) == 4
    assert issubclass(AuditBacklogFull, NetcensusError)


def test_stop_commits_what_is_queued() -> None:
    recorder = GatedRecorder()
    recorder.release.set()
    writer = AuditWriter(recorder)
    writer.start()
    asyncio.run(writer.write(entry(1), None))
    writer.stop()
    assert sum(len(b) for b in recorder.batches) == 1
