"""`netcensus sql` is a sandbox: one read-only SELECT, no file, URL or database but its own (issue #14).

Each attack from the issue runs through the real command line (in process: main() with the real
store) against a real database file, and must end as one line on stderr, exit 1, with nothing
written anywhere: the database file is byte-for-byte unchanged and no new file appears.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from collector.cli import main
from collector.errors import QueryError
from collector.store.duckdb import Store
from collector.store.sandbox import SANDBOX_CONFIG, one_select
from tests.collector.hostile import hostile_store


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Path]:
    """A netcensus database, a secret file beside it, and another DuckDB database to attack."""
    db = hostile_store(tmp_path / "nc.duckdb")
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("TOP-SECRET-LINE\n", encoding="utf-8")
    other = Store.open(tmp_path / "other.duckdb")  # a second netcensus database the query must not touch
    other.close()
    return {"dir": tmp_path, "db": db, "secret": secret, "other": tmp_path / "other.duckdb",
            "out": tmp_path / "stolen.csv"}


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


ATTACKS = {
    "copy-to": "COPY (SELECT * FROM sightings) TO '{out}' (HEADER)",
    "copy-table-to": "COPY software_installs TO '{out}'",
    "copy-from": "COPY sightings FROM '{secret}'",
    "export": "EXPORT DATABASE '{dir}/export'",
    "read-text": "SELECT * FROM read_text('{secret}')",
    "read-csv": "SELECT * FROM read_csv('{secret}', header=false)",
    "read-blob-in-with": "WITH x AS (SELECT * FROM read_blob('{secret}')) SELECT * FROM x",
    "replacement-scan": "SELECT * FROM '{secret}'",
    "glob": "SELECT * FROM glob('{dir}/*')",
    "sniff-csv": "SELECT * FROM sniff_csv('{secret}')",
    "query-copy": "SELECT * FROM query('COPY (SELECT 1) TO ''{out}''')",
    "query-set": "SELECT * FROM query('SET enable_external_access = true')",
    "shadow": "SELECT * FROM read_text('/etc/shadow')",
    "url": "SELECT * FROM read_csv('http://192.0.2.1/x.csv')",
    "attach": "ATTACH '{other}' AS o (READ_WRITE)",
    "attach-new": "ATTACH '{dir}/new.duckdb' AS n",
    "detach": "DETACH nc",
    "two-statements": "SELECT 1; SELECT 2",
    "select-then-copy": "SELECT 1; COPY (SELECT 1) TO '{out}'",
    "set": "SET enable_external_access = true",
    "set-lock": "SET lock_configuration = false",
    "reset": "RESET enable_external_access",
    "install": "INSTALL httpfs",
    "force-install": "FORCE INSTALL httpfs FROM community",
    "load": "LOAD httpfs",
    "pragma": "PRAGMA enable_profiling",
    "pragma-version": "PRAGMA version",
    "call": "CALL pragma_version()",
    "create": "CREATE TABLE t AS SELECT 1 AS a",
    "create-secret": "CREATE SECRET s (TYPE s3, KEY_ID 'x', SECRET 'y')",
    "create-macro": "CREATE MACRO m(a) AS a",
    "insert": "INSERT INTO settings VALUES ('x', 'y')",
    "delete": "DELETE FROM sightings",
    "update": "UPDATE sightings SET hostname = 'x'",
    "drop": "DROP VIEW identifiers",
    "alter": "ALTER TABLE sightings ADD COLUMN x INT",
    "checkpoint": "CHECKPOINT",
    "vacuum": "VACUUM",
    "begin": "BEGIN TRANSACTION",
    "explain-analyze": "EXPLAIN ANALYZE SELECT 1",
    "use": "USE memory",
    "empty": "  ;  ",
    "comment-only": "-- nothing",
    "syntax": "SELEC 1",
}


@pytest.mark.parametrize("name", ATTACKS)
def test_attack_is_refused_in_one_line_and_writes_nothing(world: dict[str, Path], name: str,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    sql = ATTACKS[name].format(**{k: str(v) for k, v in world.items()})
    before = _snapshot(world["dir"])
    code = main(["sql", "--db", str(world["db"]), sql])
    out, err = capsys.readouterr()
    assert code == 1, (out, err)
    assert len(err.strip().splitlines()) == 1 and err.startswith("netcensus: sql: "), err
    assert "Traceback" not in err and "TOP-SECRET" not in out + err
    assert _snapshot(world["dir"]) == before  # no file written, the database and the other one unchanged


@pytest.mark.parametrize(("sql", "says"), [
    ("COPY (SELECT 1) TO 'x.csv'", "not COPY"),
    ("ATTACH 'x.duckdb'", "not ATTACH"),
    ("INSTALL httpfs", "not INSTALL or LOAD"),
    ("SET threads = 1", "not SET"),
    ("SELECT 1; SELECT 2", "exactly one statement (got 2)"),
    ("", "exactly one statement (got 0)"),
])
def test_refusals_name_what_was_refused(sql: str, says: str) -> None:
    with pytest.raises(QueryError, match=re.escape(says)):
        one_select(sql)


def test_a_select_that_reaches_outside_is_stopped_by_duckdb_itself(world: dict[str, Path],
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Not only the statement check: the connection has no external access, so a SELECT cannot read."""
    assert main(["sql", "--db", str(world["db"]), f"SELECT * FROM read_text('{world['secret']}')"]) == 1
    assert "disabled by configuration" in capsys.readouterr().err


@pytest.mark.parametrize("sql", [
    "SELECT current_setting('enable_external_access') AS v",
    "SELECT current_setting('lock_configuration') AS v",
    "SELECT current_setting('autoload_known_extensions') AS v",
    "SELECT current_setting('autoinstall_known_extensions') AS v",
    "SELECT current_setting('allow_community_extensions') AS v",
])
def test_the_sandbox_settings_are_in_force(world: dict[str, Path], sql: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sql", "--db", str(world["db"]), sql, "--format", "csv"]) == 0
    value = capsys.readouterr().out.splitlines()[1]
    expected = "true" if "lock_configuration" in sql else "false"
    assert value == expected
    assert SANDBOX_CONFIG["lock_configuration"] is True


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT kind, value FROM identifiers WHERE kind = 'ip' ORDER BY value",
     "kind,value\nip,192.0.2.1\nip,192.0.2.2\n"),
    ("WITH ips AS (SELECT value FROM identifiers WHERE kind = 'ip') SELECT count(*) AS n FROM ips", "n\n2\n"),
    ("FROM software SELECT count(DISTINCT source) AS sources", "sources\n2\n"),
    ("SELECT count(*) AS n FROM software JOIN software_history USING (subject, name, source_id)", "n\n12\n"),
    ("  select 1 as one ;  -- trailing comment", "one\n1\n"),
])
def test_a_normal_select_still_works(world: dict[str, Path], sql: str, expected: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sql", "--db", str(world["db"]), sql, "--format", "csv"]) == 0
    assert capsys.readouterr().out == expected


def test_changes_still_in_the_write_ahead_log_are_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A collector that died before its checkpoint leaves a .wal beside the file: external access off
    must not hide those rows (DuckDB replays the log of the file it was asked to open)."""
    import subprocess
    import sys

    db = hostile_store(tmp_path / "nc.duckdb")
    script = ("import os, sys; from collector.store.duckdb import Store; "
              "s = Store.open(__import__('pathlib').Path(sys.argv[1])); s.defer_checkpoints('1GB'); "
              "s.set_setting('wal-probe', 'still in the log'); os._exit(0)")
    subprocess.run([sys.executable, "-c", script, str(db)], check=True, cwd=Path(__file__).resolve().parents[3])
    assert db.with_name(db.name + ".wal").exists()
    assert main(["sql", "--db", str(db), "SELECT value FROM settings WHERE key = 'wal-probe'", "--format", "csv"]) == 0
    assert capsys.readouterr().out == "value\nstill in the log\n"


def test_a_file_that_is_not_a_netcensus_database_is_named(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    import duckdb

    plain = tmp_path / "plain.duckdb"
    duckdb.connect(str(plain)).close()
    assert main(["sql", "--db", str(plain), "SELECT 1"]) == 1
    assert "not a netcensus database" in capsys.readouterr().err


def test_every_store_connection_has_extension_autoload_and_autoinstall_off(tmp_path: Path) -> None:
    for read_only in (False, True):
        store = Store.open(hostile_store(tmp_path / f"s{read_only}.duckdb"), read_only=read_only)
        try:
            (row,) = store.query(
                "SELECT current_setting('autoinstall_known_extensions') AS install, "
                "current_setting('autoload_known_extensions') AS load, "
                "current_setting('allow_community_extensions') AS community")
        finally:
            store.close()
        assert row == {"install": False, "load": False, "community": False}
