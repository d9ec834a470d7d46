"""ARP sweep of directly attached subnets, through scapy (the only module that imports it).

Why our own send/receive loop instead of scapy's `arping`/`srp`: we need a packet-rate ceiling
that holds for the whole sweep, replies streamed to the caller as they arrive (an interrupted
sweep keeps what it saw), and retries that resend only to addresses still silent, so that a
lossy segment costs one extra pass rather than lost hosts. Frames are built once with scapy and
only the target address is patched per request (RFC 826 layout), which keeps a /16 sweep cheap.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from agent.errors import CollectionError
from agent.scan.base import Emit, ms_since
from agent.scan.classify import mac_is_local, mac_vendor
from agent.scan.model import Method, Observation, TargetStatus
from agent.scan.options import SweepOptions
from agent.scan.targets import Target

ETH_P_ARP = 0x0806
ARP_REPLY = 2
# ARP answers on a LAN arrive in milliseconds; waiting longer than this after a pass only
# slows the sweep (arp-scan's default per-host timeout is 500 ms for the same reason).
MAX_ARP_WAIT_S = 0.5
# Offset of the target protocol address in an Ethernet + ARP frame: 14 (Ethernet II header)
# + 24 (htype, ptype, hlen, plen, op, sha[6], spa[4], tha[6]) — RFC 826.
_TPA_OFFSET = 38
_SPA_OFFSET = 28  # sender protocol address: 14 + 8 + 6


@dataclass(frozen=True, slots=True)
class ArpReply:
    """One address that answered, with the MAC it answered from."""

    ip: str
    mac: str
    seen_at: datetime
    interface: str


@dataclass(slots=True)
class ArpResult:
    """What one sweep over one interface did (for progress, benchmarks and status reasons)."""

    interface: str
    sent: int = 0
    passes: int = 0
    replies: list[ArpReply] = field(default_factory=list)
    interrupted: str = ""


def attached_interface(ip: str, interface: str | None = None) -> tuple[str, str] | None:
    """Interface and source address to ARP for `ip`, or None when it is not directly attached.

    Args:
        ip: the address to reach.
        interface: operator's choice; when given it is used even if the route says otherwise
            (multi-homed scan hosts), with the route's source address if it is on that interface.

    Returns:
        (interface, source ip), or None if the route goes through a gateway (ARP cannot cross
        a router: RFC 826 resolves only on the local link) and no interface was given.
    """
    import scapy.route  # noqa: F401
    from scapy.arch import get_if_addr
    from scapy.config import conf

    iface, src, gateway = conf.route.route(ip)
    if interface:
        if iface != interface or src == "0.0.0.0":
            src = get_if_addr(interface)
        return interface, src
    if gateway not in ("0.0.0.0", "") or not iface or iface == "lo":
        return None
    return str(iface), str(src)


def refresh_routes() -> None:
    """Re-read the routing table (scapy caches it at import; a long-lived scheduler must not)."""
    import scapy.route  # noqa: F401
    from scapy.config import conf

    conf.route.resync()


def arp_sweep(
    addresses: Sequence[str],
    *,
    interface: str,
    source_ip: str,
    rate_pps: int = 1000,
    retries: int = 2,
    timeout_s: float = 0.5,
    deadline: float | None = None,
    stop: threading.Event | None = None,
    on_reply: Callable[[ArpReply], None] | None = None,
    progress: Callable[[str], None] | None = None,
    sources: Mapping[str, str] | None = None,
) -> ArpResult:
    """ARP-request every address on one interface; return (and stream) who answered.

    Args:
        addresses: IPv4 addresses on the interface's link.
        interface: where to send (must be up; needs CAP_NET_RAW).
        source_ip: sender protocol address (an address of ours on that subnet).
        rate_pps: request rate ceiling, across passes.
        retries: extra passes over addresses that stayed silent (loss tolerance).
        timeout_s: wait after each pass for late replies (capped at MAX_ARP_WAIT_S).
        deadline: time.monotonic() value at which to give up (time budget).
        stop: set by the caller to interrupt (e.g. Ctrl-C in another thread).
        on_reply: called in this thread for each new (ip, mac) as it arrives.
        progress: one-line human progress messages.
        sources: per-address sender address, for an interface carrying several subnets
            (hosts may ignore requests from a sender outside their subnet; RFC 826 allows it).

    Returns:
        An ArpResult with every reply, in arrival order.

    Raises:
        CollectionError: the interface cannot be opened (missing privilege, no such device).
    """
    from scapy.arch import get_if_hwaddr
    from scapy.arch.linux import L2Socket
    from scapy.layers.l2 import ARP, Ether

    result = ArpResult(interface=interface)
    if not addresses:
        return result
    try:
        our_mac = get_if_hwaddr(interface)
        sock = L2Socket(iface=interface, type=ETH_P_ARP, nofilter=1)
    except (OSError, ValueError) as exc:
        raise CollectionError(f"arp: cannot open {interface}: {exc}") from exc
    template = bytearray(bytes(
        Ether(dst="ff:ff:ff:ff:ff:ff", src=our_mac)
        / ARP(op=1, hwsrc=our_mac, psrc=source_ip, hwdst="00:00:00:00:00:00", pdst="0.0.0.0")
    ))
    # IEEE 802.3 minimum frame is 60 octets before the FCS; pad rather than rely on the driver.
    template += bytes(max(0, 60 - len(template)))
    src_of = sources or {}
    ours = {source_ip, *src_of.values()}
    pending = {a: socket.inet_aton(a) + socket.inet_aton(src_of.get(a, source_ip))
               for a in addresses if a not in ours}
    wanted = set(pending)
    seen: set[tuple[str, str]] = set()
    interval = 1.0 / rate_pps
    wait = min(timeout_s, MAX_ARP_WAIT_S)

    def drain(until: float) -> None:
        while True:
            remaining = until - time.monotonic()
            if remaining <= 0:
                return
            ready, _, _ = select.select([sock.ins], [], [], remaining)
            if not ready:
                return
            _, raw, _ = sock.recv_raw()
            if raw is None or len(raw) < 42:
                continue
            # Ethernet type 0x0806 was filtered by the socket; op at 20..22, sha 22..28, spa 28..32.
            if int.from_bytes(raw[20:22], "big") != ARP_REPLY:
                continue
            ip = socket.inet_ntoa(raw[28:32])
            if ip not in wanted:
                continue
            mac = ":".join(f"{b:02x}" for b in raw[22:28])
            pending.pop(ip, None)
            if (ip, mac) in seen:
                continue
            seen.add((ip, mac))
            reply = ArpReply(ip=ip, mac=mac, seen_at=datetime.now(UTC), interface=interface)
            result.replies.append(reply)
            if on_reply is not None:
                on_reply(reply)

    def out_of_time() -> str:
        if stop is not None and stop.is_set():
            return "interrupted"
        if deadline is not None and time.monotonic() >= deadline:
            return "time budget exhausted"
        return ""

    next_send = time.monotonic()
    try:
        for attempt in range(retries + 1):
            batch = list(pending.items())
            if not batch:
                break
            result.passes += 1
            for _ip, packed in batch:
                if (why := out_of_time()):
                    result.interrupted = why
                    return result
                now = time.monotonic()
                if next_send > now:
                    drain(next_send)  # reading while we pace keeps the socket buffer short
                template[_TPA_OFFSET:_TPA_OFFSET + 4] = packed[:4]
                template[_SPA_OFFSET:_SPA_OFFSET + 4] = packed[4:]
                sock.outs.send(bytes(template))
                result.sent += 1
                next_send = max(next_send + interval, time.monotonic() - 10 * interval)
            end = time.monotonic() + wait
            if deadline is not None:
                end = min(end, deadline)
            drain(end)
            if progress is not None:
                progress(f"arp {interface}: pass {attempt + 1}/{retries + 1}, sent {len(batch)}, "
                         f"{len(seen)} answered so far")
    finally:
        sock.close()
    return result


def run_arp(
    targets: Sequence[Target],
    options: SweepOptions,
    emit: Emit,
    *,
    stop: threading.Event,
    deadline: float,
    progress: Callable[[str], None] | None = None,
) -> None:
    """The ARP scanner as sweep() calls it: group targets by interface, sweep, emit results.

    Every target gets exactly one TargetStatus: ok when its subnet was swept, not ok (with the
    reason) when it is not directly attached, the interface failed or the budget ran out.
    """
    refresh_routes()
    groups: dict[str, list[tuple[Target, str]]] = {}
    for tgt in targets:
        started = time.monotonic()
        probe = tgt.addresses[0] if tgt.addresses else str(tgt.network.network_address)
        where = attached_interface(probe, options.interface)
        if where is None:
            emit(TargetStatus(target=tgt.spec, method=Method.ARP, ok=False,
                              reason="not on a directly attached subnet (ARP cannot cross a router); "
                                     "use the nmap method", duration_ms=ms_since(started)))
            continue
        groups.setdefault(where[0], []).append((tgt, where[1]))

    def observe(reply: ArpReply) -> None:
        emit(Observation(method=Method.ARP, seen_at=reply.seen_at, ip=reply.ip, mac=reply.mac,
                         vendor=mac_vendor(reply.mac), mac_is_local=mac_is_local(reply.mac)))

    # One sweep per interface (not per subnet), so several subnets on one link share the passes.
    for iface, members in groups.items():
        started = time.monotonic()
        group = [tgt for tgt, _ in members]
        srcs = {a: src for tgt, src in members for a in tgt.addresses}
        try:
            res = arp_sweep(list(srcs), interface=iface, source_ip=members[0][1], rate_pps=options.rate_pps,
                            retries=options.retries, timeout_s=options.timeout_s, deadline=deadline,
                            stop=stop, on_reply=observe, progress=progress, sources=srcs)
        except CollectionError as exc:
            for tgt in group:
                emit(TargetStatus(target=tgt.spec, method=Method.ARP, ok=False, reason=str(exc),
                                  duration_ms=ms_since(started)))
            continue
        answered = {r.ip for r in res.replies}
        for tgt in group:
            n = sum(1 for a in tgt.addresses if a in answered)
            if res.interrupted:
                emit(TargetStatus(target=tgt.spec, method=Method.ARP, ok=False,
                                  reason=f"{res.interrupted} after {res.sent} requests; {n} answered (partial)",
                                  duration_ms=ms_since(started)))
            else:
                emit(TargetStatus(target=tgt.spec, method=Method.ARP, ok=True,
                                  reason=f"{n} of {len(tgt.addresses)} addresses answered on {iface} "
                                         f"({res.passes} passes)", duration_ms=ms_since(started)))
