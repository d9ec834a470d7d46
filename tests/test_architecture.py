"""The layout's import rules, checked on the source (every import, also those inside functions).

The rules are what each package's ``__init__`` docstring promises; a rule broken here is a seam broken
in the code:

* agent and collector meet only in ``proto/`` (the generated ``netcensus.v1``): the agent installs without
  the collector and its DuckDB, and the collector never runs scanner code;
* only ``collector/store/`` imports duckdb, so every DuckDB error is mapped in one place;
* ``collector/domain/``, ``collector/wire/`` and ``collector/inventory/`` are pure: no grpc, no duckdb, no
  pyarrow (``domain`` not even other collector packages);
* every package says its job in its ``__init__`` docstring.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _modules(package: str) -> Iterator[Path]:
    yield from sorted((REPO / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Every module name `path` imports, anywhere in the file (absolute imports; we use no relative ones)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{path.relative_to(REPO)}:{node.lineno}: relative import"
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _offenders(package: str, forbidden: tuple[str, ...], *, allowed_under: str | None = None) -> list[str]:
    found = []
    for path in _modules(package):
        rel = path.relative_to(REPO).as_posix()
        if allowed_under and rel.startswith(allowed_under):
            continue
        for name in sorted(_imports(path)):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{rel} imports {name}")
    return found


def test_agent_never_imports_the_collector() -> None:
    assert _offenders("agent", ("collector",)) == []


def test_collector_never_imports_the_agent() -> None:
    assert _offenders("collector", ("agent",)) == []


def test_only_the_store_imports_duckdb() -> None:
    assert _offenders("collector", ("duckdb",), allowed_under="collector/store/") == []
    assert _offenders("agent", ("duckdb", "pyarrow")) == []


@pytest.mark.parametrize("package", ["collector/domain", "collector/wire", "collector/inventory"])
def test_the_pure_packages_import_no_grpc_duckdb_or_arrow(package: str) -> None:
    assert _offenders(package, ("grpc", "duckdb", "pyarrow", "collector.store", "collector.serve",
                                "collector.rules", "collector.register", "collector.ingest")) == []


def test_domain_depends_on_nothing_else_in_the_collector() -> None:
    found = [line for line in _offenders("collector/domain", ("collector",))
             if " imports collector.domain" not in line and " imports collector.errors" not in line]
    assert found == []


def test_every_package_says_its_job() -> None:
    silent = []
    for init in sorted([*REPO.glob("agent/**/__init__.py"), *REPO.glob("collector/**/__init__.py")]):
        if not ast.get_docstring(ast.parse(init.read_text())):
            silent.append(init.relative_to(REPO).as_posix())
    assert silent == []


def test_remote_commands_load_neither_duckdb_nor_arrow() -> None:
    """`--collector HOST:PORT` commands run on an analyst's laptop: the CLI and its gRPC client stay light."""
    probe = ("import sys, collector.cli, collector.client; "
             "print(sorted(m for m in ('duckdb', 'pyarrow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_agent_report_path_loads_no_scanner_library() -> None:
    heavy = ("scapy", "pysnmp", "nmap", "duckdb", "pyarrow", "collector")
    probe = f"import sys, agent.cli, agent.report; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
