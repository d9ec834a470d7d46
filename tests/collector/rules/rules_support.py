"""Helpers for the rules tests: a real DuckDB file holding the two views the engine reads.

A module of its own (not conftest.py) so that test modules can import it by a name no other
test directory uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[3]
SHIPPED_RULES = REPO / "rules"
DATA = REPO / "tests" / "data" / "rules"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@dataclass
class Host:
    """One asset of the fixture estate; its software rows copy its scope columns."""

    asset_id: str
    hostname: str | None = None
    os_family: str = "linux"
    device_type: str = "workstation"
    ips: Sequence[str] = ()
    has_inventory: bool = True
    software: Sequence[tuple[object, ...]] = field(default_factory=list)


SCHEMA = """
CREATE TABLE assets_scoped(asset_id VARCHAR, hostname VARCHAR, os_family VARCHAR, device_type VARCHAR,
    ips VARCHAR[], has_software_inventory BOOLEAN, first_seen TIMESTAMPTZ, last_seen TIMESTAMPTZ);
CREATE TABLE software_scoped(asset_id VARCHAR, hostname VARCHAR, os_family VARCHAR, device_type VARCHAR,
    ips VARCHAR[], name VARCHAR, version VARCHAR, vendor VARCHAR, source VARCHAR,
    first_seen TIMESTAMPTZ, last_seen TIMESTAMPTZ);
"""


def build_db(path: Path, hosts: Sequence[Host]) -> duckdb.DuckDBPyConnection:
    """Create the two tables in a DuckDB file; software tuples are (name, version, vendor, source[, days]).

    The optional fifth element offsets first_seen by that many days, for licence seat order.
    """
    con = duckdb.connect(str(path))
    con.execute(SCHEMA)
    for h in hosts:
        con.execute(
            "INSERT INTO assets_scoped VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [h.asset_id, h.hostname, h.os_family, h.device_type, list(h.ips), h.has_inventory, T0, NOW],
        )
        for item in h.software:
            name, version, vendor, source = item[:4]  # str | None each
            seen = T0 + timedelta(days=int(str(item[4]))) if len(item) > 4 else T0
            con.execute(
                "INSERT INTO software_scoped VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [h.asset_id, h.hostname, h.os_family, h.device_type, list(h.ips), name, version, vendor, source,
                 seen, NOW],
            )
    return con


def write_rules(directory: Path, name: str, text: str) -> Path:
    """Write one rule file and return the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(text, encoding="utf-8")
    return directory
