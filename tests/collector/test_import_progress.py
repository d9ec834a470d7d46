"""Issue #17 point 5: a long `netcensus import` shows what it is doing on a terminal, and only there."""

from __future__ import annotations

import csv
import os
import pty
import subprocess
from pathlib import Path

from tests.conftest import BIN, run_cli

SAMPLE = Path(__file__).resolve().parents[2] / "collector" / "register" / "sample_register.csv"


def big_register(path: Path, rows: int) -> Path:
    """The bundled Snipe-IT sample's first row, repeated with distinct tags, serials, names and MACs."""
    with SAMPLE.open(newline="", encoding="utf-8") as f:
        header, first, *_ = list(csv.reader(f))
    columns = {name: i for i, name in enumerate(header)}
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(header)
        for n in range(rows):
            row = list(first)
            row[columns["Asset Tag"]] = f"NC-{n:06d}"
            row[columns["Serial"]] = f"SN{n:08d}"
            row[columns["Asset Name"]] = row[columns["Hostname"]] = f"host-{n}"
            row[columns["MAC Address"]] = f"00:1b:21:{n >> 16 & 255:02x}:{n >> 8 & 255:02x}:{n & 255:02x}"
            out.writerow(row)
    return path


def on_a_terminal(*argv: str) -> tuple[int, str, str]:
    """Run a console script with stderr on a pseudo-terminal; returns (exit code, stdout, terminal text)."""
    controller, terminal = pty.openpty()
    proc = subprocess.Popen([str(BIN / argv[0]), *argv[1:]], stdout=subprocess.PIPE, stderr=terminal,
                            stdin=subprocess.DEVNULL, env={**os.environ, "COLUMNS": "100"})
    os.close(terminal)
    seen = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # EIO: the process closed its end
            break
        if not chunk:
            break
        seen += chunk
    out, _ = proc.communicate(timeout=300)
    os.close(controller)
    return proc.returncode, out.decode(), seen.decode(errors="replace")


def test_a_large_import_shows_its_phases_on_a_terminal_and_erases_them(tmp_path: Path) -> None:
    register = big_register(tmp_path / "big.csv", 20_000)
    code, out, shown = on_a_terminal("netcensus", "import", str(register), "--format", "snipeit",
                                     "--db", str(tmp_path / "nc.duckdb"))
    assert code == 0, shown
    assert "import: checking every row of big.csv" in shown
    assert "import: 20,000 records checked; replacing the register in nc.duckdb" in shown
    assert shown.endswith("\r\x1b[K")  # the status line is gone: only the result stays
    assert out.startswith("imported ") and "20000 records (20000 added" in out


def test_without_a_terminal_the_import_writes_nothing_but_its_result(tmp_path: Path) -> None:
    register = big_register(tmp_path / "small.csv", 50)
    r = run_cli("netcensus", "import", str(register), "--format", "snipeit", "--db", str(tmp_path / "nc.duckdb"))
    assert r.code == 0 and r.err == "" and r.out.startswith("imported ")
    bad = run_cli("netcensus", "import", str(SAMPLE), "--format", "netbox", "--db", str(tmp_path / "nc.duckdb"))
    assert bad.code == 1 and len(bad.err.strip().splitlines()) == 1  # an error is still one line

