"""The README's examples of `netcensus asset` and `netcensus changes` run on the demo database.

The demo (`netcensus demo`, what `make run` runs) builds its database from this machine's agent, a namespace
lab swept with ARP, SNMP and nmap, and the bundled register; every example command of the README section
"One asset, and what changed" must run on it, and the example pages must have the headings the README shows.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shlex
import shutil
from pathlib import Path

import pytest

from collector.pages import CHANGE_COLUMNS
from tests.conftest import REPO, run_cli

pytestmark = [pytest.mark.root, pytest.mark.slow]

SECTION = "### One asset, and what changed"


def _section() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.index("\n## ", start)
    return text[start:end]


def _commands(section: str) -> list[list[str]]:
    """Every `netcensus ...` line of the section's ```sh blocks, without its comment."""
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return [shlex.split(line, comments=True) for block in blocks for line in block.splitlines()
            if line.startswith("netcensus ")]


def _examples(section: str) -> list[tuple[list[str], list[str]]]:
    """(command, output lines) of every `$ netcensus ...` example output block."""
    out = []
    for block in re.findall(r"```\n(\$ netcensus .*?)```", section, flags=re.S):
        first, *rest = block.splitlines()
        out.append((shlex.split(first[2:]), rest))
    return out


def _headings(lines: list[str]) -> list[str]:
    """Section titles of a page: the upper-case lines that start at the margin."""
    return [line.split(" (")[0] for line in lines if line[:1].isupper() and line.split(" (")[0].isupper()]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.geteuid() != 0 or not shutil.which("ip"):
        pytest.skip("the demo's lab needs root and iproute2")
    workdir = tmp_path_factory.mktemp("demo")
    out = run_cli("netcensus", "demo", "--dir", str(workdir), timeout=600)
    assert out.code == 0, out.err
    return workdir / "netcensus.duckdb"


def _run(argv: list[str], db: Path) -> str:
    assert argv[0] == "netcensus"
    args = [str(db) if a == "nc.duckdb" else a for a in argv[1:]]
    out = run_cli("netcensus", *args, env={"COLUMNS": "100"})
    assert out.code == 0, (argv, out.err)
    assert out.out.strip(), argv
    return out.out


def test_every_example_command_runs_on_the_demo_database(demo_db: Path) -> None:
    commands = _commands(_section())
    assert {c[1] for c in commands} >= {"asset", "changes", "sql"}
    for argv in commands:
        text = _run(argv, demo_db)
        if "json" in argv:
            assert isinstance(json.loads(text), dict)
        elif "csv" in argv:
            assert next(csv.reader(io.StringIO(text))) == list(CHANGE_COLUMNS)
        elif argv[1] == "asset":
            assert "REGISTER BESIDE OBSERVED" in text and "FINDING TIMELINE" in text


def test_the_example_pages_have_the_sections_the_readme_shows(demo_db: Path) -> None:
    examples = _examples(_section())
    assert [argv[1] for argv, _ in examples] == ["asset", "changes"]
    for argv, shown in examples:
        live = _run(argv, demo_db).splitlines()
        assert _headings(live) == _headings(shown), argv
