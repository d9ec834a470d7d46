"""The one module that talks to DuckDB (adapter: maps duckdb errors to collector.errors).

Writes are bulk: each batch of reports becomes a handful of Arrow tables registered with DuckDB and
applied with set-based SQL inside one transaction, so a batch is either wholly committed or not at
all. Schema changes are versioned migrations in schema/NNN_*.sql, applied in order on open.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from collector.errors import DatabaseLockedError, StoreError
from collector.model import IngestReport, InstalledItem, InventoryUpdate, RecordedAsset

_LOCK_PID = re.compile(r"PID (\d+)")

_SIGHTING_SCHEMA = pa.schema([
    ("report_id", pa.string()), ("source_id", pa.string()), ("method", pa.string()),
    ("seen_at", pa.timestamp("us", tz="UTC")), ("subject", pa.string()), ("hostname", pa.string()),
    ("fqdn", pa.string()), ("ips", pa.list_(pa.string())), ("macs", pa.list_(pa.string())),
    ("local_macs", pa.list_(pa.string())), ("networks", pa.list_(pa.string())), ("serial", pa.string()),
    ("system_uuid", pa.string()), ("vendor", pa.string()), ("model", pa.string()), ("device_type", pa.string()),
    ("os", pa.string()), ("os_family", pa.string()), ("seen_via_ip", pa.string()), ("seen_via_name", pa.string()),
    ("seen_via_port", pa.string()), ("vlan", pa.int32()), ("detail", pa.string()),
])

_ITEM_SCHEMA = pa.schema([
    ("subject", pa.string()), ("source_id", pa.string()), ("name", pa.string()), ("version", pa.string()),
    ("arch", pa.string()), ("pkg_source", pa.string()), ("vendor", pa.string()), ("source_package", pa.string()),
    ("purl", pa.string()), ("installed_at", pa.timestamp("us", tz="UTC")), ("seen_at", pa.timestamp("us", tz="UTC")),
    ("report_id", pa.string()),
])

_COMPLETE_SCHEMA = pa.schema([
    ("subject", pa.string()), ("pkg_source", pa.string()), ("seen_at", pa.timestamp("us", tz="UTC")),
    ("report_id", pa.string()), ("checksum", pa.string()),
])


@dataclass(frozen=True, slots=True)
class RegisterCounts:
    """What an import changed."""

    rows: int
    added: int
    changed: int
    unchanged: int
    removed: int


def _json(value: object) -> str:
    return json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))


def _map_open_error(path: Path, exc: Exception) -> StoreError:
    text = str(exc)
    if "lock" in text.lower():
        pid = _LOCK_PID.search(text)
        holder = f" (pid {pid.group(1)})" if pid else ""
        return DatabaseLockedError(
            f"{path}: the database is held by a running collector{holder}; "
            "ask it with --collector HOST:PORT, or stop it first")
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return StoreError(f"{path}: cannot open database: {first}")


class Store:
    """A DuckDB file holding everything the collector knows.

    One Store per process. Methods may be called from several threads: each call takes a cursor of
    its own, and writes are serialised by one lock (DuckDB allows a single writer per file anyway).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, read_only: bool) -> None:
        self._con = con
        self.path = path
        self.read_only = read_only
        self._write_lock = threading.Lock()

    # --- lifecycle -------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, read_only: bool = False, create: bool = True) -> Store:
        """Open (and migrate) the database file; raise DatabaseLockedError if another process holds it."""
        if not path.exists():
            if read_only or not create:
                raise StoreError(f"{path}: no such database (run `netcensus serve --db {path}` or an import first)")
            if not path.parent.exists():
                raise StoreError(f"{path}: directory {path.parent} does not exist")
        try:
            con = duckdb.connect(str(path), read_only=read_only)
        except (duckdb.Error, OSError) as exc:
            raise _map_open_error(path, exc) from exc
        store = cls(con, path, read_only)
        if not read_only:
            store._migrate()
        elif store.schema_version() == 0:
            con.close()
            raise StoreError(f"{path}: not a netcensus database")
        return store

    def close(self) -> None:
        """Checkpoint and close; after this the file is consistent without its WAL."""
        with self._write_lock:
            try:
                if not self.read_only:
                    self._con.execute("CHECKPOINT")
            finally:
                self._con.close()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one thread's reads."""
        return self._con.cursor()

    def schema_version(self) -> int:
        """Highest applied migration, 0 for an empty file."""
        cur = self.cursor()
        exists = cur.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'").fetchone()
        if not exists or not exists[0]:
            return 0
        row = cur.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self) -> None:
        migrations = sorted(
            (int(entry.name.split("_", 1)[0]), entry.name, entry.read_text(encoding="utf-8"))
            for entry in resources.files("collector.store").joinpath("schema").iterdir()
            if entry.name.endswith(".sql")
        )
        with self._write_lock:
            cur = self._con.cursor()
            cur.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
                        "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)")
            applied = {int(r[0]) for r in cur.execute("SELECT version FROM schema_migrations").fetchall()}
            for version, name, sql in migrations:
                if version in applied:
                    continue
                cur.execute("BEGIN TRANSACTION")
                try:
                    cur.execute(sql)
                    cur.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, name])
                    cur.execute("COMMIT")
                except duckdb.Error as exc:
                    cur.execute("ROLLBACK")
                    raise StoreError(f"{self.path}: migration {name} failed: {exc}") from exc

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction; rolled back on any exception."""
        with self._write_lock:
            cur = self._con.cursor()
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    # --- settings and sources ----------------------------------------------------------------------

    def get_setting(self, key: str) -> str | None:
        """A persisted collector setting."""
        row = self.cursor().execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return str(row[0]) if row else None

    def set_setting(self, key: str, value: str) -> None:
        """Persist a collector setting."""
        with self.transaction() as cur:
            cur.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", [key, value])

    def enroll_source(self, source_id: str, kind: str, hostname: str, key_hash: str, now: datetime) -> None:
        """Record a source and the hash of its new node key (replacing any earlier key)."""
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO sources (source_id, kind, hostname, key_hash, enrolled_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (source_id) DO UPDATE SET kind = excluded.kind, hostname = excluded.hostname, "
                "key_hash = excluded.key_hash, enrolled_at = excluded.enrolled_at, revoked_at = NULL",
                [source_id, kind, hostname, key_hash, now])

    def source_key_hashes(self) -> dict[str, str]:
        """source_id → key hash for every source that is not revoked."""
        rows = self.cursor().execute(
            "SELECT source_id, key_hash FROM sources WHERE revoked_at IS NULL AND key_hash IS NOT NULL").fetchall()
        return {str(r[0]): str(r[1]) for r in rows}

    def revoked_sources(self) -> set[str]:
        """Source ids whose keys were revoked (they may not enrol again under that id)."""
        rows = self.cursor().execute("SELECT source_id FROM sources WHERE revoked_at IS NOT NULL").fetchall()
        return {str(r[0]) for r in rows}

    def sources(self) -> list[dict[str, Any]]:
        """Every enrolled source, without its key hash."""
        return self.query("SELECT source_id, kind, hostname, enrolled_at, revoked_at, last_report_at, last_seq "
                          "FROM sources ORDER BY enrolled_at, source_id")

    def revoke_source(self, source_id: str, now: datetime) -> bool:
        """Revoke a source's key; True if it existed."""
        with self.transaction() as cur:
            found = cur.execute("SELECT count(*) FROM sources WHERE source_id = ?", [source_id]).fetchone()
            cur.execute("UPDATE sources SET revoked_at = ?, key_hash = NULL WHERE source_id = ?", [now, source_id])
        return bool(found and found[0])

    # --- ingest ----------------------------------------------------------------------------------

    def known_report_ids(self, report_ids: Sequence[str]) -> set[str]:
        """Which of these report ids are already stored."""
        if not report_ids:
            return set()
        rows = self.cursor().execute(
            "SELECT report_id FROM reports WHERE report_id IN (SELECT unnest(?))", [list(report_ids)]).fetchall()
        return {str(r[0]) for r in rows}

    def store_reports(self, reports: Sequence[IngestReport], now: datetime) -> set[str]:
        """Store a batch of reports in one transaction; return the ids that were duplicates.

        Duplicates (already stored, or repeated within the batch) are skipped; everything else is
        committed together. The caller acks only after this returns.
        """
        with self.transaction() as cur:
            rows = cur.execute("SELECT report_id FROM reports WHERE report_id IN (SELECT unnest(?))",
                               [[r.report_id for r in reports]]).fetchall()
            seen = {str(r[0]) for r in rows}
            duplicates: set[str] = set()
            fresh: list[IngestReport] = []
            for report in reports:
                if report.report_id in seen:
                    duplicates.add(report.report_id)
                    continue
                seen.add(report.report_id)
                fresh.append(report)
            if fresh:
                self._write(cur, fresh, now)
        return duplicates

    def _write(self, cur: duckdb.DuckDBPyConnection, reports: Sequence[IngestReport], now: datetime) -> None:
        ledger = pa.table({
            "report_id": [r.report_id for r in reports], "source_id": [r.source_id for r in reports],
            "seq": pa.array([r.seq for r in reports], pa.uint64()), "kind": [r.kind for r in reports],
            "created_at": pa.array([r.created_at for r in reports], pa.timestamp("us", tz="UTC")),
            "received_at": pa.array([now] * len(reports), pa.timestamp("us", tz="UTC")),
            "items": pa.array([r.item_count for r in reports], pa.int32()),
        })
        cur.register("incoming_reports", ledger)
        cur.execute("INSERT INTO reports SELECT * FROM incoming_reports")
        cur.execute(
            "UPDATE sources SET last_report_at = r.received_at, last_seq = r.seq FROM "
            "(SELECT source_id, max(received_at) AS received_at, max(seq) AS seq FROM incoming_reports GROUP BY 1) r "
            "WHERE sources.source_id = r.source_id")
        cur.unregister("incoming_reports")

        sightings = [
            {"report_id": r.report_id, "source_id": r.source_id, "method": s.method, "seen_at": s.seen_at,
             "subject": s.subject, "hostname": s.hostname or None, "fqdn": s.fqdn or None, "ips": list(s.ips),
             "macs": list(s.macs), "local_macs": list(s.local_macs), "networks": list(s.networks),
             "serial": s.serial or None, "system_uuid": s.system_uuid or None, "vendor": s.vendor or None,
             "model": s.model or None, "device_type": s.device_type or None, "os": s.os or None,
             "os_family": s.os_family or None, "seen_via_ip": s.seen_via_ip or None,
             "seen_via_name": s.seen_via_name or None, "seen_via_port": s.seen_via_port or None,
             "vlan": s.vlan or None, "detail": _json(s.detail) if s.detail else None}
            for r in reports for s in r.sightings
        ]
        if sightings:
            cur.register("incoming_sightings", pa.Table.from_pylist(sightings, schema=_SIGHTING_SCHEMA))
            cur.execute("INSERT INTO sightings SELECT * FROM incoming_sightings")
            cur.unregister("incoming_sightings")

        runs = [
            {"report_id": r.report_id, "subject": c.subject, "name": c.name, "state": c.state,
             "duration_ms": c.duration_ms, "items": c.items, "reason": c.reason or None}
            for r in reports for c in r.collector_runs
        ]
        if runs:
            cur.register("incoming_runs", pa.Table.from_pylist(runs))
            cur.execute("INSERT INTO collector_runs SELECT report_id, subject, name, state, duration_ms, items, reason "
                        "FROM incoming_runs")
            cur.unregister("incoming_runs")

        scans = [
            {"report_id": r.report_id, "scan_id": s.scan_id, "source_id": r.source_id, "targets": list(s.targets),
             "methods": list(s.methods), "started_at": s.started_at, "finished_at": s.finished_at,
             "complete": s.complete}
            for r in reports for s in r.scan_runs
        ]
        if scans:
            cur.register("incoming_scans", pa.Table.from_pylist(scans, schema=pa.schema([
                ("report_id", pa.string()), ("scan_id", pa.string()), ("source_id", pa.string()),
                ("targets", pa.list_(pa.string())), ("methods", pa.list_(pa.string())),
                ("started_at", pa.timestamp("us", tz="UTC")), ("finished_at", pa.timestamp("us", tz="UTC")),
                ("complete", pa.bool_())])))
            cur.execute("INSERT INTO scan_runs SELECT * FROM incoming_scans")
            cur.unregister("incoming_scans")
        outcomes = [
            {"report_id": r.report_id, "scan_id": t.scan_id, "target": t.target, "method": t.method, "ok": t.ok,
             "reason": t.reason or None, "duration_ms": t.duration_ms}
            for r in reports for t in r.target_outcomes
        ]
        if outcomes:
            cur.register("incoming_outcomes", pa.Table.from_pylist(outcomes))
            cur.execute("INSERT INTO scan_target_status SELECT report_id, scan_id, target, method, ok, reason, "
                        "duration_ms FROM incoming_outcomes")
            cur.unregister("incoming_outcomes")

        self._apply_inventories(cur, [(r, inv) for r in reports for inv in r.inventories])

    def _apply_inventories(self, cur: duckdb.DuckDBPyConnection,
                           updates: Sequence[tuple[IngestReport, InventoryUpdate]]) -> None:
        """Apply software snapshots and deltas set-wise, in rounds so a subject's updates stay ordered."""
        rounds: list[list[tuple[IngestReport, InventoryUpdate]]] = []
        depth: dict[str, int] = {}
        for report, inv in updates:
            k = depth.get(inv.subject, 0)
            depth[inv.subject] = k + 1
            if k == len(rounds):
                rounds.append([])
            rounds[k].append((report, inv))
        for batch in rounds:
            self._apply_round(cur, batch)

    def _apply_round(self, cur: duckdb.DuckDBPyConnection, batch: Sequence[tuple[IngestReport, InventoryUpdate]]) -> None:
        def rows(items: Sequence[InstalledItem], report: IngestReport, inv: InventoryUpdate) -> list[dict[str, Any]]:
            return [{"subject": inv.subject, "source_id": report.source_id, "name": i.name, "version": i.version,
                     "arch": i.arch, "pkg_source": i.pkg_source, "vendor": i.vendor or None,
                     "source_package": i.source_package or None, "purl": i.purl or None,
                     "installed_at": i.installed_at, "seen_at": inv.seen_at, "report_id": report.report_id}
                    for i in items]

        present = [row for report, inv in batch for row in rows(inv.items, report, inv)]
        gone = [row for report, inv in batch if inv.is_delta for row in rows(inv.removed, report, inv)]
        def completed(report: IngestReport, inv: InventoryUpdate) -> list[dict[str, Any]]:
            return [{"subject": inv.subject, "pkg_source": src, "seen_at": inv.seen_at,
                     "report_id": report.report_id, "checksum": inv.checksum or None}
                    for src in sorted(inv.complete_sources)]

        complete = [row for report, inv in batch for row in completed(report, inv)]
        snapshot_complete = [row for report, inv in batch if not inv.is_delta for row in completed(report, inv)]
        cur.register("inc_items", pa.Table.from_pylist(present, schema=_ITEM_SCHEMA))
        cur.register("inc_gone", pa.Table.from_pylist(gone, schema=_ITEM_SCHEMA))
        cur.register("inc_complete", pa.Table.from_pylist(complete, schema=_COMPLETE_SCHEMA))
        cur.register("inc_snapshot_complete", pa.Table.from_pylist(snapshot_complete, schema=_COMPLETE_SCHEMA))
        key = ("s.subject = i.subject AND s.name = i.name AND s.version = i.version AND s.arch = i.arch "
               "AND s.pkg_source = i.pkg_source")
        # A complete snapshot closes every current row of its (subject, source) that it no longer lists.
        cur.execute(f"""
            UPDATE software_installs AS s SET removed_at = c.seen_at, removed_report_id = c.report_id
            FROM inc_snapshot_complete c
            WHERE s.subject = c.subject AND s.pkg_source = c.pkg_source AND s.removed_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM inc_items i WHERE {key})""")
        # A delta closes exactly what it says was removed.
        cur.execute(f"""
            UPDATE software_installs AS s SET removed_at = i.seen_at, removed_report_id = i.report_id
            FROM inc_gone i WHERE {key} AND s.removed_at IS NULL""")
        cur.execute(f"""
            INSERT INTO software_installs
            SELECT i.subject, i.source_id, i.name, i.version, i.arch, i.pkg_source, i.vendor, i.source_package,
                   i.purl, i.installed_at, i.seen_at, NULL, i.report_id, NULL
            FROM inc_items i
            WHERE NOT EXISTS (SELECT 1 FROM software_installs s WHERE {key} AND s.removed_at IS NULL)""")
        cur.execute("""
            INSERT INTO inventory_state SELECT subject, pkg_source, seen_at, report_id, checksum FROM inc_complete
            ON CONFLICT (subject, pkg_source) DO UPDATE SET last_ok_at = excluded.last_ok_at,
                last_report_id = excluded.last_report_id, checksum = excluded.checksum""")
        for name in ("inc_items", "inc_gone", "inc_complete", "inc_snapshot_complete"):
            cur.unregister(name)

    # --- register ----------------------------------------------------------------------------------

    def replace_register(self, register: str, records: Sequence[RecordedAsset], *, import_id: str, filename: str,
                         fmt: str, sha256: str, now: datetime) -> RegisterCounts:
        """Make `records` the whole content of `register`, atomically; unchanged rows keep their history."""
        incoming = [_record_row(register, r, import_id, now) for r in records]
        table = pa.Table.from_pylist(incoming, schema=_RECORD_SCHEMA)
        with self.transaction() as cur:
            cur.register("inc_records", table)
            stats = cur.execute("""
                SELECT count(*) FILTER (WHERE r.record_key IS NULL),
                       count(*) FILTER (WHERE r.record_key IS NOT NULL AND r.content_hash <> i.content_hash),
                       count(*) FILTER (WHERE r.content_hash = i.content_hash)
                FROM inc_records i LEFT JOIN recorded_assets r
                  ON r.register = i.register AND r.record_key = i.record_key""").fetchone()
            removed_row = cur.execute(
                "SELECT count(*) FROM recorded_assets r WHERE r.register = ? AND r.record_key NOT IN "
                "(SELECT record_key FROM inc_records)", [register]).fetchone()
            added, changed, unchanged = (int(x) for x in stats) if stats else (0, 0, 0)
            removed = int(removed_row[0]) if removed_row else 0
            cur.execute("DELETE FROM recorded_assets WHERE register = ? AND record_key NOT IN "
                        "(SELECT record_key FROM inc_records)", [register])
            cur.execute("""
                INSERT INTO recorded_assets SELECT * FROM inc_records
                ON CONFLICT (register, record_key) DO UPDATE SET
                    line = excluded.line, asset_tag = excluded.asset_tag, name = excluded.name,
                    serial = excluded.serial, hostname = excluded.hostname, macs = excluded.macs, ips = excluded.ips,
                    model = excluded.model, manufacturer = excluded.manufacturer, category = excluded.category,
                    status = excluded.status, status_class = excluded.status_class,
                    assigned_to = excluded.assigned_to, location = excluded.location,
                    purchase_date = excluded.purchase_date, extra = excluded.extra,
                    import_id = CASE WHEN recorded_assets.content_hash = excluded.content_hash
                                     THEN recorded_assets.import_id ELSE excluded.import_id END,
                    updated_at = CASE WHEN recorded_assets.content_hash = excluded.content_hash
                                      THEN recorded_assets.updated_at ELSE excluded.updated_at END,
                    content_hash = excluded.content_hash""")
            cur.unregister("inc_records")
            counts = RegisterCounts(len(records), added, changed, unchanged, removed)
            cur.execute("INSERT INTO register_imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [import_id, register, filename, fmt, sha256, now, counts.rows, counts.added,
                         counts.changed, counts.unchanged, counts.removed])
        return counts

    # --- generic reads -----------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[object] = ()) -> list[dict[str, Any]]:
        """Run a parameterised query of ours and return rows as dicts."""
        cur = self.cursor()
        rel = cur.execute(sql, list(params))
        names = [d[0] for d in rel.description or []]
        return [dict(zip(names, row, strict=True)) for row in rel.fetchall()]


_RECORD_SCHEMA = pa.schema([
    ("register", pa.string()), ("record_key", pa.string()), ("line", pa.int32()), ("asset_tag", pa.string()),
    ("name", pa.string()), ("serial", pa.string()), ("hostname", pa.string()), ("macs", pa.list_(pa.string())),
    ("ips", pa.list_(pa.string())), ("model", pa.string()), ("manufacturer", pa.string()), ("category", pa.string()),
    ("status", pa.string()), ("status_class", pa.string()), ("assigned_to", pa.string()), ("location", pa.string()),
    ("purchase_date", pa.date32()), ("extra", pa.string()), ("import_id", pa.string()), ("content_hash", pa.string()),
    ("first_imported_at", pa.timestamp("us", tz="UTC")), ("updated_at", pa.timestamp("us", tz="UTC")),
])


def _record_row(register: str, r: RecordedAsset, import_id: str, now: datetime) -> dict[str, Any]:
    content = {
        "asset_tag": r.asset_tag, "name": r.name, "serial": r.serial, "hostname": r.hostname, "macs": list(r.macs),
        "ips": list(r.ips), "model": r.model, "manufacturer": r.manufacturer, "category": r.category,
        "status": r.status, "status_class": r.status_class.value, "assigned_to": r.assigned_to,
        "location": r.location, "purchase_date": r.purchase_date.isoformat() if r.purchase_date else None,
        "extra": r.extra,
    }
    digest = hashlib.sha256(_json(content).encode()).hexdigest()
    return {
        "register": register, "record_key": r.record_key, "line": r.line, "asset_tag": r.asset_tag or None,
        "name": r.name or None, "serial": r.serial or None, "hostname": r.hostname or None, "macs": list(r.macs),
        "ips": list(r.ips), "model": r.model or None, "manufacturer": r.manufacturer or None,
        "category": r.category or None, "status": r.status or None, "status_class": r.status_class.value,
        "assigned_to": r.assigned_to or None, "location": r.location or None, "purchase_date": r.purchase_date,
        "extra": _json(r.extra) if r.extra else None, "import_id": import_id, "content_hash": digest,
        "first_imported_at": now, "updated_at": now,
    }
