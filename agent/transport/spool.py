"""The agent's bounded on-disk queue of reports waiting for an ack (stdlib sqlite3).

Every report is written here *before* it is sent and deleted only when the collector acks it, so
a report survives agent restarts, collector outages and a kill -9 in the middle of a send. The
queue is generic: it stores serialized `netcensus.v1.Report` bytes with a priority class, so
snapshots, deltas, scan batches and heartbeats all travel the same way.

Durability: SQLite in WAL mode with `synchronous=FULL` fsyncs the log on every commit, so an
`put()` that returned is on disk. The bound is in bytes and in reports; when a new report does not
fit, the oldest report of the lowest class goes first (bulk scan data, then host reports, then
heartbeats) and the `dropped` counter says how many were lost that way.

Failures: a spool file that is not a usable spool (corrupt, truncated, not SQLite, another
schema) is moved aside as `<name>.corrupt-<UTC stamp>` with a warning and a new one is created, so
the agent keeps reporting (the old file stays for whoever wants to recover from it). A write the
disk refuses (full, I/O error) raises StateError and changes nothing: a report not yet queued is
the caller's to retry, and one not yet removed is only sent again (the collector answers DUPLICATE).
The file and its -wal/-shm companions are private: created 0600 before SQLite opens it (SQLite
gives its companions the database file's mode).
"""

from __future__ import annotations

import contextlib
import enum
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from agent.atomic import private_dir
from agent.errors import ConfigError, StateError

log = logging.getLogger("netcensus.agent")

SPOOL_FILE = "spool.sqlite"  # in the node's state directory
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
DEFAULT_MAX_REPORTS = 100_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queue (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,   -- send order (= seq order for one source)
    report_id TEXT NOT NULL UNIQUE,
    seq       INTEGER NOT NULL,
    priority  INTEGER NOT NULL,                    -- Priority: lower classes are dropped first
    queued_at REAL NOT NULL,
    attempts  INTEGER NOT NULL DEFAULT 0,
    payload   BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS queue_evict ON queue (priority, id);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
-- The last delivery that worked and the last that failed, for `netcensus-agent status`: an operator
-- asks "when did this machine last get through, and if not, why" before anything else.
CREATE TABLE IF NOT EXISTS outcomes (name TEXT PRIMARY KEY, at REAL NOT NULL, detail TEXT NOT NULL);
"""

# Running totals of the queue, kept by triggers in the same transaction as every insert and delete,
# so the sender can say what its spool holds each time it sends a report (Report.sender_state)
# without counting the queue: at the 100,000-report bound a count per send is a scan per send (measured
# on 1 KB reports: 51 ms for count(*) and sum(length) over 100,000 queued, against 19-28 us for
# backlog() and its encoding at 1,000 or 100,000 queued). The
# triggers come before the first fill, and all of it is one write transaction, so a spool made by an
# older agent gets totals that match its queue even while another process writes to it.
_TOTALS = """
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS totals (
    one     INTEGER PRIMARY KEY CHECK (one = 1),
    reports INTEGER NOT NULL,
    bytes   INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS totals_in AFTER INSERT ON queue BEGIN
    UPDATE totals SET reports = reports + 1, bytes = bytes + length(new.payload);
END;
CREATE TRIGGER IF NOT EXISTS totals_out AFTER DELETE ON queue BEGIN
    UPDATE totals SET reports = reports - 1, bytes = bytes - length(old.payload);
END;
INSERT OR IGNORE INTO totals SELECT 1, count(*), coalesce(sum(length(payload)), 0) FROM queue;
COMMIT;
"""

COUNTER_NAMES = ("queued", "acked", "rejected", "dropped", "retries")


class Priority(enum.IntEnum):
    """Which reports to give up first when the spool is full (lowest first)."""

    BULK = 0        # scan batches and other large, re-creatable data
    IDENTITY = 1    # host snapshots and deltas: who this machine is and what it runs
    HEARTBEAT = 2   # tiny liveness messages; kept longest


@dataclass(frozen=True, slots=True)
class Spooled:
    """One queued report."""

    id: int
    report_id: str
    seq: int
    priority: Priority
    payload: bytes
    attempts: int


@dataclass(frozen=True, slots=True)
class SpoolStats:
    """What `netcensus-agent status` shows."""

    depth: int
    bytes: int
    counters: dict[str, int]
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # "success" and "error", when there were any


@dataclass(frozen=True, slots=True)
class Outcome:
    """When a delivery last succeeded or failed, and what happened (never a key or a secret)."""

    at: datetime
    detail: str


@dataclass(frozen=True, slots=True)
class Backlog:
    """What waits in the spool besides the report being sent, and the last failure: Report.sender_state."""

    reports: int
    bytes: int
    oldest_at: datetime | None     # when the oldest waiting report was queued; None when none waits
    last_error: Outcome | None     # the last failed delivery (or collection); None when there was none


class Spool:
    """A durable FIFO with priority eviction; safe to share between threads and processes."""

    def __init__(self, path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES,
                 max_reports: int = DEFAULT_MAX_REPORTS) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.max_reports = max_reports
        self._lock = threading.Lock()
        try:
            self._db = _open(path)
        except sqlite3.Error as exc:
            if not _unusable(exc):
                raise ConfigError(f"{path}: cannot open the agent spool: {exc}") from exc
            self._db = self._replace(exc)
        except OSError as exc:
            raise ConfigError(f"{path}: cannot open the agent spool: {exc.strerror}") from exc

    def _replace(self, damage: sqlite3.Error) -> sqlite3.Connection:
        """Move an unusable spool aside (kept, never deleted) and start an empty one in its place."""
        try:
            aside = _quarantine(self.path)
            log.warning("%s is not a usable spool (%s); moved it aside to %s and started an empty spool",
                        self.path, damage, aside.name)
            return _open(self.path)
        except sqlite3.Error as exc:
            raise ConfigError(f"{self.path}: cannot create the agent spool: {exc}") from exc
        except OSError as exc:
            raise ConfigError(f"{self.path}: is not a usable spool ({damage}) and cannot be moved aside: "
                              f"{exc.strerror}") from exc

    @contextmanager
    def _writing(self, what: str) -> Iterator[None]:
        """One write transaction under the lock; a failure rolls back and is a one-line StateError."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield
                    self._db.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise StateError(f"{self.path}: cannot {what}: {exc}") from exc

    def close(self) -> None:
        """Close the database (everything is already on disk)."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _bump(self, name: str, by: int = 1) -> None:
        self._db.execute("INSERT INTO counters VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + ?",
                         (name, by, by))

    def put(self, report_id: str, seq: int, priority: Priority, payload: bytes) -> list[str]:
        """Queue one report durably; returns the report ids evicted to make room (usually none)."""
        if len(payload) > self.max_bytes:
            raise ConfigError(f"report {report_id} is {len(payload)} bytes, larger than the whole spool "
                              f"({self.max_bytes} bytes); raise spool_max_bytes")
        with self._writing(f"queue report {report_id}"):
            evicted = self._make_room(len(payload))
            self._db.execute("INSERT OR IGNORE INTO queue (report_id, seq, priority, queued_at, payload) "
                             "VALUES (?, ?, ?, ?, ?)", (report_id, seq, int(priority), time.time(), payload))
            self._bump("queued")
            if evicted:
                self._bump("dropped", len(evicted))
        return evicted

    def _make_room(self, incoming: int) -> list[str]:
        count, size = self._db.execute("SELECT count(*), coalesce(sum(length(payload)), 0) FROM queue").fetchone()
        evicted: list[str] = []
        while count and (count + 1 > self.max_reports or size + incoming > self.max_bytes):
            row = self._db.execute(
                "SELECT id, report_id, length(payload) FROM queue ORDER BY priority, id LIMIT 1").fetchone()
            self._db.execute("DELETE FROM queue WHERE id = ?", (row[0],))
            evicted.append(str(row[1]))
            count -= 1
            size -= int(row[2])
        return evicted

    def pending(self, limit: int = 1000, after_id: int = 0) -> list[Spooled]:
        """The oldest queued reports, in send order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, report_id, seq, priority, payload, attempts FROM queue WHERE id > ? ORDER BY id LIMIT ?",
                (after_id, limit)).fetchall()
        return [Spooled(int(r[0]), str(r[1]), int(r[2]), Priority(int(r[3])), bytes(r[4]), int(r[5])) for r in rows]

    def contains(self, report_id: str) -> bool:
        """True while the report still waits for its ack."""
        with self._lock:
            return self._db.execute("SELECT 1 FROM queue WHERE report_id = ?", (report_id,)).fetchone() is not None

    def remove(self, report_ids: Iterable[str], *, counter: str = "acked") -> int:
        """Delete reports the collector has answered (acked, or rejected for good)."""
        ids = list(report_ids)
        if not ids:
            return 0
        removed = 0
        with self._writing(f"remove {len(ids)} answered report(s)"):
            for rid in ids:
                removed += self._db.execute("DELETE FROM queue WHERE report_id = ?", (rid,)).rowcount
            self._bump(counter, removed)
        return removed

    def mark_attempt(self, ids: Iterable[int]) -> None:
        """Count one more send attempt for these queued reports."""
        with self._writing("count a send attempt"):
            self._db.executemany("UPDATE queue SET attempts = attempts + 1 WHERE id = ?", [(i,) for i in ids])

    def count(self, name: str, by: int = 1) -> None:
        """Bump a status counter (e.g. retries)."""
        with self._writing(f"count {name}"):
            self._bump(name, by)

    def note(self, name: str, detail: str) -> None:
        """Record the latest delivery outcome `name` ("success" or "error") with what happened.

        Best effort: a disk that refuses this small write must not turn a delivered report into a failure.
        """
        try:
            with self._writing(f"note the last {name}"):
                self._db.execute("INSERT INTO outcomes VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
                                 "at = excluded.at, detail = excluded.detail", (name, time.time(), detail[:500]))
        except StateError as exc:
            log.debug("%s", exc)

    def backlog(self, besides: str = "") -> Backlog:
        """What the spool holds apart from report `besides` (the one going on the wire now).

        Cheap at any depth: the totals are kept by triggers, the oldest report is the lowest id, and
        `besides` is found by its unique report_id. One read transaction, so the figures agree.
        Raises StateError when the spool cannot be read.
        """
        with self._lock:
            try:
                self._db.execute("BEGIN")
                try:
                    reports, size = self._db.execute("SELECT reports, bytes FROM totals").fetchone()
                    own = self._db.execute("SELECT length(payload) FROM queue WHERE report_id = ?",
                                           (besides,)).fetchone()
                    oldest = self._db.execute("SELECT queued_at FROM queue WHERE report_id <> ? ORDER BY id LIMIT 1",
                                              (besides,)).fetchone()
                    error = self._db.execute("SELECT at, detail FROM outcomes WHERE name = 'error'").fetchone()
                finally:
                    self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StateError(f"{self.path}: cannot read the backlog: {exc}") from exc
        if own is not None:
            reports, size = reports - 1, size - int(own[0])
        return Backlog(max(0, int(reports)), max(0, int(size)),
                       datetime.fromtimestamp(float(oldest[0]), UTC) if oldest is not None else None,
                       Outcome(datetime.fromtimestamp(float(error[0]), UTC), str(error[1])) if error else None)

    def stats(self) -> SpoolStats:
        """Depth, size, counters and the last outcomes."""
        with self._lock:
            depth, size = self._db.execute("SELECT count(*), coalesce(sum(length(payload)), 0) FROM queue").fetchone()
            counters = dict.fromkeys(COUNTER_NAMES, 0)
            counters.update({str(n): int(v) for n, v in self._db.execute("SELECT name, value FROM counters")})
            outcomes = {str(n): Outcome(datetime.fromtimestamp(float(at), UTC), str(detail))
                        for n, at, detail in self._db.execute("SELECT name, at, detail FROM outcomes")}
        return SpoolStats(int(depth), int(size), counters, outcomes)


_COMPANIONS = ("-wal", "-shm", "-journal")


def _open(path: Path) -> sqlite3.Connection:
    """Open (creating it 0600) and check the spool; raises sqlite3.Error or OSError."""
    private_dir(path.parent)
    # Create the file owner-only before SQLite does: SQLite then gives -wal/-shm the same mode.
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    path.chmod(0o600)  # an older spool: reports carry inventory; keep them private like the node key
    db = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(_SCHEMA)
        db.executescript(_TOTALS)
        # Read what every method reads: a truncated or damaged file fails here, not at the first send.
        db.execute("SELECT count(*), coalesce(sum(length(payload)), 0) FROM queue").fetchone()
        db.execute("SELECT id, report_id, seq, priority, queued_at, attempts, payload FROM queue LIMIT 1").fetchall()
        db.execute("SELECT name, value FROM counters").fetchall()
        db.execute("SELECT reports, bytes FROM totals").fetchone()
    except BaseException:
        db.close()
        raise
    return db


def _unusable(exc: sqlite3.Error) -> bool:
    """True when the file is not a spool we can use (as opposed to locked, unreadable, or a full disk)."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    if not isinstance(exc, sqlite3.OperationalError):
        return True  # "file is not a database", "database disk image is malformed"
    text = str(exc).lower()
    return any(word in text for word in ("malformed", "not a database", "no such column", "corrupt"))


def _quarantine(path: Path) -> Path:
    """Move the spool and its companions aside under one UTC stamp; returns the new name of the spool."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    os.replace(path, aside)
    for suffix in _COMPANIONS:  # a log left beside a new file would be replayed into it
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            os.replace(companion, aside.with_name(aside.name + suffix))
    return aside
