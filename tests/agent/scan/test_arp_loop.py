"""The ARP sweep loop without root: sweep_link() over a socketpair, a thread playing the hosts.

The fake segment answers requests for its live addresses, can drop chosen requests (loss) and
can answer twice from different MACs (an address conflict). No timing is asserted, only who
was asked how often and who was found.
"""

from __future__ import annotations

import select
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from scapy.layers.l2 import ARP, Ether

from agent.scan.arp import ArpReply, sweep_link

OUR_MAC = "02:00:00:00:00:01"
SRC = "192.0.2.1"


class FakeLink:
    """The scanner's end of a datagram socketpair, shaped like arp._PacketLink."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, frame: bytes) -> None:
        self.sock.send(frame)

    def recv_queued(self) -> list[bytes]:
        frames = []
        while True:
            try:
                frames.append(self.sock.recv(2048, socket.MSG_DONTWAIT))
            except BlockingIOError:
                return frames


class FakeSegment:
    """Hosts behind the other end: `live` maps ip -> MACs that answer; `drop` maps ip -> how many
    of its first requests are lost. Every request seen is counted per target address."""

    def __init__(self, live: dict[str, tuple[str, ...]], drop: dict[str, int] | None = None) -> None:
        self.live = live
        self.drop = dict(drop or {})
        self.asked: Counter[str] = Counter()
        self.senders: dict[str, str] = {}
        self.noise_sent = False

    def serve(self, sock: socket.socket, done: threading.Event) -> None:
        while not done.is_set():
            ready, _, _ = select.select([sock], [], [], 0.02)
            if not ready:
                continue
            frame = sock.recv(2048)
            assert len(frame) == 60 and frame[12:14] == b"\x08\x06" and frame[20:22] == b"\x00\x01"
            tpa, spa = socket.inet_ntoa(frame[38:42]), socket.inet_ntoa(frame[28:32])
            self.asked[tpa] += 1
            self.senders[tpa] = spa
            if not self.noise_sent:
                # Frames the scanner must ignore: a request, and a reply from an address never asked.
                self.noise_sent = True
                sock.send(bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src="00:1b:21:0e:00:01")
                                / ARP(op=1, hwsrc="00:1b:21:0e:00:01", psrc="192.0.2.200", pdst=SRC)))
                sock.send(bytes(Ether(dst=OUR_MAC, src="00:1b:21:0e:00:02")
                                / ARP(op=2, hwsrc="00:1b:21:0e:00:02", psrc="203.0.113.9", pdst=SRC)))
            if self.drop.get(tpa, 0) > 0:
                self.drop[tpa] -= 1
                continue
            for mac in self.live.get(tpa, ()):
                sock.send(bytes(Ether(dst=OUR_MAC, src=mac)
                                / ARP(op=2, hwsrc=mac, psrc=tpa, hwdst=OUR_MAC, pdst=spa)))


@contextmanager
def segment(seg: FakeSegment) -> Iterator[FakeLink]:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    done = threading.Event()
    thread = threading.Thread(target=seg.serve, args=(theirs, done), daemon=True)
    thread.start()
    try:
        yield FakeLink(ours)
    finally:
        done.set()
        thread.join(5)
        ours.close()
        theirs.close()


ADDRS = [f"192.0.2.{i}" for i in range(1, 65)]
LIVE = {"192.0.2.10": ("00:1b:21:0a:00:01",), "192.0.2.40": ("3c:22:fb:0a:00:02",)}


def test_each_silent_address_is_asked_retries_plus_one_times_and_live_ones_once() -> None:
    seg = FakeSegment(LIVE)
    streamed: list[ArpReply] = []
    with segment(seg) as link:
        res = sweep_link(link, ADDRS, interface="fake0", our_mac=OUR_MAC, source_ip=SRC, rate_pps=20000,
                         retries=2, timeout_s=0.5, on_reply=streamed.append)
    assert {(r.ip, r.mac) for r in res.replies} == {(ip, macs[0]) for ip, macs in LIVE.items()}
    assert streamed == res.replies
    assert all(r.interface == "fake0" for r in res.replies)
    assert SRC not in seg.asked  # never ARP for ourselves
    assert all(seg.asked[ip] == 1 for ip in LIVE)
    silent = [a for a in ADDRS if a != SRC and a not in LIVE]
    assert all(seg.asked[a] == 3 for a in silent)
    assert res.sent == sum(seg.asked.values()) == len(LIVE) + 3 * len(silent)
    assert res.passes == 3
    assert res.interrupted == ""


def test_lost_requests_are_retried_until_answered() -> None:
    # 192.0.2.10 loses its first two requests, 192.0.2.40 its first one.
    seg = FakeSegment(LIVE, drop={"192.0.2.10": 2, "192.0.2.40": 1})
    with segment(seg) as link:
        res = sweep_link(link, ADDRS, interface="fake0", our_mac=OUR_MAC, source_ip=SRC, rate_pps=20000,
                         retries=2, timeout_s=0.5)
    assert {r.ip for r in res.replies} == set(LIVE)
    assert seg.asked["192.0.2.10"] == 3
    assert seg.asked["192.0.2.40"] == 2


def test_too_few_retries_miss_a_host_that_loses_every_request() -> None:
    seg = FakeSegment(LIVE, drop={"192.0.2.10": 2})
    with segment(seg) as link:
        res = sweep_link(link, ADDRS, interface="fake0", our_mac=OUR_MAC, source_ip=SRC, rate_pps=20000,
                         retries=1, timeout_s=0.2)
    assert {r.ip for r in res.replies} == {"192.0.2.40"}
    assert seg.asked["192.0.2.10"] == 2


def test_address_conflict_reports_both_macs_and_per_address_sender() -> None:
    live = {"192.0.2.10": ("00:1b:21:0a:00:01", "00:1e:c9:0a:00:03"), "198.51.100.7": ("3c:22:fb:0a:00:02",)}
    addrs = ["192.0.2.10", "198.51.100.7", "198.51.100.1"]
    sources = {"192.0.2.10": SRC, "198.51.100.7": "198.51.100.1", "198.51.100.1": "198.51.100.1"}
    seg = FakeSegment(live)
    with segment(seg) as link:
        res = sweep_link(link, addrs, interface="fake0", our_mac=OUR_MAC, source_ip=SRC, rate_pps=5000,
                         retries=1, timeout_s=0.2, sources=sources)
    assert sorted((r.ip, r.mac) for r in res.replies) == sorted((ip, m) for ip, ms in live.items() for m in ms)
    assert seg.senders == {"192.0.2.10": SRC, "198.51.100.7": "198.51.100.1"}  # 198.51.100.1 is ours


@pytest.mark.parametrize(("stopped", "deadline", "why"), [(True, None, "interrupted"),
                                                          (False, 0.0, "time budget exhausted")])
def test_interrupt_and_budget_are_reported(stopped: bool, deadline: float | None, why: str) -> None:
    stop = threading.Event()
    if stopped:
        stop.set()
    seg = FakeSegment(LIVE)
    with segment(seg) as link:
        res = sweep_link(link, ADDRS, interface="fake0", our_mac=OUR_MAC, source_ip=SRC, stop=stop,
                         deadline=deadline)
    assert res.interrupted == why
    assert res.sent == 0 and not res.replies


def test_progress_names_each_attempt_round() -> None:
    msgs: list[str] = []
    with segment(FakeSegment(LIVE)) as link:
        sweep_link(link, ADDRS[:8], interface="fake0", our_mac=OUR_MAC, source_ip=SRC, rate_pps=20000,
                   retries=1, timeout_s=0.1, progress=msgs.append)
    assert [m.split(" started")[0] for m in msgs[:2]] == ["arp fake0: attempt 1/2", "arp fake0: attempt 2/2"]
    assert msgs[-1].startswith("arp fake0: 14 requests to 7 addresses (up to 2 each), 0 answered")
