"""The SQLite stand-in for dbm that the lab's snmpsim indexes its recordings with."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.lab.simlite import _SqliteDbm


def test_index_round_trip_reads_back_bytes_as_dbm_does(tmp_path: Path) -> None:
    path = str(tmp_path / "rec.dbm")
    db = _SqliteDbm.open(path, "n")
    db["1.3.6.1.2.1.1.1.0"] = "0,0,-1"
    db["last"] = "120,0,-1"
    db.close()
    assert _SqliteDbm.whichdb(path) == "sqlite3"
    db = _SqliteDbm.open(path)
    assert db["1.3.6.1.2.1.1.1.0"] == b"0,0,-1"
    with pytest.raises(KeyError):
        db["1.3.6.1.2.1.1.2.0"]
    db.close()


def test_a_new_index_replaces_the_old_one(tmp_path: Path) -> None:
    path = str(tmp_path / "rec.dbm")
    db = _SqliteDbm.open(path, "n")
    db["a"] = "1"
    db.close()
    db = _SqliteDbm.open(path, "nfu")
    db["b"] = "2"
    db.close()
    db = _SqliteDbm.open(path)
    with pytest.raises(KeyError):
        db["a"]
    assert db["b"] == b"2"
    db.close()


def test_anything_else_is_not_an_index(tmp_path: Path) -> None:
    (tmp_path / "dumb.dbm").write_bytes(b"not sqlite")
    assert _SqliteDbm.whichdb(str(tmp_path / "dumb.dbm")) == ""
    assert _SqliteDbm.whichdb(str(tmp_path / "missing.dbm")) == ""
