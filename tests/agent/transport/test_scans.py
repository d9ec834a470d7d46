"""ScanSender: scan batches are spooled, sent to a real collector on loopback, and kept while it is down."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.config import Security
from agent.errors import TransportError
from agent.scan.model import Method, Observation, ScanBatch
from agent.transport.scans import ScanSender, scanner_state_dir
from agent.transport.spool import Spool
from tests.collector.serve.helpers import free_port

NOW = datetime.now(UTC)


def batch(ip: str, *, complete: bool = True) -> ScanBatch:
    return ScanBatch(scan_id=str(uuid.uuid4()), targets=("192.0.2.0/24",), methods=(Method.ARP,), started_at=NOW,
                     finished_at=NOW, observations=(Observation(Method.ARP, NOW, ip=ip, mac="00:1b:21:0a:00:07"),),
                     complete=complete)


def depth(state_dir: Path) -> int:
    with Spool(scanner_state_dir(state_dir) / "spool.sqlite") as spool:
        return spool.stats().depth


def scan_reports(running: object) -> int:
    store = running.collector.store  # type: ignore[attr-defined]
    return int(store.query("SELECT count(*) AS n FROM reports WHERE kind = 'scan'")[0]["n"])


def test_batches_reach_the_collector(collector: object, tmp_path: Path) -> None:
    sender = ScanSender(collector.target, tmp_path, secret="", security=Security())  # type: ignore[attr-defined]
    sender(batch("192.0.2.7", complete=False))
    sender(batch("192.0.2.8"))
    sender.finish()
    assert sender.unreachable == "" and depth(tmp_path) == 0
    assert scan_reports(collector) == 2


def test_unreachable_collector_keeps_every_batch_queued(tmp_path: Path) -> None:
    sender = ScanSender(f"127.0.0.1:{free_port()}", tmp_path, secret="", security=Security())
    sender(batch("192.0.2.7", complete=False))
    assert "unreachable" in sender.unreachable
    sender(batch("192.0.2.8"))  # spooled without another attempt
    with pytest.raises(TransportError, match=r"2 scan batch\(es\) kept in the spool for the next run"):
        sender.finish()
    assert depth(tmp_path) == 2
