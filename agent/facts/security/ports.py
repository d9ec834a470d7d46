"""Listening sockets and the process that owns each, from /proc/net/{tcp,tcp6,udp,udp6}.

The kernel prints one socket per line (net/ipv4/tcp_ipv4.c get_tcp4_sock, net/ipv6/tcp_ipv6.c
get_tcp6_sock, net/ipv4/udp.c udp4_format_sock): "sl local_address rem_address st ... uid
timeout inode". Addresses are the raw in_addr/in6_addr printed as 32-bit words with %08X, i.e.
in the host's byte order word by word; ports are plain hex. The owning process is found by
matching the socket inode against the proc/<pid>/fd/* links, as ss -p and psutil do. Where there
is no procfs (live Windows/macOS) psutil answers instead.
"""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path
from typing import Literal

from agent.facts import _procfs, _psutil
from agent.facts._fsutil import is_live, read_text
from agent.facts.model import ListeningPort

PROC_NET = Path("proc/net")
_TABLES = (("tcp", "tcp"), ("tcp6", "tcp"), ("udp", "udp"), ("udp6", "udp"))

# include/net/tcp_states.h: TCP_LISTEN = 10; an unconnected UDP socket stays TCP_CLOSE = 7.
_TCP_LISTEN = "0A"
_UDP_UNCONNECTED = "07"

ByteOrder = Literal["little", "big"]


def decode_address(hex_addr: str, byteorder: ByteOrder = sys.byteorder) -> str:
    """"0100007F" -> "127.0.0.1"; 32 hex digits -> an IPv6 address. Raises ValueError if malformed."""
    if len(hex_addr) not in (8, 32):
        raise ValueError(f"bad address {hex_addr!r}")
    raw = b"".join(int(hex_addr[i : i + 8], 16).to_bytes(4, byteorder) for i in range(0, len(hex_addr), 8))
    address = ipaddress.ip_address(raw)
    # An IPv4-mapped listener ("::ffff:127.0.0.1") is an IPv4 listener as far as anyone cares.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def parse_proc_net(text: str, protocol: str, byteorder: ByteOrder = sys.byteorder) -> list[tuple[ListeningPort, int]]:
    """Listening sockets of one /proc/net table, each with its socket inode (0 if unknown).

    TCP: state LISTEN. UDP has no listen state: a bound socket with no remote peer is what
    accepts datagrams, so state CLOSE with remote port 0 is taken as listening.
    """
    result: list[tuple[ListeningPort, int]] = []
    for line in text.splitlines()[1:]:
        cols = line.split()
        if len(cols) < 10:
            continue
        local, remote, state = cols[1], cols[2], cols[3]
        if protocol == "tcp" and state != _TCP_LISTEN:
            continue
        if protocol == "udp" and (state != _UDP_UNCONNECTED or not remote.endswith(":0000")):
            continue
        addr_hex, _, port_hex = local.partition(":")
        try:
            address = decode_address(addr_hex, byteorder)
            port = int(port_hex, 16)
            inode = int(cols[9])
        except ValueError:
            continue
        result.append((ListeningPort(protocol=protocol, address=address, port=port), inode))
    return result


def _sort_key(p: ListeningPort) -> tuple[str, int, str]:
    return (p.protocol, p.port, p.address)


class ListeningPortsCollector:
    """Every listening TCP port and bound UDP port, with owning pid and process name."""

    name = "listening_ports"

    def is_present(self, root: Path) -> bool:
        """Linux procfs tables, or psutil on a live machine without them."""
        return (root / PROC_NET / "tcp").is_file() or (is_live(root) and sys.platform != "linux")

    def collect(self, root: Path) -> tuple[ListeningPort, ...]:
        """Parse the four tables, then resolve owners in one pass over the fd links."""
        if not (root / PROC_NET / "tcp").is_file():
            found = [ListeningPort(s.protocol, s.address, s.port, s.pid, _psutil.process_name(s.pid) if s.pid else "")
                     for s in _psutil.listening_sockets()]
            return tuple(sorted(set(found), key=_sort_key))
        sockets: list[tuple[ListeningPort, int]] = []
        for table, protocol in _TABLES:
            sockets.extend(parse_proc_net(read_text(root / PROC_NET / table), protocol))
        owners = _procfs.socket_owners(root, {inode for _, inode in sockets if inode})
        names: dict[int, str] = {}
        result: set[ListeningPort] = set()
        for port, inode in sockets:
            pid = owners.get(inode, 0)
            if pid and pid not in names:
                names[pid] = _procfs.comm_of(root, pid)
            result.add(ListeningPort(port.protocol, port.address, port.port, pid, names.get(pid, "")))
        return tuple(sorted(result, key=_sort_key))
