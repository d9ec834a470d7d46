"""A UDP relay that answers late: stands in front of a lab SNMP simulator to add network latency.

This kernel has no netem, so the scanner bench cannot delay packets on the lab's bridge. Run in a
host namespace, this relay listens on ADDRESS:161 for each address given, forwards every request to
ADDRESS:1161 (where the simulator listens) and hands each answer back --delay-ms later: a device
at the end of a WAN link, for measuring how far a sweep's parallelism hides round trips. Lab use
only (bench/bench_scan.py); never imported by netcensus.

Usage: python _udp_delay.py --delay-ms 20 ADDRESS...
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

FRONT_PORT, BACK_PORT = 161, 1161


class _Back(asyncio.DatagramProtocol):
    """One client's conversation with the simulator; answers go back through the front socket."""

    def __init__(self, front: asyncio.DatagramTransport, client: Any, delay_s: float) -> None:
        self.front, self.client, self.delay_s = front, client, delay_s

    def datagram_received(self, data: bytes, addr: Any) -> None:
        asyncio.get_running_loop().call_later(self.delay_s, self.front.sendto, data, self.client)


class _Front(asyncio.DatagramProtocol):
    """ADDRESS:161; one upstream socket per client address, opened on its first request."""

    def __init__(self, address: str, delay_s: float) -> None:
        self.address, self.delay_s = address, delay_s
        self.transport: asyncio.DatagramTransport | None = None
        self.backs: dict[Any, asyncio.DatagramTransport | asyncio.Future[asyncio.DatagramTransport]] = {}
        self.tasks: set[asyncio.Task[None]] = set()  # held until done (the loop keeps only weak references)

    def connection_made(self, transport: Any) -> None:  # the selector loop's class is no DatagramTransport
        self.transport = transport

    def datagram_received(self, data: bytes, client: Any) -> None:
        back = self.backs.get(client)
        if isinstance(back, asyncio.DatagramTransport):
            back.sendto(data)
        else:
            task = asyncio.ensure_future(self._open_and_send(client, data))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _open_and_send(self, client: Any, data: bytes) -> None:
        pending = self.backs.get(client)
        if pending is None:
            loop = asyncio.get_running_loop()
            future: asyncio.Future[asyncio.DatagramTransport] = loop.create_future()
            self.backs[client] = future
            assert self.transport is not None
            front = self.transport
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Back(front, client, self.delay_s), remote_addr=(self.address, BACK_PORT))
            self.backs[client] = transport
            future.set_result(transport)
            transport.sendto(data)
        elif isinstance(pending, asyncio.Future):
            (await pending).sendto(data)
        else:
            pending.sendto(data)


async def _serve(addresses: list[str], delay_s: float) -> None:
    loop = asyncio.get_running_loop()
    for address in addresses:
        await loop.create_datagram_endpoint(lambda a=address: _Front(a, delay_s), local_addr=(address, FRONT_PORT))
    await asyncio.Event().wait()


def main() -> None:
    """Relay until killed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay-ms", type=float, required=True)
    parser.add_argument("addresses", nargs="+")
    args = parser.parse_args()
    asyncio.run(_serve(args.addresses, args.delay_ms / 1000))


if __name__ == "__main__":
    main()
