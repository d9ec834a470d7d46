"""The agent's side of enrolment (issue #14): it presents its key when it re-enrols, a refusal is one
clear line and the spool is kept, and a rate-limited enrolment is retried after the collector's
retry-after. A real collector on loopback."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from netcensus.v1 import report_pb2

from agent.config import Security
from agent.errors import RejectedError
from agent.scan.model import Method, Observation, ScanBatch
from agent.transport.link import Link
from agent.transport.scans import ScanSender, scanner_state_dir
from agent.transport.spool import Priority, Spool
from collector.client import CollectorClient
from collector.config import ServeConfig
from collector.serve.server import BackgroundCollector
from tests.collector.serve.enrolment_helpers import SECRET, enrol
from tests.collector.serve.helpers import now_ts
from tests.conftest import run_cli

ADMIN = "agent-enrolment-admin-2d4c"


def start(tmp_path: Path, **limits: object) -> BackgroundCollector:
    rules = tmp_path / "rules"
    rules.mkdir(parents=True, exist_ok=True)
    (rules / "none.yaml").write_text("rules: []\n", encoding="utf-8")
    return BackgroundCollector(ServeConfig(db=tmp_path / "nc.duckdb", listen="127.0.0.1:0", rules_dirs=(rules,),
                                           refresh_interval=timedelta(0), enrol_secret=SECRET, admin_token=ADMIN,
                                           **limits))  # type: ignore[arg-type]


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[BackgroundCollector]:
    with start(tmp_path / "c") as c:
        yield c


def link(target: str, state_dir: Path) -> Link:
    return Link(target, state_dir, kind=report_pb2.SOURCE_KIND_AGENT, secret=SECRET, security=Security())


def heartbeat(lk: Link) -> report_pb2.Report:
    report = report_pb2.Report(report_id=str(uuid.uuid4()), source_id=lk.source_id, seq=lk.take_seq(),
                               created_at=now_ts(), software_version="test")
    report.heartbeat.hostname = "t"
    return report


def test_re_enrolment_presents_the_key(collector: BackgroundCollector, tmp_path: Path) -> None:
    with link(collector.target, tmp_path / "a") as lk:
        lk.client.ensure_enrolled()
        first = lk.state.node_key
        lk.client.ensure_enrolled(force=True)  # what the agent does when a stream is refused
        assert lk.state.node_key and lk.state.node_key != first
        lk.enqueue(heartbeat(lk), Priority.IDENTITY)
        assert lk.deliver_once().acked == 1


def test_a_refused_enrolment_is_one_line_and_keeps_the_spool(collector: BackgroundCollector, tmp_path: Path) -> None:
    with grpc.insecure_channel(collector.target) as ch:
        victim, _ = enrol(ch, "agent-victim")
    # Another machine's state claims the victim's id, without its key (a cloned image, an attacker).
    state = tmp_path / "clone"
    state.mkdir()
    (state / "state.json").write_text(json.dumps({"source_id": victim}), encoding="utf-8")
    with link(collector.target, state) as lk:
        lk.enqueue(heartbeat(lk), Priority.IDENTITY)
        with pytest.raises(RejectedError) as info:
            lk.deliver(deadline=time.monotonic() + 10, retry_cold=False)
        assert "\n" not in str(info.value) and "netcensus sources approve agent-victim" in str(info.value)
        assert lk.queued() == 1
    # After an admin's approval the same agent gets in, and its spool drains.
    with CollectorClient(collector.target, token=ADMIN) as admin:
        assert admin.approve_enrolment(victim) is not None
    with link(collector.target, state) as lk:
        assert lk.deliver(deadline=time.monotonic() + 10, retry_cold=False).acked == 1


def test_the_agent_command_reports_a_refusal_in_one_line(collector: BackgroundCollector, tmp_path: Path) -> None:
    with grpc.insecure_channel(collector.target) as ch:
        victim, _ = enrol(ch, "cli-victim")
    state = tmp_path / "cli"
    state.mkdir()
    (state / "state.json").write_text(json.dumps({"source_id": victim}), encoding="utf-8")
    r = run_cli("netcensus-agent", "report", "--collector", collector.target, "--once", "--state-dir", str(state),
                env={"NETCENSUS_ENROL_SECRET": SECRET})
    assert r.code == 1
    assert "Traceback" not in r.err and len(r.err.strip().splitlines()) == 1, r.err
    assert "refused enrolment" in r.err and "kept in the spool" in r.err
    with Spool(state / "spool.sqlite") as spool:
        assert spool.stats().depth == 1


def test_a_rate_limited_enrolment_is_retried(tmp_path: Path) -> None:
    with start(tmp_path / "c", enrol_rate_per_peer=2.0, enrol_burst_per_peer=1.0) as c:
        with grpc.insecure_channel(c.target) as ch:
            enrol(ch)  # spends the peer's only token
        with link(c.target, tmp_path / "a") as lk:
            lk.enqueue(heartbeat(lk), Priority.IDENTITY)
            result = lk.deliver(deadline=time.monotonic() + 30, retry_cold=False)
            assert result.acked == 1
            with Spool(tmp_path / "a" / "spool.sqlite") as spool:
                assert spool.stats().counters.get("retries", 0) >= 1


def test_an_agent_and_a_scanner_on_one_host_are_two_sources(collector: BackgroundCollector, tmp_path: Path) -> None:
    """`report` and `scan` with the same state directory: the scanner enrols as a scanner of its own, so
    its sweeps are stored (one shared agent key would have them rejected for its kind)."""
    state = tmp_path / "host"
    with link(collector.target, state) as lk:
        lk.enqueue(heartbeat(lk), Priority.IDENTITY)
        assert lk.deliver_once().acked == 1
        agent_id = lk.source_id
    (state / "baseline.json").write_text("{}", encoding="utf-8")  # what `report` leaves behind
    now = datetime.now(UTC)
    sender = ScanSender(collector.target, state, secret=SECRET, security=Security())
    sender(ScanBatch(scan_id=str(uuid.uuid4()), targets=("192.0.2.0/24",), methods=(Method.ARP,), started_at=now,
                     finished_at=now, observations=(Observation(Method.ARP, now, ip="192.0.2.7"),), complete=True))
    sender.finish()
    assert sender.unreachable == ""
    assert scanner_state_dir(state) == state / "scanner"
    assert collector.collector is not None
    kinds = {str(r["source_id"]): str(r["kind"]) for r in collector.collector.store.query(
        "SELECT source_id, kind FROM sources")}
    scanner_id = json.loads((state / "scanner" / "state.json").read_text())["source_id"]
    assert kinds == {agent_id: "agent", scanner_id: "scanner"}
    assert collector.collector.store.query("SELECT count(*) AS n FROM scan_runs") == [{"n": 1}]


def test_a_scanner_only_install_keeps_its_identity(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text(json.dumps({"source_id": "old-scanner"}), encoding="utf-8")
    assert scanner_state_dir(tmp_path) == tmp_path
    (tmp_path / "baseline.json").write_text("{}", encoding="utf-8")
    assert scanner_state_dir(tmp_path) == tmp_path / "scanner"
