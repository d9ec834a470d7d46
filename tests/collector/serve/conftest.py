"""Fixtures of the transport tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import TEST_TOKEN

if TYPE_CHECKING:
    from tests.collector.serve.test_workers import Processes


@pytest.fixture
def make_collector(tmp_path: Path, empty_rules: Path) -> Iterator[Callable[..., Any]]:
    """Start in-process collectors (BackgroundCollector) with ServeConfig overrides; stopped at teardown."""
    from collector.config import ServeConfig
    from collector.serve.server import BackgroundCollector

    with ExitStack() as stack:
        def make(**overrides: Any) -> Any:
            fields: dict[str, Any] = {"db": tmp_path / "nc.duckdb", "listen": "127.0.0.1:0",
                                      "rules_dirs": (empty_rules,), "ghost_after": timedelta(days=14),
                                      "refresh_interval": timedelta(0), "admin_token": TEST_TOKEN,
                                      "open_enrolment": True, **overrides}
            return stack.enter_context(BackgroundCollector(ServeConfig(**fields)))
        yield make


@pytest.fixture
def procs(tmp_path: Path, empty_rules: Path) -> Iterator[Processes]:
    """A `serve --workers` writer and its front-ends (tests/collector/serve/test_workers.py), stopped at teardown."""
    from tests.collector.serve.test_workers import Processes

    processes = Processes(tmp_path, empty_rules)
    try:
        yield processes
    finally:
        processes.close()
