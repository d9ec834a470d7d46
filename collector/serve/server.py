"""Composition root of `netcensus serve`: store + ingest pipeline + gRPC services + shutdown.

Shutdown order on SIGTERM/SIGINT: stop accepting RPCs (in-flight ones get a grace period), let
the ingest writer commit everything queued, checkpoint and close DuckDB. An ack is only ever sent
after its commit, so nothing acked is lost at any point of this sequence.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import shutil
import signal
import socket
import tempfile
import threading
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from netcensus.v1 import query_pb2, query_pb2_grpc

from collector.config import ServeConfig, parse_listen
from collector.domain.decisions import Decision
from collector.domain.model import IngestReport, StoreResult
from collector.errors import NetcensusError, StorageUnavailable, StoreError, UsageError
from collector.escaping import escape_text
from collector.ingest.budget import InflightBudget
from collector.ingest.enrolment import INTERNAL, UNAVAILABLE, EnrolAttempt, EnrolmentGate, Refusal
from collector.ingest.pipeline import RETRY_LATER_MS, IngestPipeline
from collector.ingest.ratelimit import RateLimiter
from collector.inventory.changes import changes
from collector.inventory.detail import asset_detail
from collector.inventory.gc import settle_for_serving
from collector.inventory.live import Change, LiveInventory, LiveLoop, change_of
from collector.inventory.refresh import RuleEvaluator, Snapshot, refresh
from collector.inventory.refs import record_decision, undo_decision
from collector.pages import document_json
from collector.register.importing import import_register, parse_status_map
from collector.rules.bridge import load_software_rules
from collector.rules.order import package_order
from collector.serve.access import Access, TokenBook, check_name, check_role, hash_secret, new_token
from collector.serve.audit import AuditWriter
from collector.serve.guard import PeerGuard, private_socket, refused_counter
from collector.serve.listen import (
    bind,
    bind_address,
    check_bindable,
    connection_cap,
    credentials,
    enable_reflection,
    is_loopback,
    raise_open_files_limit,
    reserve_shared_port,
    server_options,
)
from collector.serve.metrics import Metrics
from collector.serve.querypool import QueryPool
from collector.serve.service import AdminService, IngestService, Keyring, QueryService, add_ingest_service
from collector.serve.workers import FrontendPool
from collector.store.duckdb import GHOST_AFTER_SETTING, Store
from collector.store.vulns_sql import VulnStore
from collector.vulns.accept import accept_risk, end_risk
from collector.vulns.bridge import with_vulnerabilities
from collector.vulns.schedule import FeedDirectory, reimport_loop

if TYPE_CHECKING:
    from collector.serve.web.serving import Dashboard

log = logging.getLogger("netcensus.server")


def utcnow() -> datetime:
    """The production clock."""
    return datetime.now(UTC)


class Collector:
    """A running collector; `start()` binds, `stop()` drains and closes."""

    def __init__(self, config: ServeConfig, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.config = config
        self.clock = clock
        self._check_policy()  # before the database file is created
        self.store = Store.open(config.db)
        self.store.defer_checkpoints()
        # `findings --db` on this file defaults to the same window, so both ways of asking agree.
        self.store.set_setting(GHOST_AFTER_SETTING, str(int(config.ghost_after.total_seconds())))
        threads = config.duckdb_threads or writer_threads(config.workers, os.cpu_count() or 1)
        if threads:
            self.store.limit_threads(threads)
        self._rules = load_software_rules(config.rules_dirs)
        self._refresh_lock = threading.Lock()
        # Assets and findings kept current report by report (collector/inventory/live.py).
        self.live = LiveInventory(self.store, ghost_after=config.ghost_after,
                                  rules_for=self._rules_for)
        self.live_loop = LiveLoop(self._live_update, on_error=lambda exc: log.error("live update failed: %s", exc))
        self.pipeline = IngestPipeline(self._store_reports, clock, max_queue=config.max_queue,
                                       when_idle=self.store.checkpoint_if_idle, recover=self.store.recover)
        self.metrics = Metrics(config.db, lambda: self.pipeline.depth)
        self.budget = InflightBudget(config.max_inflight_bytes)  # bytes of reports not yet committed
        self.keyring = Keyring(self.store.source_key_hashes(), self.store.revoked_sources(), self.store.source_kinds(),
                               self.store.source_cert_names())
        self.gate = EnrolmentGate(
            self.keyring, approval_ttl=config.enrol_approval_ttl, clock=clock,
            per_peer=RateLimiter(config.enrol_rate_per_peer, config.enrol_burst_per_peer),
            per_secret=RateLimiter(config.enrol_rate_per_secret, config.enrol_burst_per_secret))
        self._enrol_failed = False  # the last enrolment's write failed for a passing reason
        self.tokens = TokenBook(self.store.active_tokens(), bootstrap=config.admin_token)
        self.audit = AuditWriter(self.store.record_audit_rows)  # batches of audit rows, on a thread of its own
        self.metrics_port = 0
        # Query and Admin work runs here, never on the default executor enrolment uses.
        self.query_pool = QueryPool(config.query_threads, config.query_queue,
                                    on_refused=lambda: self.metrics.reject("queries"))
        self.port = 0
        self._server: grpc.aio.Server | None = None
        self._health = HealthServicer()
        self.pool: FrontendPool | None = None  # --workers > 1: the front-end processes
        self._holder: socket.socket | None = None
        self._private_dir: str | None = None
        self.guard: PeerGuard | None = None  # max_connections_per_peer > 0: owns the public port
        self.dashboard: Dashboard | None = None  # ui_listen: the web dashboard (collector/serve/web/)
        self.ui_port = 0

    def refresh(self, ghost_after: timedelta | None = None) -> Snapshot:
        """Assets and findings now: with the configured window the live state, brought up to date with
        every stored report and the clock; with another window a full recomputation (not persisted)."""
        window = self.config.ghost_after if ghost_after is None else ghost_after
        if window == self.config.ghost_after:
            self.live_loop.run_now()
            with self._refresh_lock:
                return self.live.snapshot()
        with self._refresh_lock:
            return refresh(self.store, now=self.clock(), ghost_after=window, rules=self._rules_for(None),
                           persist=False)

    def _rules_for(self, only: Collection[str] | None) -> RuleEvaluator | None:
        """The rule step: the rule packs and, with a feed loaded, the vulnerability step (per-asset
        findings for the asset ids `only` alone when given: the live path)."""
        return with_vulnerabilities(self.store, self._rules.evaluator(self.store, only) if self._rules else None,
                                    only)

    def _store_reports(self, reports: Sequence[IngestReport], now: datetime) -> StoreResult:
        """Store a batch (the ingest writer's step) and hand what it touched to the live loop before
        the acks go out, so an acknowledged report is always on its way into assets and findings."""
        result = self.store.store_reports(reports, now)
        if result.stored:
            self.live_loop.mark(change_of(r for r in reports if r.report_id in result.stored))
        return result

    def _live_update(self, change: Change) -> None:
        with self._refresh_lock:
            stats = self.live.update(change, self.clock())
        log.log(logging.INFO if stats.full else logging.DEBUG,
                "%s: %d subjects touched, %d re-resolved, %d assets rebuilt, %d asset rows and %d findings "
                "written, %d resolved, %.2f s", "full refresh" if stats.full else "live update", stats.touched,
                stats.closure, stats.assets, stats.written_assets, stats.written_findings, stats.resolved_findings,
                stats.seconds)

    def reload(self) -> None:
        """Start the live state again from a full refresh at the next update (after rows were written to
        the database other than through ingest, an import or a decision: test fixtures, repairs)."""
        self.live_loop.mark(Change(rebuild=True))

    def settle(self, timeout: float | None = None) -> bool:
        """Wait until every report acknowledged so far is in the stored assets and findings."""
        return self.live_loop.wait(self.live_loop.marked, timeout)

    def _import(self, request: query_pb2.ImportRequest) -> query_pb2.ImportResponse:
        from collector.register import parse_mapping

        mapping = parse_mapping(request.mapping, source=f"{request.filename} mapping") if request.mapping else None
        status_map = parse_status_map([f"{k}={v}" for k, v in request.status_map.items()])
        outcome = import_register(self.store, request.content, request.format, filename=request.filename or "upload",
                                  now=self.clock(), mapping=mapping, status_map=status_map,
                                  register=request.register or None)
        self.live_loop.mark(Change(records=True))
        c = outcome.counts
        return query_pb2.ImportResponse(rows=c.rows, added=c.added, changed=c.changed, unchanged=c.unchanged,
                                        removed=c.removed, import_id=outcome.import_id)

    def enrol(self, attempt: EnrolAttempt) -> Refusal | None:
        """Decide an enrolment and, when allowed, store the new key and make it the only valid one.

        Every enrolment of this collector comes here (from a front-end too, over its pipe): decide and
        store under the gate's lock, so two enrolments of one id cannot both pass against the old
        state. With front-ends, each applies the new key before this returns, so the agent's next call
        is recognised whichever front-end it reaches.

        A store failure is a Refusal too (UNAVAILABLE with a retry-after when it may pass, such as a
        full disk; INTERNAL otherwise), so a front-end's caller gets the same answer over the pipe;
        the keyring and any approval the attempt used are left as they were."""
        with self.gate.lock:
            approval = self.gate.approval_of(attempt.source_id)
            refusal = self.gate.decide(attempt)
            if refusal is not None:
                return refusal
            try:
                if self._enrol_failed:
                    # DuckDB may have invalidated the connection on the failed write (a full WAL): reopen
                    # it first, as the ingest writer does between retries, so this retry can succeed.
                    self.store.recover()
                self.store.enroll_source(attempt.source_id, attempt.kind, attempt.hostname, attempt.key_hash,
                                         self.clock(), attempt.bind_to)
            except StoreError as exc:
                self._enrol_failed = isinstance(exc, StorageUnavailable)
                self.gate.restore(approval)
                return self._storage_refusal(exc)
            self._enrol_failed = False
            self.keyring.replace(attempt.source_id, attempt.key_hash, attempt.kind, attempt.bind_to)
            if self.pool is not None:
                self.pool.broadcast("replace", attempt.source_id, attempt.key_hash, attempt.kind, attempt.bind_to)
        return None

    def _storage_refusal(self, exc: StoreError) -> Refusal:
        """The answer to an enrolment the store could not record (nothing of it was kept)."""
        log.error("enrolment not stored: %s", exc)
        if isinstance(exc, StorageUnavailable):
            return Refusal(UNAVAILABLE, "the collector cannot store the enrolment now (storage failure); "
                           f"retry after {RETRY_LATER_MS} ms", RETRY_LATER_MS, metric="retry_later")
        return Refusal(INTERNAL, "the collector failed to store the enrolment; its log says why",
                       metric="not_stored")

    def approve(self, source_id: str, approved_by: str) -> datetime | None:
        """Allow one re-enrolment of source_id without its key; when it expires, or None (no live key)."""
        approval = self.gate.approve(source_id, approved_by)
        return approval.expires_at if approval is not None else None

    def revoke(self, source_id: str) -> bool:
        """Revoke a source: its key stops working at once, also on streams already open."""
        found = self.store.revoke_source(source_id, self.clock())
        if found:
            self.keyring.revoke(source_id)
            if self.pool is not None:
                self.pool.broadcast("revoke", source_id)
            log.warning("revoked source %s", source_id)
        return found

    def accept_risk(self, *, advisory: str, reason: str, until: date, host: str | None, asset: str | None,
                    package: str | None, who: str) -> int:
        """Accept a risk as `netcensus vulns accept` does (collector/vulns/accept.py); the live state then
        re-evaluates the vulnerability findings, so they show suppressed within seconds."""
        exception_id = accept_risk(VulnStore(self.store), advisory=advisory, reason=reason, until=until, host=host,
                                   asset=asset, package=package, who=who, now=self.clock())
        self.live_loop.mark(Change(rules=True))
        log.warning("risk of %s accepted until %s by %s (exception #%d)", escape_text(advisory[:64]), until,
                    escape_text(who), exception_id)
        return exception_id

    def end_risk(self, exception_id: int, who: str) -> None:
        """End an accepted risk as `netcensus vulns unaccept` does; its findings show again within seconds.
        UsageError when no active exception has that id."""
        end_risk(VulnStore(self.store), exception_id, self.clock())
        self.live_loop.mark(Change(rules=True))
        log.warning("accepted risk #%d ended by %s", exception_id, escape_text(who))

    def create_token(self, name: str, role: str) -> str:
        """A new named API token (TokenAdmin.create): stored as a hash, valid at once."""
        check_name(name)
        check_role(role)
        token = new_token()
        if not self.store.create_token(name, role, hash_secret(token), self.clock()):
            raise UsageError(f"a token named {name!r} exists already (names are never reused; pick another)")
        self.tokens.add(hash_secret(token), name, role)
        log.warning("API token %r created with role %s", name, role)
        return token

    def list_tokens(self) -> list[dict[str, object]]:
        """Every named token (TokenAdmin.list)."""
        return self.store.tokens()

    def revoke_token(self, name: str) -> bool:
        """Revoke a named token (TokenAdmin.revoke): refused from the next call on."""
        found = self.store.revoke_token(name, self.clock())
        if found:
            self.tokens.remove(name)
            log.warning("API token %r revoked", name)
        return found

    def _check_policy(self) -> None:
        """No open defaults: an enrolment secret, or the operator's explicit --open-enrolment."""
        if self.config.enrol_secret is None and not self.config.open_enrolment:
            raise UsageError("refusing to start without an enrolment secret: set NETCENSUS_ENROL_SECRET or "
                             "enrol_secret_file, or give --open-enrolment to let any node enrol")

    async def start(self) -> int:
        """Bind and start serving; returns the bound port (useful with port 0)."""
        host, port = parse_listen(self.config.listen)
        creds = credentials(self.config)
        check_bindable(host, port, self.config.listen)
        open_files = raise_open_files_limit()
        self.audit.start()
        if self.config.ui_listen:  # first: a dashboard that cannot bind stops the start before gRPC serves
            await self._start_dashboard(self.config.ui_listen)
        self.live_loop.start()  # its first update is the full refresh the live state starts from
        cap = connection_cap(self.config)
        if self.config.max_connections and cap < self.config.max_connections:
            log.info("max_connections %d lowered to %d: the open-files limit is %d (raise it with the service "
                     "manager's file limit)", self.config.max_connections, cap, open_files)
        try:
            if self.config.workers > 1:
                self.port = await self._start_workers(host, port)
            else:
                self.port = await self._start_single(host, port, creds)
        except BaseException:  # nothing serves: its private socket directory must not outlive the attempt
            self._remove_private_dir()
            raise
        if creds is None and not is_loopback(host):
            log.warning("listening in PLAINTEXT on %s (--plaintext): node keys and inventories cross the network "
                        "unencrypted; use --tls-cert/--tls-key", self.config.listen)
        if creds is not None:
            log.info("TLS on %s%s", self.config.listen,
                     " with client certificates required" if self.config.tls_client_ca else "")
        if self.config.enrol_secret is None:
            log.warning("OPEN ENROLMENT (--open-enrolment): any node that reaches %s may enrol and report; "
                        "set NETCENSUS_ENROL_SECRET or enrol_secret_file", self.config.listen)
        if not len(self.tokens):
            log.warning("no API token exists yet: Query and Admin refuse every call until one is created "
                        "(`netcensus tokens create NAME --role admin`)")
        return self.port

    async def _start_dashboard(self, listen: str) -> None:
        """Serve the web dashboard from this process (collector/serve/web/serving.py); undo the start on failure."""
        from collector.serve.web.serving import for_collector

        self.dashboard = for_collector(self, listen)
        try:
            self.ui_port = await self.dashboard.start()
        except BaseException:
            self.dashboard = None
            await asyncio.to_thread(self.audit.stop)
            raise

    def _query_admin(self, server: grpc.aio.Server, *, private: bool) -> None:
        """Query and Admin behind the access check. private: the writer's socket for its front-ends,
        which state the caller's address and certificate; never the public port."""
        access = Access(tokens=self.tokens, node_key_source=self.keyring.source_for,
                        mutual_tls=self.config.tls_client_ca is not None, trust_forwarded=private,
                        record=self.audit.write, clock=self.clock)
        query_pb2_grpc.add_QueryServicer_to_server(
            QueryService(self.refresh, self.store.resolved_findings, access=access, pool=self.query_pool,
                         documents=_Documents(self)), server)
        query_pb2_grpc.add_AdminServicer_to_server(
            AdminService(self._import, access=access, revoke=self.revoke, sources=self.store.sources,
                         tokens=_Tokens(self), approve=self.approve, pool=self.query_pool,
                         audit=self.store.audit_entries, decisions=Decisions(self)), server)

    async def _start_single(self, host: str, port: int, creds: grpc.ServerCredentials | None) -> int:
        """Everything in this process: gRPC, decoding and the writer (the default)."""
        server = grpc.aio.server(options=server_options(self.config))
        add_ingest_service(IngestService.for_config(
            self.config, pipeline=self.pipeline, keyring=self.keyring, enrol=self.enrol,
            clock=self.clock, metrics=self.metrics, budget=self.budget), server)
        self._query_admin(server, private=False)
        health_pb2_grpc.add_HealthServicer_to_server(self._health, server)
        enable_reflection(server)
        self.pipeline.start()
        guarded = self.config.max_connections_per_peer > 0
        if guarded:  # gRPC behind the per-peer guard (collector/serve/guard.py)
            self._private_dir = _private_dir()
            bound = bind_address(server, f"unix:{private_socket(self._private_dir)}", creds)
        else:
            bound = bind(server, host, port, creds)
        if bound == 0:
            self.pipeline.stop()
            raise UsageError(f"cannot listen on {self.config.listen}: address in use or not available")
        try:
            self._serve_metrics()
        except BaseException:  # nothing serves yet: stop the writer thread again
            self.pipeline.stop()
            raise
        await server.start()
        self._server = server
        if guarded:
            bound = await self._start_guard(host, port)
        await self._health.set("", health_pb2.HealthCheckResponse.SERVING)
        return bound

    async def _start_guard(self, host: str, port: int) -> int:
        assert self._private_dir is not None
        self.guard = PeerGuard(private_socket(self._private_dir), per_peer=self.config.max_connections_per_peer,
                               total=connection_cap(self.config), on_refused=refused_counter(self.metrics.reject))
        try:
            return await self.guard.start(host, port, reuse_port=False)
        except OSError as exc:  # undo what start() did so far; the caller closes the store
            if self._server is not None:
                await self._server.stop(0)
            self.pipeline.stop()
            self.metrics.close()
            shutil.rmtree(self._private_dir, ignore_errors=True)
            raise UsageError(f"cannot listen on {self.config.listen}: {exc.strerror or exc}") from exc

    async def _start_workers(self, host: str, port: int) -> int:
        """Front-end processes serve the public port; this process keeps the writer and answers
        queries and admin calls the front-ends pass on over a private Unix socket."""
        self._holder = reserve_shared_port(host, port, self.config.listen)
        port = int(self._holder.getsockname()[1])
        self._private_dir = _private_dir()
        internal = str(Path(self._private_dir) / "writer.sock")
        server = grpc.aio.server(options=server_options(self.config))
        self._query_admin(server, private=True)
        server.add_insecure_port(f"unix:{internal}")
        await server.start()
        self._server = server
        self.pipeline.start()
        self.pool = FrontendPool(config=self.config, count=self.config.workers, port=port, internal=internal,
                                 keyring=self.keyring, pipeline=self.pipeline, enrol=self.enrol)
        self.metrics.merge(self.pool.samples)
        try:
            await asyncio.to_thread(self.pool.start)
            self._serve_metrics()
        except BaseException:
            await asyncio.to_thread(self.pool.stop)
            self.pipeline.stop()
            raise
        return port

    def _serve_metrics(self) -> None:
        if not self.config.metrics_listen:
            return
        m_host, m_port = parse_listen(self.config.metrics_listen)
        try:
            self.metrics_port = self.metrics.serve(m_host, m_port)
        except OSError as exc:
            raise UsageError(f"cannot serve metrics on {self.config.metrics_listen}: {exc.strerror}") from exc

    async def stop(self, grace: float = 5.0) -> None:
        """Graceful shutdown; nothing queued is lost."""
        if self.dashboard is not None:
            await self.dashboard.stop()
            self.dashboard = None
        if self.pool is not None:  # front-ends finish their calls while the writer still commits
            await asyncio.to_thread(self.pool.stop, grace)
        if self.guard is not None:
            await self.guard.stop()
        if self._server is not None:
            await self._health.enter_graceful_shutdown()
            await self._server.stop(grace)
        self.query_pool.shutdown()
        await asyncio.to_thread(self.pipeline.stop)
        await asyncio.to_thread(self.live_loop.stop)
        await asyncio.to_thread(self.audit.stop)
        self.metrics.close()
        self.store.close()
        if self._holder is not None:
            self._holder.close()
        self._remove_private_dir()
        log.info("stopped: %d reports stored, %d duplicates, %d rows", self.pipeline.stored,
                 self.pipeline.duplicates, self.pipeline.rows)

    def _remove_private_dir(self) -> None:
        if self._private_dir is not None:
            shutil.rmtree(self._private_dir, ignore_errors=True)
            self._private_dir = None

    async def refresh_loop(self) -> None:
        """Keep the findings lifecycle current even when nobody asks."""
        interval = self.config.refresh_interval.total_seconds()
        while interval > 0:
            await asyncio.sleep(interval)
            try:
                await asyncio.to_thread(self.refresh)
            except NetcensusError as exc:
                log.error("refresh failed: %s", exc)

    async def vulns_loop(self) -> None:
        """Re-import the OSV feeds in the configured vulns_dir on its schedule (collector/vulns/schedule.py)."""
        if self.config.vulns_dir is None:
            return
        feeds = FeedDirectory(VulnStore(self.store), self.config.vulns_dir, self.clock)
        # New advisories change the vulnerable-software findings of every asset, not just the touched ones.
        await reimport_loop(feeds, self.config.vulns_interval, lambda: self.live_loop.mark(Change(rules=True)))


class _Documents:
    """The asset page and the changes of a window (QueryService's Documents), from a fresh refresh and the store."""

    def __init__(self, collector: Collector) -> None:
        self._collector = collector

    def asset_detail(self, ref: str) -> str:
        """See collector/inventory/detail.py."""
        c = self._collector
        return document_json(asset_detail(ref, c.refresh(), c.store), compact=True)

    def changes(self, since: datetime) -> str:
        """See collector/inventory/changes.py."""
        c = self._collector
        return document_json(changes(c.refresh(), c.store, since=since, now=c.clock(), order=package_order),
                             compact=True)


class _Tokens:
    """The collector's token methods as the Admin service's TokenAdmin."""

    def __init__(self, collector: Collector) -> None:
        self._collector = collector

    def create(self, name: str, role: str) -> str:
        """See Collector.create_token."""
        return self._collector.create_token(name, role)

    def list(self) -> list[dict[str, object]]:
        """See Collector.list_tokens."""
        return self._collector.list_tokens()

    def revoke(self, name: str) -> bool:
        """See Collector.revoke_token."""
        return self._collector.revoke_token(name)


class Decisions:
    """The collector's manual merge/split decisions as the Admin service's DecisionAdmin (and the
    dashboard's admin actions: one path for both)."""

    def __init__(self, collector: Collector) -> None:
        self._collector = collector

    def decide(self, action: str, refs: list[str], subject: str, reason: str, who: str) -> Decision:
        c = self._collector
        made = record_decision(c.store, c.refresh(), action=action, refs=refs, subject=subject, reason=reason,
                               who=who, now=c.clock())
        c.live_loop.mark(Change(rebuild=True))  # people's decisions reshape assets anywhere: start again
        log.warning("manual %s #%d of %s by %s", action, made.decision_id, " ".join(made.asset_ids), escape_text(who))
        return next((d for d in c.refresh().decisions if d.decision_id == made.decision_id), made)

    def list(self) -> list[Decision]:
        return self._collector.refresh().decisions

    def undo(self, decision_id: int, who: str) -> Decision:
        c = self._collector
        if not 0 < decision_id < 2**31:
            raise UsageError(f"no standing decision #{decision_id}")
        undone = undo_decision(c.store, decision_id, who=who, now=c.clock())
        c.live_loop.mark(Change(rebuild=True))
        log.warning("manual decision #%d undone by %s", decision_id, escape_text(who))
        return undone


def writer_threads(workers: int, cores: int) -> int:
    """DuckDB threads when the config leaves it open (0 = DuckDB's default, one per core).

    With front-end processes they are busy on the cores too; DuckDB's workers then mostly
    wait for them and for each other (ingest is many small statements). Leaving each front-end a
    core of its own: on the 2-core bench machine, with 2 front-ends, 1 thread gave burst ack p50
    0.69-0.76 s against 0.78-0.88 s and 299,000-326,000 rows/s against 269,000-328,000. Queries
    lose little: findings and assets are mostly Python work (identity, reconciliation, rules).
    """
    if workers <= 1:
        return 0
    return max(1, cores - workers)


def _private_dir() -> str:
    """A new 0700 directory for the collector's private sockets, removed by stop() or at the latest when
    the interpreter exits (a collector that was never stopped: a failed start, a forgotten test fixture)."""
    path = tempfile.mkdtemp(prefix="netcensus-collector-")
    atexit.register(shutil.rmtree, path, True)
    return path


def serve(config: ServeConfig, *, ready: Callable[[int], None] | None = None) -> int:
    """Run until SIGTERM/SIGINT; returns the exit code."""
    async def main() -> None:
        collector = Collector(config)
        try:
            port = await collector.start()
        except BaseException:
            collector.live_loop.stop()
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
        feeds = asyncio.create_task(collector.vulns_loop())
        await stop.wait()
        for task in (refresher, feeds):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
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
                self.collector.live_loop.stop()
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
