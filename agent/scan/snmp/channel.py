"""A connected UDP socket to one agent (the community transport and the SNMPv3 discovery probe).

Connected, so that the kernel hands us the ICMP port-unreachable an agent-less host sends back
(as ECONNREFUSED through error_received): "no SNMP here" in one round trip, not after every
credential has timed out.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from typing import Any

from agent.scan.snmp import ber
from agent.scan.snmp.session import SnmpUnreachable


class Channel(asyncio.DatagramProtocol):
    """A connected UDP socket to one agent; answers are matched to requests by request-id."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.waiters: dict[int, asyncio.Future[bytes]] = {}
        self.refused: BaseException | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment] # a datagram endpoint's transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        rid = ber.peek_request_id(data)
        fut = self.waiters.get(rid) if rid is not None else None
        if fut is not None and not fut.done():
            fut.set_result(data)

    def error_received(self, exc: Exception) -> None:
        # ECONNREFUSED = ICMP port unreachable (RFC 1122 §4.1.3.1); EHOSTUNREACH / ENETUNREACH
        # = the kernel or a router says the address cannot be reached at all.
        self.refused = exc
        for fut in self.waiters.values():
            if not fut.done():
                fut.set_exception(SnmpUnreachable(f"no SNMP response ({socket_reason(exc)})"))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def socket_reason(exc: BaseException) -> str:
    """A socket error as the reason a status line gives."""
    if isinstance(exc, ConnectionRefusedError):
        return "ICMP port unreachable: no agent listens on the SNMP port"
    return f"{type(exc).__name__}: {getattr(exc, 'strerror', '') or exc}"


# Request-ids of every community request and v3 probe of the process, from a random start.
REQUEST_IDS = itertools.count(random.SystemRandom().randrange(1, 1 << 30))


async def v3_probe(channel: Channel, timeout: float) -> None:
    """Send the credential-free SNMPv3 discovery probe; only its failure modes matter."""
    rid = next(REQUEST_IDS) & 0x7FFFFFFF
    fut: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
    channel.waiters[rid] = fut
    try:
        assert channel.transport is not None
        channel.transport.sendto(ber.encode_v3_discovery(rid, rid))
        await asyncio.wait({fut}, timeout=timeout)
        if fut.done():
            fut.result()  # SnmpUnreachable when ICMP said no agent is there
    finally:
        channel.waiters.pop(rid, None)
