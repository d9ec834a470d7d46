"""`netcensus sql`: one read-only SELECT over the database file, in a DuckDB that reaches nothing else.

Why a sandbox: the statement is typed by whoever runs the command, and DuckDB is far more than a
query engine over our tables. Unchecked, `COPY ... TO` writes any file the process may write,
`read_text('/etc/shadow')` reads any file, `ATTACH` opens (and changes) another database, `SET` and
`PRAGMA` change the engine, and `INSTALL` downloads code. So, before anything runs:

* DuckDB's own parser splits the text (`duckdb.extract_statements`, not a regex) and it must be exactly
  one statement of type SELECT (`WITH ... SELECT`, `FROM t`, `VALUES`, `DESCRIBE`, `SHOW` and
  `SUMMARIZE` are SELECTs to DuckDB; nothing else is);
* the file is opened read_only with external access off (no file, URL or other database but this
  one), extension autoloading, autoinstalling and community extensions off, and the configuration
  locked in the connect call itself, so no statement can turn any of it back on.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from collector.errors import QueryError, StoreError
from collector.store.duckdb import EXTENSIONS_OFF, _map_open_error

SANDBOX_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    **EXTENSIONS_OFF,
    "enable_external_access": False,
    "lock_configuration": True,  # last: DuckDB applies the options before locking them
}


# DuckDB's statement types where the name is not the word a user typed.
_KIND_NAMES = {"LOAD": "INSTALL or LOAD", "VARIABLE_SET": "SET", "TRANSACTION": "a transaction statement"}


def one_select(sql: str) -> duckdb.Statement:
    """The single SELECT statement `sql` holds; QueryError (one line) for anything else."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(_first_line(exc)) from exc
    if len(statements) != 1:
        raise QueryError(f"give exactly one statement (got {len(statements)}); sql runs one read-only SELECT")
    statement = statements[0]
    if statement.type != duckdb.StatementType.SELECT:
        kind = _KIND_NAMES.get(statement.type.name, statement.type.name)
        raise QueryError(f"only a SELECT (or WITH ... SELECT) may run, not {kind}; sql is read-only")
    return statement


def read_only_select(path: Path, sql: str) -> list[dict[str, object]]:
    """Rows of the one SELECT in `sql` over the database at `path`, keyed by column name.

    QueryError for a statement refused or failed, StoreError (DatabaseLockedError) when the file
    cannot be opened; nothing is written, anywhere.
    """
    statement = one_select(sql)
    if not path.exists():
        raise StoreError(f"{path}: no such database (run `netcensus serve --db {path}` or an import first)")
    try:
        con = duckdb.connect(str(path), read_only=True, config=SANDBOX_CONFIG)
    except (duckdb.Error, OSError) as exc:
        raise _map_open_error(path, exc) from exc
    try:
        known = con.execute("SELECT count(*) FROM information_schema.tables "
                            "WHERE table_name = 'schema_migrations'").fetchone()
        if not known or not known[0]:
            raise StoreError(f"{path}: not a netcensus database")
        try:
            rel = con.execute(statement)
            names = [d[0] for d in rel.description or []]
            return [dict(zip(names, row, strict=True)) for row in rel.fetchall()]
        except duckdb.Error as exc:
            raise QueryError(_first_line(exc)) from exc
    finally:
        con.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
