"""Bad input gets one line on stderr, exit 1, no traceback, nothing half-written (issue 2, item 8)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from tests.conftest import BIN, run_cli


def one_line_error(result, *fragments: str) -> None:
    assert result.code == 1, (result.out, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_missing_register_file(tmp_path: Path) -> None:
    one_line_error(run_cli("netcensus", "import", str(tmp_path / "nope.csv"), "--format", "snipeit",
                           "--db", str(tmp_path / "x.duckdb")), "nope.csv", "no such file")
    assert not (tmp_path / "x.duckdb").exists()


def test_malformed_csv_names_line_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    good = tmp_path / "good.csv"
    good.write_text("Asset Tag,Serial,Status,MAC Address\nNC-1,SN1,Deployed,00:1b:21:0a:00:01\n", encoding="utf-8")
    assert run_cli("netcensus", "import", str(good), "--format", "snipeit", "--db", str(db)).code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("Asset Tag,Serial,Status,MAC Address\nNC-2,SN2,Deployed,00:1b:21:0a:00:02\n"
                   "NC-3,SN3,Deployed,not-a-mac\n", encoding="utf-8")
    one_line_error(run_cli("netcensus", "import", str(bad), "--format", "snipeit", "--db", str(db)), "bad.csv:3")
    rows = run_cli("netcensus", "sql", "--db", str(db), "SELECT asset_tag FROM recorded_assets", "--format", "csv")
    assert rows.out.split() == ["asset_tag", "NC-1"]


def test_unmapped_status_is_named(tmp_path: Path) -> None:
    f = tmp_path / "r.csv"
    f.write_text("Asset Tag,Serial,Status\nNC-1,SN1,Loaned to partner\n", encoding="utf-8")
    one_line_error(run_cli("netcensus", "import", str(f), "--format", "snipeit", "--db", str(tmp_path / "x.duckdb")),
                   "Loaned to partner", "r.csv:2")
    ok = run_cli("netcensus", "import", str(f), "--format", "snipeit", "--db", str(tmp_path / "x.duckdb"),
                 "--status-map", "Loaned to partner=in-use")
    assert ok.code == 0, ok.err


def test_non_csv_file(tmp_path: Path) -> None:
    f = tmp_path / "photo.csv"
    f.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    one_line_error(run_cli("netcensus", "import", str(f), "--format", "snipeit", "--db", str(tmp_path / "x.duckdb")),
                   "photo.csv")


def test_unreachable_collector(tmp_path: Path) -> None:
    port = free_port()
    one_line_error(run_cli("netcensus", "findings", "--collector", f"127.0.0.1:{port}"), "unreachable")
    one_line_error(run_cli("netcensus-agent", "report", "--collector", f"127.0.0.1:{port}", "--once",
                           "--state-dir", str(tmp_path)), "unreachable")


def test_usage_errors_exit_1(tmp_path: Path) -> None:
    one_line_error(run_cli("netcensus", "findings"), "--db")
    one_line_error(run_cli("netcensus", "findings", "--db", str(tmp_path / "x"), "--ghost-after", "soon"), "soon")
    one_line_error(run_cli("netcensus", "findings", "--db", str(tmp_path / "none.duckdb")), "no such database")
    one_line_error(run_cli("netcensus", "bogus"))


@pytest.fixture
def serving(tmp_path: Path, empty_rules: Path):
    port = free_port()
    db = tmp_path / "held.duckdb"
    proc = subprocess.Popen([str(BIN / "netcensus"), "serve", "--db", str(db), "--listen", f"127.0.0.1:{port}",
                             "--rules", str(empty_rules), "--open-enrolment"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert "listening" in line, proc.stderr.read() if proc.poll() is not None else line
    yield proc, port, db
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_port_in_use(serving, tmp_path: Path) -> None:
    _, port, _ = serving
    one_line_error(run_cli("netcensus", "serve", "--db", str(tmp_path / "other.duckdb"), "--listen",
                           f"127.0.0.1:{port}", "--open-enrolment"), f"127.0.0.1:{port}")


def test_db_held_by_running_collector(serving) -> None:
    _, _, db = serving
    one_line_error(run_cli("netcensus", "findings", "--db", str(db)), "running collector", "--collector")
    one_line_error(run_cli("netcensus", "sql", "--db", str(db), "SELECT 1"), "running collector")


def test_sigterm_shuts_down_cleanly_with_nothing_lost(serving, tmp_path: Path) -> None:
    proc, port, db = serving
    for n in range(3):
        r = run_cli("netcensus-agent", "report", "--collector", f"127.0.0.1:{port}", "--once",
                    "--state-dir", str(tmp_path / f"agent{n}"))
        assert r.code == 0, r.err
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    out = run_cli("netcensus", "sql", "--db", str(db), "SELECT count(*) AS n FROM reports", "--format", "csv")
    assert out.out.split() == ["n", "3"], out.err
    assert not Path(str(db) + ".wal").exists() or Path(str(db) + ".wal").stat().st_size == 0
