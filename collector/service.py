"""Thin gRPC servicers (grpc.aio): authenticate, decode, hand to the core, encode.

Node keys are checked against SHA-256 hashes held in memory (loaded from the store at start and
updated on enrolment); the key itself is never stored or logged.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import grpc
from netcensus.v1 import ingest_pb2, ingest_pb2_grpc, query_pb2, query_pb2_grpc, report_pb2

from collector.codec import InvalidReport, asset_to_proto, decode_report, finding_to_proto, to_datetime
from collector.errors import NetcensusError
from collector.ingest import IngestPipeline
from collector.query import Snapshot, asset_rows

log = logging.getLogger("netcensus.service")

NODE_KEY_HEADER = "x-netcensus-node-key"
ADMIN_TOKEN_HEADER = "x-netcensus-admin-token"


def hash_key(key: str) -> str:
    """The only form in which a node key is kept."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass
class Counters:
    """Service-level counters (exported as metrics by later work, logged at shutdown now)."""

    unauthenticated: int = 0
    rejected: int = 0
    streams: int = 0


class Keyring:
    """source_id ↔ node-key hash, in memory, persisted through callbacks."""

    def __init__(self, hashes: dict[str, str]) -> None:
        self._by_hash = {h: s for s, h in hashes.items()}

    def source_for(self, key: str) -> str | None:
        """The source id a presented key belongs to, or None."""
        digest = hash_key(key)
        source = self._by_hash.get(digest)
        if source is None:
            return None
        # Constant-time re-check of the hash we matched on.
        return source if hmac.compare_digest(digest, hash_key(key)) else None

    def replace(self, source_id: str, key_hash: str) -> None:
        """Make key_hash the only valid key of source_id."""
        self._by_hash = {h: s for h, s in self._by_hash.items() if s != source_id}
        self._by_hash[key_hash] = source_id


def _metadata(context: grpc.aio.ServicerContext[Any, Any], name: str) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == name:
            return value if isinstance(value, str) else value.decode()
    return ""


class IngestService(ingest_pb2_grpc.IngestServicer):
    """Enroll and Report."""

    def __init__(self, *, pipeline: IngestPipeline, keyring: Keyring, enrol_secret_hash: str | None,
                 persist_enrolment: Callable[[str, str, str, str], None], clock: Callable[[], datetime],
                 counters: Counters) -> None:
        self._pipeline = pipeline
        self._keyring = keyring
        self._secret_hash = enrol_secret_hash
        self._persist = persist_enrolment
        self._clock = clock
        self.counters = counters

    async def Enroll(self, request: ingest_pb2.EnrollRequest,
                     context: grpc.aio.ServicerContext[Any, Any]) -> ingest_pb2.EnrollResponse:
        if self._secret_hash is not None and not hmac.compare_digest(
                hash_key(request.enrolment_secret), self._secret_hash):
            self.counters.unauthenticated += 1
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "enrolment secret is wrong")
        source_id = request.source_id.strip() or str(uuid.uuid4())
        if len(source_id) > 128 or not source_id.isprintable():
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "source_id must be printable and at most 128 chars")
        kind = {report_pb2.SOURCE_KIND_AGENT: "agent", report_pb2.SOURCE_KIND_SCANNER: "scanner"}.get(request.kind)
        if kind is None:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "kind must be agent or scanner")
        node_key = secrets.token_urlsafe(32)
        digest = hash_key(node_key)
        await asyncio.to_thread(self._persist, source_id, str(kind), request.hostname[:255], digest)
        self._keyring.replace(source_id, digest)
        log.info("enrolled %s %s (%s)", kind, source_id, request.hostname[:255])
        return ingest_pb2.EnrollResponse(source_id=source_id, node_key=node_key)

    async def Report(self, request_iterator: AsyncIterator[report_pb2.Report],
                     context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[ingest_pb2.Ack]:
        source = self._keyring.source_for(_metadata(context, NODE_KEY_HEADER))
        if source is None:
            self.counters.unauthenticated += 1
            await context.abort(grpc.StatusCode.UNAUTHENTICATED,
                                f"missing or unknown node key ({NODE_KEY_HEADER}); enrol first")
        self.counters.streams += 1
        try:
            async for report in request_iterator:
                yield await self._one(report, str(source))
        finally:
            self.counters.streams -= 1

    async def _one(self, report: report_pb2.Report, source: str) -> ingest_pb2.Ack:
        if report.source_id != source:
            self.counters.rejected += 1
            return ingest_pb2.Ack(report_id=report.report_id[:64], seq=report.seq, status=ingest_pb2.ACK_STATUS_REJECTED,
                                  reason=f"this node key may only report for source {source}")
        try:
            decoded = decode_report(report, self._clock())
        except InvalidReport as exc:
            self.counters.rejected += 1
            log.warning("rejected report %s from %s: %s", report.report_id[:64], source, exc)
            return ingest_pb2.Ack(report_id=report.report_id[:64], seq=report.seq,
                                  status=ingest_pb2.ACK_STATUS_REJECTED, reason=str(exc))
        outcome = await asyncio.wrap_future(self._pipeline.submit(decoded))
        if outcome.error:
            return ingest_pb2.Ack(report_id=decoded.report_id, seq=decoded.seq, status=ingest_pb2.ACK_STATUS_REJECTED,
                                  reason=outcome.error, retry_after_ms=1000)
        status = ingest_pb2.ACK_STATUS_DUPLICATE if outcome.duplicate else ingest_pb2.ACK_STATUS_STORED
        return ingest_pb2.Ack(report_id=decoded.report_id, seq=decoded.seq, status=status)


Refresher = Callable[[timedelta | None], Snapshot]


class QueryService(query_pb2_grpc.QueryServicer):
    """Findings and assets, recomputed at call time."""

    def __init__(self, refresh: Refresher) -> None:
        self._refresh = refresh

    async def ListFindings(self, request: query_pb2.FindingsRequest,
                           context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[query_pb2.Finding]:
        ghost_after = (timedelta(seconds=request.ghost_after_seconds)
                       if request.HasField("ghost_after_seconds") else None)
        try:
            snapshot = await asyncio.to_thread(self._refresh, ghost_after)
        except NetcensusError as exc:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
        since = to_datetime(request.since) if request.HasField("since") else None
        kinds = set(request.kinds)
        for row in snapshot.findings:
            if kinds and row["kind"] not in kinds:
                continue
            if since is not None and row["opened_at"] < since:
                continue
            yield finding_to_proto(row)

    async def ListAssets(self, request: query_pb2.AssetsRequest,
                         context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[query_pb2.Asset]:
        try:
            snapshot = await asyncio.to_thread(self._refresh, None)
        except NetcensusError as exc:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
        since = to_datetime(request.seen_since) if request.HasField("seen_since") else None
        for row in asset_rows(snapshot):
            if since is None or row["last_seen"] >= since:
                yield asset_to_proto(row)


Importer = Callable[[query_pb2.ImportRequest], query_pb2.ImportResponse]


class AdminService(query_pb2_grpc.AdminServicer):
    """Register imports over gRPC (same code path as `netcensus import --db`)."""

    def __init__(self, importer: Importer, admin_token_hash: str | None) -> None:
        self._importer = importer
        self._token_hash = admin_token_hash

    async def ImportRegister(self, request: query_pb2.ImportRequest,
                             context: grpc.aio.ServicerContext[Any, Any]) -> query_pb2.ImportResponse:
        if self._token_hash is not None and not hmac.compare_digest(
                hash_key(_metadata(context, ADMIN_TOKEN_HEADER)), self._token_hash):
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, f"missing or wrong {ADMIN_TOKEN_HEADER}")
        try:
            return await asyncio.to_thread(self._importer, request)
        except NetcensusError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
