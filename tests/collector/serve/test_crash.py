"""Crash and outage tests with real processes and real files (issue 5, item 5).

kill -9 the collector repeatedly while agents stream; stop it for an agent's whole run; kill -9 an
agent in the middle of a send. Afterwards the database must hold every report exactly once: none
lost (every spooled report arrives), none doubled (one ledger row, one sighting and one set of
software rows per report), and every report an agent saw acked is among them.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.collector.serve.helpers import REPO, CollectorProcess, free_port
from tests.conftest import run_cli

ITEMS = 20


def start_driver(target: str, state_dir: Path, count: int, *, deadline: float = 150) -> subprocess.Popen[str]:
    state_dir.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.collector.serve.agent_driver", "--collector", target,
         "--state-dir", str(state_dir),
         "--count", str(count), "--items", str(ITEMS), "--acks", str(state_dir / "acks.txt"),
         "--deadline", str(deadline)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split() if path.exists() else []


def check_exactly_once(db: Path, sent: list[str], acked: list[str]) -> dict[str, int]:
    """Every sent report stored once with its sighting and its software rows once; acked ⊆ stored."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        stored = [r[0] for r in con.execute("SELECT report_id FROM reports").fetchall()]
        per_report_sightings = dict(con.execute(
            "SELECT report_id, count(*) FROM sightings GROUP BY 1").fetchall())
        per_report_items = dict(con.execute(
            "SELECT first_report_id, count(*) FROM software_installs GROUP BY 1").fetchall())
    finally:
        con.close()
    assert len(stored) == len(set(stored)), "a report_id is stored twice"
    missing = set(sent) - set(stored)
    assert not missing, f"{len(missing)} spooled reports never arrived (lost)"
    assert set(acked) <= set(stored), "an acked report is not in the database"
    doubled = [r for r in sent if per_report_sightings.get(r) != 1 or per_report_items.get(r) != ITEMS]
    assert not doubled, f"{len(doubled)} reports applied more or less than once, e.g. {doubled[:3]}"
    return {"stored": len(stored), "acked": len(acked), "sent": len(sent)}


@pytest.mark.slow
def test_kill9_collector_repeatedly_while_agents_stream(tmp_path: Path, empty_rules: Path) -> None:
    db = tmp_path / "nc.duckdb"
    collector = CollectorProcess(db, free_port(), empty_rules).start()
    agents = [tmp_path / f"agent{n}" for n in range(3)]
    drivers = [start_driver(collector.target, d, 300) for d in agents]
    kills = 0
    try:
        for _ in range(5):
            time.sleep(1.5)
            collector.kill9()
            kills += 1
            time.sleep(0.3)
            collector.start()
        for proc in drivers:
            out, err = proc.communicate(timeout=150)
            assert proc.returncode == 0, err[-2000:]
            assert "remaining 0" in out, (out, err[-2000:])
    finally:
        for proc in drivers:
            if proc.poll() is None:
                proc.kill()
        assert collector.stop() == 0
    sent = [r for d in agents for r in lines(d / "sent.txt")]
    acked = [r for d in agents for r in lines(d / "acks.txt")]
    counts = check_exactly_once(db, sent, acked)
    assert kills == 5 and counts["stored"] == 900
    print(f"kill -9 x{kills}: {counts}")


@pytest.mark.slow
def test_collector_down_for_the_whole_agent_run(tmp_path: Path, empty_rules: Path) -> None:
    """Three `report --once` runs against a dead collector: each exits 1 in one line and keeps its
    report; the first run after the collector is back delivers all four, in order."""
    port = free_port()
    state = tmp_path / "agent"
    for _ in range(3):
        r = run_cli("netcensus-agent", "report", "--collector", f"127.0.0.1:{port}", "--once", "--state-dir",
                    str(state))
        assert r.code == 1, r.out
        assert len(r.err.strip().splitlines()) == 1 and "unreachable" in r.err and "kept in the spool" in r.err
    status = run_cli("netcensus-agent", "status", "--state-dir", str(state), "--format", "json")
    assert '"spool_depth": 3' in status.out, status.out
    db = tmp_path / "nc.duckdb"
    collector = CollectorProcess(db, port, empty_rules).start()
    try:
        r = run_cli("netcensus-agent", "report", "--collector", collector.target, "--once", "--state-dir", str(state))
        assert r.code == 0, r.err
        assert "3 earlier spooled report(s) delivered" in r.out
    finally:
        assert collector.stop() == 0
    con = duckdb.connect(str(db), read_only=True)
    try:
        seqs = [int(s) for (s,) in con.execute("SELECT seq FROM reports ORDER BY rowid").fetchall()]
    finally:
        con.close()
    assert seqs == [1, 2, 3, 4]
    status = run_cli("netcensus-agent", "status", "--state-dir", str(state), "--format", "json")
    assert '"spool_depth": 0' in status.out and '"acked": 4' in status.out, status.out


@pytest.mark.slow
def test_agent_killed_mid_send_loses_nothing(tmp_path: Path, empty_rules: Path) -> None:
    db = tmp_path / "nc.duckdb"
    collector = CollectorProcess(db, free_port(), empty_rules).start()
    state = tmp_path / "agent"
    try:
        proc = start_driver(collector.target, state, 400)
        deadline = time.monotonic() + 60
        while len(lines(state / "acks.txt")) < 50 and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.kill()  # SIGKILL while reports are in flight
        proc.wait()
        acked_before = len(lines(state / "acks.txt"))
        assert 0 < acked_before < len(lines(state / "sent.txt")) or acked_before < 400
        resumed = start_driver(collector.target, state, 0)
        out, err = resumed.communicate(timeout=120)
        assert resumed.returncode == 0 and "remaining 0" in out, err[-2000:]
    finally:
        assert collector.stop() == 0
    check_exactly_once(db, lines(state / "sent.txt"), lines(state / "acks.txt"))
