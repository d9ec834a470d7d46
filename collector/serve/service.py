"""Thin gRPC servicers (grpc.aio): authenticate, decode, hand to the core, encode.

Node keys are checked against SHA-256 hashes held in memory (loaded from the store at start and
updated on enrolment); the key itself is never stored or logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

import grpc
from google.protobuf.message import DecodeError
from netcensus.v1 import ingest_pb2, ingest_pb2_grpc, query_pb2, query_pb2_grpc, report_pb2

from collector.config import ServeConfig
from collector.domain.decisions import ACTIONS, Decision
from collector.domain.findings import FindingRow
from collector.domain.model import IngestReport
from collector.errors import NetcensusError, UsageError
from collector.escaping import escape_text
from collector.ingest.binding import INGEST_KINDS, certificate_problem
from collector.ingest.budget import InflightBudget
from collector.ingest.enrolment import RESOURCE_EXHAUSTED, EnrolAttempt, Refusal
from collector.ingest.pipeline import RETRY_LATER_MS, LoopCallback, Outcome, PipelineBusy
from collector.ingest.ratelimit import RateLimiter
from collector.inventory.explain import explain
from collector.inventory.refresh import Snapshot, asset_rows
from collector.serve.access import ADMIN, READER, Access, Caller, hash_secret
from collector.serve.guard import client_peer
from collector.serve.metrics import Metrics
from collector.serve.querypool import QueryPool, QueryPoolFull
from collector.serve.tls import CertIdentity, peer_identity
from collector.wire.codec import InvalidReport, decode_report, to_datetime, to_timestamp
from collector.wire.decisions import decision_to_proto, duplicate_to_proto, explanation_to_proto
from collector.wire.metadata import NODE_KEY_HEADER, RETRY_AFTER_HEADER
from collector.wire.query import asset_to_proto, finding_to_proto
from collector.wire.validate import check_body_kind

log = logging.getLogger("netcensus.service")



class Keyring:
    """source_id ↔ node-key hash, plus revoked source ids; in memory, persisted by the caller.

    Changes are single dict/set operations (no rebuilt copies): thousands of agents enrolling at
    once made a copy per enrolment quadratic, and a front-end process applies changes from its
    pipe thread while its event loop reads (each operation is atomic under the GIL)."""

    def __init__(self, hashes: dict[str, str], revoked: set[str] | None = None,
                 kinds: dict[str, str] | None = None, certs: dict[str, str] | None = None) -> None:
        self._by_hash = {h: s for s, h in hashes.items()}
        self._by_source = dict(hashes)
        self._revoked = set(revoked or ())
        self._kinds = dict(kinds or {})
        self._certs = dict(certs or {})

    def source_for(self, key: str) -> str | None:
        """The source id a presented key belongs to, or None (unknown, empty or revoked)."""
        if not key:
            return None
        digest = hash_secret(key)
        source = self._by_hash.get(digest)
        if source is None or source in self._revoked:
            return None
        # Constant-time re-check of the hash we matched on.
        return source if hmac.compare_digest(digest, hash_secret(key)) else None

    def holds(self, digest: str, source_id: str) -> bool:
        """Whether the key with this hash still belongs to source_id (not replaced, not revoked).

        For streams already authenticated: a dict lookup per report instead of hashing the key
        again, so a revocation still ends them at their next report."""
        return self._by_hash.get(digest) == source_id and source_id not in self._revoked

    def current_hash(self, source_id: str) -> str | None:
        """Hash of source_id's live key; None when it has none (never enrolled, or revoked)."""
        return self._by_source.get(source_id)

    def kind_of(self, source_id: str) -> str | None:
        """The kind source_id enrolled as ("agent", "scanner"); None when unknown."""
        return self._kinds.get(source_id)

    def cert_of(self, source_id: str) -> str | None:
        """The client certificate name source_id is bound to under mutual TLS; None when not bound."""
        return self._certs.get(source_id)

    def replace(self, source_id: str, key_hash: str, kind: str = "", cert_name: str = "") -> None:
        """Make key_hash the only valid key of source_id (and record its kind and certificate name,
        both fixed at the first enrolment that gave them)."""
        if kind:
            self._kinds.setdefault(source_id, kind)
        if cert_name:
            self._certs.setdefault(source_id, cert_name)
        self._by_hash[key_hash] = source_id
        old = self._by_source.get(source_id)
        self._by_source[source_id] = key_hash
        if old is not None and old != key_hash:
            self._by_hash.pop(old, None)

    def revoke(self, source_id: str) -> None:
        """Forget every key of source_id and refuse it from now on."""
        self._revoked.add(source_id)
        old = self._by_source.pop(source_id, None)
        if old is not None:
            self._by_hash.pop(old, None)

    def is_revoked(self, source_id: str) -> bool:
        """True once source_id was revoked."""
        return source_id in self._revoked

    def snapshot(self) -> tuple[dict[str, str], set[str]]:
        """(source_id → key hash, revoked source ids) as of now: what a new front-end starts with."""
        return dict(self._by_source), set(self._revoked)

    def kinds(self) -> dict[str, str]:
        """source_id → kind as of now (a new front-end needs them to check what each source reports)."""
        return dict(self._kinds)

    def certs(self) -> dict[str, str]:
        """source_id → bound certificate name as of now (a new front-end checks Report streams with them)."""
        return dict(self._certs)


def peer_address(peer: str) -> str:
    """"ipv4:192.0.2.7:50312" → "ipv4:192.0.2.7" (the per-peer enrolment bucket: one per address, not per
    connection, so reconnecting does not refill it)."""
    address, sep, port = peer.rpartition(":")
    return address if sep and port.isdigit() else peer


Enroller = Callable[[EnrolAttempt], Refusal | None]
"""Decides an enrolment and, when allowed, stores and applies the new key (Collector.enrol, or the
writer process asked over the pipe); returns why not otherwise."""


def _metadata(context: grpc.aio.ServicerContext[Any, Any], name: str) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == name:
            return value if isinstance(value, str) else value.decode(errors="replace")
    return ""


@dataclass(frozen=True, slots=True)
class Malformed:
    """A Report message that did not parse; the stream is ended with INVALID_ARGUMENT."""

    error: str


def lenient_report(data: bytes) -> report_pb2.Report | Malformed:
    """Deserializer that turns unparseable bytes into a value instead of an opaque INTERNAL error."""
    try:
        return report_pb2.Report.FromString(data)
    except DecodeError as exc:
        return Malformed(str(exc).splitlines()[0][:200] if str(exc) else "cannot parse")


def add_ingest_service(servicer: IngestService, server: grpc.aio.Server) -> None:
    """Register the Ingest service with our own Report deserializer (see lenient_report)."""
    handlers = {
        "Enroll": grpc.unary_unary_rpc_method_handler(
            servicer.Enroll, request_deserializer=ingest_pb2.EnrollRequest.FromString,
            response_serializer=ingest_pb2.EnrollResponse.SerializeToString),
        "Report": grpc.stream_stream_rpc_method_handler(
            servicer.Report, request_deserializer=lenient_report,
            response_serializer=ingest_pb2.Ack.SerializeToString),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("netcensus.v1.Ingest", handlers),))


@dataclass(frozen=True, slots=True)
class _End:
    """Marker on a stream's ack queue: end the call with this status after the acks before it."""

    code: grpc.StatusCode
    details: str
    retry_after_ms: int = 0


_KIND_NAMES = {report_pb2.SOURCE_KIND_AGENT: "agent", report_pb2.SOURCE_KIND_SCANNER: "scanner"}
_PUSHBACK_MS = 250
_BUDGET_RETRY_MS = 1_000  # about one group commit under load: bytes in flight are given back by then


class ReportPipeline(Protocol):
    """Where decoded reports go: the ingest pipeline in this process (collector/ingest/pipeline.py), or the
    writer process's seen from a front-end (collector/serve/frontend.py)."""

    high_water: int

    @property
    def depth(self) -> int:
        """Reports waiting to be committed."""

    def submit_to_loop(self, report: IngestReport, target: LoopCallback) -> None:
        """Queue a report; the outcome goes to target.callback on target.loop. May raise PipelineBusy."""


class IngestService(ingest_pb2_grpc.IngestServicer):
    """Enroll and Report.

    Each Report stream runs a reader task that authenticates, rate-limits, validates and submits
    reports to the group-commit pipeline as fast as they arrive, and a writer (this generator)
    that yields each ack once its commit is done, in arrival order. Up to `window` reports per
    stream are in flight, so one agent draining a long spool is not held to one commit per report.

    With mutual_tls (the collector requires client certificates) both calls also check the
    certificate against the source (collector/ingest/binding.py): Enroll an agent or scanner
    certificate of the requested kind, bound to the source at its first such enrolment; Report the
    bound certificate's name and the source's kind.
    """

    def __init__(self, *, pipeline: ReportPipeline, keyring: Keyring, enrol_secret_hash: str | None,
                 enrol: Enroller, clock: Callable[[], datetime],
                 metrics: Metrics, limiter: RateLimiter, budget: InflightBudget, window: int = 256,
                 mutual_tls: bool = False) -> None:
        self._pipeline = pipeline
        self._keyring = keyring
        self._secret_hash = enrol_secret_hash
        self._enrol = enrol
        self._clock = clock
        self.metrics = metrics
        self._limiter = limiter
        self._budget = budget
        self._window = window
        self._mutual_tls = mutual_tls
        self._counters = _Counters(metrics)

    @classmethod
    def for_config(cls, config: ServeConfig, *, pipeline: ReportPipeline, keyring: Keyring,
                   enrol: Enroller, clock: Callable[[], datetime], metrics: Metrics,
                   budget: InflightBudget | None = None) -> IngestService:
        """The servicer as `netcensus serve` configures it (enrolment secret, per-source rate limit,
        byte budget: with front-end processes each holds its share of max_inflight_bytes)."""
        return cls(pipeline=pipeline, keyring=keyring,
                   enrol_secret_hash=hash_secret(config.enrol_secret) if config.enrol_secret else None,
                   enrol=enrol, clock=clock, metrics=metrics,
                   limiter=RateLimiter(config.rate_limit, config.rate_burst),
                   budget=budget or InflightBudget(max(1, config.max_inflight_bytes // max(1, config.workers))),
                   mutual_tls=config.tls_client_ca is not None)

    async def _refuse_certificate(self, context: grpc.aio.ServicerContext[Any, Any], what: str,
                                  cert: CertIdentity | None, problem: str, bound: str | None = None) -> None:
        """End the call PERMISSION_DENIED for a certificate that may not speak for this source."""
        self.metrics.reject("certificate_mismatch")
        log.warning("%s refused from %s: certificate %s:%s%s: %s", what, client_peer(context.peer() or ""),
                    escape_text(cert.kind) if cert else "-", escape_text(cert.name) if cert else "-",
                    f" (the source is bound to {escape_text(bound)})" if bound else "", escape_text(problem))
        await context.abort(grpc.StatusCode.PERMISSION_DENIED, problem)
        raise AssertionError("context.abort returned")

    @staticmethod
    def _cert_problem(cert: CertIdentity | None, kind: str, bound: str | None) -> str:
        if cert is None:
            return "mutual TLS: no client certificate identity reached the collector"
        return certificate_problem(cert.kind, cert.name, kind, bound)

    async def Enroll(self, request: ingest_pb2.EnrollRequest,
                     context: grpc.aio.ServicerContext[Any, Any]) -> ingest_pb2.EnrollResponse:
        source_id = request.source_id.strip() or str(uuid.uuid4())
        if len(source_id) > 128 or not source_id.isprintable():
            self.metrics.reject("invalid")
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "source_id must be printable and at most 128 chars")
        kind = _KIND_NAMES.get(request.kind)
        if kind is None:
            self.metrics.reject("invalid")
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "kind must be agent or scanner")
        hostname = request.hostname[:255]
        cert = peer_identity(context) if self._mutual_tls else None
        if self._mutual_tls:
            problem = self._cert_problem(cert, str(kind), None)
            if problem:
                await self._refuse_certificate(context, f"enrolment of {kind} {escape_text(source_id)}", cert,
                                               problem)
        node_key = secrets.token_urlsafe(32)
        presented = _metadata(context, NODE_KEY_HEADER)
        peer = peer_address(client_peer(context.peer() or ""))
        attempt = EnrolAttempt(
            peer=peer, secret_ok=self._secret_hash is None or hmac.compare_digest(
                hash_secret(request.enrolment_secret), self._secret_hash),
            secret_key=self._secret_hash or "open", source_id=source_id, kind=str(kind), hostname=hostname,
            key_hash=hash_secret(node_key), presented_hash=hash_secret(presented) if presented else "",
            mutual_tls=self._mutual_tls, cert_kind=cert.kind if cert else "", cert_name=cert.name if cert else "",
            secret_given=bool(request.enrolment_secret))
        try:
            refusal = await asyncio.to_thread(self._enrol, attempt)
        except NetcensusError as exc:  # a front-end lost the writer process: nothing was stored
            log.error("enrolment of %s failed: %s", escape_text(source_id), exc)
            self.metrics.reject("retry_later")
            await context.abort(grpc.StatusCode.UNAVAILABLE, "the collector cannot enrol right now; retry later",
                                trailing_metadata=((RETRY_AFTER_HEADER, str(RETRY_LATER_MS)),))
            raise AssertionError("context.abort returned") from exc
        if refusal is not None:
            self.metrics.reject(refusal.metric)
            # RESOURCE_EXHAUSTED (a flood) and UNAVAILABLE (a failing disk) name when to retry; the
            # agent treats either as pushback and keeps its state (agent/transport/client.py).
            trailing = ((RETRY_AFTER_HEADER, str(refusal.retry_after_ms)),) if refusal.retry_after_ms else ()
            if refusal.code != RESOURCE_EXHAUSTED:  # a flood: counted, not logged line by line
                log.warning("enrolment refused (%s %s from %s): %s", kind, escape_text(source_id), peer,
                            escape_text(refusal.reason))
            await context.abort(grpc.StatusCode[refusal.code], refusal.reason, trailing_metadata=trailing)
        self.metrics.enrolments.labels(str(kind)).inc()
        log.info("enrolled %s %s (%s)", kind, source_id, hostname)
        return ingest_pb2.EnrollResponse(source_id=source_id, node_key=node_key)

    async def Report(self, request_iterator: AsyncIterator[report_pb2.Report | Malformed],
                     context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[ingest_pb2.Ack]:
        key = _metadata(context, NODE_KEY_HEADER)
        source = self._keyring.source_for(key)
        if source is None:
            self.metrics.reject("unauthenticated")
            log.warning("stream refused: %s node key from %s", "unknown" if key else "missing",
                        client_peer(context.peer() or ""))
            await context.abort(grpc.StatusCode.UNAUTHENTICATED,
                                f"missing, unknown or revoked node key ({NODE_KEY_HEADER}); enrol first")
        if self._mutual_tls:  # a stolen node key is not enough: the certificate must be the source's own
            cert = peer_identity(context)
            bound = self._keyring.cert_of(str(source))
            problem = self._cert_problem(cert, self._keyring.kind_of(str(source)) or _ingest_kind(cert),
                                         bound)
            if problem:
                await self._refuse_certificate(context, f"stream of source {escape_text(str(source))}", cert,
                                               problem, bound)
        pending: asyncio.Queue[tuple[float, Any] | _End | None] = asyncio.Queue(self._window)
        reader = asyncio.create_task(self._read(request_iterator, key, str(source), pending))
        self.metrics.connected.inc()
        try:
            while True:
                item = await pending.get()
                if item is None:
                    break
                if isinstance(item, _End):
                    trailing = (((RETRY_AFTER_HEADER, str(item.retry_after_ms)),) if item.retry_after_ms else ())
                    await context.abort(item.code, item.details, trailing_metadata=trailing)
                    raise AssertionError("context.abort returned")  # noqa: TRY004 - abort raises; for the type checker
                received, ack = item
                if isinstance(ack, asyncio.Future):
                    ack = await ack
                if isinstance(ack, _End):
                    trailing = (((RETRY_AFTER_HEADER, str(ack.retry_after_ms)),) if ack.retry_after_ms else ())
                    await context.abort(ack.code, ack.details, trailing_metadata=trailing)
                self.metrics.ack_latency.observe(time.monotonic() - received)
                yield ack
        finally:
            self.metrics.connected.dec()
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader

    async def _read(self, requests: AsyncIterator[report_pb2.Report | Malformed], key: str, source: str,
                    pending: asyncio.Queue[tuple[float, Any] | _End | None]) -> None:
        n = 0
        digest = hash_secret(key)
        try:
            async for report in requests:
                n += 1
                received = time.monotonic()
                if isinstance(report, Malformed):
                    self.metrics.reject("malformed")
                    log.warning("stream from %s ended: report #%d is not a netcensus.v1.Report (%s)",
                                source, n, report.error)
                    await pending.put(_End(grpc.StatusCode.INVALID_ARGUMENT,
                                           f"report #{n} on this stream is not a valid netcensus.v1.Report: "
                                           f"{report.error}"))
                    return
                if not self._keyring.holds(digest, source):
                    self.metrics.reject("revoked")
                    await pending.put(_End(grpc.StatusCode.UNAUTHENTICATED, f"node key of {source} was revoked"))
                    return
                wait = self._limiter.take(source)
                if wait > 0:
                    self.metrics.reject("rate_limited")
                    retry_ms = max(100, int(wait * 1000) + 1)
                    await pending.put(_End(grpc.StatusCode.RESOURCE_EXHAUSTED,
                                           f"rate limit for source {source} exceeded "
                                           f"({self._limiter.rate:g} reports/s); retry after {retry_ms} ms",
                                           retry_ms))
                    return
                size = report.ByteSize()
                if not self._budget.take(size):
                    self.metrics.reject("inflight_bytes")
                    await pending.put(_End(grpc.StatusCode.RESOURCE_EXHAUSTED,
                                           f"collector holds {self._budget.limit} bytes of reports not yet stored "
                                           f"(max_inflight_bytes); retry after {_BUDGET_RETRY_MS} ms",
                                           _BUDGET_RETRY_MS))
                    return
                try:
                    submitted = self._submit(report, source, size)
                except BaseException:  # not settled, so never given back by it
                    self._budget.give_back(size)
                    raise
                await pending.put((received, submitted))
            await pending.put(None)
        except asyncio.CancelledError:
            raise
        except Exception:  # a broken stream ends this call only, never the server
            log.exception("stream from %s failed", source)
            await pending.put(_End(grpc.StatusCode.INTERNAL, "the collector failed on this stream; retry later"))

    def _submit(self, report: report_pb2.Report, source: str, size: int) -> ingest_pb2.Ack | asyncio.Future[Any]:
        """Validate and queue one report: an Ack now (rejected), or a future of its Ack after commit.

        `size` bytes of the budget were taken for it; they are given back once it is settled."""
        report_id = report.report_id[:64]
        if report.source_id != source:
            self._budget.give_back(size)
            self.metrics.reject("wrong_source")
            self.metrics.reports.labels("unknown", "rejected").inc()
            return ingest_pb2.Ack(report_id=report_id, seq=report.seq, status=ingest_pb2.ACK_STATUS_REJECTED,
                                  reason=f"this node key may only report for source {source}")
        wrong_kind = check_body_kind(report.WhichOneof("body"), self._keyring.kind_of(source))
        if wrong_kind is not None:
            self.metrics.reject("wrong_kind")
            self.metrics.reports.labels(report.WhichOneof("body") or "none", "rejected").inc()
            log.warning("rejected report %r from %s: %s", report_id, source, wrong_kind)
            return ingest_pb2.Ack(report_id=report_id, seq=report.seq, status=ingest_pb2.ACK_STATUS_REJECTED,
                                  reason=wrong_kind)
        try:
            decoded = decode_report(report, self._clock())
        except InvalidReport as exc:
            self._budget.give_back(size)
            self.metrics.reject("invalid")
            self.metrics.reports.labels(report.WhichOneof("body") or "none", "rejected").inc()
            log.warning("rejected report %r from %s: %s", report_id, source, exc)
            return ingest_pb2.Ack(report_id=report_id, seq=report.seq,
                                  status=ingest_pb2.ACK_STATUS_REJECTED, reason=str(exc))
        loop = asyncio.get_running_loop()
        result: asyncio.Future[Any] = loop.create_future()
        busy = self._pipeline.depth > self._pipeline.high_water
        counters = self._counters
        budget = self._budget

        def to_ack(outcome: Outcome) -> ingest_pb2.Ack | _End:
            if outcome.retryable:
                # Not stored for a passing reason (shutdown, a failing disk): never REJECTED, which
                # would make the agent drop the report; UNAVAILABLE + retry-after keeps it spooled.
                self.metrics.reject("retry_later")
                return _End(grpc.StatusCode.UNAVAILABLE, outcome.error, outcome.retry_after_ms or RETRY_LATER_MS)
            if outcome.error:
                self.metrics.reject("unknown_base" if outcome.need_full_snapshot else "not_stored")
                counters.reports(decoded.kind, "rejected").inc()
                return ingest_pb2.Ack(report_id=decoded.report_id, seq=decoded.seq,
                                      status=ingest_pb2.ACK_STATUS_REJECTED, reason=outcome.error,
                                      need_full_snapshot=outcome.need_full_snapshot)
            if outcome.duplicate:
                counters.reports(decoded.kind, "duplicate").inc()
                status = ingest_pb2.ACK_STATUS_DUPLICATE
            else:
                counters.reports(decoded.kind, "stored").inc()
                counters.rows.inc(decoded.item_count)
                status = ingest_pb2.ACK_STATUS_STORED
            return ingest_pb2.Ack(report_id=decoded.report_id, seq=decoded.seq, status=status,
                                  need_full_snapshot=outcome.need_full_snapshot,
                                  retry_after_ms=_PUSHBACK_MS if busy else 0)

        def done(outcome: Outcome) -> None:
            budget.give_back(size)
            if not result.done():
                result.set_result(to_ack(outcome))

        try:
            self._pipeline.submit_to_loop(decoded, LoopCallback(loop, done))
        except PipelineBusy:
            budget.give_back(size)
            self.metrics.reject("busy")
            result.set_result(_End(grpc.StatusCode.RESOURCE_EXHAUSTED, "collector is busy; retry later"))
        return result


def _ingest_kind(cert: CertIdentity | None) -> str:
    """The kind to hold a certificate to when the source's own is unknown (enrolled before kinds were kept)."""
    return cert.kind if cert is not None and cert.kind in INGEST_KINDS else "agent"


class _Counters:
    """Label children of the hot metrics, looked up once (prometheus_client's labels() takes a lock
    and builds a key on every call, which showed at thousands of acks a second)."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics
        self._reports: dict[tuple[str, str], Any] = {}
        self.rows = metrics.rows

    def reports(self, kind: str, outcome: str) -> Any:
        """The netcensus_reports child for (kind, outcome)."""
        child = self._reports.get((kind, outcome))
        if child is None:
            child = self._reports[(kind, outcome)] = self._metrics.reports.labels(kind, outcome)
        return child


Refresher = Callable[[timedelta | None], Snapshot]
T = TypeVar("T")


async def _pooled(pool: QueryPool, context: grpc.aio.ServicerContext[Any, Any], work: Callable[..., T],
                  *args: Any) -> T:
    """Run Query/Admin work on the query pool; a full pool ends the call with RESOURCE_EXHAUSTED."""
    try:
        return await pool.run(work, *args)
    except QueryPoolFull as exc:
        if pool.on_refused is not None:
            pool.on_refused()
        await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                            f"too many queries in progress ({pool.threads} running, {pool.waiting} waiting); retry")
        raise AssertionError("context.abort returned") from exc


#: Characters of a streamed document per message: well under any message size limit, few messages.
DOCUMENT_PIECE = 1 << 20


class Documents(Protocol):
    """The document-shaped answers (collector/serve/server.py builds them from one refresh and the store)."""

    def asset_detail(self, ref: str) -> str:
        """`netcensus asset REF` as JSON; UsageError when `ref` names no asset or several."""

    def changes(self, since: datetime) -> str:
        """`netcensus changes --since` as JSON."""


class QueryService(query_pb2_grpc.QueryServicer):
    """Findings and assets, recomputed at call time; every call needs a reader (or admin) token.

    Rows are gathered before the first one is sent, so the audit row (with the count) is written
    before anything leaves: as with Vault's audit devices, no audit row, no answer."""

    def __init__(self, refresh: Refresher, resolved: Callable[[], list[FindingRow]] | None = None, *,
                 access: Access, pool: QueryPool | None = None, documents: Documents | None = None) -> None:
        self._refresh = refresh
        self._documents = documents
        self._resolved = resolved
        self._access = access
        self._pool = pool or QueryPool(2, 16)

    async def ListFindings(self, request: query_pb2.FindingsRequest,
                           context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[query_pb2.Finding]:
        caller = await self._access.require(context, READER, "ListFindings")
        ghost_after = (timedelta(seconds=request.ghost_after_seconds)
                       if request.HasField("ghost_after_seconds") else None)
        try:
            snapshot = await _pooled(self._pool, context, self._refresh, ghost_after)
        except NetcensusError as exc:
            await self._access.done(caller, "ListFindings", outcome=f"FAILED_PRECONDITION: {exc}")
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
        since = to_datetime(request.since) if request.HasField("since") else None
        # 'duplicate' was the kind's name before 'possible-duplicate': older clients still get them
        kinds = {"possible-duplicate" if k == "duplicate" else k for k in request.kinds}
        rows = list(snapshot.findings)
        if request.include_resolved and self._resolved is not None:
            rows += await _pooled(self._pool, context, self._resolved)
        out = []
        for row in rows:
            if kinds and row.kind not in kinds:
                continue
            opened = row.resolved_at or row.opened_at
            if since is not None and (opened is None or opened < since):
                continue
            out.append(row)
        await self._audited(context, caller, "ListFindings", f"{len(out)} findings")
        for row in out:
            yield finding_to_proto(row)

    async def ListAssets(self, request: query_pb2.AssetsRequest,
                         context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[query_pb2.Asset]:
        caller = await self._access.require(context, READER, "ListAssets")
        try:
            snapshot = await _pooled(self._pool, context, self._refresh, None)
        except NetcensusError as exc:
            await self._access.done(caller, "ListAssets", outcome=f"FAILED_PRECONDITION: {exc}")
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
        since = to_datetime(request.seen_since) if request.HasField("seen_since") else None
        rows = [row for row in asset_rows(snapshot)
                if since is None or (row.last_seen is not None and row.last_seen >= since)]
        await self._audited(context, caller, "ListAssets", f"{len(rows)} assets")
        for row in rows:
            yield asset_to_proto(row)

    async def ListDuplicates(self, request: query_pb2.DuplicatesRequest, context: grpc.aio.ServicerContext[Any, Any]
                             ) -> AsyncIterator[query_pb2.PossibleDuplicate]:
        caller = await self._access.require(context, READER, "ListDuplicates")
        try:
            snapshot = await _pooled(self._pool, context, self._refresh, None)
        except NetcensusError as exc:
            await self._access.done(caller, "ListDuplicates", outcome=f"FAILED_PRECONDITION: {exc}")
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
        await self._audited(context, caller, "ListDuplicates", f"{len(snapshot.duplicates)} possible duplicates")
        for row in snapshot.duplicates:
            yield duplicate_to_proto(row)

    async def ExplainAsset(self, request: query_pb2.ExplainRequest,
                           context: grpc.aio.ServicerContext[Any, Any]) -> query_pb2.Explanation:
        target = request.ref[:128]
        caller = await self._access.require(context, READER, "ExplainAsset", target)

        def work() -> Any:
            return explain(request.ref, self._refresh(None))

        try:
            explained = await _pooled(self._pool, context, work)
        except UsageError as exc:  # no such asset, or several: the message names the candidates
            await self._access.done(caller, "ExplainAsset", target, f"INVALID_ARGUMENT: {exc}"[:300])
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
            raise AssertionError("context.abort returned") from exc
        except NetcensusError as exc:
            await self._access.done(caller, "ExplainAsset", target, f"FAILED_PRECONDITION: {exc}")
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
            raise AssertionError("context.abort returned") from exc
        await self._audited(context, caller, "ExplainAsset", f"{target} -> {explained.asset.asset_id}")
        return explanation_to_proto(explained)

    async def AssetDetail(self, request: query_pb2.AssetDetailRequest,
                          context: grpc.aio.ServicerContext[Any, Any]) -> query_pb2.Document:
        target = request.ref[:128]
        caller = await self._access.require(context, READER, "AssetDetail", target)
        documents = self._documents
        if documents is None:
            await self._document_failed(context, caller, "AssetDetail", target,
                                        grpc.StatusCode.UNIMPLEMENTED, "this collector serves no asset pages")
            raise AssertionError("context.abort returned")
        text = await self._document(context, caller, "AssetDetail", target, documents.asset_detail, request.ref)
        await self._audited(context, caller, "AssetDetail", target)
        return query_pb2.Document(json=text)

    async def ListChanges(self, request: query_pb2.ChangesRequest,
                          context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[query_pb2.Document]:
        caller = await self._access.require(context, READER, "ListChanges")
        documents = self._documents
        since = to_datetime(request.since) if request.HasField("since") else None
        target = f"since {since.isoformat(timespec='seconds')}" if since else ""
        if documents is None or since is None or since > datetime.now(since.tzinfo):
            code, why = ((grpc.StatusCode.UNIMPLEMENTED, "this collector serves no changes") if documents is None
                         else (grpc.StatusCode.INVALID_ARGUMENT, "since: give a time that is not in the future"))
            await self._document_failed(context, caller, "ListChanges", target, code, why)
            raise AssertionError("context.abort returned")
        text = await self._document(context, caller, "ListChanges", target, documents.changes, since)
        await self._audited(context, caller, "ListChanges", target)
        for start in range(0, len(text), DOCUMENT_PIECE):
            yield query_pb2.Document(json=text[start:start + DOCUMENT_PIECE])

    async def _document(self, context: grpc.aio.ServicerContext[Any, Any], caller: Caller, action: str, target: str,
                        work: Callable[[Any], str], arg: Any) -> str:
        """Build a document on the query pool; a bad ref is INVALID_ARGUMENT, a store failure FAILED_PRECONDITION."""
        try:
            return await _pooled(self._pool, context, work, arg)
        except UsageError as exc:
            await self._document_failed(context, caller, action, target, grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except NetcensusError as exc:
            await self._document_failed(context, caller, action, target, grpc.StatusCode.FAILED_PRECONDITION,
                                        str(exc))
        raise AssertionError("context.abort returned")

    async def _document_failed(self, context: grpc.aio.ServicerContext[Any, Any], caller: Caller, action: str,
                               target: str, code: grpc.StatusCode, why: str) -> None:
        await self._access.done(caller, action, target, f"{code.name}: {why}"[:300])
        await context.abort(code, why)

    async def _audited(self, context: grpc.aio.ServicerContext[Any, Any], caller: Caller, action: str,
                       target: str) -> None:
        try:
            await self._access.done(caller, action, target)
        except NetcensusError:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "the audit log cannot be written; retry later")


class DecisionAdmin(Protocol):
    """Manual merge/split decisions as the Admin service changes them (collector/serve/server.py)."""

    def decide(self, action: str, refs: list[str], subject: str, reason: str, who: str) -> Decision:
        """Check and store a decision; UsageError (a bad ref, a self-merge, a subject not in the asset)."""

    def list(self) -> list[Decision]:
        """Every decision, newest first, with its state."""

    def undo(self, decision_id: int, who: str) -> Decision:
        """Undo a standing decision; UsageError when there is none of that id."""


Importer = Callable[[query_pb2.ImportRequest], query_pb2.ImportResponse]
Revoker = Callable[[str], bool]
SourceLister = Callable[[], list[dict[str, Any]]]
Approver = Callable[[str, str], datetime | None]
"""(source_id, who approved) → until when its one re-enrolment without a key is allowed; None: no live key."""


class TokenAdmin(Protocol):
    """Named API tokens as the Admin service changes them (collector/serve/server.py: store + TokenBook)."""

    def create(self, name: str, role: str) -> str:
        """Create the token and return it (the only time it exists outside the caller's hands).
        Raises UsageError for a bad or taken name or role."""

    def list(self) -> list[dict[str, Any]]:
        """Every token: name, role, created_at, last_used_at, revoked_at."""

    def revoke(self, name: str) -> bool:
        """Revoke; False when no valid token has that name."""


class AdminService(query_pb2_grpc.AdminServicer):
    """Register imports over gRPC (same code path as `netcensus import --db`), source revocation,
    re-enrolment approval and API tokens; every call needs an admin token and leaves an audit row."""

    def __init__(self, importer: Importer, *, access: Access, revoke: Revoker | None = None,
                 sources: SourceLister | None = None, tokens: TokenAdmin | None = None,
                 approve: Approver | None = None, pool: QueryPool | None = None,
                 audit: Callable[[int], list[dict[str, Any]]] | None = None,
                 decisions: DecisionAdmin | None = None) -> None:
        self._importer = importer
        self._decisions = decisions
        self._access = access
        self._pool = pool or QueryPool(2, 16)
        self._revoke = revoke
        self._sources = sources
        self._tokens = tokens
        self._approve = approve
        self._audit = audit

    async def _fail(self, context: grpc.aio.ServicerContext[Any, Any], caller: Caller, action: str, target: str,
                    code: grpc.StatusCode, details: str) -> None:
        await self._access.done(caller, action, target, f"{code.name}: {details}")
        await context.abort(code, details)
        raise AssertionError("context.abort returned")

    async def ImportRegister(self, request: query_pb2.ImportRequest,
                             context: grpc.aio.ServicerContext[Any, Any]) -> query_pb2.ImportResponse:
        target = f"{request.format}:{request.filename[:200]}"
        caller = await self._access.require(context, ADMIN, "ImportRegister", target)
        try:
            response = await _pooled(self._pool, context, self._importer, request)
        except NetcensusError as exc:
            await self._fail(context, caller, "ImportRegister", target, grpc.StatusCode.INVALID_ARGUMENT, str(exc))
            raise AssertionError("context.abort returned") from exc
        await self._access.done(caller, "ImportRegister", target,
                                f"ok: {response.rows} rows, {response.added} added, {response.changed} changed, "
                                f"{response.removed} removed")
        return response

    async def RevokeSource(self, request: query_pb2.RevokeSourceRequest,
                           context: grpc.aio.ServicerContext[Any, Any]) -> query_pb2.RevokeSourceResponse:
        target = request.source_id[:128]
        caller = await self._access.require(context, ADMIN, "RevokeSource", target)
        if self._revoke is None or not request.source_id:
            await self._fail(context, caller, "RevokeSource", target, grpc.StatusCode.INVALID_ARGUMENT,
                             "source_id is required")
        assert self._revoke is not None
        found = await _pooled(self._pool, context, self._revoke, request.source_id)
        await self._access.done(caller, "RevokeSource", target, "ok" if found else "ok: no such source")
        return query_pb2.RevokeSourceResponse(found=found)

    async def ListSources(self, request: query_pb2.ListSourcesRequest,
                          context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[query_pb2.SourceInfo]:
        caller = await self._access.require(context, ADMIN, "ListSources")
        rows = await _pooled(self._pool, context, self._sources) if self._sources else []
        await self._access.done(caller, "ListSources", f"{len(rows)} sources")
        for row in rows:
            info = query_pb2.SourceInfo(source_id=row["source_id"], kind=row["kind"], hostname=row["hostname"] or "",
                                        last_seq=int(row["last_seq"] or 0), last_error=row.get("last_error") or "")
            if row.get("backlog_reports") is not None:
                info.backlog_reports = int(row["backlog_reports"])
                info.backlog_bytes = int(row.get("backlog_bytes") or 0)
            for name in ("enrolled_at", "revoked_at", "last_report_at", "backlog_oldest", "backlog_at",
                         "last_error_at"):
                if row.get(name) is not None:
                    getattr(info, name).CopyFrom(to_timestamp(row[name]))
            yield info

    async def CreateToken(self, request: query_pb2.CreateTokenRequest,
                          context: grpc.aio.ServicerContext[Any, Any]) -> query_pb2.CreateTokenResponse:
        target = f"{request.name[:64]} ({request.role[:16]})"
        caller = await self._access.require(context, ADMIN, "CreateToken", target)
        if self._tokens is None:
            await self._fail(context, caller, "CreateToken", target, grpc.StatusCode.UNIMPLEMENTED,
                             "tokens are not managed here")
        assert self._tokens is not None
        try:
            token = await _pooled(self._pool, context, self._tokens.create, request.name, request.role)
        except NetcensusError as exc:
            await self._fail(context, caller, "CreateToken", target, grpc.StatusCode.INVALID_ARGUMENT, str(exc))
            raise AssertionError("context.abort returned") from exc
        await self._access.done(caller, "CreateToken", target)
        return query_pb2.CreateTokenResponse(name=request.name, role=request.role, token=token)

    async def ListTokens(self, request: query_pb2.ListTokensRequest,
                         context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[query_pb2.TokenInfo]:
        caller = await self._access.require(context, ADMIN, "ListTokens")
        rows = await _pooled(self._pool, context, self._tokens.list) if self._tokens else []
        await self._access.done(caller, "ListTokens", f"{len(rows)} tokens")
        for row in rows:
            info = query_pb2.TokenInfo(name=row["name"], role=row["role"])
            for name in ("created_at", "last_used_at", "revoked_at"):
                if row.get(name) is not None:
                    getattr(info, name).CopyFrom(to_timestamp(row[name]))
            yield info

    async def RevokeToken(self, request: query_pb2.RevokeTokenRequest,
                          context: grpc.aio.ServicerContext[Any, Any]) -> query_pb2.RevokeTokenResponse:
        target = request.name[:64]
        caller = await self._access.require(context, ADMIN, "RevokeToken", target)
        found = await _pooled(self._pool, context, self._tokens.revoke, request.name) if self._tokens else False
        await self._access.done(caller, "RevokeToken", target, "ok" if found else "ok: no such token")
        return query_pb2.RevokeTokenResponse(found=found)

    async def ListAudit(self, request: query_pb2.ListAuditRequest,
                        context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[query_pb2.AuditEntry]:
        limit = min(request.limit or 1000, 100_000)
        caller = await self._access.require(context, ADMIN, "ListAudit", str(limit))
        rows = await _pooled(self._pool, context, self._audit, limit) if self._audit else []
        await self._access.done(caller, "ListAudit", str(limit), f"ok: {len(rows)} rows")
        for row in rows:
            at = row["happened_at"]
            yield query_pb2.AuditEntry(happened_at=to_timestamp(at if isinstance(at, datetime) else None),
                                       who=str(row["who"] or ""), role=str(row["role"] or ""),
                                       action=str(row["action"] or ""), target=str(row["target"] or ""),
                                       peer=str(row["peer"] or ""), outcome=str(row["outcome"] or ""))

    async def ApproveEnrolment(self, request: query_pb2.ApproveEnrolmentRequest,
                               context: grpc.aio.ServicerContext[Any, Any]) -> query_pb2.ApproveEnrolmentResponse:
        source_id = request.source_id.strip()
        target = source_id[:128]
        caller = await self._access.require(context, ADMIN, "ApproveEnrolment", target)
        if self._approve is None or not source_id:
            await self._fail(context, caller, "ApproveEnrolment", target, grpc.StatusCode.INVALID_ARGUMENT,
                             "source_id is required")
        assert self._approve is not None
        expires = await _pooled(self._pool, context, self._approve, source_id,
                                f"{caller.name} ({caller.role}) at {caller.peer}")
        await self._access.done(caller, "ApproveEnrolment", target,
                                "ok" if expires is not None else "ok: no live key to approve")
        if expires is None:
            return query_pb2.ApproveEnrolmentResponse(found=False)
        return query_pb2.ApproveEnrolmentResponse(found=True, expires_at=to_timestamp(expires))

    async def DecideAssets(self, request: query_pb2.DecisionRequest,
                           context: grpc.aio.ServicerContext[Any, Any]) -> query_pb2.Decision:
        target = f"{request.action[:16]} {' '.join(r[:64] for r in request.refs[:2])}"[:200]
        caller = await self._access.require(context, ADMIN, "DecideAssets", target)
        if self._decisions is None or request.action not in ACTIONS:
            await self._fail(context, caller, "DecideAssets", target, grpc.StatusCode.INVALID_ARGUMENT,
                             f"action must be one of {', '.join(ACTIONS)}")
        assert self._decisions is not None
        try:
            decision = await _pooled(self._pool, context, self._decisions.decide, request.action, list(request.refs),
                                     request.subject, request.reason, caller.name)
        except NetcensusError as exc:  # a bad ref or request; else the store failed (retry later)
            code = grpc.StatusCode.INVALID_ARGUMENT if isinstance(exc, UsageError) else grpc.StatusCode.UNAVAILABLE
            await self._fail(context, caller, "DecideAssets", target, code, str(exc))
            raise AssertionError("context.abort returned") from exc
        await self._access.done(caller, "DecideAssets", f"#{decision.decision_id} {target}", f"ok: {decision.state}")
        return decision_to_proto(decision)

    async def ListDecisions(self, request: query_pb2.ListDecisionsRequest,
                            context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[query_pb2.Decision]:
        caller = await self._access.require(context, ADMIN, "ListDecisions")
        rows = await _pooled(self._pool, context, self._decisions.list) if self._decisions else []
        await self._access.done(caller, "ListDecisions", f"{len(rows)} decisions")
        for row in rows:
            yield decision_to_proto(row)

    async def UndoDecision(self, request: query_pb2.UndoDecisionRequest,
                           context: grpc.aio.ServicerContext[Any, Any]) -> query_pb2.Decision:
        target = f"#{request.decision_id}"
        caller = await self._access.require(context, ADMIN, "UndoDecision", target)
        if self._decisions is None:
            await self._fail(context, caller, "UndoDecision", target, grpc.StatusCode.UNIMPLEMENTED,
                             "decisions are not managed here")
        assert self._decisions is not None
        try:
            decision = await _pooled(self._pool, context, self._decisions.undo, request.decision_id, caller.name)
        except NetcensusError as exc:
            code = grpc.StatusCode.NOT_FOUND if isinstance(exc, UsageError) else grpc.StatusCode.UNAVAILABLE
            await self._fail(context, caller, "UndoDecision", target, code, str(exc))
            raise AssertionError("context.abort returned") from exc
        await self._access.done(caller, "UndoDecision", f"{target} {decision.action} {' '.join(decision.asset_ids)}")
        return decision_to_proto(decision)
