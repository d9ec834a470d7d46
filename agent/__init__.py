"""netcensus endpoint agent and network scanner (the light part: no DuckDB, no collector code)."""

__version__ = "0.1.0"
