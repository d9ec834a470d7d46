"""Composition root of `netcensus serve`: store + ingest pipeline + gRPC services + shutdown.

Shutdown order on SIGTERM/SIGINT: stop accepting RPCs (in-flight ones get a grace period), let
the ingest writer commit everything queued, checkpoint and close DuckDB. An ack is only ever sent
after its commit, so nothing acked is lost at any point of this sequence.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import logging
import signal
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection
from netcensus.v1 import ingest_pb2, query_pb2, query_pb2_grpc

from collector.bulk import settle_for_serving
from collector.config import ServeConfig, parse_listen
from collector.errors import NetcensusError, UsageError
from collector.imports import import_register, parse_status_map
from collector.ingest import IngestPipeline
from collector.metrics import Metrics
from collector.query import Snapshot, refresh, resolved_findings
from collector.ratelimit import RateLimiter
from collector.rulebridge import rule_evaluator
from collector.service import AdminService, IngestService, Keyring, QueryService, add_ingest_service, hash_key
from collector.store.duckdb import Store
from collector.tls import server_credentials

log = logging.getLogger("netcensus.server")


def utcnow() -> datetime:
    """The production clock."""
    return datetime.now(UTC)


class Collector:
    """A running collector; `start()` binds, `stop()` drains and closes."""

    def __init__(self, config: ServeConfig, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.config = config
        self.clock = clock
        self.store = Store.open(config.db)
        self.store.defer_checkpoints()
        if config.duckdb_threads:
            self.store.limit_threads(config.duckdb_threads)
        self.pipeline = IngestPipeline(self.store.store_reports, clock, max_queue=config.max_queue,
                                       when_idle=self.store.checkpoint_if_idle)
        self.metrics = Metrics(config.db, lambda: self.pipeline.depth)
        self.keyring = Keyring(self.store.source_key_hashes(), self.store.revoked_sources())
        self.metrics_port = 0
        self._rules = rule_evaluator(config.rules_dirs)
        self._refresh_lock = threading.Lock()
        self.port = 0
        self._server: grpc.aio.Server | None = None
        self._health = HealthServicer()

    def refresh(self, ghost_after: timedelta | None = None) -> Snapshot:
        """Recompute assets and findings (persisting the lifecycle only with the configured window)."""
        window = self.config.ghost_after if ghost_after is None else ghost_after
        with self._refresh_lock:
            return refresh(self.store, now=self.clock(), ghost_after=window, rules=self._rules,
                           persist=window == self.config.ghost_after)

    def _import(self, request: query_pb2.ImportRequest) -> query_pb2.ImportResponse:
        from collector.register import parse_mapping

        mapping = parse_mapping(request.mapping, source=f"{request.filename} mapping") if request.mapping else None
        status_map = parse_status_map([f"{k}={v}" for k, v in request.status_map.items()])
        outcome = import_register(self.store, request.content, request.format, filename=request.filename or "upload",
                                  now=self.clock(), mapping=mapping, status_map=status_map,
                                  register=request.register or None)
        c = outcome.counts
        return query_pb2.ImportResponse(rows=c.rows, added=c.added, changed=c.changed, unchanged=c.unchanged,
                                        removed=c.removed, import_id=outcome.import_id)

    def _persist_enrolment(self, source_id: str, kind: str, hostname: str, key_hash: str) -> None:
        self.store.enroll_source(source_id, kind, hostname, key_hash, self.clock())

    def revoke(self, source_id: str) -> bool:
        """Revoke a source: its key stops working at once, also on streams already open."""
        found = self.store.revoke_source(source_id, self.clock())
        if found:
            self.keyring.revoke(source_id)
            log.warning("revoked source %s", source_id)
        return found

    async def start(self) -> int:
        """Bind and start serving; returns the bound port (useful with port 0)."""
        host, port = parse_listen(self.config.listen)
        options = [
            ("grpc.so_reuseport", 0),  # a second collector on the same port must fail, not share it
            ("grpc.max_receive_message_length", self.config.max_message_bytes),
            ("grpc.max_send_message_length", self.config.max_message_bytes),
            # Agents ping every 10 s to notice a dead collector; do not punish them for it.
            ("grpc.http2.min_ping_interval_without_data_ms", 5_000),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.max_ping_strikes", 0),
            # gRPC core queues new calls until the asyncio loop asks for them; past 1,000 queued it
            # drops calls at random and past 3,000 it drops all (the agent sees CANCELLED or
            # "Internal error from Core"). Thousands of agents reconnecting at once fill that
            # queue while the loop is busy; queue them instead, every one is served in turn.
            ("grpc.server.max_pending_requests", 100_000),
            ("grpc.server.max_pending_requests_hard_limit", 100_000),
        ]
        loopback = _is_loopback(host)
        credentials = None
        if self.config.tls_cert is not None and self.config.tls_key is not None:
            credentials = server_credentials(self.config.tls_cert, self.config.tls_key, self.config.tls_client_ca)
        elif not loopback and not self.config.plaintext:
            raise UsageError(f"refusing to listen in plaintext on {self.config.listen}: give --tls-cert and --tls-key "
                             "(see `netcensus certs`), or --plaintext to accept the risk")
        server = grpc.aio.server(options=options)
        secret_hash = hash_key(self.config.enrol_secret) if self.config.enrol_secret else None
        admin_hash = hash_key(self.config.admin_token) if self.config.admin_token else None
        limiter = RateLimiter(self.config.rate_limit, self.config.rate_burst)
        add_ingest_service(IngestService(
            pipeline=self.pipeline, keyring=self.keyring, enrol_secret_hash=secret_hash,
            persist_enrolment=self._persist_enrolment, clock=self.clock, metrics=self.metrics, limiter=limiter), server)
        query_pb2_grpc.add_QueryServicer_to_server(
            QueryService(self.refresh, lambda: resolved_findings(self.store)), server)
        query_pb2_grpc.add_AdminServicer_to_server(
            AdminService(self._import, admin_hash, revoke=self.revoke, sources=self.store.sources), server)
        health_pb2_grpc.add_HealthServicer_to_server(self._health, server)
        reflection.enable_server_reflection((
            ingest_pb2.DESCRIPTOR.services_by_name["Ingest"].full_name,
            query_pb2.DESCRIPTOR.services_by_name["Query"].full_name,
            query_pb2.DESCRIPTOR.services_by_name["Admin"].full_name,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ), server)
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        _check_bindable(host, port, self.config.listen)
        self.pipeline.start()
        try:
            self.port = (server.add_secure_port(address, credentials) if credentials is not None
                         else server.add_insecure_port(address))
        except RuntimeError as exc:
            self.pipeline.stop()
            raise UsageError(f"cannot listen on {self.config.listen}: address in use or not available") from exc
        if self.port == 0:
            self.pipeline.stop()
            raise UsageError(f"cannot listen on {self.config.listen}: address in use or not available")
        if self.config.metrics_listen:
            m_host, m_port = parse_listen(self.config.metrics_listen)
            try:
                self.metrics_port = self.metrics.serve(m_host, m_port)
            except OSError as exc:
                self.pipeline.stop()
                raise UsageError(f"cannot serve metrics on {self.config.metrics_listen}: {exc.strerror}") from exc
        await server.start()
        self._server = server
        await self._health.set("", health_pb2.HealthCheckResponse.SERVING)
        if credentials is None and not loopback:
            log.warning("listening in PLAINTEXT on %s (--plaintext): node keys and inventories cross the network "
                        "unencrypted; use --tls-cert/--tls-key", self.config.listen)
        if credentials is not None:
            log.info("TLS on %s%s", self.config.listen,
                     " with client certificates required" if self.config.tls_client_ca else "")
        if secret_hash is None:
            log.warning("no enrolment secret configured: any node may enrol (set NETCENSUS_ENROL_SECRET)")
        return self.port

    async def stop(self, grace: float = 5.0) -> None:
        """Graceful shutdown; nothing queued is lost."""
        if self._server is not None:
            await self._health.enter_graceful_shutdown()
            await self._server.stop(grace)
        await asyncio.to_thread(self.pipeline.stop)
        self.metrics.close()
        self.store.close()
        log.info("stopped: %d reports stored, %d duplicates, %d rows", self.pipeline.stored,
                 self.pipeline.duplicates, self.pipeline.rows)

    async def refresh_loop(self) -> None:
        """Keep the findings lifecycle current even when nobody asks."""
        interval = self.config.refresh_interval.total_seconds()
        while interval > 0:
            await asyncio.sleep(interval)
            try:
                await asyncio.to_thread(self.refresh)
            except NetcensusError as exc:
                log.error("refresh failed: %s", exc)


def _check_bindable(host: str, port: int, listen: str) -> None:
    """Say precisely why we cannot listen, before gRPC says it vaguely."""
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As gRPC does: connections of a killed predecessor in TIME_WAIT must not block a restart.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except socket.gaierror as exc:
            raise UsageError(f"cannot listen on {listen}: unknown host {host!r}") from exc
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UsageError(f"cannot listen on {listen}: address already in use (another collector?)") from exc
            raise UsageError(f"cannot listen on {listen}: {exc.strerror}") from exc


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(config: ServeConfig, *, ready: Callable[[int], None] | None = None) -> int:
    """Run until SIGTERM/SIGINT; returns the exit code."""
    async def main() -> None:
        collector = Collector(config)
        try:
            port = await collector.start()
        except BaseException:
            collector.store.close()
            raise
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info("collector serving on %s (port %d), database %s", config.listen, port, config.db)
        settle_for_serving()
        if ready is not None:
            ready(port)
        refresher = asyncio.create_task(collector.refresh_loop())
        await stop.wait()
        refresher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await refresher
        await collector.stop()

    asyncio.run(main())
    return 0


class BackgroundCollector:
    """A collector serving from a background thread (for the demo and for tests).

    Usage: `with BackgroundCollector(config) as c: ... c.port ...`; leaving the block drains the
    ingest queue and closes the database like a SIGTERM would.
    """

    def __init__(self, config: ServeConfig, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.config = config
        self._clock = clock
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="collector", daemon=True)
        self.collector: Collector | None = None
        self.port = 0

    def __enter__(self) -> BackgroundCollector:
        self._thread.start()
        try:
            self.collector = Collector(self.config, clock=self._clock)
            self.port = asyncio.run_coroutine_threadsafe(self.collector.start(), self._loop).result(timeout=30)
        except BaseException:
            if self.collector is not None:
                self.collector.store.close()
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            raise
        return self

    @property
    def target(self) -> str:
        """HOST:PORT clients should dial."""
        host = self.config.listen.rsplit(":", 1)[0]
        return f"{host}:{self.port}"

    def __exit__(self, *exc: object) -> None:
        if self.collector is not None:
            asyncio.run_coroutine_threadsafe(self.collector.stop(), self._loop).result(timeout=60)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
