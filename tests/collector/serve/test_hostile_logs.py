"""An enrolling host name with a newline cannot forge a collector log line (issue #14).

A real `netcensus serve` process logs each enrolment with the host name the node sent; the node
chooses it. Text logs must keep it on the record's own line, JSON logs one object per line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import grpc
import pytest
from netcensus.v1 import ingest_pb2, report_pb2

from tests.collector.serve.helpers import CollectorProcess, free_port
from tests.conftest import run_cli

SECRET = "enrol-test-secret"
FORGED = "2026-12-02 23:59:59,000 WARNING netcensus.auth: admin token issued"
HOSTILE = f"pc-7\n{FORGED}\r\x1b]0;owned\x07\x1b[2J\u202e"
RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ \S+: ")


def _enrol(target: str, hostname: str) -> str:
    with grpc.insecure_channel(target) as channel:
        stub = channel.unary_unary("/netcensus.v1.Ingest/Enroll",
                                   request_serializer=ingest_pb2.EnrollRequest.SerializeToString,
                                   response_deserializer=ingest_pb2.EnrollResponse.FromString)
        resp = stub(ingest_pb2.EnrollRequest(enrolment_secret=SECRET, kind=report_pb2.SOURCE_KIND_AGENT,
                                             hostname=hostname), timeout=10)
    return str(resp.source_id)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_enrolment_host_name_stays_on_its_own_log_line(tmp_path: Path, empty_rules: Path, fmt: str) -> None:
    db = tmp_path / "nc.duckdb"
    collector = CollectorProcess(db, free_port(), empty_rules, "--log-format", fmt,
                                 env={"NETCENSUS_ENROL_SECRET": SECRET})
    collector.start()
    try:
        source_id = _enrol(collector.target, HOSTILE)
    finally:
        assert collector.stop() == 0
    log = collector.log.read_text(encoding="utf-8")
    assert source_id and "pc-7" in log
    assert not any(ch in log for ch in "\x1b\x07\r\u202e")
    lines = log.splitlines()
    if fmt == "text":
        assert all(RECORD_START.match(line) or line.startswith("    ") for line in lines), log
        assert not any(line.startswith(FORGED) for line in lines)
        assert any("pc-7\\n" + FORGED in line for line in lines)
    else:
        entries = [json.loads(line) for line in lines]  # one JSON object per line, nothing else
        assert any(HOSTILE in entry["message"] for entry in entries)
    listed = run_cli("netcensus", "sources", "list", "--db", str(db))
    assert listed.code == 0, listed.err
    assert "pc-7\\n2026" in listed.out and "\x1b" not in listed.out
