"""What each source last said of its spool (Report.sender_state, migration 014), stored and read back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from collector.domain.model import IngestReport, SenderState
from collector.store import dashboard
from collector.store.duckdb import Store

T = datetime(2026, 11, 2, 9, tzinfo=UTC)
WINDOW = timedelta(days=14)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "x.duckdb")
    for n, name in enumerate(("quiet", "behind", "old")):
        s.enroll_source(name, "agent", f"host-{name}", str(n) * 64, T)
    yield s
    s.close()


def heartbeat(source: str, seq: int, sender: SenderState | None, report_id: str = "") -> IngestReport:
    return IngestReport(report_id=report_id or str(uuid.uuid4()), source_id=source, seq=seq, kind="heartbeat",
                        created_at=T, sender=sender)


def state(queued: int, *, error: str = "", oldest: datetime | None = None) -> SenderState:
    return SenderState(queued_reports=queued, queued_bytes=queued * 1000, oldest_queued_at=oldest,
                       last_error=error, last_error_at=T - timedelta(hours=1) if error else None, sent_at=T)


def by_source(rows: list[dict[str, object]]) -> dict[object, dict[str, object]]:
    return {r["source_id"]: r for r in rows}


def test_the_last_state_a_source_sent_wins_and_old_senders_stay_unknown(store: Store) -> None:
    oldest = T - timedelta(hours=3)
    store.store_reports([heartbeat("behind", 1, state(5, error="collector unreachable", oldest=oldest)),
                         heartbeat("behind", 2, state(4, error="collector unreachable", oldest=oldest)),
                         heartbeat("quiet", 1, state(0)), heartbeat("old", 1, None)], T)
    rows = by_source(store.sources())
    assert (rows["behind"]["backlog_reports"], rows["behind"]["backlog_bytes"]) == (4, 4000)
    assert rows["behind"]["backlog_oldest"] == oldest and rows["behind"]["backlog_at"] == T
    assert rows["behind"]["last_error"] == "collector unreachable"
    assert rows["behind"]["last_error_at"] == T - timedelta(hours=1)
    assert rows["quiet"]["backlog_reports"] == 0 and rows["quiet"]["last_error"] is None
    assert rows["quiet"]["backlog_oldest"] is None
    assert rows["old"]["backlog_reports"] is None and rows["old"]["backlog_at"] is None  # never said: unknown, not 0

    # A later batch overwrites; a report without the field leaves what the source said last.
    later = T + timedelta(minutes=5)
    store.store_reports([heartbeat("behind", 3, state(0, error="collector unreachable"))], later)
    store.store_reports([heartbeat("behind", 4, None)], later + timedelta(minutes=1))
    row = by_source(store.sources())["behind"]
    assert (row["backlog_reports"], row["backlog_oldest"], row["backlog_at"]) == (0, None, later)


def test_a_re_sent_report_updates_the_state_it_carries(store: Store) -> None:
    rid = str(uuid.uuid4())
    first = store.store_reports([heartbeat("behind", 1, state(9), rid)], T)
    again = store.store_reports([heartbeat("behind", 1, state(2), rid)], T + timedelta(minutes=1))
    assert rid in first.stored and rid in again.duplicates
    assert by_source(store.sources())["behind"]["backlog_reports"] == 2


def test_the_sources_view_reads_it_and_puts_a_backlog_first(store: Store) -> None:
    store.store_reports([heartbeat("quiet", 1, state(0))], T + timedelta(minutes=2))  # newest report
    store.store_reports([heartbeat("behind", 1, state(7, error="x: unreachable", oldest=T - timedelta(days=2)))], T)
    rows = dashboard.sources(store, T + timedelta(minutes=3), WINDOW)
    assert [r["source_id"] for r in rows] == ["behind", "quiet", "old"]
    behind = rows[0]
    assert (behind["backlog_reports"], behind["backlog_oldest"]) == (7, T - timedelta(days=2))
    assert (behind["sender_error"], behind["sender_error_at"]) == ("x: unreachable", T - timedelta(hours=1))
    assert rows[2]["backlog_reports"] is None and rows[2]["sender_error"] is None


def test_netcensus_sql_documents_the_table() -> None:
    from collector.store.catalogue import documented_relations

    described, _ = documented_relations()
    table = {name: (text, [c for c, _ in cols]) for name, text, cols in described}["source_backlog"]
    assert "spool" in table[0] and "last error" in table[0]
    assert {"source_id", "queued_reports", "queued_bytes", "oldest_queued_at", "last_error"} <= set(table[1])


def test_netcensus_sql_reads_it(tmp_path: Path) -> None:
    from collector.store.sandbox import read_only_select

    path = tmp_path / "y.duckdb"
    s = Store.open(path)
    s.enroll_source("behind", "scanner", "scan-1", "a" * 64, T)
    s.store_reports([heartbeat("behind", 1, state(2, error="scan job office: no interface eth9"))], T)
    s.close()
    rows = read_only_select(path, "SELECT source_id, queued_reports, last_error FROM source_backlog")
    assert rows == [{"source_id": "behind", "queued_reports": 2, "last_error": "scan job office: no interface eth9"}]
