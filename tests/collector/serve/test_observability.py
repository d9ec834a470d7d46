"""Metrics endpoint, agent status counters, and logs without secrets (issue 5, item 8)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import grpc

from tests.collector.serve.helpers import CollectorProcess, enroll, free_port, report_stream, snapshot
from tests.conftest import run_cli


def test_metrics_endpoint(make_collector) -> None:
    c = make_collector(metrics_listen="127.0.0.1:0")
    with grpc.insecure_channel(c.target) as ch:
        source, key = enroll(ch)
        report_stream(ch, [snapshot(source, 1).SerializeToString()], key)
        report_stream(ch, [snapshot(source, 2).SerializeToString()], "wrong")
    port = c.collector.metrics_port
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    assert 'netcensus_reports_total{kind="host_snapshot",outcome="stored"} 1.0' in text
    assert "netcensus_rows_total 21.0" in text  # 1 sighting + 20 software rows
    assert 'netcensus_rejects_total{reason="unauthenticated"} 1.0' in text
    assert "netcensus_ack_latency_seconds_count 1.0" in text
    assert "netcensus_connected_agents 0.0" in text
    size = next(line for line in text.splitlines() if line.startswith("netcensus_database_bytes "))
    assert float(size.split()[1]) > 0


def test_no_secrets_in_logs(tmp_path: Path, empty_rules: Path) -> None:
    secret = "enrol-SECRET-value-4242"
    collector = CollectorProcess(tmp_path / "nc.duckdb", free_port(), empty_rules, "--log-format", "json",
                                 env={"NETCENSUS_ENROL_SECRET": secret, "NETCENSUS_LOG_LEVEL": "debug"})
    collector.start()
    state = tmp_path / "agent"
    try:
        r = run_cli("netcensus-agent", "--log-level", "debug", "report", "--collector", collector.target, "--once",
                    "--state-dir", str(state), env={"NETCENSUS_ENROL_SECRET": secret})
        assert r.code == 0, r.err
        bad = run_cli("netcensus-agent", "report", "--collector", collector.target, "--once",
                      "--state-dir", str(tmp_path / "intruder"), env={"NETCENSUS_ENROL_SECRET": "guess-" + secret})
        assert bad.code == 1 and "secret is wrong" in bad.err
    finally:
        collector.stop()
    node_key = json.loads((state / "state.json").read_text())["node_key"]
    logs = collector.log.read_text()
    lines = [json.loads(line) for line in logs.splitlines() if line.strip()]
    assert lines and all({"time", "level", "logger", "message"} <= set(entry) for entry in lines)
    assert any("enrolment refused" in entry["message"] for entry in lines)
    for text in (logs, r.err, bad.err):
        assert secret not in text and node_key not in text
    status = run_cli("netcensus-agent", "status", "--state-dir", str(state), "--format", "json")
    assert node_key not in status.out
    counters = json.loads(status.out)
    assert {"spool_depth", "dropped", "retries", "acked", "rejected"} <= set(counters)
