"""Fixtures for the rules tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from collector.rules.engine import RuleEngine
from collector.rules.registry import engine_for
from collector.store.duckdb import Store
from tests.collector.rules.rules_support import Host, build_store


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Callable[[Sequence[Host]], RuleEngine]]:
    """Factory: the default rule engine over a store of ``hosts`` in this test's temporary directory."""
    stores: list[Store] = []

    def make(hosts: Sequence[Host]) -> RuleEngine:
        store = build_store(tmp_path / f"estate{len(stores)}.duckdb", hosts)
        stores.append(store)
        return engine_for(store)

    yield make
    for store in stores:
        store.close()
