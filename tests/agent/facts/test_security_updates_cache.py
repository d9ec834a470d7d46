"""The on-disk cache of the offline security-update answer (one-shot runs start with no memo)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.facts.model import PendingUpdate
from agent.facts.security import updates

KEY = (("/var/lib/dpkg/status", 1, 2), ("/var/lib/apt/lists/x_Packages", 3, 4))
RESULT = updates.UpdatesResult(
    pending=(PendingUpdate("openssl", "amd64", "3.0.11-1~deb12u1", "3.0.15-1~deb12u1", "bookworm-security"),),
    lists_date=datetime(2026, 11, 20, tzinfo=UTC), suites=("bookworm-security",))


def test_round_trip_and_key_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "c" / "security-updates.json"
    updates.store_cached(path, KEY, RESULT)
    assert updates.load_cached(path, KEY) == RESULT
    assert updates.load_cached(path, (("/var/lib/dpkg/status", 9, 2),)) is None  # dpkg changed


def test_corrupt_or_unwritable_cache_only_means_recomputing(tmp_path: Path) -> None:
    path = tmp_path / "security-updates.json"
    path.write_text("{not json", encoding="utf-8")
    assert updates.load_cached(path, KEY) is None
    (tmp_path / "blocker").write_text("", encoding="utf-8")  # a file where the cache directory should be
    updates.store_cached(tmp_path / "blocker" / "x.json", KEY, RESULT)  # no exception, nothing written
    assert not (tmp_path / "blocker").is_dir()


def test_live_machine_answer_comes_back_from_disk(tmp_path: Path) -> None:
    collector = updates.SecurityUpdatesCollector(cache_dir=tmp_path, memo=updates.AnswerMemo())
    if not collector.is_present(Path("/")):
        pytest.skip("not a Debian-family machine")
    try:
        first = collector.collect(Path("/"))
    except updates.NotApplicable:
        pytest.skip("apt has no security suite here")
    assert (tmp_path / updates.CACHE_FILE).is_file()
    # A new process (a new, empty memo) gets the same answer from disk.
    fresh = updates.SecurityUpdatesCollector(cache_dir=tmp_path, memo=updates.AnswerMemo())
    assert fresh.collect(Path("/")) == first
