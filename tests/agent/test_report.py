"""The report cycle: snapshot or delta against the acked baseline, and the collector's "send a full snapshot".

The state machine runs against a fake outbox (same Protocol as the real Link); the last tests run
whole cycles against a real collector on loopback over a real DuckDB file.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
from netcensus.v1 import report_pb2

from agent.config import AgentConfig
from agent.errors import AgentError, TransportError
from agent.facts.model import (
    CollectorState,
    CollectorStatus,
    HostFacts,
    Inventory,
    NetworkInterface,
    OsInfo,
    SoftwareItem,
)
from agent.report import ReportOutcome, report_once, send_host_report
from agent.transport.baseline import Baseline
from agent.transport.deliver import DrainResult
from agent.transport.spool import Priority

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

# How the fake collector answers one report: (stored?, rejection reason or "", need_full_snapshot?)
Answer = tuple[bool, str, bool]
ACK: Answer = (True, "", False)
UNKNOWN_BASE: Answer = (False, "unknown base; send a full snapshot", True)


def inventory(*versions: str, host: str = "fin-lt-014") -> Inventory:
    """One machine with packages pkg0..pkgN at the given versions, its deb collector complete."""
    software = tuple(SoftwareItem(f"pkg{i}", v, "deb", arch="amd64") for i, v in enumerate(versions))
    facts = HostFacts(hostname=host, os=OsInfo(family="linux", name="Debian GNU/Linux", version="12"),
                      interfaces=(NetworkInterface(name="eth0", mac="00:1b:21:0a:00:01",
                                                   addresses=("192.0.2.11/24",), is_up=True),))
    return Inventory(facts, software, (CollectorStatus("deb", CollectorState.OK, 1, len(software)),))


def config(tmp_path: Path, **kw: object) -> AgentConfig:
    return dataclasses.replace(AgentConfig(collector="127.0.0.1:50051", state_dir=tmp_path), **kw)  # type: ignore[arg-type]


class FakeOutbox:
    """An `agent.report.Outbox` spooling in a list; `answers`: the collector's answer to each report, in order."""

    def __init__(self, *answers: Answer, unreachable: bool = False, keep: bool = False,
                 host_queued: bool = False) -> None:
        self.answers = list(answers)
        self.unreachable = unreachable
        self.keep = keep                 # deliver, but the ack never arrives (the report stays queued)
        self.host_queued = host_queued
        self.sent: list[report_pb2.Report] = []
        self.spool: list[str] = []
        self.deliveries: list[tuple[float, bool]] = []
        self.seq = 0

    @property
    def source_id(self) -> str:
        return "5d0a1e9c-0000-4000-8000-000000000001"

    def take_seq(self) -> int:
        self.seq += 1
        return self.seq

    def host_report_queued(self) -> bool:
        return self.host_queued

    def enqueue(self, report: report_pb2.Report, priority: Priority) -> None:
        assert priority is Priority.IDENTITY
        self.sent.append(report)
        self.spool.append(report.report_id)

    def deliver(self, *, deadline: float, retry_cold: bool) -> DrainResult:
        self.deliveries.append((deadline, retry_cold))
        if self.unreachable:
            raise TransportError("collector 127.0.0.1:50051 is unreachable (connection refused)")
        result = DrainResult()
        if self.keep:
            return result
        for report_id in list(self.spool):
            stored, reason, need_full = self.answers.pop(0)
            if need_full:
                result.need_full.add(report_id)
            if stored:
                result.acked += 1
            else:
                result.rejected += 1
                result.reasons[report_id] = reason
            self.spool.remove(report_id)
        return result

    def is_queued(self, report_id: str) -> bool:
        return report_id in self.spool

    def queued(self) -> int:
        return len(self.spool)


def send(inv: Inventory, tmp_path: Path, outbox: FakeOutbox, *, once: bool = True, **kw: object) -> ReportOutcome:
    baseline = Baseline.load(tmp_path / "baseline.json")
    return send_host_report(inv, baseline, outbox, config(tmp_path, **kw), once=once, now=lambda: NOW,
                            clock=lambda: 1000.0)


def stored_baseline(tmp_path: Path) -> Baseline:
    return Baseline.load(tmp_path / "baseline.json")


def test_first_report_is_a_snapshot_and_becomes_the_baseline(tmp_path: Path) -> None:
    outbox = FakeOutbox(ACK)
    outcome = send(inventory("1.0", "2.0"), tmp_path, outbox)
    assert [r.WhichOneof("body") for r in outbox.sent] == ["host_snapshot"]
    assert outcome.delta is None and outcome.packages == 2 and outcome.report_id == outbox.sent[0].report_id
    base = stored_baseline(tmp_path)
    assert base.report_id == outbox.sent[0].report_id and base.collector == "127.0.0.1:50051"
    assert base.deltas_since_full == 0 and not base.force_full
    assert sorted(i.version for i in base.items.values()) == ["1.0", "2.0"]
    assert outcome.summary() == (
        "reported fin-lt-014 to 127.0.0.1:50051: full snapshot of 2 packages, 1 interfaces, 0 neighbours "
        f"(source {outbox.source_id}, report {outcome.report_id})")


def test_next_report_is_a_delta_against_the_acked_snapshot(tmp_path: Path) -> None:
    send(inventory("1.0", "2.0"), tmp_path, FakeOutbox(ACK))
    first = stored_baseline(tmp_path).report_id
    outbox = FakeOutbox(ACK)
    outcome = send(inventory("1.1", "2.0", "3.0"), tmp_path, outbox)
    (report,) = outbox.sent
    assert report.WhichOneof("body") == "host_delta"
    assert report.host_delta.base_report_id == first
    assert outcome.delta is not None and outcome.delta.size == 2  # pkg0 changed, pkg2 added
    assert "delta of 2 change(s)" in outcome.summary()
    base = stored_baseline(tmp_path)
    assert base.report_id == report.report_id and base.deltas_since_full == 1
    assert sorted(i.version for i in base.items.values()) == ["1.1", "2.0", "3.0"]


@pytest.mark.parametrize(("why", "setup"), [
    ("full_snapshot_every deltas were sent", {"full_snapshot_every": 1}),
    ("an earlier host report waits in the spool", {"host_queued": True}),
    ("the baseline was acked by another collector", {"collector": "127.0.0.1:50052"}),
])
def test_snapshot_instead_of_delta_when(tmp_path: Path, why: str, setup: dict[str, object]) -> None:
    send(inventory("1.0"), tmp_path, FakeOutbox(ACK))
    send(inventory("1.1"), tmp_path, FakeOutbox(ACK))  # one delta
    outbox = FakeOutbox(ACK, host_queued=bool(setup.pop("host_queued", False)))
    outcome = send(inventory("1.2"), tmp_path, outbox, **setup)
    assert [r.WhichOneof("body") for r in outbox.sent] == ["host_snapshot"], why
    assert outcome.delta is None and stored_baseline(tmp_path).deltas_since_full == 0


def test_unknown_base_is_answered_with_a_snapshot_in_the_same_cycle(tmp_path: Path) -> None:
    send(inventory("1.0"), tmp_path, FakeOutbox(ACK))
    outbox = FakeOutbox(UNKNOWN_BASE, ACK)
    outcome = send(inventory("1.1"), tmp_path, outbox)
    assert [r.WhichOneof("body") for r in outbox.sent] == ["host_delta", "host_snapshot"]
    assert [r.seq for r in outbox.sent] == [1, 2]
    assert outcome.delta is None and outcome.report_id == outbox.sent[1].report_id
    base = stored_baseline(tmp_path)
    assert base.report_id == outbox.sent[1].report_id and not base.force_full and base.deltas_since_full == 0


def test_a_snapshot_the_collector_refuses_is_an_error_not_a_loop(tmp_path: Path) -> None:
    send(inventory("1.0"), tmp_path, FakeOutbox(ACK))
    before = stored_baseline(tmp_path)
    outbox = FakeOutbox(UNKNOWN_BASE, UNKNOWN_BASE)
    with pytest.raises(AgentError, match="rejected the report: unknown base"):
        send(inventory("1.1"), tmp_path, outbox)
    assert [r.WhichOneof("body") for r in outbox.sent] == ["host_delta", "host_snapshot"]
    after = stored_baseline(tmp_path)
    # The acked base stays; only the wish for a snapshot next time is recorded.
    assert after.report_id == before.report_id and after.items == before.items and after.force_full


def test_plain_rejection_is_an_error_and_leaves_the_baseline(tmp_path: Path) -> None:
    send(inventory("1.0"), tmp_path, FakeOutbox(ACK))
    before = stored_baseline(tmp_path)
    outbox = FakeOutbox((False, "report too large", False))
    with pytest.raises(AgentError, match=r"collector 127\.0\.0\.1:50051 rejected the report: report too large"):
        send(inventory("1.1"), tmp_path, outbox)
    assert len(outbox.sent) == 1
    after = stored_baseline(tmp_path)
    assert (after.report_id, after.items, after.force_full) == (before.report_id, before.items, False)


def test_divergence_on_an_acked_delta_makes_the_next_report_a_snapshot(tmp_path: Path) -> None:
    send(inventory("1.0"), tmp_path, FakeOutbox(ACK))
    outbox = FakeOutbox((True, "", True))
    outcome = send(inventory("1.1"), tmp_path, outbox)
    assert outcome.delta is not None and stored_baseline(tmp_path).force_full
    nxt = FakeOutbox(ACK)
    send(inventory("1.1"), tmp_path, nxt)
    assert [r.WhichOneof("body") for r in nxt.sent] == ["host_snapshot"]
    assert not stored_baseline(tmp_path).force_full


def test_unreachable_collector_keeps_the_report_and_the_baseline(tmp_path: Path) -> None:
    send(inventory("1.0"), tmp_path, FakeOutbox(ACK))
    before = stored_baseline(tmp_path)
    outbox = FakeOutbox(unreachable=True)
    with pytest.raises(TransportError, match=r"unreachable \(connection refused\); 1 report\(s\) kept in the spool"):
        send(inventory("1.1"), tmp_path, outbox)
    assert outbox.spool == [outbox.sent[0].report_id]
    assert stored_baseline(tmp_path).report_id == before.report_id


def test_a_report_left_unacked_is_a_transport_error(tmp_path: Path) -> None:
    outbox = FakeOutbox(keep=True)
    with pytest.raises(TransportError, match=r"did not ack report .*; kept in spool"):
        send(inventory("1.0"), tmp_path, outbox)
    assert stored_baseline(tmp_path).report_id == ""


def test_once_waits_the_timeout_and_gives_up_cold_the_daemon_waits_up_to_the_interval(tmp_path: Path) -> None:
    once, daemon, short = FakeOutbox(ACK), FakeOutbox(ACK), FakeOutbox(ACK)
    send(inventory("1.0"), tmp_path / "a", once, once=True, timeout_s=7.0)
    send(inventory("1.0"), tmp_path / "b", daemon, once=False, interval_s=900.0)
    send(inventory("1.0"), tmp_path / "c", short, once=False, interval_s=5.0)
    assert once.deliveries == [(1007.0, False)]
    assert daemon.deliveries == [(1900.0, True)]
    assert short.deliveries == [(1060.0, True)]  # never less than a minute


def test_earlier_spooled_reports_show_in_the_summary() -> None:
    outcome = ReportOutcome(hostname="h", collector="c:1", source_id="s", report_id="r", delta=None, packages=3,
                            interfaces=1, neighbours=2, delivered=3)
    assert outcome.summary().endswith("(source s, report r, 2 earlier spooled report(s) delivered)")


# A real collector on loopback (tests/conftest.py `collector`): the real Link, spool and gRPC.


def kinds(running: object) -> list[str]:
    store = running.collector.store  # type: ignore[attr-defined]
    return [r["kind"] for r in store.query("SELECT kind FROM reports ORDER BY received_at, seq")]


def collecting(inv: Inventory) -> Callable[[AgentConfig, Mapping[str, str] | None], Inventory]:
    return lambda _config, _skip: inv


def test_cycles_against_a_real_collector(collector: object, tmp_path: Path) -> None:
    target = collector.target  # type: ignore[attr-defined]
    cfg = AgentConfig(collector=target, state_dir=tmp_path, timeout_s=10.0)
    first = report_once(cfg, collect=collecting(inventory("1.0", "2.0")))
    second = report_once(cfg, collect=collecting(inventory("1.1", "2.0")))
    assert first.delta is None and second.delta is not None and second.delta.size == 1
    assert kinds(collector) == ["host_snapshot", "host_delta"]

    # The collector no longer knows our base (as after a restore): the same cycle falls back to a snapshot.
    base = Baseline.load(tmp_path / "baseline.json")
    base.report_id = str(uuid.uuid4())
    base.save()
    third = report_once(cfg, collect=collecting(inventory("1.2", "2.0")))
    assert third.delta is None
    assert kinds(collector) == ["host_snapshot", "host_delta", "host_snapshot"]
    assert Baseline.load(tmp_path / "baseline.json").report_id == third.report_id

    # Our baseline drifted from the collector's rows (pkg0 at 1.3 here, 1.2 there): the delta is
    # stored, the checksum disagrees, and the next cycle is a full snapshot.
    base = Baseline.load(tmp_path / "baseline.json")
    base.items = {k: dataclasses.replace(i, version="1.3") if i.name == "pkg0" else i for k, i in base.items.items()}
    base.save()
    fourth = report_once(cfg, collect=collecting(inventory("1.3", "2.0")))
    assert fourth.delta is not None and fourth.delta.size == 0
    assert Baseline.load(tmp_path / "baseline.json").force_full
    fifth = report_once(cfg, collect=collecting(inventory("1.3", "2.0")))
    assert fifth.delta is None
    assert kinds(collector) == ["host_snapshot", "host_delta", "host_snapshot", "host_delta", "host_snapshot"]


def test_unreachable_real_collector_keeps_the_report_for_the_next_run(collector: object, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from agent.cli import main
    from tests.collector.serve.helpers import free_port

    down = AgentConfig(collector=f"127.0.0.1:{free_port()}", state_dir=tmp_path, timeout_s=2.0)
    with pytest.raises(TransportError, match=r"1 report\(s\) kept in the spool for the next run"):
        report_once(down, collect=collecting(inventory("1.0")))
    capsys.readouterr()
    assert main(["status", "--state-dir", str(tmp_path), "--format", "json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["spool_depth"] == 1 and status["queued"] == 1 and not status["enrolled"]
    up = dataclasses.replace(down, collector=collector.target)  # type: ignore[attr-defined]
    outcome = report_once(up, collect=collecting(inventory("1.0")))
    # The spooled snapshot (for the old target) goes first, then this cycle's own snapshot.
    assert outcome.delivered == 2 and "1 earlier spooled report(s) delivered" in outcome.summary()
