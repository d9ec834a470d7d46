"""`findings --ghost-after` means what the README says: how long an in-use record may go unseen.

Real DuckDB files, the real `netcensus` command; sightings and sweeps are written where ingest
leaves them, dated relative to the wall clock the command reads. Each window gives a different
answer on the same file: a record unseen for 20 days is a ghost at 0 and 14d but not at 30d; a
record never seen where sweeps have looked for 40 days is a ghost at every window; a record never
seen where the first sweep ran two hours ago is a ghost only at 0 (the first audit).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from collector.store.duckdb import Store
from tests.conftest import run_cli

DAY = timedelta(days=1)
SEEN_MAC = "00:1b:21:0a:77:01"
REGISTER = """Asset Name,Asset Tag,Serial,Model,Status,Checked Out,MAC Address,Hostname
seen-before,NC-A,,Latitude 5420,Deployed,Maria Lopez,{mac},seen-before
never-seen,NC-B,,Latitude 5420,Deployed,Ann Smith,,never-seen
"""


def _estate(tmp_path: Path, name: str, sweeps: list[timedelta], seen_ago: timedelta | None) -> Path:
    """A database with the two-record register, sweeps `sweeps` ago, and NC-A last seen `seen_ago` ago."""
    now = datetime.now(UTC)
    csv = tmp_path / f"{name}.csv"
    csv.write_text(REGISTER.format(mac=SEEN_MAC), encoding="utf-8")
    db = tmp_path / f"{name}.duckdb"
    imported = run_cli("netcensus", "import", str(csv), "--format", "snipeit", "--db", str(db))
    assert imported.code == 0, imported.err
    store = Store.open(db)
    try:
        runs = pa.Table.from_pylist([
            {"report_id": f"scan-{n}", "scan_id": f"s-{n}", "source_id": "scanner-1", "targets": ["192.0.2.0/24"],
             "methods": ["arp"], "started_at": now - ago, "finished_at": now - ago, "complete": True}
            for n, ago in enumerate(sweeps)])
        store.write([("INSERT INTO scan_runs BY NAME SELECT * FROM runs", [])], tables={"runs": runs})
        if seen_ago is not None:
            seen = pa.Table.from_pylist([{
                "report_id": "scan-seen", "source_id": "scanner-1", "method": "arp", "seen_at": now - seen_ago,
                "subject": f"mac:{SEEN_MAC}", "ips": ["192.0.2.41"], "macs": [SEEN_MAC], "networks": []}])
            store.write([("INSERT INTO sightings BY NAME SELECT * FROM seen", [])], tables={"seen": seen})
    finally:
        store.close()
    return db


def _ghosts(db: Path, *window: str) -> set[str]:
    result = run_cli("netcensus", "findings", "--db", str(db), "--kind", "ghost", "--format", "json",
                     *(("--ghost-after", window[0]) if window else ()))
    assert result.code == 0, result.err
    return {f["asset_tag"] for f in json.loads(result.out)}


def test_each_window_answers_differently_on_one_database(tmp_path: Path) -> None:
    db = _estate(tmp_path, "long", sweeps=[40 * DAY, 25 * DAY, timedelta(hours=1)], seen_ago=20 * DAY)
    assert _ghosts(db, "0") == {"NC-A", "NC-B"}      # unseen at all since a sweep ran: a ghost at once
    assert _ghosts(db) == {"NC-A", "NC-B"}           # default 14d: unseen for 20 and 40+ days
    assert _ghosts(db, "14d") == {"NC-A", "NC-B"}
    assert _ghosts(db, "30d") == {"NC-B"}            # NC-A was seen 20 days ago: inside 30 days


def test_a_first_audit_needs_ghost_after_0(tmp_path: Path) -> None:
    """Sweeps began two hours ago: nothing has gone unseen for 14 days yet; 0 flags the never-seen record."""
    db = _estate(tmp_path, "fresh", sweeps=[timedelta(hours=2), timedelta(minutes=5)], seen_ago=timedelta(minutes=5))
    assert _ghosts(db, "0") == {"NC-B"}
    assert _ghosts(db) == set()
    assert _ghosts(db, "30d") == set()
