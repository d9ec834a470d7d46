"""Delta reports over real gRPC: what the Ack says (issue 6, item 6).

A delta on an unknown base is REJECTED with need_full_snapshot; a delta whose checksum disagrees
with the collector's rows is STORED with need_full_snapshot; a re-sent delta is a DUPLICATE.
"""

from __future__ import annotations

import hashlib
import uuid

import grpc
from netcensus.v1 import ingest_pb2, report_pb2

from tests.collector.serve.helpers import enroll, now_ts, report_stream, snapshot


def _checksum(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()


def _delta(source: str, seq: int, base: str, *, added: list[str], checksum: str) -> report_pb2.Report:
    r = report_pb2.Report(report_id=str(uuid.uuid4()), source_id=source, seq=seq, created_at=now_ts(),
                          software_version="test")
    d = r.host_delta
    d.base_report_id = base
    d.facts.hostname = "h-delta"
    for name in added:
        d.added.add(name=name, version="1.0", arch="amd64", source="deb")
    d.collectors.add(name="deb", state=report_pb2.COLLECTOR_STATE_OK)
    d.software_checksum = checksum
    return r


def test_delta_acks_unknown_base_divergence_and_duplicates(make_collector) -> None:
    c = make_collector()
    with grpc.insecure_channel(c.target) as ch:
        source, key = enroll(ch)
        snap = snapshot(source, 1, items=2, tag="d")  # pkgd-1-0, pkgd-1-1 (deb, amd64, 1.0)
        lines = [f"deb\tpkgd-1-{j}\tamd64\t1.0" for j in range(2)]
        unknown = _delta(source, 2, str(uuid.uuid4()), added=["zsh"], checksum="x")
        good = _delta(source, 3, snap.report_id, added=["zsh"],
                      checksum=_checksum([*lines, "deb\tzsh\tamd64\t1.0"]))
        diverged = _delta(source, 4, good.report_id, added=["git"], checksum=_checksum(lines))
        payloads = [m.SerializeToString() for m in (snap, unknown, good, diverged, good)]
        acks, err = report_stream(ch, payloads, key)
    assert err is None
    by_seq = [(a.seq, a.status, a.need_full_snapshot, a.reason) for a in acks]
    assert by_seq == [
        (1, ingest_pb2.ACK_STATUS_STORED, False, ""),
        (2, ingest_pb2.ACK_STATUS_REJECTED, True, "unknown base; send a full snapshot"),
        (3, ingest_pb2.ACK_STATUS_STORED, False, ""),
        (4, ingest_pb2.ACK_STATUS_STORED, True, ""),
        (3, ingest_pb2.ACK_STATUS_DUPLICATE, False, ""),
    ]
    store = c.collector.store
    kinds = store.query("SELECT kind, count(*) AS n FROM reports GROUP BY kind ORDER BY kind")
    assert kinds == [{"kind": "host_delta", "n": 2}, {"kind": "host_snapshot", "n": 1}]
    names = {r["name"] for r in store.query("SELECT name FROM software")}
    assert names == {"pkgd-1-0", "pkgd-1-1", "zsh", "git"}
