"""The enrolment rules of issue #14 with `netcensus serve --workers 2`: the front-ends ask the writer
process, which holds the one enrolment gate, so ownership, approvals and rate limits hold across both
front-ends (a new connection may land on either). A real collector process on loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from collector.client import CollectorClient
from tests.collector.serve.enrolment_helpers import (
    REJECTED,
    SCANNER,
    SECRET,
    STORED,
    enrol,
    refused,
    sweep_everything,
)
from tests.collector.serve.helpers import CollectorProcess, free_port, report_stream, snapshot

ADMIN = "enrolment-workers-admin-5e7d"
BURST, RATE = 40, 2.0


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CollectorProcess]:
    d = tmp_path_factory.mktemp("enrol-workers")
    rules = d / "rules"
    rules.mkdir()
    (rules / "none.yaml").write_text("rules: []\n", encoding="utf-8")
    config = d / "collector.toml"
    config.write_text(f"[collector]\nenrol_rate_per_peer = {RATE}\nenrol_burst_per_peer = {BURST}\n"
                      "refresh_interval = \"0\"\n", encoding="utf-8")
    c = CollectorProcess(d / "nc.duckdb", free_port(), rules, "--workers", "2", "--config", str(config),
                         env={"NETCENSUS_ENROL_SECRET": SECRET, "NETCENSUS_ADMIN_TOKEN": ADMIN})
    c.start(timeout=60)
    try:
        yield c
    finally:
        assert c.stop() == 0


def send(target: str, key: str, report: object) -> tuple[list[int], grpc.RpcError | None]:
    with grpc.insecure_channel(target) as ch:  # a new connection: either front-end
        acks, err = report_stream(ch, [report.SerializeToString()], key)  # type: ignore[attr-defined]
    return [a.status for a in acks], err


def fresh(target: str, source_id: str = "", **kwargs: object) -> tuple[str, str]:
    with grpc.insecure_channel(target) as ch:
        return enrol(ch, source_id, **kwargs)  # type: ignore[arg-type]


def refused_fresh(target: str, source_id: str, **kwargs: object) -> grpc.RpcError:
    with grpc.insecure_channel(target) as ch:
        return refused(ch, source_id, **kwargs)


def test_hijack_approval_and_kinds_across_front_ends(collector: CollectorProcess) -> None:
    target = collector.target
    victim, key = fresh(target, "wk-victim")
    for _ in range(4):  # whichever front-end answers
        assert refused_fresh(target, victim).code() == grpc.StatusCode.ALREADY_EXISTS
    for seq in range(1, 5):
        assert send(target, key, snapshot(victim, seq)) == ([STORED], None)
    # Renewal with its own key, then the admin flow, each answered by any front-end.
    same, renewed = fresh(target, victim, key=key)
    assert same == victim
    assert send(target, key, snapshot(victim, 5))[1] is not None
    assert send(target, renewed, snapshot(victim, 5)) == ([STORED], None)
    with CollectorClient(target, token=ADMIN) as admin:
        assert admin.approve_enrolment(victim) is not None
    _, approved = fresh(target, victim)
    assert refused_fresh(target, victim).code() == grpc.StatusCode.ALREADY_EXISTS
    for seq in range(6, 9):
        assert send(target, approved, snapshot(victim, seq)) == ([STORED], None)
    # Kinds travel to the front-ends with the key: an agent's sweep is rejected on each.
    for seq in range(9, 13):
        assert send(target, approved, sweep_everything(victim, seq))[0] == [REJECTED]
    scanner, scanner_key = fresh(target, "wk-scanner", kind=SCANNER)
    for seq in range(1, 4):
        assert send(target, scanner_key, sweep_everything(scanner, seq)) == ([STORED], None)


def test_the_enrolment_limit_is_one_for_the_whole_collector(collector: CollectorProcess) -> None:
    """Enrolments spread over both front-ends (a new connection each) share one per-peer bucket."""
    accepted = 0
    refusals: list[tuple[grpc.StatusCode, str]] = []
    t0 = time.monotonic()
    for _ in range(400):
        try:
            fresh(collector.target)
            accepted += 1
        except grpc.RpcError as exc:
            refusals.append((exc.code(), dict(exc.trailing_metadata() or ()).get("retry-after-ms", "")))
    elapsed = time.monotonic() - t0
    assert {code for code, _ in refusals} == {grpc.StatusCode.RESOURCE_EXHAUSTED}
    assert all(retry.isdigit() for _, retry in refusals)
    exhausted = len(refusals)
    assert accepted >= BURST // 2  # the other test spent a few of the peer's tokens
    assert accepted <= BURST + RATE * elapsed + 1  # two buckets, one per front-end, would let 2 x BURST pass
    assert exhausted == 400 - accepted


def test_the_config_file_sets_the_limits(tmp_path: Path) -> None:
    from collector.config import resolve_serve
    from collector.errors import UsageError

    path = tmp_path / "c.toml"
    path.write_text("[collector]\nenrol_rate_per_secret = 5\nenrol_approval_ttl = \"10m\"\n", encoding="utf-8")
    config = resolve_serve(db="x", listen=None, rules=None, ghost_after=None, config=path, env={})
    assert config.enrol_rate_per_secret == 5 and config.enrol_approval_ttl.total_seconds() == 600
    path.write_text("[collector]\nenrol_burst_per_peer = 0\n", encoding="utf-8")
    with pytest.raises(UsageError, match="enrol_burst_per_peer: must be at least 1"):
        resolve_serve(db="x", listen=None, rules=None, ghost_after=None, config=path, env={})
