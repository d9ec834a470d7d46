"""The collector's exception tree.

    NetcensusError              base: str(exc) is the one line shown to the user (exit 1)
    ├── UsageError              bad command line, config or duration
    ├── RegisterError           a register file is unreadable or a row is bad (names file:line)
    │   └── UnmappedStatusError a status label has no status class; says how to map it
    ├── RuleError               a rule file is invalid (names file:line)
    ├── StoreError              the DuckDB file cannot be opened or written
    │   ├── StorageUnavailable  a passing storage failure (disk full, I/O error, out of memory): retry
    │   ├── QueryError          a statement given to `netcensus sql` was rejected
    │   └── DatabaseLockedError a running collector holds the file; use --collector instead
    └── CollectorUnreachable    --collector HOST:PORT did not answer
"""

from __future__ import annotations


class NetcensusError(Exception):
    """Base class; str(exc) is the one line shown to the user."""


class UsageError(NetcensusError):
    """Invalid command line, configuration or value."""


class RegisterError(NetcensusError):
    """A register import failed; the message names the file and line."""


class UnmappedStatusError(RegisterError):
    """A status label in the register has no status class mapping."""


class RuleError(NetcensusError):
    """A rule file is invalid; the message names the file and line."""


class StoreError(NetcensusError):
    """The database could not be opened or written."""


class StorageUnavailable(StoreError):
    """A write failed for a reason outside the data (disk full, I/O error, out of memory, a connection
    DuckDB invalidated after such a failure): the same write may succeed later, so it is never a
    reason to reject a report (DESIGN "Access and safety": storage failures are retryable)."""


class QueryError(StoreError):
    """DuckDB rejected a statement (`netcensus sql`); str(exc) is DuckDB's first line."""


class DatabaseLockedError(StoreError):
    """Another process (normally a running collector) holds the database file."""


class CollectorUnreachable(NetcensusError):
    """The collector at --collector HOST:PORT did not answer."""
