"""Issue #17 point 6: no `netcensus-collector-*` directory outlives a collector, started or not."""

from __future__ import annotations

import socket
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest

from collector.errors import NetcensusError
from tests.conftest import TEST_TOKEN


def leftovers() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("netcensus-collector-*"))


def test_the_tests_temporary_directory_is_the_sessions_own(private_tmpdir: Path) -> None:
    assert Path(tempfile.gettempdir()) == private_tmpdir  # in-process collectors included


@pytest.mark.parametrize("workers", [1, 2])
def test_a_collector_removes_its_private_directory_when_stopped_and_when_it_fails_to_start(
        tmp_path: Path, empty_rules: Path, workers: int) -> None:
    from collector.config import ServeConfig
    from collector.serve.server import BackgroundCollector

    def config(name: str, metrics: str | None = None) -> ServeConfig:
        return ServeConfig(db=tmp_path / name, listen="127.0.0.1:0", metrics_listen=metrics, rules_dirs=(empty_rules,),
                           ghost_after=timedelta(days=14), refresh_interval=timedelta(0), admin_token=TEST_TOKEN,
                           open_enrolment=True, workers=workers)

    before = leftovers()
    with BackgroundCollector(config("a.duckdb")):
        assert leftovers() - before  # its private sockets live there while it runs
    assert leftovers() == before
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        # The metrics port is taken: the start fails after the private directory was made.
        with pytest.raises(NetcensusError, match="cannot serve metrics"), \
                BackgroundCollector(config("b.duckdb", f"127.0.0.1:{busy.getsockname()[1]}")):
            pass
    finally:
        busy.close()
    assert leftovers() == before
