"""The store on a full disk, and the modes of the files it creates (issue 14: durability, privacy).

A write that fails for lack of space is StorageUnavailable (retryable), not a plain StoreError
(which the ingest writer would answer REJECTED); once space is back, `recover()` (reopening the
file if DuckDB invalidated the connection) makes the same Store write again, and nothing
committed before is lost.
"""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collector.domain.model import IngestReport
from collector.errors import StorageUnavailable, StoreError
from collector.store.duckdb import Store
from tests.tmpfs import fill, small_tmpfs

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _heartbeats(tag: str, n: int) -> list[IngestReport]:
    return [IngestReport(report_id=f"{tag}-{i}-" + "x" * 40, source_id="s", seq=i, kind="heartbeat",
                         created_at=None) for i in range(n)]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_and_its_log_are_created_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "private.duckdb"
    store = Store.open(db)
    try:
        store.defer_checkpoints("1GB")
        store.set_setting("k", "v")
        wal = tmp_path / "private.duckdb.wal"
        assert wal.exists(), "the commit stayed in the log"
        assert (_mode(db), _mode(wal)) == (0o600, 0o600)
    finally:
        store.close()


def test_a_full_disk_is_retryable_and_the_store_recovers_once_space_is_back(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "fs", size_kb=8 * 1024) as fs:
        store = Store.open(fs / "nc.duckdb")
        try:
            store.defer_checkpoints("1GB")
            before = _heartbeats("before", 5)
            assert store.store_reports(before, NOW).stored == {r.report_id for r in before}
            filler = fill(fs)
            during = _heartbeats("during", 2000)
            with pytest.raises(StorageUnavailable, match="No space left"):
                store.store_reports(during, NOW)
            assert store.checkpoint_if_idle() is False  # the idle checkpoint cannot run either
            with pytest.raises(StorageUnavailable):
                store.store_reports(during, NOW)
            filler.unlink()
            store.recover()
            assert store.store_reports(during, NOW).stored == {r.report_id for r in during}
            assert store.checkpoint_if_idle() is True
        finally:
            store.close()
        reopened = Store.open(fs / "nc.duckdb", read_only=True)
        try:
            assert reopened.query("SELECT count(*) AS n FROM reports") == [{"n": 2005}]
        finally:
            reopened.close()


def test_a_bad_statement_is_not_mistaken_for_a_storage_failure(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "nc.duckdb")
    try:
        with pytest.raises(StoreError) as caught:
            store.write([("INSERT INTO settings VALUES (?, ?)", ["k", "v"]),
                         ("INSERT INTO settings VALUES (?, ?)", ["k", "again"])])
        assert not isinstance(caught.value, StorageUnavailable)
    finally:
        store.close()
