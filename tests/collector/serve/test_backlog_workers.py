"""The reported backlog through `serve --workers`: a front-end decodes the report, the writer process stores
the sender state it carries, and ListSources (asked of a front-end) returns it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from netcensus.v1 import report_pb2

from agent.transport.client import IngestClient
from agent.transport.deliver import Courier
from agent.transport.spool import Priority, Spool
from agent.transport.state import NodeState
from tests.collector.serve.helpers import snapshot
from tests.collector.serve.test_workers import Processes, stop
from tests.conftest import run_cli

N = 3


def _listed(target: str, source_id: str) -> dict[str, Any]:
    out = run_cli("netcensus", "sources", "list", "--collector", target, "--format", "json")
    assert out.code == 0, out.err
    return next(s for s in json.loads(out.out) if s["source_id"] == source_id)


def test_front_ends_carry_the_backlog_to_the_writer(procs: Processes, tmp_path: Path) -> None:
    w = procs.writer()
    state = NodeState.load(tmp_path / "agent" / "state.json")
    state.ensure_source_id()
    listed: list[dict[str, Any]] = []
    with Spool(tmp_path / "agent" / "spool.sqlite") as spool, \
            IngestClient(w.target, state, kind=report_pb2.SOURCE_KIND_AGENT, timeout_s=20) as client:
        for _ in range(N + 1):
            report = snapshot(state.source_id, state.take_seq(), 5)
            spool.put(report.report_id, report.seq, Priority.IDENTITY, report.SerializeToString())
        spool.note("error", f"collector {w.target} is unreachable (connection refused)")

        def on_acked(_ids: list[str]) -> None:
            if not listed:
                listed.append(_listed(w.target, state.source_id))

        result = Courier(spool, client, batch=1, on_acked=on_acked).drain(deadline=None)
    assert result.acked == N + 1
    assert listed[0]["backlog_reports"] == N and listed[0]["backlog_oldest"]
    assert "is unreachable (connection refused)" in listed[0]["last_error"]
    final = _listed(w.target, state.source_id)
    assert final["backlog_reports"] == 0 and final["backlog_oldest"] is None and final["backlog_at"]
    assert stop(w) == 0
