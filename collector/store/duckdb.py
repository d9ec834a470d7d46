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
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from itertools import accumulate, chain
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from collector.domain.findings import FindingRow
from collector.domain.model import (
    IngestReport,
    InventoryUpdate,
    RecordedAsset,
    Sighting,
    SoftwareColumns,
    StoreResult,
)
from collector.errors import DatabaseLockedError, QueryError, StoreError
from collector.inventory.identity import ResolvedAsset, SubjectFacts
from collector.inventory.reconcile import Coverage, Match, Record
from collector.store import inventory

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

    def defer_checkpoints(self, wal_limit: str = "256MB") -> None:
        """Let the write-ahead log grow to `wal_limit` before a commit must checkpoint it.

        Why: with DuckDB's default (16 MB) a busy collector checkpointed every few commits, and
        that checkpoint ran inside the commit of whichever batch crossed the line: about half of
        the commit time under load, paid while agents waited for their acks. The ingest writer
        checkpoints when it falls idle instead (checkpoint_if_idle); the limit only bounds the
        log (and its replay after a crash) when the collector is never idle.
        """
        self._con.execute(f"SET checkpoint_threshold = '{wal_limit}'")

    def limit_threads(self, threads: int) -> None:
        """Run DuckDB with this many worker threads (the whole database: DuckDB has no per-query setting).

        Why an operator might: on a small machine DuckDB's workers compete for the cores with the
        collector's gRPC event loop, and ingest's many small statements gain little from parallel
        workers. On the 2-core bench machine one thread gave 334,000-343,000 rows/s against
        312,000-313,000 in the same session, with burst ack latencies within noise of the default;
        the price is that every analytical query (findings, assets, sql) runs on one core.
        """
        self._con.execute(f"SET threads = {int(threads)}")

    def checkpoint_if_idle(self) -> bool:
        """Write the log into the database file now (the ingest writer calls it when idle).

        Runs beside open read transactions (a refresh) and under the write lock, so never
        inside a batch. Should DuckDB refuse, that is not an error: the next idle moment, or the
        commit that crosses the limit, checkpoints instead.
        """
        with self._write_lock:
            try:
                self._con.execute("CHECKPOINT")
            except duckdb.Error:
                return False
        return True

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one thread's reads (for this package only: no cursor leaves the store)."""
        return self._con.cursor()

    @contextmanager
    def _mapped(self, what: str) -> Iterator[None]:
        """Turn a DuckDB failure of `what` into a StoreError naming the file."""
        try:
            yield
        except duckdb.Error as exc:
            raise StoreError(f"{self.path}: {what} failed: {_first_line(exc)}") from exc

    def schema_version(self) -> int:
        """Highest applied migration, 0 for an empty file."""
        cur = self._cursor()
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
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction; rolled back on any exception, a DuckDB failure raised as StoreError.

        Private to collector/store: the cursor never leaves the package (callers use named methods).
        """
        with self._write_lock, self._mapped("a write"):
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
        row = self._cursor().execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return str(row[0]) if row else None

    def set_setting(self, key: str, value: str) -> None:
        """Persist a collector setting."""
        with self._transaction() as cur:
            cur.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", [key, value])

    def enroll_source(self, source_id: str, kind: str, hostname: str, key_hash: str, now: datetime) -> None:
        """Record a source and the hash of its new node key (replacing any earlier key)."""
        with self._transaction() as cur:
            cur.execute(
                "INSERT INTO sources (source_id, kind, hostname, key_hash, enrolled_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (source_id) DO UPDATE SET kind = excluded.kind, hostname = excluded.hostname, "
                "key_hash = excluded.key_hash, enrolled_at = excluded.enrolled_at, revoked_at = NULL",
                [source_id, kind, hostname, key_hash, now])

    def source_key_hashes(self) -> dict[str, str]:
        """source_id → key hash for every source that is not revoked."""
        rows = self._cursor().execute(
            "SELECT source_id, key_hash FROM sources WHERE revoked_at IS NULL AND key_hash IS NOT NULL").fetchall()
        return {str(r[0]): str(r[1]) for r in rows}

    def revoked_sources(self) -> set[str]:
        """Source ids whose keys were revoked (they may not enrol again under that id)."""
        rows = self._cursor().execute("SELECT source_id FROM sources WHERE revoked_at IS NOT NULL").fetchall()
        return {str(r[0]) for r in rows}

    def sources(self) -> list[dict[str, object]]:
        """Every enrolled source, without its key hash."""
        return self.query("SELECT source_id, kind, hostname, enrolled_at, revoked_at, last_report_at, last_seq "
                          "FROM sources ORDER BY enrolled_at, source_id")

    def revoke_source(self, source_id: str, now: datetime) -> bool:
        """Revoke a source's key; True if it existed."""
        with self._transaction() as cur:
            found = cur.execute("SELECT count(*) FROM sources WHERE source_id = ?", [source_id]).fetchone()
            cur.execute("UPDATE sources SET revoked_at = ?, key_hash = NULL WHERE source_id = ?", [now, source_id])
        return bool(found and found[0])

    # --- ingest ----------------------------------------------------------------------------------

    def store_reports(self, reports: Sequence[IngestReport], now: datetime) -> StoreResult:
        """Store a batch of reports in one transaction; say which were duplicates or refused.

        Duplicates (already stored, or repeated within the batch) are skipped. A HostDelta whose
        base_report_id is not the last host report applied for its subject (in the database or
        earlier in this batch) is refused: not stored, and its ack asks for a full snapshot.
        Everything else is committed together; the caller acks only after this returns.
        """
        with self._transaction() as cur:
            rows = cur.execute("SELECT report_id FROM reports WHERE report_id IN (SELECT unnest(?))",
                               [[r.report_id for r in reports]]).fetchall()
            seen = {str(r[0]) for r in rows}
            host_subjects = sorted({inv.subject for r in reports if (inv := r.host_inventory) is not None})
            last_host = dict(cur.execute(
                "SELECT subject, last_host_report_id FROM host_state WHERE subject IN (SELECT unnest(?))",
                [host_subjects]).fetchall()) if host_subjects else {}
            duplicates: set[str] = set()
            rejected: dict[str, str] = {}
            fresh: list[IngestReport] = []
            moved: dict[str, str] = {}
            for report in reports:
                if report.report_id in seen:
                    duplicates.add(report.report_id)
                    continue
                inv = report.host_inventory
                if inv is not None:
                    if inv.is_delta and last_host.get(inv.subject) != inv.base_report_id:
                        rejected[report.report_id] = UNKNOWN_BASE
                        continue
                    last_host[inv.subject] = moved[inv.subject] = report.report_id
                seen.add(report.report_id)
                fresh.append(report)
            need_full: set[str] = set(rejected)
            if fresh:
                need_full |= self._write(cur, fresh, now)
            if moved:
                cur.register("inc_host_state", pa.table({
                    "subject": list(moved), "last_host_report_id": list(moved.values()),
                    "updated_at": pa.array([now] * len(moved), _TS)}))
                cur.execute("""
                    INSERT INTO host_state SELECT * FROM inc_host_state
                    ON CONFLICT (subject) DO UPDATE SET last_host_report_id = excluded.last_host_report_id,
                        updated_at = excluded.updated_at""")
                cur.unregister("inc_host_state")
        return StoreResult(frozenset(r.report_id for r in fresh), frozenset(duplicates), rejected,
                           frozenset(need_full))

    def _write(self, cur: duckdb.DuckDBPyConnection, reports: Sequence[IngestReport], now: datetime) -> set[str]:
        """Write fresh reports; return the ids of deltas whose checksum disagrees with our rows."""
        ledger = pa.table({
            "report_id": [r.report_id for r in reports], "source_id": [r.source_id for r in reports],
            "seq": pa.array([r.seq for r in reports], pa.uint64()), "kind": [r.kind for r in reports],
            "created_at": pa.array([r.created_at for r in reports], _TS),
            "received_at": pa.array([now] * len(reports), _TS),
            "items": pa.array([r.item_count for r in reports], pa.int32()),
        })
        cur.register("incoming_reports", ledger)
        cur.execute("INSERT INTO reports SELECT * FROM incoming_reports")
        cur.execute(
            "UPDATE sources SET last_report_at = r.received_at, last_seq = r.seq FROM "
            "(SELECT source_id, max(received_at) AS received_at, max(seq) AS seq FROM incoming_reports GROUP BY 1) r "
            "WHERE sources.source_id = r.source_id")
        cur.unregister("incoming_reports")

        pairs = [(r, s) for r in reports for s in r.sightings]
        if pairs:
            cur.register("incoming_sightings", _sightings_table(pairs))
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
                ("started_at", _TS), ("finished_at", _TS), ("complete", pa.bool_())])))
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

        return self._apply_inventories(cur, [(r, inv) for r in reports for inv in r.inventories])

    def _apply_inventories(self, cur: duckdb.DuckDBPyConnection,
                           updates: Sequence[tuple[IngestReport, InventoryUpdate]]) -> set[str]:
        """Apply software snapshots and deltas set-wise, in rounds so a subject's updates stay ordered.

        Round k holds every subject's k-th update of the batch, so within a round each subject
        appears once and the SQL can treat (round, subject) as a key.
        """
        rounds: list[list[tuple[IngestReport, InventoryUpdate]]] = []
        depth: dict[str, int] = {}
        for report, inv in updates:
            k = depth.get(inv.subject, 0)
            depth[inv.subject] = k + 1
            if k == len(rounds):
                rounds.append([])
            rounds[k].append((report, inv))
        diverged: set[str] = set()
        for batch in rounds:
            diverged |= self._apply_round(cur, batch)
        if rounds:  # each round replaces them; dropped once, after the last
            for name in _ROUND_TEMPS:
                cur.execute(f"DROP TABLE IF EXISTS {name}")
        return diverged

    def _apply_round(self, cur: duckdb.DuckDBPyConnection,
                     batch: Sequence[tuple[IngestReport, InventoryUpdate]]) -> set[str]:
        """One round of software updates (each subject at most once); returns diverged delta ids.

        The item diff only ever looks at the open rows of the (subject, pkg_source) pairs this
        round touches (a join on them, never the whole history), and a complete source whose list
        has the fingerprint kept in inventory_state for its open rows is left alone: an unchanged
        snapshot costs one aggregate over its own rows and no access to software_installs.
        """
        cur.register("inc_inv", _inventories_table(batch))
        cur.register("inc_sw", _software_table(batch))
        try:
            cur.execute(_ROUND_PAIRS)
            counts = cur.execute(
                "SELECT count(*) FILTER (WHERE NOT unchanged), count(*) FILTER (WHERE is_delta), "
                "count(*) FILTER (WHERE NOT unchanged AND (is_delta OR NOT complete)), "
                "count(*) FILTER (WHERE NOT unchanged AND dups), "
                "count(*) FILTER (WHERE unchanged AND incoming <> '0:0') FROM r_pairs").fetchone()
            to_diff, deltas, to_refingerprint, with_dups, unchanged_listing = (
                (int(n) for n in counts) if counts else (0,) * 5)
            if to_diff:
                for statement in _ROUND_DIFF:
                    cur.execute(statement.format(
                        listed=_LISTED_DISTINCT if with_dups else _LISTED_PLAIN,
                        delta_join=_DELTA_JOIN if deltas else "", delta_closes=_DELTA_CLOSES if deltas else "false"))
                kept = cur.execute(_KEPT).fetchone()
                # No unchanged list with rows and no open row kept (a fresh host, or every package
                # replaced): every listed row is new, and the insert needs no joins to find out which.
                insert = _ROUND_INSERT_ALL if not unchanged_listing and kept and not kept[0] else _ROUND_INSERT
                cur.execute(insert.format(rows=_ROWS_COLLAPSED if with_dups else _ROWS_PLAIN))
            if to_refingerprint:
                cur.execute(_ROUND_AFTER)
                for statement in _ROUND_STATE:
                    cur.execute(statement)
            else:  # snapshots of complete sources only: each pair's fingerprint is its own list's
                cur.execute(_ROUND_STATE_SNAPSHOTS)
            diverged: set[str] = set()
            if deltas:
                rows = cur.execute(_DELTA_CHECK).fetchall()
                diverged = {str(report_id) for report_id, expected, actual in rows if expected != actual}
        finally:
            cur.unregister("inc_inv")
            cur.unregister("inc_sw")
        return diverged

    # --- register ----------------------------------------------------------------------------------

    def replace_register(self, register: str, records: Sequence[RecordedAsset], *, import_id: str, filename: str,
                         fmt: str, sha256: str, now: datetime) -> RegisterCounts:
        """Make `records` the whole content of `register`, atomically; unchanged rows keep their history."""
        incoming = [_record_row(register, r, import_id, now) for r in records]
        table = pa.Table.from_pylist(incoming, schema=_RECORD_SCHEMA)
        with self._transaction() as cur:
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

    # --- inventory: the refresh use case's reads and writes (SQL in inventory.py) ------------------

    def load_subjects(self) -> list[SubjectFacts]:
        """Sightings aggregated per subject, with per-source evidence."""
        with self._mapped("loading sightings"):
            return inventory.load_subjects(self._cursor())

    def load_records(self) -> list[Record]:
        """The recorded inventory, with the file and time of the import each row came from."""
        with self._mapped("loading the register"):
            return inventory.load_records(self._cursor())

    def load_coverage(self) -> list[Coverage]:
        """Completed sweeps and agent reports: what could have seen a recorded machine, and when."""
        with self._mapped("loading coverage"):
            return inventory.load_coverage(self._cursor())

    def replace_assets(self, assets: Sequence[ResolvedAsset], matched: Mapping[str, Match]) -> None:
        """Make the assets and asset_members tables hold these assets (and their matched records)."""
        with self._mapped("writing assets"), self._transaction() as cur:
            inventory.write_assets(cur, assets, matched)

    def open_finding_times(self) -> dict[str, datetime]:
        """finding_id -> opened_at of every finding still open."""
        with self._mapped("loading open findings"):
            return inventory.open_finding_times(self._cursor())

    def persist_findings(self, rows: Sequence[FindingRow], now: datetime) -> None:
        """Make `rows` the open findings: keep, open and reopen them; resolve every other open one."""
        with self._mapped("writing findings"), self._transaction() as cur:
            inventory.persist_findings(cur, rows, now)

    def resolved_findings(self) -> list[FindingRow]:
        """Findings that were open once and are no longer true, most recently resolved first."""
        with self._mapped("loading resolved findings"):
            return inventory.resolved_findings(self._cursor())

    # --- rules ---------------------------------------------------------------------------------------

    # --- generic reads -----------------------------------------------------------------------------

    def write(self, statements: Sequence[tuple[str, Sequence[object]]], *,
              tables: Mapping[str, pa.Table] | None = None) -> None:
        """Run raw SQL writes in one transaction, with Arrow `tables` visible by name while they run.

        For test fixtures and benchmarks that build an estate directly (the product's own writes are
        the named methods above). All or nothing: a failing statement rolls back the others and is a
        StoreError.
        """
        with self._transaction() as cur:
            for name, table in (tables or {}).items():
                cur.register(name, table)
            try:
                for sql, params in statements:
                    cur.execute(sql, list(params))
            finally:
                for name in tables or {}:
                    cur.unregister(name)

    def query(self, sql: str, params: Sequence[object] = ()) -> list[dict[str, object]]:
        """Run one SQL statement and return its rows as plain Python values, keyed by column name.

        For `netcensus sql` and tests. A statement DuckDB rejects (syntax, unknown column, a write
        on a read-only file) is a QueryError carrying DuckDB's first line.
        """
        try:
            rel = self._cursor().execute(sql, list(params))
            names = [d[0] for d in rel.description or []]
            return [dict(zip(names, row, strict=True)) for row in rel.fetchall()]
        except duckdb.Error as exc:
            raise QueryError(_first_line(exc)) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


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


# --- software rounds ---------------------------------------------------------------------------

_TS = pa.timestamp("us", tz="UTC")
UNKNOWN_BASE = "unknown base; send a full snapshot"

# Kinds of rows in inc_sw: listed (snapshot item, delta added), changed (delta), removed (delta).
_LISTED, _CHANGED, _REMOVED = 0, 1, 2
_SOFTWARE_PARTS = (("items", _LISTED), ("changed", _CHANGED), ("removed", _REMOVED))

# SoftwareColumns' string fields, in the order of the inc_sw columns after (inv, kind).
_SW_STRINGS = ("name", "version", "arch", "pkg_source", "vendor", "source_package", "purl")
_SW_SCHEMA = pa.schema([("inv", pa.int32()), ("kind", pa.int8()), *((f, pa.string()) for f in _SW_STRINGS),
                        ("installed_at", _TS)])
_INV_SCHEMA = pa.schema([
    ("inv", pa.int32()), ("subject", pa.string()), ("source_id", pa.string()), ("report_id", pa.string()),
    ("seen_at", _TS), ("is_delta", pa.bool_()), ("complete", pa.list_(pa.string())), ("checksum", pa.string()),
])


def _inventories_table(batch: Sequence[tuple[IngestReport, InventoryUpdate]]) -> pa.Table:
    """One row per update of the round; `inv` is its index, the key inc_sw rows refer to."""
    return pa.table({
        "inv": pa.array(range(len(batch)), pa.int32()),
        "subject": [inv.subject for _, inv in batch],
        "source_id": [r.source_id for r, _ in batch],
        "report_id": [r.report_id for r, _ in batch],
        "seen_at": pa.array([inv.seen_at for _, inv in batch], _TS),
        "is_delta": [inv.is_delta for _, inv in batch],
        "complete": [sorted(inv.complete_sources) for _, inv in batch],
        "checksum": [inv.checksum for _, inv in batch],
    }, schema=_INV_SCHEMA)


def _software_table(batch: Sequence[tuple[IngestReport, InventoryUpdate]]) -> pa.Table:
    """Every software row of the round as one Arrow table, built a column at a time.

    Each field's tuples (SoftwareColumns) of the whole round are chained and converted with one
    pa.array call; the per-row values that repeat (which update, which kind of row) are run-length
    decoded by Arrow.
    """
    parts: list[tuple[int, int, SoftwareColumns]] = [
        (k, kind, getattr(inv, attr)) for k, (_, inv) in enumerate(batch) for attr, kind in _SOFTWARE_PARTS
        if len(getattr(inv, attr))]
    if not parts:
        return _SW_SCHEMA.empty_table()
    lists = [c for _, _, c in parts]
    ends = pa.array(list(accumulate(map(len, lists))), pa.int32())
    installed = tuple(chain.from_iterable(c.installed_at for c in lists))
    times = pa.nulls(len(installed), _TS) if installed.count(None) == len(installed) else pa.array(installed, _TS)
    strings = [pa.array(tuple(chain.from_iterable(getattr(c, f) for c in lists)), pa.string()) for f in _SW_STRINGS]

    def runs(values: list[int], kind: pa.DataType) -> pa.Array:
        return pc.run_end_decode(pa.RunEndEncodedArray.from_arrays(ends, pa.array(values, kind)))

    keys = [runs([k for k, _, _ in parts], pa.int32()), runs([kind for _, kind, _ in parts], pa.int8())]
    return pa.Table.from_arrays([*keys, *strings, times], schema=_SW_SCHEMA)


def _line(prefix: str = "") -> str:
    """The checksum line of a row, "pkg_source\tname\tarch\tversion" (report.proto, HostSnapshot)."""
    p = f"{prefix}." if prefix else ""
    return f"{p}pkg_source || chr(9) || {p}name || chr(9) || {p}arch || chr(9) || {p}version"


_ROUND_TEMPS = ("r_pairs", "r_cur", "r_after")

# Fingerprint of a list of rows of one (subject, pkg_source): "count:sum of row hashes". It only
# decides "same list as last time?", cheaply (no sort, no string materialised): equal lists give
# equal fingerprints, and the row diff runs whenever they differ. DuckDB's hash() may change
# between DuckDB versions; a stored fingerprint then fails to match once, and the next snapshot
# is diffed in full.
_FP_ROWS = "count({p}name)::VARCHAR || ':' || coalesce(sum(hash({p}name, {p}version, {p}arch)), 0)::VARCHAR"

# Every (update, pkg_source) pair the round touches (sources with rows, and complete sources),
# with the fingerprint of what the update lists there and whether it lists duplicates.
# `unchanged`: a snapshot's complete source listing exactly the rows open now; nothing to do.
_ROUND_PAIRS = f"""
    CREATE OR REPLACE TEMP TABLE r_pairs AS
    WITH listed AS (
        SELECT inv, pkg_source, count(*)::VARCHAR || ':' || coalesce(sum(h), 0)::VARCHAR AS fp,
               count(*) > count(DISTINCT h) AS dups
        FROM (SELECT inv, pkg_source, hash(name, version, arch) AS h FROM inc_sw WHERE kind <> {_REMOVED})
        GROUP BY inv, pkg_source),
    complete AS (SELECT inv, unnest(complete) AS pkg_source FROM inc_inv),
    pairs AS (SELECT inv, pkg_source FROM listed
              UNION SELECT DISTINCT inv, pkg_source FROM inc_sw WHERE kind = {_REMOVED}
              UNION SELECT inv, pkg_source FROM complete)
    SELECT p.inv, i.subject, p.pkg_source, c.pkg_source IS NOT NULL AS complete, i.is_delta,
           coalesce(l.fp, '0:0') AS incoming, coalesce(l.dups, false) AS dups,
           coalesce(NOT i.is_delta AND c.pkg_source IS NOT NULL AND st.checksum = coalesce(l.fp, '0:0'),
                    false) AS unchanged
    FROM pairs p
    JOIN inc_inv i USING (inv)
    LEFT JOIN complete c USING (inv, pkg_source)
    LEFT JOIN listed l USING (inv, pkg_source)
    LEFT JOIN inventory_state st ON st.subject = i.subject AND st.pkg_source = p.pkg_source"""

_ROUND_DIFF = (
    # Open rows of the pairs to diff, each marked with whether this update closes it: one pass over
    # software_installs restricted by a join on this round's (subject, pkg_source) pairs, never the
    # whole history. Only complete sources close anything (a failed collector is not "removed"): a
    # snapshot closes what it no longer lists; a delta closes what it says was removed (by name,
    # arch and source) and the other versions of what it says changed. Both sides are joined
    # grouped by their key, so an open row stays one row whatever an update lists twice.
    """CREATE OR REPLACE TEMP TABLE r_cur AS
        SELECT s.rowid AS rid, p.inv, s.pkg_source, s.name, s.version, s.arch,
               p.complete AND CASE WHEN p.is_delta THEN {delta_closes} ELSE l.inv IS NULL END AS closes
        FROM software_installs s
        JOIN (SELECT inv, subject, pkg_source, complete, is_delta FROM r_pairs WHERE NOT unchanged) p
          ON s.subject = p.subject AND s.pkg_source = p.pkg_source
        LEFT JOIN {listed} l
          ON l.inv = p.inv AND l.name = s.name AND l.version = s.version AND l.arch = s.arch
         AND l.pkg_source = s.pkg_source
        {delta_join}
        WHERE s.removed_at IS NULL""",
    """UPDATE software_installs SET removed_at = x.seen_at, removed_report_id = x.report_id
        FROM (SELECT c.rid, i.seen_at, i.report_id FROM r_cur c JOIN inc_inv i USING (inv) WHERE c.closes) x
        WHERE software_installs.rowid = x.rid""",
)
# What the deltas say was removed or changed, one row per (name, arch, source): only joined when the
# round has deltas (a join costs its probe even when nothing can match).
_DELTA_JOIN = f"""LEFT JOIN (SELECT inv, name, arch, pkg_source, bool_or(kind = {_REMOVED}) AS removed,
                          min(version) FILTER (WHERE kind = {_CHANGED}) AS low,
                          max(version) FILTER (WHERE kind = {_CHANGED}) AS high
                   FROM inc_sw WHERE kind <> {_LISTED} GROUP BY ALL) d
          ON d.inv = p.inv AND d.name = s.name AND d.arch = s.arch AND d.pkg_source = s.pkg_source"""
_DELTA_CLOSES = "coalesce(d.removed OR d.low <> s.version OR d.high <> s.version, false)"
# What the snapshots list, one row per identity: inc_sw itself when no update lists a row twice.
_LISTED_PLAIN = f"(SELECT inv, name, version, arch, pkg_source FROM inc_sw WHERE kind = {_LISTED})"
_LISTED_DISTINCT = f"(SELECT DISTINCT inv, name, version, arch, pkg_source FROM inc_sw WHERE kind = {_LISTED})"

# New rows: listed or changed items with no open row of the same identity (after the closes).
# `{rows}` is inc_sw itself, or (when an update lists something twice) inc_sw collapsed to one
# row per identity, where a given value wins over an empty one.
_ROUND_INSERT = f"""
    INSERT INTO software_installs
    SELECT i.subject, i.source_id, t.name, t.version, t.arch, t.pkg_source, nullif(t.vendor, ''),
           nullif(t.source_package, ''), nullif(t.purl, ''), t.installed_at, i.seen_at, NULL, i.report_id, NULL
    FROM {{rows}} t
    SEMI JOIN (SELECT inv, pkg_source FROM r_pairs WHERE NOT unchanged) p
      ON p.inv = t.inv AND p.pkg_source = t.pkg_source
    ANTI JOIN (SELECT * FROM r_cur WHERE NOT closes) c
      ON c.inv = t.inv AND c.name = t.name AND c.version = t.version AND c.arch = t.arch
     AND c.pkg_source = t.pkg_source
    JOIN inc_inv i USING (inv)
    WHERE t.kind <> {_REMOVED}"""
# The same when no open row of a diffed pair stays open and no unchanged pair lists rows: nothing
# listed is left out.
_ROUND_INSERT_ALL = f"""
    INSERT INTO software_installs
    SELECT i.subject, i.source_id, t.name, t.version, t.arch, t.pkg_source, nullif(t.vendor, ''),
           nullif(t.source_package, ''), nullif(t.purl, ''), t.installed_at, i.seen_at, NULL, i.report_id, NULL
    FROM {{rows}} t
    JOIN inc_inv i USING (inv)
    WHERE t.kind <> {_REMOVED}"""
# Open rows of the diffed pairs that stay open.
_KEPT = "SELECT count(*) FROM r_cur WHERE NOT closes"
_ROWS_PLAIN = "inc_sw"
_ROWS_COLLAPSED = f"""(
    SELECT inv, min(kind) AS kind, name, version, arch, pkg_source, max(vendor) AS vendor,
           max(source_package) AS source_package, max(purl) AS purl, min(installed_at) AS installed_at
    FROM inc_sw WHERE kind <> {_REMOVED} GROUP BY inv, name, version, arch, pkg_source)"""

# Fingerprints of the open rows after the update, where they are not simply the snapshot's own
# list: deltas, and sources whose collector did not complete (their rows only grow).
_ROUND_AFTER = f"""
    CREATE OR REPLACE TEMP TABLE r_after AS
    SELECT p.inv, p.subject, p.pkg_source, {_FP_ROWS.format(p="s.")} AS fp
    FROM r_pairs p
    LEFT JOIN software_installs s
      ON s.subject = p.subject AND s.pkg_source = p.pkg_source AND s.removed_at IS NULL
    WHERE NOT p.unchanged AND (p.is_delta OR NOT p.complete)
    GROUP BY p.inv, p.subject, p.pkg_source"""

_STATE_UPSERT = """ON CONFLICT (subject, pkg_source) DO UPDATE SET last_ok_at = excluded.last_ok_at,
    last_report_id = excluded.last_report_id, checksum = excluded.checksum"""

# Complete sources: last complete collection, and the fingerprint of their open rows. Sources
# that did not complete keep their last complete collection, but their fingerprint follows the
# rows they added.
_ROUND_STATE = (
    """INSERT INTO inventory_state
        SELECT p.subject, p.pkg_source, i.seen_at, i.report_id, CASE WHEN p.is_delta THEN a.fp ELSE p.incoming END
        FROM r_pairs p JOIN inc_inv i USING (inv)
        LEFT JOIN r_after a USING (inv, pkg_source)
        WHERE p.complete
        """ + _STATE_UPSERT,
    """UPDATE inventory_state SET checksum = a.fp
        FROM r_after a JOIN r_pairs p USING (inv, pkg_source)
        WHERE NOT p.complete AND inventory_state.subject = a.subject AND inventory_state.pkg_source = a.pkg_source""",
)
# The same when the round has no deltas and every source completed (no r_after): the usual case,
# saving a temp table and a statement per round, which cost even with nothing to do.
_ROUND_STATE_SNAPSHOTS = """
    INSERT INTO inventory_state
    SELECT p.subject, p.pkg_source, i.seen_at, i.report_id, p.incoming
    FROM r_pairs p JOIN inc_inv i USING (inv)
    WHERE p.complete
    """ + _STATE_UPSERT

# Each delta's checksum against ours: SHA-256 over the sorted lines of the open rows of its
# subject for the sources it lists as complete, exactly as the agent hashes its own list
# (report.proto, HostDelta.software_checksum).
_DELTA_CHECK = f"""
    SELECT i.report_id, i.checksum, sha256(coalesce(string_agg(s.line, chr(10) ORDER BY s.line), ''))
    FROM inc_inv i
    LEFT JOIN (SELECT subject, pkg_source, {_line()} AS line FROM software_installs WHERE removed_at IS NULL) s
      ON s.subject = i.subject AND list_contains(i.complete, s.pkg_source)
    WHERE i.is_delta
    GROUP BY i.report_id, i.checksum"""

_SIGHTING_COLUMNS = ("hostname", "fqdn", "serial", "system_uuid", "vendor", "model", "device_type", "os",
                     "os_family", "seen_via_ip", "seen_via_name", "seen_via_port")


def _sightings_table(pairs: Sequence[tuple[IngestReport, Sighting]]) -> pa.Table:
    """Sightings as Arrow columns (empty strings stored as NULL, as the views expect)."""
    sightings = [s for _, s in pairs]
    data: dict[str, Any] = {
        "report_id": [r.report_id for r, _ in pairs], "source_id": [r.source_id for r, _ in pairs],
        "method": [s.method for s in sightings], "seen_at": [s.seen_at for s in sightings],
        "subject": [s.subject for s in sightings],
        "ips": [list(s.ips) for s in sightings], "macs": [list(s.macs) for s in sightings],
        "local_macs": [list(s.local_macs) for s in sightings], "networks": [list(s.networks) for s in sightings],
        "vlan": [s.vlan or None for s in sightings],
        "detail": [s.detail or None for s in sightings],
    }
    for name in _SIGHTING_COLUMNS:
        data[name] = [getattr(s, name) or None for s in sightings]
    return pa.table({f.name: pa.array(data[f.name], f.type) for f in _SIGHTING_SCHEMA}, schema=_SIGHTING_SCHEMA)
