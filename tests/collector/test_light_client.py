"""`--collector HOST:PORT` commands load the gRPC client only: not DuckDB, pyarrow, the store or the core.

Every query and admin command runs on operators' machines against a remote collector; loading
the database engine and the resolution core there cost start-up time for nothing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Top-level packages, and our own heavy packages, that a --collector command must not import.
HEAVY = ("duckdb", "pyarrow", "collector.store", "collector.inventory", "collector.rules", "collector.serve.service",
         "collector.serve.server")


def _heavy(modules: list[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_importing_the_cli_and_the_client_loads_nothing_heavy() -> None:
    code = "import sys, collector.cli, collector.client; print('\\n'.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert _heavy(done.stdout.split()) == []


def test_the_heavy_list_is_not_vacuous() -> None:
    """The same check sees the store when the --db path is imported (so the test above can fail)."""
    code = "import sys, collector.cli, collector.store.duckdb; print('\\n'.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert {"duckdb", "pyarrow", "collector.store.duckdb"} <= set(_heavy(done.stdout.split()))


@pytest.mark.parametrize("command", [
    ["findings", "--format", "json"], ["assets", "--format", "json"], ["sources", "list"],
])
def test_a_collector_command_run_end_to_end_imports_nothing_heavy(command: list[str]) -> None:
    """Drive the real command against a closed port; -X importtime lists every module it imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import sys; from collector.cli import main; sys.exit(main())",
         *command, "--collector", "127.0.0.1:1"],
        capture_output=True, text=True, check=False, cwd=ROOT, timeout=60)
    assert done.returncode == 1
    assert "127.0.0.1:1 is unreachable" in done.stderr  # it really asked over gRPC
    imported = [line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:") and "|" in line]
    assert "collector.client" in imported and "grpc" in imported
    assert _heavy(imported) == []
