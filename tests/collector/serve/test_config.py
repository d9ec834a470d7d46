"""Collector configuration keys that tune the store (collector/config.py, collector/serve/server.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.config import resolve_serve
from collector.errors import UsageError


def _resolve(tmp_path: Path, body: str):
    config = tmp_path / "collector.toml"
    config.write_text(f"[collector]\n{body}\n", encoding="utf-8")
    return resolve_serve(db=str(tmp_path / "nc.duckdb"), listen=None, rules=None, ghost_after=None, config=config,
                         env={})


def test_duckdb_threads_defaults_to_duckdbs_own_choice(tmp_path: Path) -> None:
    assert _resolve(tmp_path, "").duckdb_threads == 0
    assert _resolve(tmp_path, "duckdb_threads = 1").duckdb_threads == 1


@pytest.mark.parametrize(("value", "message"), [
    ("1.5", "duckdb_threads: 1.5 is not a whole number"),
    ("-1", "duckdb_threads: must be at least 0"),
    ('"many"', "duckdb_threads: 'many' is not a number"),
])
def test_bad_duckdb_threads_is_a_one_line_error(tmp_path: Path, value: str, message: str) -> None:
    with pytest.raises(UsageError) as err:
        _resolve(tmp_path, f"duckdb_threads = {value}")
    assert str(err.value) == message


def test_collector_runs_duckdb_with_the_configured_threads(make_collector) -> None:
    c = make_collector(duckdb_threads=1)
    assert c.collector.store.query("SELECT current_setting('threads') AS n")[0]["n"] == 1
