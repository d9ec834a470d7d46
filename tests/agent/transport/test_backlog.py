"""What a sender says of its spool at send time (Report.sender_state): the spool's figures and their encoding."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from netcensus.v1 import report_pb2

from agent.config import AgentConfig, Security
from agent.errors import CollectionError
from agent.report import report_once
from agent.transport.encode import MAX_ERROR_CHARS, encode_sender_state, one_line
from agent.transport.scans import ScanSender, scanner_state_dir
from agent.transport.spool import Backlog, Priority, Spool


def test_backlog_counts_everything_but_the_report_being_sent(tmp_path: Path) -> None:
    with Spool(tmp_path / "spool.sqlite") as spool:
        assert spool.backlog("nothing").reports == 0
        assert spool.backlog("nothing").oldest_at is None
        for n in range(5):
            spool.put(f"r{n}", n + 1, Priority.IDENTITY, b"x" * (10 + n))
        first = spool.backlog("r0")
        assert (first.reports, first.bytes) == (4, 11 + 12 + 13 + 14)
        assert spool.backlog("unknown").reports == 5  # not queued (answered meanwhile): nothing to leave out
        spool.remove(["r0", "r1", "r2", "r3"])
        assert (spool.backlog("r4").reports, spool.backlog("r4").bytes) == (0, 0)
        assert spool.backlog("r4").oldest_at is None


def test_oldest_is_the_first_queued_of_the_others(tmp_path: Path) -> None:
    with Spool(tmp_path / "spool.sqlite") as spool:
        spool.put("a", 1, Priority.BULK, b"a")
        spool.put("b", 2, Priority.BULK, b"b")
        queued = dict(spool._db.execute("SELECT report_id, queued_at FROM queue"))
        assert spool.backlog("b").oldest_at == datetime.fromtimestamp(queued["a"], UTC)
        assert spool.backlog("a").oldest_at == datetime.fromtimestamp(queued["b"], UTC)


def test_totals_follow_evictions_and_reopen(tmp_path: Path) -> None:
    with Spool(tmp_path / "spool.sqlite", max_reports=3) as spool:
        for n in range(5):
            spool.put(f"r{n}", n + 1, Priority.BULK, b"y" * 100)
        assert spool.backlog().reports == 3 == spool.stats().depth
    with Spool(tmp_path / "spool.sqlite") as spool:
        assert (spool.backlog().reports, spool.backlog().bytes) == (3, 300)


def test_a_spool_from_before_the_totals_gets_them_from_its_queue(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite"
    with Spool(path) as spool:
        for n in range(3):
            spool.put(f"r{n}", n + 1, Priority.IDENTITY, b"z" * 7)
    db = sqlite3.connect(path)
    db.executescript("DROP TRIGGER totals_in; DROP TRIGGER totals_out; DROP TABLE totals;")
    db.close()
    with Spool(path) as spool:
        assert (spool.backlog().reports, spool.backlog().bytes) == (3, 21)
        spool.put("r3", 4, Priority.IDENTITY, b"z")
        assert spool.backlog().reports == 4


def test_the_last_error_comes_with_its_time(tmp_path: Path) -> None:
    with Spool(tmp_path / "spool.sqlite") as spool:
        assert spool.backlog().last_error is None
        spool.note("error", "collector 127.0.0.1:1 is unreachable (connection refused)")
        spool.note("success", "1 report(s) acked")
        error = spool.backlog().last_error
        assert error is not None and error.detail.endswith("(connection refused)")


def test_sender_state_merges_into_the_spooled_bytes(tmp_path: Path) -> None:
    report = report_pb2.Report(report_id="r1", source_id="s", seq=7, heartbeat=report_pb2.Heartbeat(hostname="h"))
    with Spool(tmp_path / "spool.sqlite") as spool:
        spool.put("r0", 6, Priority.IDENTITY, b"0" * 40)
        spool.put("r1", 7, Priority.HEARTBEAT, report.SerializeToString())
        spool.note("error", "first line\n  Traceback: second line")
        sent = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        wire = report.SerializeToString() + encode_sender_state(spool.backlog("r1"), sent)
    merged = report_pb2.Report.FromString(wire)
    assert (merged.report_id, merged.seq, merged.heartbeat.hostname) == ("r1", 7, "h")
    state = merged.sender_state
    assert (state.queued_reports, state.queued_bytes) == (1, 40)
    assert state.HasField("oldest_queued_at") and state.sent_at.ToDatetime(UTC) == sent
    assert state.last_error == "first line Traceback: second line"


def test_an_idle_sender_says_nothing_waits() -> None:
    state = report_pb2.Report.FromString(encode_sender_state(Backlog(0, 0, None, None),
                                                             datetime.now(UTC))).sender_state
    assert state.queued_reports == 0 and not state.HasField("oldest_queued_at") and not state.last_error


def test_one_line_is_bounded() -> None:
    assert len(one_line("e" * 5000)) == MAX_ERROR_CHARS
    assert one_line("a\r\n\tb") == "a b"


def test_a_collection_that_fails_outright_is_the_last_error(tmp_path: Path) -> None:
    def boom(_config: object, _skip: object) -> object:
        raise CollectionError("/var/lib/dpkg/status: unreadable")

    config = AgentConfig(collector="127.0.0.1:1", state_dir=tmp_path)
    with pytest.raises(CollectionError):
        report_once(config, collect=boom)  # type: ignore[arg-type]
    with Spool(tmp_path / "spool.sqlite") as spool:
        error = spool.backlog().last_error
    assert error is not None
    assert error.detail == "collecting facts failed: CollectionError: /var/lib/dpkg/status: unreadable"


def test_the_scanner_notes_a_failed_job_in_its_own_spool(tmp_path: Path) -> None:
    sender = ScanSender("127.0.0.1:1", tmp_path, secret="", security=Security())
    sender.note_failure("scan job office: no interface eth9")
    sender.link.close()
    with Spool(scanner_state_dir(tmp_path) / "spool.sqlite") as spool:
        error = spool.backlog().last_error
    assert error is not None and error.detail == "scan job office: no interface eth9"
