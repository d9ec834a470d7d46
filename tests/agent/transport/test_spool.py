"""The agent spool: durable, ordered, bounded with priority eviction (issue 5, item 3)."""

from __future__ import annotations

import random
from pathlib import Path

from agent.transport.backoff import Backoff
from agent.transport.spool import Priority, Spool


def test_order_survives_reopen_and_ack_deletes(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite"
    with Spool(path) as spool:
        for n in range(1, 6):
            spool.put(f"r{n}", n, Priority.IDENTITY, b"x" * n)
    with Spool(path) as spool:
        assert [s.report_id for s in spool.pending()] == ["r1", "r2", "r3", "r4", "r5"]
        spool.remove(["r2", "r4"])
        assert [s.seq for s in spool.pending()] == [1, 3, 5]
        stats = spool.stats()
        assert stats.depth == 3 and stats.counters["acked"] == 2 and stats.counters["queued"] == 5


def test_full_spool_drops_oldest_bulk_first_then_identity_heartbeats_last(tmp_path: Path) -> None:
    with Spool(tmp_path / "s.sqlite", max_reports=4) as spool:
        spool.put("hb1", 1, Priority.HEARTBEAT, b"h")
        spool.put("id1", 2, Priority.IDENTITY, b"i")
        spool.put("bulk1", 3, Priority.BULK, b"b")
        spool.put("bulk2", 4, Priority.BULK, b"b")
        assert spool.put("id2", 5, Priority.IDENTITY, b"i") == ["bulk1"]
        assert spool.put("id3", 6, Priority.IDENTITY, b"i") == ["bulk2"]
        assert spool.put("id4", 7, Priority.IDENTITY, b"i") == ["id1"]
        assert [s.report_id for s in spool.pending()] == ["hb1", "id2", "id3", "id4"]
        assert spool.stats().counters["dropped"] == 3


def test_byte_bound(tmp_path: Path) -> None:
    with Spool(tmp_path / "s.sqlite", max_bytes=1000) as spool:
        for n in range(10):
            spool.put(f"r{n}", n, Priority.BULK, b"x" * 300)
        stats = spool.stats()
        assert stats.bytes <= 1000 and stats.depth == 3 and stats.counters["dropped"] == 7


def test_spool_file_is_private(tmp_path: Path) -> None:
    Spool(tmp_path / "s.sqlite").close()
    assert (tmp_path / "s.sqlite").stat().st_mode & 0o077 == 0


def test_backoff_grows_with_jitter_and_honours_pushback() -> None:
    b = Backoff(base_s=1, cap_s=8, rng=random.Random(1))
    delays = [b.next_delay() for _ in range(6)]
    assert all(0.25 <= d <= 8 for d in delays) and max(delays[3:]) > max(delays[:1])
    assert b.next_delay(pushback_s=30) == 30
    b.reset()
    assert b.next_delay() <= 1
