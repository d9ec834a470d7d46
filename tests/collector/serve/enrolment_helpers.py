"""Shared pieces of the enrolment tests: Enroll with a kind and a presented key, reports of each body."""

from __future__ import annotations

import uuid

import grpc
from netcensus.v1 import ingest_pb2, report_pb2

from tests.collector.serve.helpers import now_ts, snapshot

ENROLL = "/netcensus.v1.Ingest/Enroll"
SECRET = "fleet-wide-secret-4b1d"
AGENT = report_pb2.SOURCE_KIND_AGENT
SCANNER = report_pb2.SOURCE_KIND_SCANNER
STORED, REJECTED = ingest_pb2.ACK_STATUS_STORED, ingest_pb2.ACK_STATUS_REJECTED


def enrol(channel: grpc.Channel, source_id: str = "", *, secret: str = SECRET, kind: int = AGENT,
          key: str | None = None, hostname: str = "t") -> tuple[str, str]:
    """Enroll; raises grpc.RpcError when refused. `key` goes in the node-key metadata, as the agent sends it."""
    stub = channel.unary_unary(ENROLL, request_serializer=ingest_pb2.EnrollRequest.SerializeToString,
                               response_deserializer=ingest_pb2.EnrollResponse.FromString)
    metadata = [("x-netcensus-node-key", key)] if key is not None else None
    resp = stub(ingest_pb2.EnrollRequest(enrolment_secret=secret, source_id=source_id, kind=kind,  # type: ignore[arg-type]
                                         hostname=hostname), timeout=10, metadata=metadata)
    return resp.source_id, resp.node_key


def refused(channel: grpc.Channel, source_id: str = "", **kwargs: object) -> grpc.RpcError:
    """The error an enrolment that must be refused ends with."""
    try:
        enrol(channel, source_id, **kwargs)  # type: ignore[arg-type]
    except grpc.RpcError as exc:
        return exc
    raise AssertionError(f"enrolment of {source_id!r} was accepted")


def with_software(source_id: str, seq: int, names: list[str], host: str) -> report_pb2.Report:
    """A host snapshot of `host` whose software list is exactly `names`."""
    report = snapshot(source_id, seq, items=0, host=host)
    for name in names:
        report.host_snapshot.software.add(name=name, version="15.1", arch="amd64", source="deb")
    report.host_snapshot.collectors[0].items = len(names)
    return report


def sweep_everything(source_id: str, seq: int) -> report_pb2.Report:
    """A scan result claiming the whole IPv4 space was swept completely and nothing answered:
    what a forged sweep would say to turn every recorded asset into a ghost."""
    report = report_pb2.Report(report_id=str(uuid.uuid4()), source_id=source_id, seq=seq, created_at=now_ts(),
                               software_version="test")
    scan = report.scan
    scan.scan_id = str(uuid.uuid4())
    scan.targets.append("0.0.0.0/0")
    scan.methods.append(report_pb2.METHOD_NMAP)
    scan.started_at.CopyFrom(now_ts())
    scan.finished_at.CopyFrom(now_ts())
    scan.statuses.add(target="0.0.0.0/0", method=scan.methods[0], ok=True)
    scan.complete = True
    return report
