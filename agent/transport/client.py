"""gRPC client of the Ingest service (adapter: maps grpc errors to agent.errors).

Reports go out on one bidirectional stream. Spooled reports are sent as the bytes the spool holds
(no re-encoding), with a bounded window of unacked reports in flight; each ack is handed to the
caller as it arrives, so the caller deletes exactly what the collector committed. Pushback is
honoured two ways: an ack's `retry_after_ms` pauses the sender, and a RESOURCE_EXHAUSTED end of
stream (rate limit, busy collector) raises Pushback carrying the delay the collector asked for.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import grpc
from netcensus.v1 import ingest_pb2, report_pb2

from agent.config import Security
from agent.errors import RejectedError, TransportError
from agent.transport.channel import open_channel
from agent.transport.diagnose import tls_mismatch
from agent.transport.state import NodeState

log = logging.getLogger("netcensus.agent.transport")
NODE_KEY_HEADER = "x-netcensus-node-key"
RETRY_AFTER_HEADER = "retry-after-ms"
REPORT_METHOD = "/netcensus.v1.Ingest/Report"
ENROLL_METHOD = "/netcensus.v1.Ingest/Enroll"


class Pushback(TransportError):
    """The collector asked us to slow down (rate limit, full queue); retry after `retry_after_s`."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True, slots=True)
class AckResult:
    """The collector's word on one report."""

    report_id: str
    seq: int
    stored: bool
    duplicate: bool
    reason: str = ""
    need_full_snapshot: bool = False
    retry_after_ms: int = 0


def _retry_after_ms(exc: grpc.RpcError) -> int | None:
    """The delay the collector asked for in the call's trailing metadata, if it named one."""
    trailing = exc.trailing_metadata() if hasattr(exc, "trailing_metadata") else None
    for key, value in trailing or ():
        if key == RETRY_AFTER_HEADER and str(value).isdigit():
            return int(value)
    return None


def _identity(data: bytes) -> bytes:
    return data


class IngestClient:
    """One collector connection for one node."""

    def __init__(self, target: str, state: NodeState, *, kind: int, enrol_secret: str = "",
                 timeout_s: float = 20.0, security: Security | None = None, window: int = 64) -> None:
        self.target = target
        self.state = state
        self._kind = kind
        self._secret = enrol_secret
        self._timeout = timeout_s
        self._window = window
        self._security = security or Security()
        self._channel = open_channel(target, self._security)
        self._enroll = self._channel.unary_unary(
            ENROLL_METHOD, request_serializer=ingest_pb2.EnrollRequest.SerializeToString,
            response_deserializer=ingest_pb2.EnrollResponse.FromString)
        self._report = self._channel.stream_stream(
            REPORT_METHOD, request_serializer=_identity, response_deserializer=ingest_pb2.Ack.FromString)

    def close(self) -> None:
        """Close the channel."""
        self._channel.close()

    def __enter__(self) -> IngestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _error(self, exc: grpc.RpcError, what: str) -> TransportError:
        code = exc.code() if hasattr(exc, "code") else None
        detail = ((exc.details() if hasattr(exc, "details") else "") or "").splitlines()
        first = detail[0][:200] if detail else (code.name if code else "error")
        asked_ms = _retry_after_ms(exc)
        if code == grpc.StatusCode.UNAVAILABLE and asked_ms is not None:
            # The collector answered but could not store (a failing disk, shutting down): the
            # reports stay spooled and we wait as long as it asked.
            return Pushback(f"collector {self.target} cannot store reports now: {first}", asked_ms / 1000)
        if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED):
            # "Socket closed" hides a TLS mismatch; a probe of our own names it (agent/transport/diagnose.py).
            mismatch = tls_mismatch(self.target, self._security) if code == grpc.StatusCode.UNAVAILABLE else None
            if mismatch is not None:
                return TransportError(f"collector {self.target}: {mismatch}")
            return TransportError(f"collector {self.target} is unreachable ({first})")
        if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
            return Pushback(f"collector {self.target} pushed back: {first}",
                            (1000 if asked_ms is None else asked_ms) / 1000)
        if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED,
                    grpc.StatusCode.ALREADY_EXISTS):
            return RejectedError(f"collector {self.target} refused {what}: {first}")
        return TransportError(f"collector {self.target}: {what} failed: {code.name if code else ''} {first}".strip())

    def ensure_enrolled(self, *, force: bool = False) -> None:
        """Enrol once per collector; the node key is kept in the state file (never logged)."""
        self.state.ensure_source_id()
        if self.state.node_key and self.state.collector == self.target and not force:
            return
        request = ingest_pb2.EnrollRequest(enrolment_secret=self._secret, source_id=self.state.source_id,
                                           kind=self._kind,  # type: ignore[arg-type]  # an enum value
                                           hostname=socket.gethostname())
        # Re-enrolling an id we hold a key for: the collector renews it only for the key's holder
        # (or on an admin's approval), so a fleet-wide secret cannot take our source id over.
        metadata = [(NODE_KEY_HEADER, self.state.node_key)] if self.state.node_key else None
        try:
            response = self._enroll(request, timeout=self._timeout, metadata=metadata)
        except grpc.RpcError as exc:
            raise self._error(exc, "enrolment") from exc
        if response.source_id != self.state.source_id:
            log.warning("collector assigned source id %s instead of %s", response.source_id, self.state.source_id)
        self.state.source_id = response.source_id
        self.state.node_key = response.node_key
        self.state.collector = self.target
        self.state.save()
        log.info("enrolled with %s as %s", self.target, response.source_id)

    def send(self, reports: Sequence[report_pb2.Report]) -> list[AckResult]:
        """Send reports on one stream and return one AckResult per report, in order of the acks."""
        self.ensure_enrolled()
        payloads = [r.SerializeToString() for r in reports]
        try:
            return self._collect(payloads)
        except RejectedError:
            # A collector that lost our key (new database): enrol again once, then retry.
            self.ensure_enrolled(force=True)
            return self._collect(payloads)

    def _collect(self, payloads: Sequence[bytes]) -> list[AckResult]:
        results: list[AckResult] = []
        self.stream(payloads, results.append)
        if len(results) != len(payloads):
            raise TransportError(f"collector {self.target} acked {len(results)} of {len(payloads)} reports")
        return results

    def stream(self, payloads: Sequence[bytes], on_ack: Callable[[AckResult], None], *,
               envelope: Callable[[int], bytes] | None = None) -> int:
        """Send serialized reports on one stream, calling on_ack for each ack; returns the acks received.

        At most `window` reports are unacked at a time; an ack's retry_after_ms pauses sending.
        `envelope(n)`, when given, is called as report n goes on the wire and its bytes are appended
        to the payload (serialized Report fields, merged by the receiver's parser): what is true at
        send time, such as the spool's backlog, without re-encoding the spooled report.
        Raises TransportError (Pushback, RejectedError) when the stream ends early.
        """
        if not payloads:
            return 0
        slots = threading.Semaphore(self._window)
        done = threading.Event()
        resume_at = [0.0]

        def requests() -> Iterator[bytes]:
            for n, payload in enumerate(payloads):
                while not slots.acquire(timeout=0.2):
                    if done.is_set():
                        return
                wait = resume_at[0] - time.monotonic()
                if wait > 0 and done.wait(wait):
                    return
                if done.is_set():
                    return
                yield payload + envelope(n) if envelope is not None else payload

        metadata = [(NODE_KEY_HEADER, self.state.node_key)]
        received = 0
        call = self._report(requests(), metadata=metadata, timeout=self._timeout + 0.05 * len(payloads))
        try:
            for ack in call:
                received += 1
                slots.release()
                if ack.retry_after_ms:
                    resume_at[0] = time.monotonic() + ack.retry_after_ms / 1000
                on_ack(AckResult(ack.report_id, ack.seq, ack.status == ingest_pb2.ACK_STATUS_STORED,
                                 ack.status == ingest_pb2.ACK_STATUS_DUPLICATE, ack.reason, ack.need_full_snapshot,
                                 ack.retry_after_ms))
                if received == len(payloads):
                    break
        except grpc.RpcError as exc:
            raise self._error(exc, "the report") from exc
        finally:
            done.set()
            call.cancel()
        if received < len(payloads):
            raise TransportError(f"collector {self.target} ended the stream after {received} of "
                                 f"{len(payloads)} acks")
        return received
