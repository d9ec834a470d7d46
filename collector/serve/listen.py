"""What every process that serves the collector's public port needs: gRPC options, credentials,
reflection and the bind checks (shared by the single-process collector and its front-ends)."""

from __future__ import annotations

import errno
import ipaddress
import resource
import socket
from typing import Any

import grpc
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection
from netcensus.v1 import ingest_pb2, query_pb2

from collector.config import ServeConfig, parse_listen
from collector.errors import UsageError
from collector.serve.tls import server_credentials


def server_options(config: ServeConfig, *, share_port: bool = False) -> list[tuple[str, Any]]:
    """gRPC server options of the public port.

    share_port: the front-ends of one collector (`--workers`) listen on the same port and the kernel
    spreads connections among them (SO_REUSEPORT); a single collector refuses to share its port, so
    that a second collector on the same port fails instead of taking half the connections.
    """
    return [
        ("grpc.so_reuseport", 1 if share_port else 0),
        ("grpc.max_receive_message_length", config.max_message_bytes),
        ("grpc.max_send_message_length", config.max_message_bytes),
        # Agents ping every 10 s to notice a dead collector; do not punish them for it.
        ("grpc.http2.min_ping_interval_without_data_ms", 5_000),
        ("grpc.keepalive_permit_without_calls", 1),
        # gRPC core queues new calls until the asyncio loop asks for them; past 1,000 queued it
        # drops calls at random and past 3,000 it drops all (the agent sees CANCELLED or
        # "Internal error from Core"). Thousands of agents reconnecting at once fill that
        # queue while the loop is busy; queue them instead, every one is served in turn.
        ("grpc.server.max_pending_requests", 100_000),
        ("grpc.server.max_pending_requests_hard_limit", 100_000),
        *connection_limits(config),
    ]


def connection_limits(config: ServeConfig) -> list[tuple[str, int]]:
    """gRPC core arguments that bound what one connection, or many, may hold (issue #14).

    Checked against the grpcio we ship (names in its core library, behaviour in our tests):
    - server_handshake_timeout_ms: a connection that has not completed its TLS and HTTP/2 setup
      (the client's preface and SETTINGS) in time is closed, so silent connections do not pin a
      file descriptor each (without it core drops them only after 60 s, its SETTINGS-ack timeout:
      long enough to open 20,000 from one host);
    - max_connection_idle_ms: a connection with no call for that long gets GOAWAY (agents
      reconnect transparently when they next report);
    - max_allowed_incoming_connections: above it core closes new connections at accept, so the
      process keeps descriptors for its database, pipes and logs;
    - max_concurrent_streams: calls at once on one connection (HTTP/2 SETTINGS; excess calls
      wait client-side), so one connection cannot open streams without end;
    - keepalive enforcement: a client pinging more often than every 5 s is sent GOAWAY after two
      strikes (agents ping every 10 s).
    There is no per-peer connection cap in gRPC core (see README, "Limits").
    """
    limits = [
        ("grpc.server_handshake_timeout_ms", _ms(config.handshake_timeout.total_seconds())),
        ("grpc.max_connection_idle_ms", _ms(config.idle_timeout.total_seconds())),
        ("grpc.max_concurrent_streams", config.max_concurrent_streams),
        ("grpc.http2.max_ping_strikes", 2),
    ]
    limits.append(("grpc.max_allowed_incoming_connections", connection_cap(config)))
    return limits


FD_RESERVE = 256  # descriptors kept for the database, its WAL, pipes, logs, metrics and front-end start-up


def connection_cap(config: ServeConfig) -> int:
    """Incoming connections this process accepts: max_connections, but never more than its
    open-files limit leaves after FD_RESERVE (half of that behind the per-peer guard, which holds two
    descriptors per connection). A cap above the descriptors is no cap: connections past them fail
    at accept, and so does everything else the process opens."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    room = max(64, soft - FD_RESERVE)
    if config.max_connections_per_peer > 0:
        room //= 2
    return min(config.max_connections, room) if config.max_connections > 0 else room


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def credentials(config: ServeConfig) -> grpc.ServerCredentials | None:
    """TLS credentials when configured; None means plaintext, refused off loopback unless consented to."""
    if config.tls_cert is not None and config.tls_key is not None:
        return server_credentials(config.tls_cert, config.tls_key, config.tls_client_ca)
    host, _ = parse_listen(config.listen)
    if not is_loopback(host) and not config.plaintext:
        raise UsageError(f"refusing to listen in plaintext on {config.listen}: give --tls-cert and --tls-key "
                         "(see `netcensus certs`), or --plaintext to accept the risk")
    return None


def enable_reflection(server: grpc.aio.Server) -> None:
    """Server reflection for every public service (grpcurl and friends)."""
    reflection.enable_server_reflection((
        ingest_pb2.DESCRIPTOR.services_by_name["Ingest"].full_name,
        query_pb2.DESCRIPTOR.services_by_name["Query"].full_name,
        query_pb2.DESCRIPTOR.services_by_name["Admin"].full_name,
        health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
        reflection.SERVICE_NAME,
    ), server)


def address(host: str, port: int) -> str:
    """gRPC's form of HOST:PORT (brackets around IPv6)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def bind(server: grpc.aio.Server, host: str, port: int, creds: grpc.ServerCredentials | None) -> int:
    """Add the public port (TLS when creds are given); the bound port, 0 when it cannot be had."""
    return bind_address(server, address(host, port), creds)


def bind_address(server: grpc.aio.Server, where: str, creds: grpc.ServerCredentials | None) -> int:
    """Add a port by gRPC address ("HOST:PORT" or "unix:PATH"); the bound port (1 for a Unix socket),
    0 when it cannot be had."""
    try:
        return int(server.add_secure_port(where, creds) if creds is not None else server.add_insecure_port(where))
    except RuntimeError:
        return 0


def check_bindable(host: str, port: int, listen: str) -> None:
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


def reserve_shared_port(host: str, port: int, listen: str) -> socket.socket:
    """Bind (without listening) a socket that holds the port for the front-ends to share.

    It picks the port when `port` is 0, and keeps it taken while front-ends come and go (one that
    is restarted binds it again). Being bound but not listening, it never receives a connection.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    holder = socket.socket(family, socket.SOCK_STREAM)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        holder.bind((host, port))
    except OSError as exc:
        holder.close()
        raise UsageError(f"cannot listen on {listen}: {exc.strerror}") from exc
    return holder


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (where plaintext needs no consent)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def raise_open_files_limit() -> int:
    """Raise this process's soft limit on open files to its hard limit; returns the new soft limit.

    Every connection costs a descriptor, and the usual soft limit (1,024) is far below what a
    collector of thousands of agents needs; the hard limit is what the administrator allows.
    Front-end processes inherit it.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):  # a container may forbid it: keep serving with what we have
            return soft
    return hard
