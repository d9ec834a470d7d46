"""Pass Query and Admin calls from a front-end process to the writer process, bytes unchanged.

Why: with `serve --workers N` every public connection lands on a front-end (the kernel spreads them
over the processes sharing the port), but findings, assets, imports and revocations need the
database, which only the writer process opens. The front-end forwards such a call over a private
Unix socket without parsing it: same request bytes, same metadata (the API token), same status
code and details back. The writer checks the token (collector/serve/access.py); what only this
process sees — the caller's address and client certificate — goes with the call in two headers,
set here after dropping any the caller sent, so they cannot be forged from outside. Handlers are
built from the service descriptors, so a method added to query.proto is passed on without a
change here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeAlias

import grpc
from google.protobuf.descriptor import MethodDescriptor
from netcensus.v1 import query_pb2

from collector.serve.guard import client_peer
from collector.serve.tls import peer_identity
from collector.wire.metadata import FORWARDED_CERT_HEADER, FORWARDED_PEER_HEADER

if TYPE_CHECKING:
    Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]
PROXIED_SERVICES = ("Query", "Admin")


_DROPPED = ("user-agent", "content-type", "te", FORWARDED_PEER_HEADER, FORWARDED_CERT_HEADER)


def _forwarded(context: Context) -> tuple[tuple[str, str | bytes], ...]:
    """Caller metadata worth passing on (not HTTP/2 pseudo-headers nor gRPC's own, nor forwarding
    headers the caller made up), then the caller's address and certificate identity as seen here."""
    cert = peer_identity(context)
    passed = tuple((k, v) for k, v in (context.invocation_metadata() or ())
                   if not k.startswith((":", "grpc-")) and k not in _DROPPED)
    return (*passed, (FORWARDED_PEER_HEADER, client_peer(context.peer())),
            (FORWARDED_CERT_HEADER, cert.forward() if cert else ""))


def _unary(upstream: grpc.aio.Channel, path: str) -> Callable[[bytes, Context], Awaitable[bytes]]:
    call = upstream.unary_unary(path)

    async def forward(request: bytes, context: Context) -> bytes:
        try:
            response: bytes = await call(request, metadata=_forwarded(context), timeout=context.time_remaining())
        except grpc.aio.AioRpcError as exc:
            await context.abort(exc.code(), exc.details() or "")
            raise AssertionError("context.abort returned") from exc
        return response

    return forward


def _streaming(upstream: grpc.aio.Channel, path: str) -> Callable[[bytes, Context], AsyncIterator[bytes]]:
    call = upstream.unary_stream(path)

    async def forward(request: bytes, context: Context) -> AsyncIterator[bytes]:
        try:
            async for response in call(request, metadata=_forwarded(context), timeout=context.time_remaining()):
                yield response
        except grpc.aio.AioRpcError as exc:
            await context.abort(exc.code(), exc.details() or "")

    return forward


def _handler(upstream: grpc.aio.Channel, path: str, method: MethodDescriptor) -> grpc.RpcMethodHandler:
    if method.client_streaming:
        raise ValueError(f"{path}: client-streaming methods are not proxied")
    if method.server_streaming:
        return grpc.unary_stream_rpc_method_handler(_streaming(upstream, path))
    return grpc.unary_unary_rpc_method_handler(_unary(upstream, path))


def add_proxy(server: grpc.aio.Server, upstream: grpc.aio.Channel) -> None:
    """Serve every Query and Admin method on `server` by forwarding it to `upstream`."""
    for name in PROXIED_SERVICES:
        service = query_pb2.DESCRIPTOR.services_by_name[name]
        handlers = {m.name: _handler(upstream, f"/{service.full_name}/{m.name}", m) for m in service.methods}
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service.full_name, handlers),))
