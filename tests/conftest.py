"""Shared fixtures: a real collector on 127.0.0.1:0 over a real DuckDB file, and CLI runners."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parent.parent
# The admin credential of every collector the tests start (bootstrap admin token, see
# collector/serve/access.py) and of every `--collector` command they run: Query and Admin answer
# no one without one. Tests of the refusals pass NETCENSUS_TOKEN="" or their own tokens.
TEST_TOKEN = "nct_tests-bootstrap-admin-token-0f3c9a"


@dataclass
class CliResult:
    """Outcome of running a console script."""

    code: int
    out: str
    err: str


def run_cli(*argv: str, env: dict[str, str] | None = None, timeout: float = 120) -> CliResult:
    """Run `netcensus` or `netcensus-agent` as a real process."""
    proc = subprocess.run([str(BIN / argv[0]), *argv[1:]], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL, check=False)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="session", autouse=True)
def private_tmpdir() -> Iterator[Path]:
    """Every process the tests start gets a temporary directory of this session's own (TMPDIR).

    Some tests kill a collector with SIGKILL on purpose (crash tests); what it had made under the
    temporary directory (the private socket directory of `serve --workers`) then stays behind. Here
    it stays inside this directory, which is deleted when the session ends. The path is kept short:
    a Unix socket's path must fit in 107 bytes.
    """
    path = Path(tempfile.mkdtemp(prefix="nc-tests-"))
    saved, saved_tempdir = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"] = str(path)
    # This process too: tempfile decided its directory at the mkdtemp above and caches it, so the
    # collectors the tests run in-process would otherwise still make their socket directories in /tmp.
    tempfile.tempdir = str(path)
    try:
        yield path
    finally:
        tempfile.tempdir = saved_tempdir
        if saved is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def api_token() -> Iterator[str]:
    """NETCENSUS_ADMIN_TOKEN (for `netcensus serve` processes) and NETCENSUS_TOKEN (for clients) of
    this session; the in-process collectors of the fixtures get the same token in their config."""
    saved = {k: os.environ.get(k) for k in ("NETCENSUS_ADMIN_TOKEN", "NETCENSUS_TOKEN")}
    os.environ["NETCENSUS_ADMIN_TOKEN"] = os.environ["NETCENSUS_TOKEN"] = TEST_TOKEN
    try:
        yield TEST_TOKEN
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def empty_rules(tmp_path: Path) -> Path:
    """A rules directory with one rule that matches nothing real, so findings are inventory-only."""
    d = tmp_path / "rules"
    d.mkdir()
    (d / "none.yaml").write_text(
        "rules:\n  - id: never\n    title: never matches\n    severity: info\n    type: deny\n"
        "    match:\n      name: ['zz-no-such-package-zz']\n", encoding="utf-8")
    return d


@pytest.fixture
def collector(tmp_path: Path, empty_rules: Path) -> Iterator[object]:
    """A collector serving from a background thread on a fresh DuckDB file."""
    from collector.config import ServeConfig
    from collector.serve.server import BackgroundCollector

    config = ServeConfig(db=tmp_path / "nc.duckdb", listen="127.0.0.1:0", rules_dirs=(empty_rules,),
                         ghost_after=timedelta(days=14), refresh_interval=timedelta(0), admin_token=TEST_TOKEN,
                         open_enrolment=True)
    with BackgroundCollector(config) as running:
        yield running
