"""The spool backlog a source reports of itself, end to end: the real agent cycle and transport against a real
collector on loopback, through the store to the Sources view, `sources list` and ListSources.

The collector is down while the agent runs N report cycles, so N host snapshots wait in its spool. Then the
collector comes up on the same address and one more cycle drains the spool, one report per stream: each
report says how many others still wait, so the collector sees N, N-1, ... 0, and the outage's error.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from netcensus.v1 import report_pb2

from agent.config import AgentConfig
from agent.errors import TransportError
from agent.report import open_link, report_once
from agent.transport.client import IngestClient
from agent.transport.deliver import Courier
from agent.transport.encode import new_report
from agent.transport.link import Link
from agent.transport.state import NodeState
from tests.agent.test_report import collecting, inventory
from tests.collector.serve.helpers import free_port
from tests.conftest import TEST_TOKEN, run_cli

N = 4


def _login(client: httpx.Client) -> None:
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    assert client.post("/login", data={"csrf": csrf, "next": "/", "token": TEST_TOKEN}).url.path == "/"


def _row(store: Any, source_id: str) -> dict[str, Any]:
    return next(r for r in store.sources() if r["source_id"] == source_id)


def test_a_backlog_built_in_an_outage_is_reported_then_drains(make_collector: Any, tmp_path: Path) -> None:
    port = free_port()
    down = AgentConfig(collector=f"127.0.0.1:{port}", state_dir=tmp_path / "agent", timeout_s=20.0)
    started = datetime.now(UTC)
    for _ in range(N):
        with pytest.raises(TransportError, match="kept in the spool"):
            report_once(down, collect=collecting(inventory("1.0")))

    running = make_collector(listen=f"127.0.0.1:{port}", ui_listen="127.0.0.1:0")
    store = running.collector.store
    ui = httpx.Client(base_url=f"http://127.0.0.1:{running.collector.ui_port}", follow_redirects=True, timeout=30)
    _login(ui)
    said: list[object] = []   # what the collector holds after each ack
    first_view: list[Any] = []

    def connect(config: AgentConfig) -> Link:
        link = open_link(config)

        def on_acked(_ids: list[str]) -> None:
            said.append(_row(store, link.source_id)["backlog_reports"])
            if len(said) == 1:  # the Sources view while the backlog drains
                first_view.append((ui.get("/sources?format=json").json(), ui.get("/sources").text))

        # One report per stream, so each ack is observed before the next report goes out.
        link.courier = Courier(link.spool, link.client, batch=1, on_acked=on_acked)
        return link

    outcome = report_once(down, collect=collecting(inventory("1.0")), connect=connect)
    assert outcome.delivered == N + 1
    assert said == list(range(N, -1, -1))

    rows, page = first_view[0]
    (row,) = [r for r in rows if r["source_id"] == outcome.source_id]
    assert row["backlog_reports"] == N
    oldest = datetime.fromisoformat(row["backlog_oldest"].replace("Z", "+00:00"))
    assert started - timedelta(seconds=5) <= oldest <= datetime.now(UTC)
    assert f"127.0.0.1:{port} is unreachable" in row["sender_error"] and row["sender_error_at"]
    assert "Backlog (reports)" in page and "Last error it reported" in page
    assert f"127.0.0.1:{port} is unreachable" in html.unescape(page)

    # Drained: 0 waits, and the outage stays visible as the last error, with when it happened.
    final = _row(store, outcome.source_id)
    assert (final["backlog_reports"], final["backlog_bytes"], final["backlog_oldest"]) == (0, 0, None)
    assert "is unreachable" in str(final["last_error"]) and final["last_error_at"] >= started - timedelta(seconds=5)
    assert ui.get("/sources?format=csv").text.splitlines()[0].count("backlog_reports") == 1
    ui.close()

    listed = run_cli("netcensus", "sources", "list", "--collector", running.target, "--format", "json")
    assert listed.code == 0, listed.err
    (entry,) = [s for s in json.loads(listed.out) if s["source_id"] == outcome.source_id]
    assert entry["backlog_reports"] == 0 and "is unreachable" in entry["last_error"] and entry["last_error_at"]
    table = run_cli("netcensus", "sources", "list", "--collector", running.target)
    assert table.code == 0 and "BACKLOG" in table.out and "LAST_ERROR" in table.out


def test_a_report_from_an_older_sender_is_still_stored(make_collector: Any, tmp_path: Path) -> None:
    running = make_collector()
    state = NodeState.load(tmp_path / "state.json")
    with IngestClient(running.target, state, kind=report_pb2.SOURCE_KIND_AGENT) as client:
        client.ensure_enrolled()
        old = new_report(state.source_id, state.take_seq(), datetime.now(UTC))
        old.heartbeat.hostname = "old-agent"
        (ack,) = client.send([old])  # serialized as it is: no sender_state
    assert ack.stored
    row = _row(running.collector.store, state.source_id)
    assert row["last_report_at"] is not None and row["backlog_reports"] is None and row["last_error"] is None


def test_a_hostile_error_line_is_bounded_and_escaped(make_collector: Any, tmp_path: Path) -> None:
    running = make_collector(ui_listen="127.0.0.1:0")
    state = NodeState.load(tmp_path / "state.json")
    hostile = "<script>pwned=1</script>\n\x1b[2Jforged line " + "y" * 1000
    with IngestClient(running.target, state, kind=report_pb2.SOURCE_KIND_AGENT) as client:
        client.ensure_enrolled()
        report = new_report(state.source_id, state.take_seq(), datetime.now(UTC))
        report.heartbeat.hostname = "h"
        report.sender_state.queued_reports = 3
        report.sender_state.last_error = hostile
        report.sender_state.last_error_at.GetCurrentTime()
        (ack,) = client.send([report])
    assert ack.stored, ack.reason
    stored = str(_row(running.collector.store, state.source_id)["last_error"])
    assert len(stored) == 300 and "\n" not in stored
    with httpx.Client(base_url=f"http://127.0.0.1:{running.collector.ui_port}", follow_redirects=True,
                      timeout=30) as ui:
        _login(ui)
        page = ui.get("/sources").text
    assert "<script>pwned" not in page and "&lt;script&gt;pwned=1" in page
    table = run_cli("netcensus", "sources", "list", "--collector", running.target)
    assert table.code == 0 and "\x1b" not in table.out


def test_a_re_sent_report_brings_its_new_sends_state(make_collector: Any, tmp_path: Path) -> None:
    """The state is stamped at send time: a report re-sent after a lost ack says what waits now."""
    running = make_collector()
    state = NodeState.load(tmp_path / "state.json")
    report = new_report(str(uuid.uuid4()), 1, datetime.now(UTC))
    with IngestClient(running.target, state, kind=report_pb2.SOURCE_KIND_AGENT) as client:
        client.ensure_enrolled()
        report.source_id = state.source_id
        report.heartbeat.hostname = "h"
        for queued in (7, 1):
            report.sender_state.queued_reports = queued
            (ack,) = client.send([report])
            assert ack.stored or ack.duplicate
    assert _row(running.collector.store, state.source_id)["backlog_reports"] == 1
