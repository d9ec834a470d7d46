"""Per-peer connection cap on the public port: accept, count per peer address, relay the bytes.

Why a relay: gRPC core caps connections in total (max_allowed_incoming_connections) but has no
per-peer limit and no hook at accept, and grpcio cannot be handed an accepted socket. So when
max_connections_per_peer is set, this guard owns the public port: a connection from a peer that
already holds its share is reset at once, any other is piped unchanged (TLS included: it ends
in gRPC) to the gRPC server listening on a private Unix socket. Silent connections still meet
gRPC's handshake timeout behind the guard, which then closes the public side too.

The caller's address survives the relay: the guard binds its side of each private connection to an
abstract Unix name that carries the public peer ("netcensus-peer/ipv4:192.0.2.7:50312/<pid>.<n>"), gRPC
reports that name as the call's peer, and `client_peer` turns it back into "ipv4:192.0.2.7:50312", so
logs, the audit log and the per-peer enrolment limit see the real caller. Only processes that can reach
the private socket (its directory is the collector user's alone) can choose such a name.

The price: every byte crosses one more socket pair in Python. README ("Limits") has the measurement.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("netcensus.guard")

_WARN_EVERY_S = 10.0  # one warning per peer per interval: an attacker must not flood the log either
_HIGH_WATER = 256 * 1024  # bytes buffered towards one side before the other side's reading pauses
_PEER_NAME = "netcensus-peer/"  # abstract Unix names of the guard's private connections start so
_GRPC_ABSTRACT = "unix-abstract:"  # how gRPC spells such a peer
_sequence = itertools.count()


def grpc_peer(peername: Any) -> str:
    """An accepted socket's address as gRPC spells a TCP peer ("ipv4:192.0.2.7:50312", "ipv6:[::1]:50312")."""
    if isinstance(peername, tuple) and len(peername) >= 2:
        host, port = str(peername[0]), int(peername[1])
        return f"ipv6:[{host}]:{port}" if ":" in host else f"ipv4:{host}:{port}"
    return "unknown"


def client_peer(peer: str) -> str:
    """The caller's address of a call's peer string: the public peer a guard relayed, else `peer` itself."""
    if peer.startswith(_GRPC_ABSTRACT + _PEER_NAME):
        relayed = peer[len(_GRPC_ABSTRACT + _PEER_NAME):]
        return relayed.rpartition("/")[0] or peer
    return peer


class _Half(asyncio.Protocol):
    """One side of a relayed connection; forwards what it receives to its partner's transport."""

    def __init__(self, link: _Link) -> None:
        self.link = link
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.set_write_buffer_limits(high=_HIGH_WATER)

    def data_received(self, data: bytes) -> None:
        self.link.forward(self, data)

    def eof_received(self) -> bool | None:
        self.link.close()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.link.close()

    def pause_writing(self) -> None:  # our transport's buffer is full: stop reading the other side
        self.link.partner(self).pause()

    def resume_writing(self) -> None:
        self.link.partner(self).resume()

    def pause(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.pause_reading()

    def resume(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()


class _Link:
    """A public connection and its private one to gRPC; bytes that arrive before the private one is
    open are held (a client speaks first in HTTP/2)."""

    def __init__(self, guard: PeerGuard, peer: str, public_peer: str) -> None:
        self.guard = guard
        self.peer = peer
        self.public_peer = public_peer  # as gRPC spells it, carried in the private side's bound name
        self.public = _Half(self)
        self.private = _Half(self)
        self._early: list[bytes] = []
        self._closed = False

    def partner(self, half: _Half) -> _Half:
        return self.private if half is self.public else self.public

    def forward(self, half: _Half, data: bytes) -> None:
        target = self.partner(half).transport
        if target is None:
            self._early.append(data)
        elif not target.is_closing():
            target.write(data)

    def connected(self) -> None:
        assert self.private.transport is not None
        if self._closed:
            self.private.transport.close()
            return
        for data in self._early:
            self.private.transport.write(data)
        self._early = []

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for half in (self.public, self.private):
            if half.transport is not None:
                half.transport.close()
        self.guard.release(self.peer)


class PeerGuard:
    """Accepts on the public port for a gRPC server on `upstream` (a Unix socket path)."""

    def __init__(self, upstream: str, *, per_peer: int, total: int,
                 on_refused: Callable[[str], None] | None = None) -> None:
        self.upstream = upstream
        self.per_peer = per_peer
        self.total = total  # 0: no total cap here (gRPC's own still applies behind the guard)
        self._on_refused = on_refused
        self._by_peer: dict[str, int] = {}
        self._open = 0
        self._warned: dict[str, float] = {}
        self._server: asyncio.Server | None = None
        self._connecting: set[asyncio.Task[None]] = set()

    @property
    def open(self) -> int:
        """Public connections relayed now."""
        return self._open

    async def start(self, host: str, port: int, *, reuse_port: bool) -> int:
        """Listen on host:port; returns the bound port."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._accept, host, port, reuse_port=reuse_port or None,
                                                backlog=4096)
        return int(self._server.sockets[0].getsockname()[1])

    def _accept(self) -> asyncio.Protocol:
        return _Accepted(self)

    def admit(self, peer: str, public_peer: str = "unknown") -> _Link | None:
        """A link for a new connection from `peer` (an address; `public_peer` with its port, as gRPC spells
        it), or None when the peer (or everyone) is at its cap."""
        held = self._by_peer.get(peer, 0)
        if held >= self.per_peer or (self.total and self._open >= self.total):
            self._refused(peer, held)
            return None
        self._by_peer[peer] = held + 1
        self._open += 1
        link = _Link(self, peer, public_peer)
        task = asyncio.get_running_loop().create_task(self._connect(link))
        self._connecting.add(task)  # held until done: the loop keeps only weak references to tasks
        task.add_done_callback(self._connecting.discard)
        return link

    async def _connect(self, link: _Link) -> None:
        loop = asyncio.get_running_loop()
        private = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            private.setblocking(False)
            private.bind(f"\0{_PEER_NAME}{link.public_peer}/{os.getpid()}.{next(_sequence)}")
            await loop.sock_connect(private, self.upstream)
            await loop.create_unix_connection(lambda: link.private, sock=private)
        except OSError as exc:
            private.close()
            log.error("cannot reach the gRPC server behind the connection guard: %s", exc.strerror or exc)
            link.close()
            return
        link.connected()

    def release(self, peer: str) -> None:
        """A relayed connection ended."""
        self._open -= 1
        held = self._by_peer.get(peer, 0) - 1
        if held > 0:
            self._by_peer[peer] = held
        else:
            self._by_peer.pop(peer, None)

    def _refused(self, peer: str, held: int) -> None:
        if self._on_refused is not None:
            self._on_refused(peer)
        now = time.monotonic()
        if now - self._warned.get(peer, -_WARN_EVERY_S) >= _WARN_EVERY_S:
            if len(self._warned) > 10_000:
                self._warned.clear()
            self._warned[peer] = now
            log.warning("connection from %s refused: it holds %d (max_connections_per_peer %d)%s", peer, held,
                        self.per_peer, "" if held >= self.per_peer else f"; {self._open} open in total")

    async def stop(self) -> None:
        """Stop accepting; relayed connections end when gRPC closes its side."""
        if self._server is not None:
            self._server.close()


class _Accepted(asyncio.Protocol):
    """The protocol of a freshly accepted connection: admitted, it hands over to its link's public half."""

    def __init__(self, guard: PeerGuard) -> None:
        self.guard = guard
        self.half: _Half | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peername = transport.get_extra_info("peername")
        peer = str(peername[0]) if isinstance(peername, tuple) and peername else "unknown"
        link = self.guard.admit(peer, grpc_peer(peername))
        if link is None:
            assert isinstance(transport, asyncio.Transport)
            transport.abort()
            return
        self.half = link.public
        self.half.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.half is not None:
            self.half.data_received(data)

    def eof_received(self) -> bool | None:
        return self.half.eof_received() if self.half is not None else None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.half is not None:
            self.half.connection_lost(exc)

    def pause_writing(self) -> None:
        if self.half is not None:
            self.half.pause_writing()

    def resume_writing(self) -> None:
        if self.half is not None:
            self.half.resume_writing()



def private_socket(private_dir: str) -> str:
    """Where the gRPC server listens behind the guard (a directory only this user may enter)."""
    return f"{private_dir}/grpc.sock"


def refused_counter(reject: Callable[[str], None]) -> Callable[[str], None]:
    """on_refused for PeerGuard: count each refusal under one reason, whatever the peer."""
    return lambda _peer: reject("peer_connections")
