"""The one module that imports psutil (STYLE.md habit 2: one adapter per third-party library).

It returns plain values and maps psutil's exceptions to `CollectionError`, so the rest of the
fact code neither imports psutil nor knows its error types. psutil describes the *running*
machine only; callers use it when `root` is "/" (see _fsutil.is_live).
"""

from __future__ import annotations

import socket

import psutil

from agent.errors import CollectionError
from agent.facts.model import Record


class IfAddress(Record):
    """One address psutil reports for an interface."""

    __slots__ = ("family", "address", "netmask")  # noqa: RUF023 - field order
    family: int
    address: str
    netmask: str

    def __init__(self, family: int, address: str, netmask: str) -> None:
        self._set_fields(family, address, netmask)


class IfInfo(Record):
    """What psutil knows about one network interface."""

    __slots__ = ("name", "mac", "addresses", "is_up", "speed_mbps", "is_loopback")  # noqa: RUF023 - field order
    name: str
    mac: str
    addresses: tuple[IfAddress, ...]
    is_up: bool
    speed_mbps: int
    is_loopback: bool

    def __init__(self, name: str, mac: str, addresses: tuple[IfAddress, ...], is_up: bool, speed_mbps: int,
                 is_loopback: bool) -> None:
        self._set_fields(name, mac, addresses, is_up, speed_mbps, is_loopback)


def interfaces() -> list[IfInfo]:
    """Every interface with its link-layer address, IP addresses, state and speed."""
    try:
        addrs = psutil.net_if_addrs()
        stats = psutil.net_if_stats()
    except (psutil.Error, OSError) as exc:
        raise CollectionError(f"cannot list network interfaces: {exc}") from exc
    result: list[IfInfo] = []
    for name in sorted(set(addrs) | set(stats)):
        mac = ""
        ips: list[IfAddress] = []
        for snic in addrs.get(name, []):
            # AF_LINK is AF_PACKET on Linux and AF_LINK on BSD/macOS/Windows (psutil docs).
            if snic.family == psutil.AF_LINK:
                mac = snic.address
            elif snic.family in (socket.AF_INET, socket.AF_INET6):
                ips.append(IfAddress(int(snic.family), snic.address, snic.netmask or ""))
        st = stats.get(name)
        flags = st.flags.split(",") if st is not None and st.flags else []
        result.append(
            IfInfo(
                name=name,
                mac=mac,
                addresses=tuple(ips),
                is_up=bool(st and st.isup),
                speed_mbps=max(0, st.speed) if st is not None else 0,
                is_loopback="loopback" in flags,
            )
        )
    return result


def cpu_counts() -> tuple[int, int]:
    """(physical cores, logical threads); 0 where psutil cannot tell."""
    try:
        return psutil.cpu_count(logical=False) or 0, psutil.cpu_count(logical=True) or 0
    except (psutil.Error, OSError) as exc:
        raise CollectionError(f"cannot count CPUs: {exc}") from exc


def memory_total() -> int:
    """Total physical memory in bytes."""
    try:
        return int(psutil.virtual_memory().total)
    except (psutil.Error, OSError) as exc:
        raise CollectionError(f"cannot read memory size: {exc}") from exc


def boot_time() -> float:
    """Boot time as a POSIX timestamp."""
    try:
        return float(psutil.boot_time())
    except (psutil.Error, OSError) as exc:
        raise CollectionError(f"cannot read boot time: {exc}") from exc


class SocketInfo(Record):
    """A listening socket as psutil reports it (used where there is no procfs to read)."""

    __slots__ = ("protocol", "address", "port", "pid")  # noqa: RUF023 - field order
    protocol: str
    address: str
    port: int
    pid: int

    def __init__(self, protocol: str, address: str, port: int, pid: int) -> None:
        self._set_fields(protocol, address, port, pid)


def listening_sockets() -> list[SocketInfo]:
    """TCP sockets in LISTEN and bound UDP sockets, with their owning pid (0 when hidden)."""
    try:
        conns = psutil.net_connections(kind="inet")
    except (psutil.Error, OSError) as exc:
        raise CollectionError(f"cannot list sockets: {exc}") from exc
    result: list[SocketInfo] = []
    for conn in conns:
        if not conn.laddr:
            continue
        tcp = conn.type == socket.SOCK_STREAM
        if tcp and conn.status != psutil.CONN_LISTEN:
            continue
        if not tcp and conn.raddr:
            continue
        result.append(SocketInfo("tcp" if tcp else "udp", conn.laddr.ip, conn.laddr.port, conn.pid or 0))
    return result


def process_names() -> list[tuple[int, str]]:
    """(pid, name) of every process psutil can see."""
    try:
        return [(p.pid, p.info["name"] or "") for p in psutil.process_iter(["name"])]
    except (psutil.Error, OSError) as exc:
        raise CollectionError(f"cannot list processes: {exc}") from exc


def process_name(pid: int) -> str:
    """Name of one process, "" when it is gone or hidden."""
    try:
        return psutil.Process(pid).name()
    except (psutil.Error, OSError):
        return ""


def own_rss_bytes() -> int:
    """Resident set size of this process (the daemon's memory ceiling is checked against it)."""
    try:
        return int(psutil.Process().memory_info().rss)
    except (psutil.Error, OSError) as exc:
        raise CollectionError(f"cannot read own memory use: {exc}") from exc
