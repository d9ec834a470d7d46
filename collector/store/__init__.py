"""The DuckDB store: the only package that imports duckdb; every duckdb.Error is mapped to
collector.errors here, and no connection or cursor leaves it. Migrations live in schema/*.sql.
"""
