"""The Store: opening, migrating and closing the DuckDB file, and every named read and write.

The adapter over duckdb: every duckdb error becomes a collector.errors exception here, and no
cursor leaves the package. The SQL of the bigger jobs sits beside it, one module each, called with
the cursor of the Store's transaction: reports.py (ingest), inventory.py (the refresh use case's
loads and writes), rules_sql.py (the SQL rules engine). Writes are bulk: each batch of reports becomes
a handful of Arrow tables applied with set-based SQL inside one transaction, so a batch is either
wholly committed or not at all. Schema changes are versioned migrations in schema/NNN_*.sql,
applied in order on open.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from collector.domain.decisions import Decision
from collector.domain.findings import FindingRow
from collector.domain.model import (
    IngestReport,
    RecordedAsset,
    StoreResult,
)
from collector.domain.posture import Posture
from collector.errors import DatabaseLockedError, QueryError, StorageUnavailable, StoreError
from collector.inventory.identity import ResolvedAsset, SubjectFacts
from collector.inventory.reconcile import Coverage, Match, Record
from collector.store import history, inventory, live_reads
from collector.store import posture as posture_sql
from collector.store import reports as reports_sql

_LOCK_PID = re.compile(r"PID (\d+)")
log = logging.getLogger("netcensus.store")
#: Settings key of the serving collector's ghost window in seconds (`findings --db` defaults to it).
GHOST_AFTER_SETTING = "ghost_after_seconds"

# DuckDB reports a full disk as an IOException while writing, but as a TransactionException
# ("Failed to commit: Could not write file ...: No space left on device") when the commit's WAL
# write fails, and a failed checkpoint or WAL write can leave the database "invalidated" (every
# later statement fails with a FatalException until it is reopened). These are passing failures of
# the storage, not of the data: the same write succeeds once space is back.
_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    duckdb.IOException, duckdb.OutOfMemoryException, duckdb.FatalException)
_TRANSIENT_TEXT = re.compile(
    r"no space left|disk (is )?full|quota exceeded|i/o error|input/output error|could not (write|read|open|"
    r"truncate|sync|fsync)|failed to (write|read|sync|fsync)|out of memory|invalidated|read-only file system",
    re.IGNORECASE)


def is_transient(exc: BaseException) -> bool:
    """True when a DuckDB failure is one of the storage's, not of the statement or the data."""
    return isinstance(exc, _TRANSIENT_TYPES) or bool(_TRANSIENT_TEXT.search(str(exc)))


def _private_files() -> None:
    """Make every file this process creates from now on owner-only (umask gains 077).

    Why the umask and not a chmod: DuckDB creates the database's write-ahead log itself, and
    deletes and re-creates it at every checkpoint, so a chmod after the fact would leave a window
    (and miss every later WAL). The database holds node-key hashes, tokens and the inventory, so
    nothing the collector writes needs to be readable by other users.
    """
    os.umask(os.umask(0o077) | 0o077)

# Every connection the collector opens: no extension is fetched or loaded behind our back (the ones we
# use, json, parquet and icu, are built into the duckdb wheel), so a query can never make the
# collector download and run code. The sql sandbox (sandbox.py) adds more on top.
EXTENSIONS_OFF: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
}


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
        if not read_only:
            _private_files()
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=EXTENSIONS_OFF)
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

    def recover(self) -> None:
        """Reopen the file if a failed write left the connection unusable; raise StorageUnavailable if
        it still cannot be used.

        Why: after a failed WAL write or checkpoint (disk full, I/O error) DuckDB may invalidate the
        database, and every statement on that connection fails from then on, even once space is
        back. The ingest writer calls this between retries so that the collector heals by itself.
        """
        with self._write_lock:
            try:
                self._con.execute("SELECT count(*) FROM schema_migrations").fetchone()
                return
            except duckdb.Error as exc:
                log.warning("%s: the database connection failed (%s); reopening it", self.path, _first_line(exc))
            with contextlib.suppress(duckdb.Error):
                self._con.close()
            try:
                self._con = duckdb.connect(str(self.path), read_only=self.read_only)
            except (duckdb.Error, OSError) as exc:
                raise StorageUnavailable(f"{self.path}: cannot reopen the database: {_first_line(exc)}") from exc
            log.warning("%s: database reopened", self.path)

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one thread's reads (for this package only: no cursor leaves the store)."""
        return self._con.cursor()

    @contextmanager
    def _mapped(self, what: str) -> Iterator[None]:
        """Turn a DuckDB failure of `what` into a StoreError naming the file."""
        try:
            yield
        except duckdb.Error as exc:
            kind = StorageUnavailable if is_transient(exc) else StoreError
            raise kind(f"{self.path}: {what} failed: {_first_line(exc)}") from exc

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
                # A connection DuckDB invalidated refuses the rollback too; the first error is the news.
                with contextlib.suppress(duckdb.Error):
                    cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    # --- settings and sources ----------------------------------------------------------------------

    def ghost_after(self) -> timedelta | None:
        """The ghost window of the collector that last served this file (None: never served)."""
        value = self.get_setting(GHOST_AFTER_SETTING)
        return timedelta(seconds=int(value)) if value and value.isdigit() else None

    def get_setting(self, key: str) -> str | None:
        """A persisted collector setting."""
        row = self._cursor().execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return str(row[0]) if row else None

    def set_setting(self, key: str, value: str) -> None:
        """Persist a collector setting."""
        with self._transaction() as cur:
            cur.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", [key, value])

    def enroll_source(self, source_id: str, kind: str, hostname: str, key_hash: str, now: datetime,
                      cert_name: str = "") -> None:
        """Record a source and the hash of its new node key (replacing any earlier key).

        The kind stays what the first enrolment said: it decides what the source may report, and
        the enrolment gate (collector/ingest/enrolment.py) refuses a re-enrolment that changes it.
        So does the client certificate name (cert_name, "" without mutual TLS): the first one
        recorded stays, because the source is bound to it (collector/ingest/binding.py)."""
        with self._transaction() as cur:
            cur.execute(
                "INSERT INTO sources (source_id, kind, hostname, key_hash, enrolled_at, cert_name) "
                "VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (source_id) DO UPDATE SET hostname = excluded.hostname, "
                "key_hash = excluded.key_hash, enrolled_at = excluded.enrolled_at, revoked_at = NULL, "
                "cert_name = coalesce(sources.cert_name, excluded.cert_name)",
                [source_id, kind, hostname, key_hash, now, cert_name or None])

    def source_cert_names(self) -> dict[str, str]:
        """source_id → client certificate name for every source bound to one (see enroll_source)."""
        rows = self._cursor().execute(
            "SELECT source_id, cert_name FROM sources WHERE revoked_at IS NULL AND cert_name IS NOT NULL").fetchall()
        return {str(r[0]): str(r[1]) for r in rows}

    def source_kinds(self) -> dict[str, str]:
        """source_id → kind ("agent", "scanner") for every source that is not revoked."""
        rows = self._cursor().execute("SELECT source_id, kind FROM sources WHERE revoked_at IS NULL").fetchall()
        return {str(r[0]): str(r[1]) for r in rows}

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
        """Every enrolled source, without its key hash, with the backlog and last error it last reported
        (NULL where it never said: migration 014)."""
        return self.query("""
            SELECT s.source_id, s.kind, s.hostname, s.enrolled_at, s.revoked_at, s.last_report_at, s.last_seq,
                   b.queued_reports AS backlog_reports, b.queued_bytes AS backlog_bytes,
                   b.oldest_queued_at AS backlog_oldest, b.reported_at AS backlog_at,
                   b.last_error, b.last_error_at
            FROM sources s LEFT JOIN source_backlog b USING (source_id)
            ORDER BY s.enrolled_at, s.source_id""")

    def revoke_source(self, source_id: str, now: datetime) -> bool:
        """Revoke a source's key; True if it existed."""
        with self._transaction() as cur:
            found = cur.execute("SELECT count(*) FROM sources WHERE source_id = ?", [source_id]).fetchone()
            cur.execute("UPDATE sources SET revoked_at = ?, key_hash = NULL WHERE source_id = ?", [now, source_id])
        return bool(found and found[0])

    # --- API tokens and audit log --------------------------------------------------------------------

    def create_token(self, name: str, role: str, token_hash: str, now: datetime) -> bool:
        """Store a new named token's hash; False when the name is taken (also by a revoked token)."""
        with self._transaction() as cur:
            taken = cur.execute("SELECT count(*) FROM api_tokens WHERE name = ?", [name]).fetchone()
            if taken and taken[0]:
                return False
            cur.execute("INSERT INTO api_tokens (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)",
                        [name, role, token_hash, now])
        return True

    def active_tokens(self) -> dict[str, tuple[str, str]]:
        """token hash → (name, role) of every token that is not revoked."""
        rows = self._cursor().execute(
            "SELECT token_hash, name, role FROM api_tokens WHERE revoked_at IS NULL").fetchall()
        return {str(r[0]): (str(r[1]), str(r[2])) for r in rows}

    def tokens(self) -> list[dict[str, object]]:
        """Every named token, without its hash."""
        return self.query("SELECT name, role, created_at, last_used_at, revoked_at FROM api_tokens "
                          "ORDER BY created_at, name")

    def revoke_token(self, name: str, now: datetime) -> bool:
        """Revoke a named token; True if it existed and was valid until now."""
        with self._transaction() as cur:
            found = cur.execute("SELECT count(*) FROM api_tokens WHERE name = ? AND revoked_at IS NULL",
                                [name]).fetchone()
            cur.execute("UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", [now, name])
        return bool(found and found[0])

    def record_audit(self, entry: Mapping[str, object], *, used_token: str | None = None) -> None:
        """Append one audit row (at, who, role, action, target, peer, outcome); with used_token, also
        set that token's last use to the entry's time, in the same transaction."""
        self.record_audit_rows([(entry, used_token)])

    def record_audit_rows(self, rows: Sequence[tuple[Mapping[str, object], str | None]]) -> None:
        """Append audit rows in one transaction, each with the token whose last use it records (or None)."""
        if not rows:
            return
        last_use: dict[str, object] = {}
        for entry, used_token in rows:
            if used_token is not None:
                last_use[used_token] = entry["at"]
        with self._transaction() as cur:
            cur.executemany("INSERT INTO audit_log (happened_at, who, role, action, target, peer, outcome) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?)",
                            [[entry["at"], entry["who"], entry.get("role"), entry["action"], entry.get("target"),
                              entry.get("peer"), entry["outcome"]] for entry, _ in rows])
            for name, at in last_use.items():
                cur.execute("UPDATE api_tokens SET last_used_at = ? WHERE name = ?", [at, name])

    def audit_entries(self, limit: int = 1000) -> list[dict[str, object]]:
        """The newest `limit` audit rows, oldest first."""
        return self.query("SELECT happened_at, who, role, action, target, peer, outcome FROM "
                          "(SELECT * FROM audit_log ORDER BY happened_at DESC LIMIT ?) ORDER BY happened_at",
                          [int(limit)])

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
                need_full |= reports_sql.write_reports(cur, fresh, now)
            reports_sql.write_backlog(cur, reports, now)
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

    def load_subjects(self, subjects: Collection[str] | None = None) -> list[SubjectFacts]:
        """Sightings aggregated per subject, with per-source evidence (of `subjects` only, if given)."""
        with self._mapped("loading sightings"):
            return inventory.load_subjects(self._cursor(), subjects)

    def load_records(self) -> list[Record]:
        """The recorded inventory, with the file and time of the import each row came from."""
        with self._mapped("loading the register"):
            return inventory.load_records(self._cursor())

    def load_coverage(self, agents: Collection[str] | None = None) -> list[Coverage]:
        """Completed sweeps and agent reports (of the agent sources `agents` only, if given)."""
        with self._mapped("loading coverage"):
            return inventory.load_coverage(self._cursor(), agents)

    def load_decisions(self) -> list[Decision]:
        """Every manual merge/split decision, undone ones included, oldest first."""
        rows = self.query("SELECT decision_id, action, subject, others, asset_ids, reason, decided_by, decided_at, "
                          "undone_by, undone_at FROM manual_decisions ORDER BY decision_id")
        return [Decision(decision_id=int(r["decision_id"]), action=str(r["action"]),  # type: ignore[call-overload]
                         subject=str(r["subject"]), others=tuple(r["others"] or ()),  # type: ignore[arg-type]
                         asset_ids=tuple(r["asset_ids"] or ()), reason=str(r["reason"]),  # type: ignore[arg-type]
                         decided_by=str(r["decided_by"]), decided_at=r["decided_at"],  # type: ignore[arg-type]
                         undone_by=r["undone_by"], undone_at=r["undone_at"])  # type: ignore[arg-type]
                for r in rows]

    def add_decision(self, action: str, subject: str, others: Sequence[str], asset_ids: Sequence[str], reason: str,
                     who: str, now: datetime) -> int:
        """Store a manual merge or split; returns its id."""
        with self._transaction() as cur:
            row = cur.execute("INSERT INTO manual_decisions (action, subject, others, asset_ids, reason, decided_by, "
                              "decided_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING decision_id",
                              [action, subject, list(others), list(asset_ids), reason, who, now]).fetchone()
        assert row is not None
        return int(row[0])

    def undo_decision(self, decision_id: int, who: str, now: datetime) -> Decision | None:
        """Mark a standing decision undone; None when no decision of that id stands (unknown or undone already)."""
        with self._transaction() as cur:
            row = cur.execute("UPDATE manual_decisions SET undone_by = ?, undone_at = ? "
                              "WHERE decision_id = ? AND undone_at IS NULL RETURNING decision_id",
                              [who, now, decision_id]).fetchone()
        if row is None:
            return None
        return next(d for d in self.load_decisions() if d.decision_id == decision_id)

    def replace_assets(self, assets: Sequence[ResolvedAsset], matched: Mapping[str, Match],
                       posture: Mapping[str, Posture] | None = None) -> None:
        """Make the assets and asset_members tables hold these assets (their matched records, their posture)."""
        with self._mapped("writing assets"), self._transaction() as cur:
            inventory.write_assets(cur, assets, matched, posture)

    def load_posture(self, subjects: Collection[str] | None = None) -> dict[str, Posture]:
        """subject -> posture of every agent subject's freshest report (collector/store/posture.py), of
        `subjects` only when given (the live path).

        Keeps, when the file is writable, since when each pending security update has been pending
        (pending_update_since), so that only updates seen for the first time send it to older reports.
        """
        with self._mapped("loading posture"):
            if not self.read_only:
                with self._transaction() as cur:
                    posture_sql.track_pending(cur, subjects)
            return posture_sql.load_posture(self._cursor(), subjects)

    def write_asset_changes(self, assets: Sequence[ResolvedAsset], matched: Mapping[str, Match],
                            gone: Collection[str], subjects: Collection[str],
                            posture: Mapping[str, Posture] | None = None) -> None:
        """Rewrite `assets` (with their posture), drop the assets `gone`, re-home the members in
        `subjects` (the live path)."""
        with self._mapped("writing assets"), self._transaction() as cur:
            inventory.write_asset_changes(cur, assets, matched, gone, subjects, posture)

    def persist_finding_changes(self, changed: Sequence[FindingRow], resolved: Collection[str],
                                now: datetime) -> None:
        """(Re)write the findings `changed` and resolve the open ones `resolved` (the live path)."""
        with self._mapped("writing findings"), self._transaction() as cur:
            inventory.persist_finding_changes(cur, changed, resolved, now)

    def open_finding_times(self) -> dict[str, datetime]:
        """finding_id -> opened_at of every finding still open."""
        with self._mapped("loading open findings"):
            return inventory.open_finding_times(self._cursor())

    def window_finding_times(self, window: timedelta) -> dict[str, datetime]:
        """finding_id -> opened_at of what queries with ghost window `window` raised last time."""
        with self._mapped("loading findings of a window"):
            return inventory.window_finding_times(self._cursor(), window)

    def keep_window_findings(self, window: timedelta, rows: Sequence[FindingRow]) -> None:
        """Remember when the findings of a query with ghost window `window` first came up."""
        with self._mapped("writing findings of a window"), self._transaction() as cur:
            inventory.keep_window_findings(cur, window, rows)

    def persist_findings(self, rows: Sequence[FindingRow], now: datetime) -> None:
        """Make `rows` the open findings: keep, open and reopen them; resolve every other open one."""
        with self._mapped("writing findings"), self._transaction() as cur:
            inventory.persist_findings(cur, rows, now)

    def resolved_findings(self) -> list[FindingRow]:
        """Findings that were open once and are no longer true, most recently resolved first."""
        with self._mapped("loading resolved findings"):
            return inventory.resolved_findings(self._cursor())

    # --- dashboard summaries (SQL in live_reads.py; migration 012) -----------------------------------

    def finding_days(self, since: date) -> list[live_reads.FindingDay]:
        """Findings opened and resolved per UTC day from `since`, per kind, suppressed ones apart."""
        with self._mapped("reading finding_days"):
            return live_reads.finding_days(self._cursor(), since)

    def finding_counts(self, now: datetime) -> list[live_reads.KindCount]:
        """Open findings per kind now and a day before `now`."""
        with self._mapped("counting findings"):
            return live_reads.finding_counts(self._cursor(), now)

    def coverage_by_subnet(self, now: datetime, window: timedelta, by: str = "subnet"
                           ) -> list[live_reads.SubnetCoverage]:
        """In-use records per subnet or site and how many were seen inside `window`, least covered first."""
        with self._mapped("reading coverage"):
            return live_reads.coverage_by_subnet(self._cursor(), now, window, by)

    # --- history: `netcensus asset` and `netcensus changes` (collector/store/history.py) ----------------

    def asset_history(self, subjects: Sequence[str], asset_id: str) -> dict[str, list[dict[str, Any]]]:
        """One asset's identifiers per source, software installed now, open findings and finding events.

        The four reads are independent, so each runs on a cursor of its own at the same time: DuckDB
        lets go of the GIL while it scans, and the asset page waits for the slowest read instead of
        their sum (at 100,000 machines 89 ms instead of 125 ms for the four, measured on 2 busy cores).
        """
        reads: dict[str, Callable[[duckdb.DuckDBPyConnection], list[dict[str, Any]]]] = {
            "identifiers": lambda cur: history.asset_identifiers(cur, subjects),
            "software": lambda cur: history.asset_software(cur, subjects),
            "findings": lambda cur: history.asset_findings(cur, asset_id),
            "timeline": lambda cur: history.asset_timeline(cur, asset_id)}
        with self._mapped("reading the asset's history"), ThreadPoolExecutor(len(reads)) as pool:
            running = {name: pool.submit(read, self._cursor()) for name, read in reads.items()}
            return {name: future.result() for name, future in running.items()}

    def change_history(self, members: Mapping[str, str], since: datetime) -> dict[str, list[dict[str, Any]]]:
        """What the changes since `since` are made of; `members` maps subject -> asset id (the refresh's)."""
        with self._mapped("reading changes"):
            cur = self._cursor()
            presence = history.presence(cur, members, since)
            # Sweeps that may have looked for an asset: from the earliest last sighting that matters on.
            looked_after = min((r["last_before"] for r in presence if r["last_before"] is not None), default=since)
            return {"presence": presence, "jobs": history.last_seen_by(cur, members, since),
                    "sweeps": history.scan_runs_after(cur, looked_after),
                    "identity": history.identity_values(cur, members, since),
                    "software": history.software_moves(cur, members, since),
                    "findings": history.finding_events_since(cur, since)}

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

        For the store's own reads and for tests; `netcensus sql` runs in sandbox.py instead. A statement
        DuckDB rejects (syntax, unknown column, a write on a read-only file) is a QueryError carrying
        DuckDB's first line.
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


UNKNOWN_BASE = "unknown base; send a full snapshot"
_TS = pa.timestamp("us", tz="UTC")
