"""Serving the dashboard: from the collector's own process (`serve --ui`), or over a file (`netcensus ui`).

uvicorn serves the Starlette app. Why uvicorn: it is the ASGI server Starlette documents and tests
with, it runs inside an existing asyncio loop (the collector's, beside gRPC) through `Server.serve`,
and it takes a TLS certificate and key directly. Its own signal handling is turned off here: the
collector (or `netcensus ui`) owns SIGTERM/SIGINT and stops the dashboard in its shutdown order.

Off loopback the dashboard speaks TLS only, with the collector's certificate: a plaintext listen on
another address is refused (sessions and inventories would cross the network readable).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn

from collector.config import DEFAULT_GHOST_AFTER, parse_listen
from collector.errors import UsageError
from collector.serve.access import TokenBook
from collector.serve.listen import is_loopback
from collector.serve.web.actions import CollectorActions
from collector.serve.web.app import build_app
from collector.serve.web.auth import AuditEntry, Authenticator, SessionPolicy
from collector.serve.web.context import SnapshotCache, WebContext
from collector.store import users as users_sql
from collector.store.duckdb import Store

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from collector.serve.server import Collector

log = logging.getLogger("netcensus.web")
audit_log = logging.getLogger("netcensus.audit")

#: How long one refresh serves the asset page and the changes view before a rebuild starts (seconds).
#: A full refresh of 100,000 machines takes 15-70 s on 2 cores, so the dashboard asks for one at most
#: once a minute while pages are open (findings, counts and lists read the stored state, always current
#: to the collector's last refresh; the changes view reads this snapshot, and so does the asset page of
#: an asset the live state does not hold yet: the others are cut from the live state, seconds old).
SNAPSHOT_MAX_AGE = 60.0
#: The same for `netcensus ui` over a file: nothing writes to it while it is served, so only the clock
#: moves what a refresh gives (the ghost window); a rebuild every minute would spend most of a core.
FILE_SNAPSHOT_MAX_AGE = 900.0


def bind_socket(listen: str, *, tls: bool) -> socket.socket:
    """A listening socket for HOST:PORT; UsageError for plaintext off loopback or an address in use."""
    host, port = parse_listen(listen)
    if not tls and not is_loopback(host):
        raise UsageError(f"refusing to serve the dashboard in plaintext on {listen}: give the collector's "
                         "certificate (--tls-cert/--tls-key) or listen on 127.0.0.1")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot serve the dashboard on {listen}: {exc.strerror or exc}") from exc
    sock.listen(128)
    sock.setblocking(False)
    return sock


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers (the embedding process owns the signals)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


@dataclass
class Dashboard:
    """A dashboard being served on one socket; `start` in a running loop, `stop` to end it."""

    app: Starlette
    listen: str
    tls_cert: Path | None = None
    tls_key: Path | None = None

    def __post_init__(self) -> None:
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.port = 0

    async def start(self) -> int:
        """Bind and serve in the current loop; returns the bound port."""
        sock = bind_socket(self.listen, tls=self.tls_cert is not None)
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off",
                                ssl_certfile=str(self.tls_cert) if self.tls_cert else None,
                                ssl_keyfile=str(self.tls_key) if self.tls_key else None,
                                server_header=False, proxy_headers=False, timeout_keep_alive=30)
        self._server = _Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        for _ in range(200):  # until it accepts (or failed)
            if self._server.started or self._task.done():
                break
            await asyncio.sleep(0.025)
        if self._task.done():
            self._task.result()
            raise UsageError(f"the dashboard on {self.listen} did not start")
        scheme = "https" if self.tls_cert else "http"
        log.info("dashboard on %s://%s (port %d)", scheme, self.listen, self.port)
        return self.port

    async def stop(self) -> None:
        """Finish open requests and close the socket."""
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._task, timeout=10)


def for_collector(collector: Collector, listen: str) -> Dashboard:
    """The dashboard of a serving collector: its store, its refresh, its tokens, its audit log."""
    c = collector
    ctx = WebContext(store=c.store, snapshot=SnapshotCache(c.refresh, SNAPSHOT_MAX_AGE, cut=c.live.asset_cut),
                     clock=c.clock,
                     ghost_after=c.config.ghost_after, poll_seconds=max(1, int(c.config.ui_poll.total_seconds())),
                     generation=lambda: c.live.updates + c.live.rebuilds,
                     actions=CollectorActions(c))
    auth = Authenticator(users=lambda name: users_sql.login_record(c.store, name), tokens=c.tokens,
                         policy=SessionPolicy())

    async def audit(entry: AuditEntry) -> None:
        await c.audit.write(entry, None)

    app = build_app(ctx, auth=auth, audit=audit, tls=c.config.tls_cert is not None)
    return Dashboard(app, listen, c.config.tls_cert, c.config.tls_key)


async def log_audit(entry: AuditEntry) -> None:
    """The access log of a dashboard over a read-only file: one `netcensus.audit` log line per request."""
    audit_log.info("who=%s role=%s action=%s target=%r peer=%s outcome=%r", entry["who"], entry["role"] or "-",
                   entry["action"], entry["target"], entry["peer"], entry["outcome"])


def over_file(store: Store, listen: str, *, tls_cert: Path | None, tls_key: Path | None,
              clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> Dashboard:
    """A read-only dashboard over a database file no collector is serving (`netcensus ui`)."""
    from collector.inventory.refresh import refresh

    window = store.ghost_after() or DEFAULT_GHOST_AFTER
    ctx = WebContext(store=store, snapshot=SnapshotCache(
        lambda: refresh(store, now=clock(), ghost_after=window, rules=None, persist=False), FILE_SNAPSHOT_MAX_AGE),
        clock=clock, ghost_after=window, read_only=True, poll_seconds=60)
    auth = Authenticator(users=lambda name: users_sql.login_record(store, name),
                         tokens=TokenBook(store.active_tokens()), policy=SessionPolicy())
    app = build_app(ctx, auth=auth, audit=log_audit, tls=tls_cert is not None)
    return Dashboard(app, listen, tls_cert, tls_key)


def run_over_file(db: Path, listen: str, *, tls_cert: Path | None, tls_key: Path | None,
                  ready: Callable[[int], None] | None = None) -> int:
    """`netcensus ui`: serve until SIGTERM/SIGINT; returns the exit code."""
    if bool(tls_cert) != bool(tls_key):
        raise UsageError("--tls-cert and --tls-key go together")
    store = Store.open(db, read_only=True)

    async def main() -> None:
        dashboard = over_file(store, listen, tls_cert=tls_cert, tls_key=tls_key)
        port = await dashboard.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        scheme = "https" if tls_cert else "http"
        host = listen.rsplit(":", 1)[0]
        print(f"dashboard (read-only) on {scheme}://{host}:{port}/ over {db}; Ctrl-C stops it", flush=True)
        if ready is not None:
            ready(port)
        await stop.wait()
        await dashboard.stop()

    try:
        asyncio.run(main())
    finally:
        store.close()
    return 0


