"""gRPC client of the Ingest service (adapter: maps grpc errors to agent.errors).

Reports go out on one bidirectional stream; the client waits for every ack before it reports
success, so the caller can delete (or not spool) exactly what the collector committed.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import grpc
from netcensus.v1 import ingest_pb2, ingest_pb2_grpc, report_pb2

from agent.errors import RejectedError, TransportError
from agent.transport.state import NodeState

log = logging.getLogger("netcensus.agent.transport")
NODE_KEY_HEADER = "x-netcensus-node-key"


@dataclass(frozen=True, slots=True)
class AckResult:
    """The collector's word on one report."""

    report_id: str
    seq: int
    stored: bool
    duplicate: bool
    reason: str = ""
    need_full_snapshot: bool = False


class IngestClient:
    """One collector connection for one node."""

    def __init__(self, target: str, state: NodeState, *, kind: int, enrol_secret: str = "",
                 timeout_s: float = 60.0) -> None:
        self.target = target
        self.state = state
        self._kind = kind
        self._secret = enrol_secret
        self._timeout = timeout_s
        self._channel = grpc.insecure_channel(target, options=[("grpc.max_send_message_length", 64 << 20)])
        self._stub = ingest_pb2_grpc.IngestStub(self._channel)

    def close(self) -> None:
        """Close the channel."""
        self._channel.close()

    def __enter__(self) -> IngestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _error(self, exc: grpc.RpcError, what: str) -> TransportError:
        code = exc.code() if hasattr(exc, "code") else None
        detail = (exc.details() if hasattr(exc, "details") else "") or ""
        if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            return TransportError(f"collector {self.target} is unreachable ({detail.splitlines()[0][:160] if detail else code.name})")
        if code == grpc.StatusCode.UNAUTHENTICATED:
            return RejectedError(f"collector {self.target} refused {what}: {detail}")
        return TransportError(f"collector {self.target}: {what} failed: {code.name if code else ''} {detail}".strip())

    def ensure_enrolled(self, *, force: bool = False) -> None:
        """Enrol once per collector; the node key is kept in the state file."""
        if self.state.node_key and self.state.collector == self.target and not force:
            return
        request = ingest_pb2.EnrollRequest(enrolment_secret=self._secret, source_id=self.state.source_id,
                                           kind=self._kind, hostname=socket.gethostname())
        try:
            response = self._stub.Enroll(request, timeout=self._timeout)
        except grpc.RpcError as exc:
            raise self._error(exc, "enrolment") from exc
        self.state.source_id = response.source_id
        self.state.node_key = response.node_key
        self.state.collector = self.target
        self.state.save()
        log.info("enrolled with %s as %s", self.target, response.source_id)

    def send(self, reports: Sequence[report_pb2.Report]) -> list[AckResult]:
        """Send reports on one stream and return one AckResult per report, in order of the acks."""
        self.ensure_enrolled()
        try:
            return self._send(reports)
        except RejectedError:
            # A collector that lost our key (new database, revoked): enrol again once, then retry.
            self.ensure_enrolled(force=True)
            for r in reports:
                r.source_id = self.state.source_id
            return self._send(reports)

    def _send(self, reports: Sequence[report_pb2.Report]) -> list[AckResult]:
        metadata = [(NODE_KEY_HEADER, self.state.node_key)]
        try:
            acks: Iterable[ingest_pb2.Ack] = self._stub.Report(iter(reports), metadata=metadata, timeout=self._timeout)
            results = [AckResult(a.report_id, a.seq, a.status == ingest_pb2.ACK_STATUS_STORED,
                                 a.status == ingest_pb2.ACK_STATUS_DUPLICATE, a.reason, a.need_full_snapshot)
                       for a in acks]
        except grpc.RpcError as exc:
            raise self._error(exc, "the report") from exc
        if len(results) != len(reports):
            raise TransportError(f"collector {self.target} acked {len(results)} of {len(reports)} reports")
        return results
