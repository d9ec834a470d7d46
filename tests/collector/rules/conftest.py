"""Fixtures for the rules tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import duckdb
import pytest

from tests.collector.rules.rules_support import Host, build_db


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Callable[[Sequence[Host]], duckdb.DuckDBPyConnection]]:
    """Factory: build_db in this test's temporary directory; connections are closed afterwards."""
    cons: list[duckdb.DuckDBPyConnection] = []

    def make(hosts: Sequence[Host]) -> duckdb.DuckDBPyConnection:
        con = build_db(tmp_path / f"estate{len(cons)}.duckdb", hosts)
        cons.append(con)
        return con

    yield make
    for con in cons:
        con.close()
