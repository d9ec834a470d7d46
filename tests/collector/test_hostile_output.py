"""Hostile names from devices and agents, end to end: stored the normal way, printed by the real CLI.

Issue #14: an SNMP sysName/sysDescr or an agent's host or software name with ANSI escapes or a
spreadsheet formula came out unchanged in tables and CSV. Every command here runs as its own process
over a real DuckDB file filled through the wire codec and the store's ingest path.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.collector.hostile import DANGEROUS_CHARS, HOSTNAME, SOFTWARE, SYS_DESCR, SYS_NAME, hostile_store
from tests.conftest import REPO, run_cli

FORMULA = ("=", "+", "-", "@", "\t", "\r")
COMMANDS = {
    "assets": ["assets"],
    "findings": ["findings", "--ghost-after", "0", "--rules", str(REPO / "rules")],
    "sources": ["sources", "list"],
    "sql-sightings": ["sql", "SELECT hostname, detail FROM sightings ORDER BY hostname"],
    "sql-software": ["sql", "SELECT name, source FROM software ORDER BY name"],
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile_store(tmp_path_factory.mktemp("hostile") / "hostile.duckdb")


def _run(db: Path, command: str, fmt: str) -> str:
    args = COMMANDS[command]
    result = run_cli("netcensus", *args[:2] if command == "sources" else args[:1], "--db", str(db),
                     *(args[2:] if command == "sources" else args[1:]), "--format", fmt)
    assert result.code == 0, result.err
    return result.out


@pytest.mark.parametrize("command", COMMANDS)
def test_table_shows_escapes_visibly_one_line_per_row(db: Path, command: str) -> None:
    out = _run(db, command, "table")
    assert not any(ch in out for ch in DANGEROUS_CHARS), out
    assert "\\x1b" in out  # the hostile value is shown, not dropped


@pytest.mark.parametrize("command", COMMANDS)
def test_csv_has_no_formula_cell_and_no_control_character(db: Path, command: str) -> None:
    out = _run(db, command, "csv")
    assert not any(ch in out for ch in DANGEROUS_CHARS), out
    rows = list(csv.reader(io.StringIO(out)))
    width = len(rows[0])
    for row in rows:
        assert len(row) == width  # no value split a row
        for cell in row:
            assert not cell.startswith(FORMULA), cell


def test_csv_keeps_the_defused_value_readable(db: Path) -> None:
    cells = {c for row in csv.reader(io.StringIO(_run(db, "sql-software", "csv"))) for c in row}
    assert {"'+cmd|' /C calc'!A0", "'@SUM(1+1)", "'-2+3", "note\\u202etxt.exe"} <= cells
    hosts = {c for row in csv.reader(io.StringIO(_run(db, "assets", "csv"))) for c in row}
    assert any(c.startswith("'=hyperlink(") for c in hosts)


@pytest.mark.parametrize("command", COMMANDS)
def test_json_is_valid_escapes_what_terminals_act_on_and_keeps_the_value(db: Path, command: str) -> None:
    out = _run(db, command, "json")
    assert not any(ch in out for ch in DANGEROUS_CHARS + "\x85\u2028")
    text = "\n".join(_strings(json.loads(out)))
    if command in ("assets", "findings", "sql-sightings"):
        assert SYS_NAME.lower() in text.lower()  # the raw value survives in the machine format
    if command == "sql-sightings":
        assert SYS_DESCR in text
    if command == "sql-software":
        assert set(SOFTWARE[:2]) <= {row["name"] for row in json.loads(out)}


def _strings(value: object) -> list[str]:
    """Every string in a decoded JSON value (the JSON column `detail` is itself a JSON text)."""
    if isinstance(value, str):
        try:
            inner = json.loads(value)
        except ValueError:
            return [value]
        return [value, *_strings(inner)] if isinstance(inner, (dict, list)) else [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_parquet_keeps_the_raw_values(db: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    target = tmp_path / "software.parquet"
    result = run_cli("netcensus", "sql", "--db", str(db), "SELECT name FROM software", "--format", "parquet",
                     "--output", str(target))
    assert result.code == 0, result.err
    assert set(SOFTWARE[:2]) <= set(pq.read_table(target).column("name").to_pylist())


def test_an_error_line_naming_a_hostile_value_stays_one_escaped_line(db: Path) -> None:
    result = run_cli("netcensus", "sources", "revoke", HOSTNAME + "\n\x1b[2Jforged", "--db", str(db))
    assert result.code == 1
    assert len(result.err.strip().splitlines()) == 1 and "\x1b" not in result.err
    assert "\\n\\x1b[2Jforged" in result.err
