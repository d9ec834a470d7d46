"""An acknowledged report reaches the stored assets and findings through the live path (issue #19, point 3).

A real collector on loopback (make_collector), a real Report stream, a real DuckDB file: after the
ack, `Collector.settle()` waits on the live loop's own progress (no sleep, no timing assertion), and
the stored tables are read directly, as the dashboard reads them. The live state's counters show the
report went through an incremental update, not a full refresh.
"""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
from netcensus.v1 import ingest_pb2, report_pb2

from tests.collector.serve.helpers import enroll, now_ts, report_stream

RULES = """
rules:
  - id: no-remote
    title: Remote access tool
    severity: high
    type: deny
    match: {name: ["teamviewer*"]}
"""


def host_report(source: str, seq: int, *, host: str, mac: str, software: list[str]) -> bytes:
    r = report_pb2.Report(report_id=str(uuid.uuid4()), source_id=source, seq=seq, created_at=now_ts(),
                          software_version="test")
    snap = r.host_snapshot
    snap.facts.hostname = host
    snap.facts.os.family = "linux"
    snap.facts.interfaces.add(name="eth0", mac=mac).addresses.append("192.0.2.20/24")
    for name in software:
        snap.software.add(name=name, version="15.1", arch="amd64", source="deb")
    snap.collectors.add(name="deb", state=report_pb2.COLLECTOR_STATE_OK, items=len(software))
    return r.SerializeToString()


def test_an_acked_report_is_in_the_stored_assets_and_findings_by_the_live_path(
        make_collector: Callable[..., Any], tmp_path: Path) -> None:
    rules = tmp_path / "live-rules"
    rules.mkdir()
    (rules / "r.yaml").write_text(textwrap.dedent(RULES), encoding="utf-8")
    c = make_collector(rules_dirs=(rules,))
    collector = c.collector
    with grpc.insecure_channel(c.target) as channel:
        first, first_key = enroll(channel)
        acks, err = report_stream(channel, [host_report(first, 1, host="pc-1", mac="00:1b:21:00:00:01",
                                                        software=["bash"])], first_key)
        assert err is None and acks[0].status == ingest_pb2.ACK_STATUS_STORED
        assert collector.settle(timeout=60)
        assert collector.live.rebuilds == 1  # the start: one full refresh, the state every update builds on
        before = collector.live.updates

        source, key = enroll(channel)
        subject = f"agent:{source}"
        acks, err = report_stream(channel, [host_report(source, 1, host="pc-2", mac="00:1b:21:00:00:02",
                                                        software=["teamviewer", "bash"])], key)
        assert err is None and acks[0].status == ingest_pb2.ACK_STATUS_STORED
        assert collector.settle(timeout=60)
        (asset,) = collector.store.query("SELECT a.asset_id, a.hostnames FROM asset_members m JOIN assets a "
                                         "USING (asset_id) WHERE m.subject = ?", [subject])
        assert asset["hostnames"] == ["pc-2"]
        (finding,) = collector.store.query("SELECT rule_id, software_name, resolved_at FROM findings "
                                           "WHERE asset_id = ? AND kind = 'unauthorised-software'",
                                           [asset["asset_id"]])
        assert finding == {"rule_id": "no-remote", "software_name": "teamviewer", "resolved_at": None}
        assert collector.live.rebuilds == 1 and collector.live.updates > before

        # Removed again: the finding is resolved by the next update, the asset stays.
        acks, err = report_stream(channel, [host_report(source, 2, host="pc-2", mac="00:1b:21:00:00:02",
                                                        software=["bash"])], key)
        assert err is None and acks[0].status == ingest_pb2.ACK_STATUS_STORED
        assert collector.settle(timeout=60)
        (finding,) = collector.store.query("SELECT resolved_at FROM findings WHERE asset_id = ? AND "
                                           "kind = 'unauthorised-software'", [asset["asset_id"]])
        assert finding["resolved_at"] is not None
        assert collector.live.rebuilds == 1
