"""Shared pieces of the transport tests: synthetic reports, a collector process, gRPC probes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from netcensus.v1 import ingest_pb2, report_pb2

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def now_ts() -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(datetime.now(UTC))
    return ts


def snapshot(source_id: str, seq: int, items: int = 20, *, host: str = "", tag: str = "") -> report_pb2.Report:
    """A host snapshot whose software names are unique to this report (so doubled rows would show)."""
    r = report_pb2.Report(report_id=str(uuid.uuid4()), source_id=source_id, seq=seq, created_at=now_ts(),
                          software_version="test")
    snap = r.host_snapshot
    snap.facts.hostname = host or f"h-{source_id[:8]}"
    snap.facts.os.family = "linux"
    nic = snap.facts.interfaces.add(
        name="eth0", mac=f"00:1b:21:{seq % 256:02x}:{(seq >> 8) % 256:02x}:{sum(source_id.encode()) % 256:02x}")
    nic.addresses.append(f"192.0.2.{seq % 250 + 1}/24")
    for j in range(items):
        snap.software.add(name=f"pkg{tag}-{seq}-{j}", version="1.0", arch="amd64", source="deb")
    snap.collectors.add(name="deb", state=report_pb2.COLLECTOR_STATE_OK, items=items)
    return r


def _field(number: int, payload: bytes) -> bytes:
    """One length-delimited field (wire type 2) as protobuf encodes it."""
    def varint(value: int) -> bytes:
        out = bytearray()
        while True:
            out.append((value & 0x7F) | (0x80 if value > 0x7F else 0))
            value >>= 7
            if not value:
                return bytes(out)
    return varint(number << 3 | 2) + varint(len(payload)) + payload


# A PackedSoftware block of one row as older agents sent it: count=1, name={data: "a", lengths: [1]}.
OLD_PACKED_BLOCK = b"\x08\x01" + _field(2, _field(1, b"a") + _field(2, b"\x01\x00\x00\x00"))


def with_packed(report: report_pb2.Report, number: int) -> bytes:
    """`report`'s bytes with its host body also carrying field `number` holding OLD_PACKED_BLOCK:
    what an older agent sent in the retired PackedSoftware fields (HostSnapshot 6, HostDelta 9-11)."""
    body = report.WhichOneof("body")
    assert body in ("host_snapshot", "host_delta")
    head = report_pb2.Report()
    head.CopyFrom(report)
    head.ClearField(body)  # type: ignore[arg-type]
    body_bytes = getattr(report, body).SerializeToString() + _field(number, OLD_PACKED_BLOCK)
    return head.SerializeToString() + _field(10 if body == "host_snapshot" else 11, body_bytes)


def enroll(channel: grpc.Channel, source_id: str = "", secret: str = "",
           kind: report_pb2.SourceKind.ValueType = report_pb2.SOURCE_KIND_AGENT) -> tuple[str, str]:
    stub = channel.unary_unary("/netcensus.v1.Ingest/Enroll",
                               request_serializer=ingest_pb2.EnrollRequest.SerializeToString,
                               response_deserializer=ingest_pb2.EnrollResponse.FromString)
    resp = stub(ingest_pb2.EnrollRequest(enrolment_secret=secret, source_id=source_id,
                                         kind=kind, hostname="t"), timeout=10)
    return resp.source_id, resp.node_key


def report_stream(channel: grpc.Channel, payloads: list[bytes], key: str | None,
                  timeout: float = 20) -> tuple[list[ingest_pb2.Ack], grpc.RpcError | None]:
    """Send raw payloads on one Report stream; returns (acks, error ending the stream or None)."""
    call = channel.stream_stream("/netcensus.v1.Ingest/Report", request_serializer=lambda b: b,
                                 response_deserializer=ingest_pb2.Ack.FromString)
    metadata = [("x-netcensus-node-key", key)] if key is not None else []
    acks: list[ingest_pb2.Ack] = []
    try:
        for ack in call(iter(payloads), metadata=metadata, timeout=timeout):
            acks.append(ack)
    except grpc.RpcError as exc:
        return acks, exc
    return acks, None


class CollectorProcess:
    """`netcensus serve` as a real process on a fixed port (so it can be killed and restarted)."""

    def __init__(self, db: Path, port: int, rules: Path, *extra: str, env: dict[str, str] | None = None,
                 log: Path | None = None, host: str = "127.0.0.1", open_enrolment: bool = True) -> None:
        # Test collectors enrol anyone unless a test gives a secret (the product refuses that without
        # --open-enrolment); their admin token is the session's (tests/conftest.py).
        self.db, self.port, self.rules, self.host = db, port, rules, host
        self.extra = (*extra, "--open-enrolment") if open_enrolment else extra
        self.env = {**os.environ, **(env or {})}
        self.log = log or db.with_suffix(".log")
        self.proc: subprocess.Popen[str] | None = None

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> CollectorProcess:
        with self.log.open("a") as fh:
            self.proc = subprocess.Popen(
                [str(BIN / "netcensus"), "serve", "--db", str(self.db), "--listen", f"{self.host}:{self.port}",
                 "--rules", str(self.rules), *self.extra],
                stdout=subprocess.PIPE, stderr=fh, text=True, env=self.env)
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        line = self.proc.stdout.readline()
        if "listening" not in line:
            self.proc.wait(timeout=max(1.0, deadline - time.monotonic()))
            raise AssertionError(f"collector did not start: {line!r} {self.log.read_text()[-2000:]}")
        return self

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)
