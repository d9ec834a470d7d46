"""The store's idle checkpoint (Store.checkpoint_if_idle): the writer calls it when it falls idle."""

from __future__ import annotations

from pathlib import Path

from collector.store.duckdb import Store


def test_idle_checkpoint_empties_the_log_beside_open_transactions(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    store = Store.open(db)
    try:
        store.defer_checkpoints("1GB")
        store.set_setting("k", "v")
        wal = tmp_path / "c.duckdb.wal"
        assert wal.exists() and wal.stat().st_size > 0, "the commit stayed in the log"
        reader = store._cursor()  # a long read (a refresh) is running
        reader.execute("BEGIN TRANSACTION")
        assert reader.execute("SELECT value FROM settings WHERE key = 'k'").fetchall() == [("v",)]
        other = store._cursor()  # and a transaction with changes not yet committed
        other.execute("BEGIN TRANSACTION")
        other.execute("INSERT INTO settings VALUES ('later', 'x')")
        assert store.checkpoint_if_idle() is True
        assert reader.execute("SELECT value FROM settings WHERE key = 'k'").fetchall() == [("v",)]
        reader.execute("COMMIT")
        other.execute("COMMIT")
    finally:
        store.close()
    reopened = Store.open(db, read_only=True)
    try:
        assert reopened.get_setting("k") == "v" and reopened.get_setting("later") == "x"
    finally:
        reopened.close()
