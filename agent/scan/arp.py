"""ARP sweep of directly attached subnets, through scapy (the only module that imports it).

Why our own send/receive loop instead of scapy's `arping`/`srp`: we need a packet-rate ceiling
that holds for the whole sweep, replies streamed to the caller as they arrive (an interrupted
sweep keeps what it saw), and retries that resend only to addresses still silent, so that a
lossy segment costs a few extra requests rather than lost hosts. Frames are built once with
scapy and only the addresses are patched per request (RFC 826 layout), which keeps a /16 cheap.

How the loop spends its time (arp-scan's design, not nmap's rounds): one raw L2 socket opened
once, requests paced at `rate_pps`, and every address on its own clock: it is asked again once
its previous request is `wait` old and still unanswered, while other addresses keep the link
busy, so there is no idle gap between passes. `wait` starts at `timeout_s` and, as soon as any
host has answered, shrinks to max(MIN_ARP_WAIT_S, 3 x the slowest reply seen) -- on a LAN that
is tens of milliseconds, not half a second. The sweep ends when every address has answered or
had its last request `wait` ago. A kernel BPF filter on the socket passes ARP replies only, so
our own outgoing requests and other hosts' requests never reach Python.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from agent.errors import CollectionError
from agent.scan.base import Emit, ms_since
from agent.scan.classify import mac_is_local, mac_vendor
from agent.scan.model import Method, Observation, TargetStatus
from agent.scan.options import SweepOptions
from agent.scan.targets import Target

ETH_P_ARP = 0x0806
ARP_REPLY = 2
# ARP answers on a LAN arrive in milliseconds; waiting longer than this before a retry or at the
# end only slows the sweep (arp-scan's default per-host timeout is 500 ms for the same reason).
MAX_ARP_WAIT_S = 0.5
# Floor of the adaptive wait: scheduling jitter of a busy scan host (and of the answering
# hosts) is a few milliseconds; 50 ms keeps a retry from racing a reply that is merely late.
MIN_ARP_WAIT_S = 0.05
# The wait is this many times the slowest reply seen so far (then clamped as above).
RTT_FACTOR = 3.0
# Offset of the target protocol address in an Ethernet + ARP frame: 14 (Ethernet II header)
# + 24 (htype, ptype, hlen, plen, op, sha[6], spa[4], tha[6]) -- RFC 826.
_TPA_OFFSET = 38
_SPA_OFFSET = 28  # sender protocol address: 14 + 8 + 6
# Classic BPF for "arp and arp[6:2] = 2" (what `tcpdump -dd` prints), so that only ARP replies
# are queued on the socket: (code, jt, jf, k).
_REPLIES_ONLY = (
    (0x28, 0, 0, 12),      # ldh [12]            Ethernet type
    (0x15, 0, 3, 0x0806),  # jeq #0x806 ? next : drop
    (0x28, 0, 0, 20),      # ldh [20]            ARP opcode
    (0x15, 0, 1, 2),       # jeq #2 ? accept : drop
    (0x06, 0, 0, 0xFFFF),  # ret #65535          accept
    (0x06, 0, 0, 0),       # ret #0              drop
)


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
    passes: int = 0  # most requests sent to one address (1 + retries used)
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


class Link(Protocol):
    """What the sweep loop needs from a link: send one frame, wait for and read queued frames."""

    def fileno(self) -> int: ...
    def send(self, frame: bytes) -> None: ...
    def recv_queued(self) -> list[bytes]: ...


class _PacketLink:
    """A scapy L2Socket (one AF_PACKET socket for both directions) restricted to ARP replies."""

    def __init__(self, interface: str) -> None:
        import ctypes

        from scapy.arch.linux import L2Socket
        from scapy.data import SO_ATTACH_FILTER
        from scapy.libs.structures import bpf_insn, sock_fprog

        self.sock = L2Socket(iface=interface, type=ETH_P_ARP, nofilter=1)
        try:
            insns = (bpf_insn * len(_REPLIES_ONLY))(*(bpf_insn(*i) for i in _REPLIES_ONLY))
            prog = sock_fprog(len(_REPLIES_ONLY), ctypes.cast(insns, ctypes.POINTER(bpf_insn)))
            self.sock.ins.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, bytes(prog))
            # Frames queued between bind and attach are still checked in Python (op == 2).
        except OSError:
            pass  # no filter: correct, only slower (every frame is read and checked in Python)
        self._ins: socket.socket = self.sock.ins
        self._outs: socket.socket = self.sock.outs

    def fileno(self) -> int:
        return self._ins.fileno()

    def send(self, frame: bytes) -> None:
        self._outs.send(frame)

    def recv_queued(self) -> list[bytes]:
        frames = []
        while True:
            try:
                frames.append(self._ins.recv(2048, socket.MSG_DONTWAIT))
            except (BlockingIOError, InterruptedError):
                return frames

    def close(self) -> None:
        self.sock.close()


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
        rate_pps: request rate ceiling, first requests and retries together.
        retries: extra requests to each address that stays silent (loss tolerance).
        timeout_s: longest wait for an answer before asking again or giving up (capped at
            MAX_ARP_WAIT_S); shortened to max(MIN_ARP_WAIT_S, 3 x slowest reply) once hosts answer.
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

    if not addresses:
        return ArpResult(interface=interface)
    try:
        our_mac = get_if_hwaddr(interface)
        link = _PacketLink(interface)
    except (OSError, ValueError) as exc:
        raise CollectionError(f"arp: cannot open {interface}: {exc}") from exc
    try:
        return sweep_link(link, addresses, interface=interface, our_mac=our_mac, source_ip=source_ip,
                          rate_pps=rate_pps, retries=retries, timeout_s=timeout_s, deadline=deadline,
                          stop=stop, on_reply=on_reply, progress=progress, sources=sources)
    finally:
        link.close()


def request_template(our_mac: str, source_ip: str) -> bytearray:
    """A broadcast ARP request from us (scapy-built, padded to 60 octets); addresses get patched."""
    from scapy.layers.l2 import ARP, Ether

    template = bytearray(bytes(
        Ether(dst="ff:ff:ff:ff:ff:ff", src=our_mac)
        / ARP(op=1, hwsrc=our_mac, psrc=source_ip, hwdst="00:00:00:00:00:00", pdst="0.0.0.0")
    ))
    # IEEE 802.3 minimum frame is 60 octets before the FCS; pad rather than rely on the driver.
    template += bytes(max(0, 60 - len(template)))
    return template


def sweep_link(
    link: Link,
    addresses: Sequence[str],
    *,
    interface: str,
    our_mac: str,
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
    """The sweep loop of arp_sweep() over any Link (tests drive it over a socketpair)."""
    result = ArpResult(interface=interface)
    template = request_template(our_mac, source_ip)
    src_of = sources or {}
    ours = {source_ip, *src_of.values()}
    packed = {a: socket.inet_aton(a) + socket.inet_aton(src_of.get(a, source_ip))
              for a in dict.fromkeys(addresses) if a not in ours}
    fresh = deque(packed)                      # never asked yet, in the caller's order
    inflight: deque[tuple[str, float]] = deque()  # (address, when last asked), oldest first
    tries = dict.fromkeys(packed, 0)
    last_sent: dict[str, float] = {}
    answered: set[str] = set()
    seen: set[tuple[str, str]] = set()
    interval = 1.0 / rate_pps
    cap = min(timeout_s, MAX_ARP_WAIT_S)
    slowest: float | None = None
    attempt_shown = 0
    undrained = 0
    fd = link.fileno()

    def wait() -> float:
        if slowest is None:
            return cap
        return min(cap, max(MIN_ARP_WAIT_S, RTT_FACTOR * slowest))

    def handle(raw: bytes, now: float) -> None:
        nonlocal slowest
        # Ethernet type 0x0806 and op 2 are checked by the kernel filter when it is attached;
        # op at 20..22, sha 22..28, spa 28..32.
        if len(raw) < 42 or raw[12:14] != b"\x08\x06" or raw[20:22] != b"\x00\x02":
            return
        ip = socket.inet_ntoa(raw[28:32])
        if ip not in tries:
            return
        if ip not in answered:
            answered.add(ip)
            rtt = now - last_sent.get(ip, now)
            slowest = rtt if slowest is None else max(slowest, rtt)
        mac = ":".join(f"{b:02x}" for b in raw[22:28])
        if (ip, mac) in seen:
            return
        seen.add((ip, mac))
        reply = ArpReply(ip=ip, mac=mac, seen_at=datetime.now(UTC), interface=interface)
        result.replies.append(reply)
        if on_reply is not None:
            on_reply(reply)

    def drain(until: float) -> None:
        """Wait for replies until `until` (or the first batch of them) and process them."""
        if deadline is not None:
            until = min(until, deadline)
        remaining = until - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(0.0, remaining))
        if ready:
            frames = link.recv_queued()
            now = time.monotonic()
            for raw in frames:
                handle(raw, now)

    def out_of_time() -> str:
        if stop is not None and stop.is_set():
            return "interrupted"
        if deadline is not None and time.monotonic() >= deadline:
            return "time budget exhausted"
        return ""

    next_send = time.monotonic()
    while True:
        if (why := out_of_time()):
            # Only the grace wait after the last requests left? Then nothing was cut short.
            if fresh or any(a not in answered and tries[a] <= retries for a, _ in inflight):
                result.interrupted = why
            break
        now = time.monotonic()
        w = wait()
        while inflight and (inflight[0][0] in answered
                            or (tries[inflight[0][0]] > retries and inflight[0][1] + w <= now)):
            inflight.popleft()  # answered, or asked retries + 1 times and waited for
        due = bool(inflight) and inflight[0][1] + w <= now
        if not due and not fresh:
            if not inflight:
                break
            drain(inflight[0][1] + w)
            continue
        if next_send > now:
            drain(next_send)  # reading while we pace keeps the socket buffer short
            undrained = 0
            continue
        if undrained >= 64:  # sending flat out: still read now and then, the buffer is finite
            drain(now)
            undrained = 0
        undrained += 1
        # Silent addresses whose wait is over go first; fresh ones fill the link meanwhile.
        ip = inflight.popleft()[0] if due else fresh.popleft()
        frame = template
        pk = packed[ip]
        frame[_TPA_OFFSET:_TPA_OFFSET + 4] = pk[:4]
        frame[_SPA_OFFSET:_SPA_OFFSET + 4] = pk[4:]
        link.send(bytes(frame))
        sent_at = time.monotonic()
        tries[ip] += 1
        last_sent[ip] = sent_at
        inflight.append((ip, sent_at))
        result.sent += 1
        if tries[ip] > attempt_shown:
            attempt_shown = tries[ip]
            result.passes = attempt_shown
            if progress is not None:
                progress(f"arp {interface}: attempt {attempt_shown}/{retries + 1} started, "
                         f"{result.sent} requests sent, {len(answered)} answered so far")
        # Pace against the schedule, allowing a short catch-up burst after a scheduling stall.
        next_send = max(next_send + interval, sent_at - 10 * interval)
    if progress is not None:
        progress(f"arp {interface}: {result.sent} requests to {len(packed)} addresses "
                 f"(up to {result.passes} each), {len(answered)} answered")
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
                                         f"({res.sent} requests, up to {res.passes} per address)",
                                  duration_ms=ms_since(started)))
