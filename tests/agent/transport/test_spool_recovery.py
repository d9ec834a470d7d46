"""A spool file the agent cannot use is moved aside and recreated (issue 14: durability).

Found: a corrupt spool stopped the agent from ever reporting again until someone deleted the file.
Now the file is renamed `<name>.corrupt-<UTC stamp>` (kept for whoever wants to look), a WARNING
names it, and a new spool takes reports. A spool that is merely unopenable (a directory in its
place, a locked file) is not touched.
"""

from __future__ import annotations

import logging
import sqlite3
import stat
from pathlib import Path

import pytest

from agent.errors import ConfigError
from agent.transport.spool import Priority, Spool


def _aside(path: Path) -> list[Path]:
    return sorted(p for p in path.parent.iterdir() if p.name.startswith(f"{path.name}.corrupt-"))


def _still_works(path: Path) -> None:
    with Spool(path) as spool:
        assert spool.pending() == []
        spool.put("after", 1, Priority.IDENTITY, b"payload")
        assert [s.report_id for s in spool.pending()] == ["after"]


@pytest.mark.parametrize("content", [b"this is not a database at all\n" * 100, b"SQLite format 3\x00" + b"\xff" * 4000],
                         ids=["garbage", "bad-header"])
def test_a_corrupt_spool_is_moved_aside_with_a_warning(tmp_path: Path, content: bytes,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "spool.sqlite"
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="netcensus.agent"):
        _still_works(path)
    aside = _aside(path)
    assert len(aside) == 1 and aside[0].read_bytes() == content, "the damaged file is kept, unchanged"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(str(path) in w and aside[0].name in w for w in warnings), warnings


def test_a_truncated_spool_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite"
    with Spool(path) as spool:
        for n in range(1, 201):
            spool.put(f"r{n}", n, Priority.IDENTITY, bytes([n % 251]) * 3000)
    size = path.stat().st_size
    assert size > 100_000
    with path.open("r+b") as fh:
        fh.truncate(size // 3)
    _still_works(path)
    assert len(_aside(path)) == 1


def test_another_database_in_the_spools_place_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite"
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE queue (something TEXT)")
    other.execute("INSERT INTO queue VALUES ('not ours')")
    other.commit()
    other.close()
    _still_works(path)
    assert len(_aside(path)) == 1


def test_a_stale_log_beside_a_corrupt_spool_does_not_follow_into_the_new_one(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite"
    path.write_bytes(b"garbage" * 1000)
    (tmp_path / "spool.sqlite-wal").write_bytes(b"old log" * 100)
    _still_works(path)
    assert len(_aside(path)) == 1
    with Spool(path) as spool:
        assert [s.report_id for s in spool.pending()] == ["after"]


def test_an_unopenable_spool_is_an_error_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite"
    path.mkdir()
    (path / "keep").write_text("x")
    with pytest.raises(ConfigError, match="cannot open the agent spool"):
        Spool(path)
    assert (path / "keep").read_text() == "x" and _aside(path) == []


def test_spool_and_its_companions_are_owner_only(tmp_path: Path) -> None:
    state = tmp_path / "state"
    path = state / "spool.sqlite"
    with Spool(path) as spool:
        spool.put("r1", 1, Priority.IDENTITY, b"inventory")
        companions = [p for p in state.iterdir() if p.name.startswith("spool.sqlite")]
        assert {p.name for p in companions} >= {"spool.sqlite", "spool.sqlite-wal"}
        assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in companions} == dict.fromkeys(
            (p.name for p in companions), 0o600)
    assert stat.S_IMODE(state.stat().st_mode) == 0o700


def test_an_older_world_readable_spool_becomes_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite"
    Spool(path).close()
    path.chmod(0o644)
    Spool(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
