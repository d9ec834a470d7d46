"""The relations `netcensus sql` reads, with their columns, straight from the schema (`sql --help`).

The schema describes its documented relations itself (COMMENT ON, migration 011): this applies every
migration to an empty in-memory database and reads DuckDB's catalogue, so the help can never list a
column the file does not have, or miss one a migration added.
"""

from __future__ import annotations

from importlib import resources

import duckdb

from collector.store.duckdb import EXTENSIONS_OFF


def _migrations() -> list[str]:
    files = sorted((int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8"))
                   for entry in resources.files("collector.store").joinpath("schema").iterdir()
                   if entry.name.endswith(".sql"))
    return [sql for _, sql in files]


def documented_relations() -> tuple[list[tuple[str, str, list[tuple[str, str]]]], list[str]]:
    """([(name, description, [(column, type)])] of the described relations, [names of the others])."""
    con = duckdb.connect(":memory:", config=EXTENSIONS_OFF)
    try:
        for sql in _migrations():
            con.execute(sql)
        relations = con.execute("""
            SELECT table_name AS name, comment FROM duckdb_tables() WHERE NOT internal AND NOT temporary
            UNION ALL SELECT view_name, comment FROM duckdb_views() WHERE NOT internal AND NOT temporary
            ORDER BY name""").fetchall()
        columns: dict[str, list[tuple[str, str]]] = {}
        for table, column, kind in con.execute(
                "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE NOT internal "
                "ORDER BY table_name, column_index").fetchall():
            columns.setdefault(str(table), []).append((str(column), str(kind)))
    finally:
        con.close()
    described = [(str(name), str(comment), columns.get(str(name), [])) for name, comment in relations if comment]
    others = [str(name) for name, comment in relations if not comment]
    return described, others
