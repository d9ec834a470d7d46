"""A front-end process of `netcensus serve --workers N`: gRPC, authentication and decoding.

Why processes: a collector under a burst of thousands of agents spends most of its CPU in
Python — gRPC's per-message work, validation and decoding — and one Python process runs Python on
one core at a time. Front-ends share the public port (SO_REUSEPORT: the kernel spreads connections
over them) and do that work in parallel; each decoded report goes over a pipe to the writer
process, the only one that opens DuckDB. The ack rule does not change: a front-end acks a report
only when the writer says its batch is committed. If the writer dies, the front-end exits at once:
nothing it still holds was acked, so the agents re-send it from their spools.

Enrolments are decided and persisted by the writer (one enrolment gate: global rate limits, one
owner per source id), which has every front-end apply the new key before the agent gets it;
revocations reach every front-end the same way before the admin call returns.
Query and Admin calls are passed on to the writer unchanged (collector/serve/proxy.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer

from collector.config import ServeConfig, parse_listen
from collector.domain.model import IngestReport
from collector.ingest.enrolment import EnrolAttempt, Refusal
from collector.ingest.pipeline import LoopCallback, Outcome, PipelineBusy, Relay
from collector.inventory.gc import settle_for_serving
from collector.logs import configure_logging
from collector.serve.guard import PeerGuard, private_socket, refused_counter
from collector.serve.listen import (
    address,
    bind,
    bind_address,
    connection_cap,
    credentials,
    enable_reflection,
    server_options,
)
from collector.serve.metrics import Metrics
from collector.serve.proxy import add_proxy
from collector.serve.relay import Channel, ChannelClosed, OutcomeFields, outcome_fields, outcome_from
from collector.serve.service import IngestService, Keyring, add_ingest_service

log = logging.getLogger("netcensus.frontend")

METRICS_EVERY_S = 1.0


@dataclass(frozen=True, slots=True)
class FrontendSpec:
    """Everything a front-end needs, passed once when it is started."""

    index: int
    config: ServeConfig
    port: int                      # the shared public port (already chosen by the writer process)
    internal: str                  # Unix socket of the writer's Query/Admin server
    key_hashes: dict[str, str]     # source id -> node-key hash, as the writer knows them now
    revoked: frozenset[str]
    kinds: dict[str, str]          # source id -> kind: what each source may report
    certs: dict[str, str]          # source id -> bound client certificate name (mutual TLS)
    log_level: str
    log_format: str


class RemotePipeline:
    """The writer's ingest pipeline as IngestService sees it, across the pipe.

    Reports submitted during one turn of the event loop go to the writer in one message; outcomes
    come back one message per commit. `depth` is the writer's queue depth as of its last message
    plus what this process has not sent yet, so pushback (`retry_after_ms`) and PipelineBusy work
    as in a single process.
    """

    def __init__(self, channel: Channel, loop: asyncio.AbstractEventLoop, max_queue: int) -> None:
        self._channel = channel
        self._loop = loop
        self._max_queue = max_queue
        self.high_water = max_queue // 2
        self._outbox: list[tuple[int, IngestReport]] = []
        self._waiting: dict[int, Callable[[Outcome], None]] = {}
        self._next_token = 0
        self.remote_depth = 0

    @property
    def depth(self) -> int:
        """Reports waiting for the writer, as far as this process knows."""
        return self.remote_depth + len(self._outbox)

    def submit_to_loop(self, report: IngestReport, target: LoopCallback | Relay) -> None:
        """Queue a report for the writer; `target.callback(outcome)` runs once it is settled."""
        if not isinstance(target, LoopCallback):
            raise TypeError("a front-end only takes loop callbacks")
        if self.depth >= self._max_queue:
            raise PipelineBusy(f"{self._max_queue} reports waiting")
        self._next_token += 1
        self._waiting[self._next_token] = target.callback
        if not self._outbox:
            self._loop.call_soon(self._flush)
        self._outbox.append((self._next_token, report))

    def _flush(self) -> None:
        batch, self._outbox = self._outbox, []
        try:
            self._channel.send(("submit", batch))
        except ChannelClosed:
            self.settle([(token, outcome_fields(Outcome(report.report_id, error="collector is restarting; retry later",
                                                        retryable=True)))
                         for token, report in batch], self.remote_depth)

    def settle(self, outcomes: list[tuple[int, OutcomeFields]], depth: int) -> None:
        """Outcomes from the writer (run on the loop): resolve each report's ack."""
        self.remote_depth = depth
        for token, fields in outcomes:
            callback = self._waiting.pop(token, None)
            if callback is None:
                continue
            try:
                callback(outcome_from(fields))
            except Exception:
                log.exception("delivering an ingest outcome failed")


def main(spec: FrontendSpec, conn: Any) -> None:
    """Process entry point (multiprocessing, spawn)."""
    # Signals are the writer's business: it drains the front-ends before it stops. A Ctrl-C or a
    # service manager's SIGTERM to the whole process group must not end them first.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    configure_logging(spec.log_level, spec.log_format)
    channel = Channel(conn)
    try:
        asyncio.run(_serve(spec, channel))
    except Exception as exc:  # noqa: BLE001 - reported to the writer as one line, which stops or retries
        with contextlib.suppress(ChannelClosed):
            channel.send(("failed", f"front-end {spec.index}: {exc}"))


async def _serve(spec: FrontendSpec, channel: Channel) -> None:
    config = spec.config
    loop = asyncio.get_running_loop()
    keyring = Keyring(spec.key_hashes, set(spec.revoked), spec.kinds, spec.certs)
    pipeline = RemotePipeline(channel, loop, config.max_queue)
    metrics = Metrics(config.db, lambda: pipeline.depth)
    drain = asyncio.Event()
    grace = [5.0]

    def start_drain(seconds: float) -> None:
        grace[0] = seconds
        loop.call_soon_threadsafe(drain.set)

    # Key changes are applied on the reader thread, not the (possibly busy) event loop, so the
    # writer's enrolment or revocation waits for a dict update only. Keyring swaps whole dicts.
    calls: dict[str, Callable[..., Any]] = {"replace": keyring.replace, "revoke": keyring.revoke,
                                            "drain": start_drain}

    def read() -> None:
        while True:
            try:
                message = channel.recv()
            except ChannelClosed:
                # The writer is gone: nothing this process holds can be acked any more, and the
                # port must be free for the collector's restart. Agents re-send from their spools.
                os._exit(0)
            kind = message[0]
            if kind == "outcomes":
                loop.call_soon_threadsafe(pipeline.settle, message[1], message[2])
            elif kind == "call":
                call_id, name, args = message[1], message[2], message[3]
                channel.answer(call_id, calls[name], args)
            elif kind == "reply":
                channel.settle(message[1], message[2], message[3])

    threading.Thread(target=read, name="writer-pipe", daemon=True).start()

    def enrol(attempt: EnrolAttempt) -> Refusal | None:
        # Decided by the writer, which holds the one enrolment gate (global limits, one winner per id).
        refusal: Refusal | None = channel.call("enrol", attempt)
        return refusal

    server = grpc.aio.server(options=server_options(config, share_port=True))
    add_ingest_service(IngestService.for_config(
        config, pipeline=pipeline, keyring=keyring, enrol=enrol,
        clock=lambda: datetime.now(UTC), metrics=metrics), server)
    upstream = grpc.aio.insecure_channel(f"unix:{spec.internal}", options=[
        ("grpc.max_receive_message_length", config.max_message_bytes),
        ("grpc.max_send_message_length", config.max_message_bytes)])
    add_proxy(server, upstream)
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    enable_reflection(server)
    host, _ = parse_listen(config.listen)
    guard: PeerGuard | None = None
    if config.max_connections_per_peer > 0:  # gRPC behind the per-peer guard, in the writer's private directory
        private = Path(spec.internal).parent / f"frontend-{spec.index}"
        private.mkdir(mode=0o700, exist_ok=True)
        if bind_address(server, f"unix:{private_socket(str(private))}", credentials(config)) == 0:
            raise RuntimeError(f"cannot listen on {private_socket(str(private))}")
        await server.start()
        guard = PeerGuard(private_socket(str(private)), per_peer=config.max_connections_per_peer,
                          total=connection_cap(config), on_refused=refused_counter(metrics.reject))
        port = await guard.start(host, spec.port, reuse_port=True)
    else:
        port = bind(server, host, spec.port, credentials(config))
        if port != spec.port:
            raise RuntimeError(f"cannot listen on {address(host, spec.port)}")
        await server.start()
    await health.set("", health_pb2.HealthCheckResponse.SERVING)
    settle_for_serving()
    channel.send(("ready", port))

    async def ship_metrics() -> None:
        while True:
            await asyncio.sleep(METRICS_EVERY_S)
            channel.send(("metrics", metrics.samples()))

    shipper = asyncio.create_task(ship_metrics())
    await drain.wait()
    if guard is not None:
        await guard.stop()
    await health.enter_graceful_shutdown()
    await server.stop(grace[0])
    shipper.cancel()
    await upstream.close()
    channel.send(("metrics", metrics.samples()))
    channel.send(("drained",))
