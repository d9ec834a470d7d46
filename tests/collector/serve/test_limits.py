"""Bounded resources on the gRPC port and the ingest pipeline (issue #14): silent connections,
the connection cap, bytes of reports in flight, and queries on a pool of their own.

Real collectors on loopback throughout; the only thing a test holds back is the ingest writer's
commit (a gate around the real store), so that reports stay in flight long enough to count them.
"""

from __future__ import annotations

import errno
import resource
import selectors
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import grpc
import pytest
from netcensus.v1 import ingest_pb2, query_pb2, query_pb2_grpc

from collector.serve.guard import client_peer
from tests.collector.serve.helpers import enroll, report_stream, snapshot
from tests.conftest import TEST_TOKEN

READER = [("authorization", f"Bearer {TEST_TOKEN}")]  # the tests' bootstrap admin token reads too


def rejects(collector: Any, reason: str) -> float:
    return float(collector.collector.metrics.rejects.labels(reason)._value.get())


def raise_own_fd_limit(needed: int) -> int:
    """This test process holds the silent sockets as well as the collector's: raise its limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return min(needed, hard - 512)


def open_silent(port: int, count: int, source: str = "127.0.0.1") -> list[socket.socket]:
    """`count` TCP connections from `source` that never send a byte (the attack of issue #14)."""
    sockets = []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        s.setblocking(False)
        sockets.append(s)
    return sockets


def closed_by_peer(s: socket.socket) -> bool:
    """True once the collector has closed this connection (EOF or reset); reads what it sent."""
    try:
        while True:
            data = s.recv(65536)
            if not data:
                return True
    except BlockingIOError:
        return False
    except OSError as exc:
        return exc.errno in (errno.ECONNRESET, errno.EPIPE)


def wait_closed(sockets: list[socket.socket], want: int, deadline_s: float) -> int:
    """Wait (up to deadline_s) until `want` of the sockets are closed by the collector; how many are."""
    closed: set[int] = set()
    sel = selectors.DefaultSelector()
    for i, s in enumerate(sockets):
        sel.register(s, selectors.EVENT_READ, i)
    end = time.monotonic() + deadline_s
    try:
        while len(closed) < want and time.monotonic() < end:
            for key, _ in sel.select(timeout=0.5):
                i = key.data
                if closed_by_peer(sockets[i]):
                    closed.add(i)
                    sel.unregister(sockets[i])
    finally:
        sel.close()
    return len(closed)


def wait_slots_given_back(collector: Any, deadline_s: float = 30) -> int:
    """Wait until the guard counts no open connection (the server sees the clients' closes a moment
    after they happen); the count left, 0 on success."""
    end = time.monotonic() + deadline_s
    while collector.collector.guard.open and time.monotonic() < end:
        time.sleep(0.1)
    return int(collector.collector.guard.open)


def enroll_once_served(collector: Any, deadline_s: float = 30) -> str:
    """Enroll, trying again while the server refuses the connection (UNAVAILABLE) for up to deadline_s;
    the key."""
    end = time.monotonic() + deadline_s
    while True:
        try:
            with grpc.insecure_channel(collector.target) as ch:
                return enroll(ch)[1]
        except grpc.RpcError as exc:
            if exc.code() is not grpc.StatusCode.UNAVAILABLE or time.monotonic() > end:
                raise
            time.sleep(0.2)


def test_silent_connections_are_closed_after_the_handshake_timeout_and_agents_are_served(make_collector) -> None:
    """20,000 silent connections used to exhaust the collector's descriptors: now each is closed
    after handshake_timeout, and a real agent enrols and reports while they are open. The per-peer
    guard is off here (the agent shares the flood's address): this is the handshake timeout alone."""
    count = raise_own_fd_limit(4000)
    c = make_collector(handshake_timeout=timedelta(seconds=2), max_connections_per_peer=0)
    silent = open_silent(c.port, count)
    try:
        with grpc.insecure_channel(c.target) as ch:
            source, key = enroll(ch)
            acks, err = report_stream(ch, [snapshot(source, 1).SerializeToString()], key)
        assert err is None and [a.status for a in acks] == [ingest_pb2.ACK_STATUS_STORED]
        # 30 s: well under the 60 s after which gRPC core drops a client that never acknowledged
        # its SETTINGS (so without handshake_timeout this fails), well over 2 s on a loaded machine.
        assert wait_closed(silent, count, deadline_s=30) == count
    finally:
        for s in silent:
            s.close()
    with grpc.insecure_channel(c.target) as ch:  # and the collector still serves afterwards
        source, key = enroll(ch)
        acks, err = report_stream(ch, [snapshot(source, 2).SerializeToString()], key)
    assert err is None and [a.status for a in acks] == [ingest_pb2.ACK_STATUS_STORED]


def test_connections_above_max_connections_are_closed_at_accept(make_collector) -> None:
    """The total cap: connections past max_connections are closed at once; those within it stay
    until their handshake timeout (set long here, so only the cap closes anything)."""
    c = make_collector(max_connections=40, handshake_timeout=timedelta(minutes=10), max_connections_per_peer=0)
    silent = open_silent(c.port, 140)
    try:
        assert wait_closed(silent, 100, deadline_s=60) == 100
        still_open = [s for s in silent if s.fileno() != -1 and not closed_by_peer(s)]
        assert len(still_open) == 40
    finally:
        for s in silent:
            s.close()
    # The slots are given back when those close, as soon as the server has seen the closes: gRPC's own
    # cap counts them, so an agent is refused at most until then (as an agent would, it tries again).
    assert enroll_once_served(c)


def test_one_peer_is_held_to_max_connections_per_peer_and_others_are_served(make_collector) -> None:
    """The per-peer guard: one address opening thousands of silent connections keeps only its share
    (the rest are reset at accept), so it cannot take the slots agents elsewhere need; what it keeps
    still meets the handshake timeout behind the guard."""
    count = raise_own_fd_limit(3000)
    c = make_collector(max_connections_per_peer=50, max_connections=200, handshake_timeout=timedelta(seconds=3))
    silent = open_silent(c.port, count, source="127.0.0.2")  # all of 127/8 is loopback
    try:
        with grpc.insecure_channel(c.target) as ch:  # an agent from another address: 127.0.0.1
            source, key = enroll(ch)
            acks, err = report_stream(ch, [snapshot(source, 1).SerializeToString()], key)
        assert err is None and [a.status for a in acks] == [ingest_pb2.ACK_STATUS_STORED]
        assert rejects(c, "peer_connections") >= count - 50
        assert wait_closed(silent, count, deadline_s=30) == count  # the 50 kept: handshake timeout
    finally:
        for s in silent:
            s.close()
    assert wait_slots_given_back(c) == 0
    with grpc.insecure_channel(c.target) as ch:
        _, key = enroll(ch)
    assert key


def test_idle_connection_is_sent_goaway(make_collector) -> None:
    """A connection without calls is closed after idle_timeout; a client reconnects transparently."""
    c = make_collector(idle_timeout=timedelta(seconds=1))
    with grpc.insecure_channel(c.target) as ch:
        enroll(ch)
        states: list[grpc.ChannelConnectivity] = []
        ch.subscribe(states.append)
        end = time.monotonic() + 30
        while grpc.ChannelConnectivity.IDLE not in states and time.monotonic() < end:
            time.sleep(0.1)
        ch.unsubscribe(states.append)
        assert grpc.ChannelConnectivity.IDLE in states
        _, key = enroll(ch)
    assert key


@contextmanager
def held_commits(collector: Any) -> Iterator[threading.Event]:
    """Hold the ingest writer before each commit until the event is set (the real store commits then)."""
    pipeline = collector.collector.pipeline
    real = pipeline._store_batch
    gate = threading.Event()

    def gated(reports: Any, now: Any) -> Any:
        gate.wait(60)
        return real(reports, now)

    pipeline._store_batch = gated
    try:
        yield gate
    finally:
        gate.set()
        pipeline._store_batch = real


def send_async(channel: grpc.Channel, payloads: list[bytes], key: str, out: dict[str, Any]) -> threading.Thread:
    def run() -> None:
        out["acks"], out["err"] = report_stream(channel, payloads, key, timeout=60)
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_bytes_in_flight_are_bounded_across_streams(make_collector) -> None:
    """One sender of large reports used to push the collector to 3.9 GB: now the serialized bytes
    of reports accepted but not committed stay under max_inflight_bytes, across all streams, and
    the report that does not fit is refused with RESOURCE_EXHAUSTED and a retry-after."""
    limit = 1024 * 1024
    c = make_collector(max_inflight_bytes=limit, rate_limit=0)
    budget = c.collector.budget
    with grpc.insecure_channel(c.target, options=[("grpc.max_send_message_length", -1)]) as ch:
        big, key = enroll(ch)
        other, other_key = enroll(ch)
        payloads = [snapshot(big, n, items=5000).SerializeToString() for n in range(1, 41)]
        assert all(100_000 < len(p) < limit // 2 for p in payloads)
        fits = next(k for k in range(len(payloads)) if sum(map(len, payloads[:k + 1])) > limit)
        held = sum(map(len, payloads[:fits]))
        with held_commits(c) as gate:
            first: dict[str, Any] = {}
            sender = send_async(ch, payloads, key, first)
            # The big sender's reader stops at the first report that does not fit; its acks wait
            # for the held commit, so watch the refusal counter rather than the stream.
            end = time.monotonic() + 60
            while rejects(c, "inflight_bytes") < 1 and time.monotonic() < end:
                time.sleep(0.05)
            assert budget.used == held and budget.peak == held <= limit
            # The budget is shared: a second sender's report does not fit either, and is told so now.
            acks, err = report_stream(ch, [snapshot(other, 1, items=5000).SerializeToString()], other_key)
            assert acks == [] and err is not None and err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "max_inflight_bytes" in err.details() and "\n" not in err.details()
            assert int(dict(err.trailing_metadata())["retry-after-ms"]) >= 100
            gate.set()
            sender.join(60)
        # What was accepted is committed and acked before the refusal ends the stream.
        err = first["err"]
        assert err is not None and err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "max_inflight_bytes" in err.details()
        assert [a.status for a in first["acks"]] == [ingest_pb2.ACK_STATUS_STORED] * fits
        assert budget.used == 0
        assert rejects(c, "inflight_bytes") == 2
        acks, err = report_stream(ch, [snapshot(other, 1, items=5000).SerializeToString()], other_key)
    assert err is None and [a.status for a in acks] == [ingest_pb2.ACK_STATUS_STORED]


def test_a_report_larger_than_the_whole_budget_still_passes_alone(make_collector) -> None:
    """A budget below the message limit slows large reports down, never refuses them forever."""
    c = make_collector(max_inflight_bytes=1024, rate_limit=0)
    with grpc.insecure_channel(c.target) as ch:
        source, key = enroll(ch)
        acks, err = report_stream(ch, [snapshot(source, 1, items=200).SerializeToString()], key)
    assert err is None and [a.status for a in acks] == [ingest_pb2.ACK_STATUS_STORED]
    assert c.collector.budget.used == 0


def populate(target: str, hosts: int) -> None:
    with grpc.insecure_channel(target) as ch:
        for n in range(hosts):
            source, key = enroll(ch, source_id=f"pop-{n}")
            _, err = report_stream(ch, [snapshot(source, 1, items=100).SerializeToString()], key)
            assert err is None


def run_queries(target: str, count: int, progress: dict[str, int],
                lock: threading.Lock) -> tuple[list[Any], list[threading.Thread]]:
    """`count` concurrent ListFindings/ListAssets; each outcome is "ok" or the RpcError.

    progress["running"] counts calls not yet answered, progress["ok"] calls answered with data."""
    outcomes: list[Any] = [None] * count

    def one(i: int) -> None:
        try:
            with grpc.insecure_channel(target) as ch:
                stub = query_pb2_grpc.QueryStub(ch)
                call: Callable[[], Any] = (
                    (lambda: list(stub.ListFindings(query_pb2.FindingsRequest(), timeout=300, metadata=READER)))
                    if i % 2 else (lambda: list(stub.ListAssets(query_pb2.AssetsRequest(), timeout=300,
                                                                metadata=READER))))
                call()
                outcomes[i] = "ok"
        except grpc.RpcError as exc:
            outcomes[i] = exc
        finally:
            with lock:
                progress["running"] -= 1
                progress["ok"] += outcomes[i] == "ok"

    progress.update(running=count, ok=0)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    return outcomes, threads


def test_queries_run_on_their_own_pool_and_enrolment_is_answered_meanwhile(make_collector) -> None:
    """50 anonymous queries used to stall enrolment behind them (they took every thread of the
    executor enrolment persists on): now enrolments complete while queries are still running, and
    queries beyond the pool's threads and wait queue are refused with a clear status."""
    c = make_collector(query_threads=2, query_queue=8)
    populate(c.target, 150)
    progress: dict[str, int] = {}
    lock = threading.Lock()
    outcomes, threads = run_queries(c.target, 50, progress, lock)
    answered_before_first_enrolment = -1
    enrolled_while_querying = 0
    with grpc.insecure_channel(c.target) as ch:
        for n in range(200):
            enroll(ch, source_id=f"new-{n}")
            with lock:
                if answered_before_first_enrolment < 0:
                    answered_before_first_enrolment = progress["ok"]
                if progress["running"] > 0:
                    enrolled_while_querying += 1
            if enrolled_while_querying >= 5:
                break
    for t in threads:
        t.join(600)
    answered = outcomes.count("ok")
    # Enrolment did not wait its turn behind the queries: most of those answered came after it.
    assert enrolled_while_querying >= 5
    assert answered_before_first_enrolment < answered / 2, (answered_before_first_enrolment, answered)
    refused = [o for o in outcomes if o != "ok"]
    assert all(isinstance(o, grpc.RpcError) and o.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
               and "too many queries in progress" in (o.details() or "") for o in refused), refused[:3]
    assert refused and answered >= 2
    assert rejects(c, "queries") == len(refused)
    assert c.collector.query_pool.admitted == 0


def test_limits_hold_with_front_end_processes(tmp_path, empty_rules) -> None:
    """`serve --workers 2`: each front-end applies the per-peer cap from the config file, a query
    beyond the writer's pool is refused through the front-end's proxy with the same status, and
    agents from another address are served through the guard."""
    from tests.collector.serve.helpers import CollectorProcess, free_port

    config = tmp_path / "collector.toml"
    config.write_text("[collector]\nmax_connections = 60\nmax_connections_per_peer = 20\n"
                      "handshake_timeout = \"10m\"\nquery_threads = 1\nquery_queue = 0\n")
    w = CollectorProcess(tmp_path / "nc.duckdb", free_port(), empty_rules, "--workers", "2",
                         "--config", str(config)).start()
    try:
        silent = open_silent(w.port, 100, source="127.0.0.2")
        try:
            # The kernel spreads connections over the two front-ends; each keeps at most 20 of a peer.
            assert wait_closed(silent, 60, deadline_s=60) >= 60
        finally:
            for s in silent:
                s.close()
        populate(w.target, 40)
        progress: dict[str, int] = {}
        outcomes, threads = run_queries(w.target, 20, progress, threading.Lock())
        for t in threads:
            t.join(600)
        refused = [o for o in outcomes if o != "ok"]
        assert refused and "ok" in outcomes
        assert all(o.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                   and "too many queries in progress" in (o.details() or "") for o in refused)
    finally:
        assert w.stop() == 0


def _resolve(tmp_path, text: str) -> Any:
    from collector.config import resolve_serve

    path = tmp_path / "collector.toml"
    path.write_text(f"[collector]\n{text}\n")
    return resolve_serve(db=str(tmp_path / "nc.duckdb"), listen=None, rules=None, ghost_after=None, config=path,
                         env={})


def test_limit_keys_are_read_from_the_config_file(tmp_path) -> None:
    config = _resolve(tmp_path, 'handshake_timeout = "3s"\nidle_timeout = "2m"\nmax_connections = 0\n'
                                "max_concurrent_streams = 8\nmax_inflight_bytes = 1048576\n"
                                "query_threads = 3\nquery_queue = 0")
    assert config.handshake_timeout == timedelta(seconds=3) and config.idle_timeout == timedelta(minutes=2)
    assert (config.max_connections, config.max_concurrent_streams, config.max_inflight_bytes) == (0, 8, 1048576)
    assert (config.query_threads, config.query_queue) == (3, 0)
    defaults = _resolve(tmp_path, "")
    assert 64 * 1024 * 1024 <= defaults.max_inflight_bytes <= 512 * 1024 * 1024


@pytest.mark.parametrize(("text", "message"), [
    ('handshake_timeout = "0"', "handshake_timeout: must be more than 0 (e.g. 10s)"),
    ('idle_timeout = "soon"', "idle_timeout: 'soon' is not a duration (use e.g. 14d, 36h, 90m, 0)"),
    ("max_connections = -1", "max_connections: must be at least 0"),
    ("max_concurrent_streams = 0", "max_concurrent_streams: must be at least 1"),
    ("max_inflight_bytes = 10", "max_inflight_bytes: must be at least 1024"),
    ('max_inflight_bytes = "lots"', "max_inflight_bytes: 'lots' is not a number"),
    ("query_threads = 0", "query_threads: must be at least 1"),
    ("query_queue = 1.5", "query_queue: 1.5 is not a whole number"),
])
def test_bad_limit_is_a_one_line_usage_error(tmp_path, text: str, message: str) -> None:
    from collector.errors import UsageError

    with pytest.raises(UsageError) as info:
        _resolve(tmp_path, text)
    assert str(info.value) == message


def test_connection_cap_never_exceeds_the_open_files_limit(tmp_path) -> None:
    """A cap above the descriptors is no cap: 20,000 silent connections exhausted them before."""
    from collector.config import ServeConfig
    from collector.serve.listen import FD_RESERVE, connection_cap

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (1000, hard))
    try:
        base = ServeConfig(db=tmp_path / "nc.duckdb", listen="127.0.0.1:0", max_connections_per_peer=0)
        assert connection_cap(base) == 1000 - FD_RESERVE
        assert connection_cap(ServeConfig(db=base.db, listen=base.listen)) \
            == (1000 - FD_RESERVE) // 2  # the guard (on by default) holds two descriptors per connection
        assert connection_cap(ServeConfig(db=base.db, listen=base.listen, max_connections=100,
                                          max_connections_per_peer=0)) == 100
        assert connection_cap(ServeConfig(db=base.db, listen=base.listen, max_connections=0,
                                          max_connections_per_peer=0)) == 1000 - FD_RESERVE
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_an_agent_refused_for_bytes_in_flight_keeps_its_reports_and_delivers_them_all(make_collector,
                                                                                       tmp_path) -> None:
    """The refusal is a pushback, not a loss: the real agent transport honours the retry-after and
    every report in its spool is stored exactly once."""
    from netcensus.v1 import report_pb2

    from agent.transport.backoff import Backoff
    from agent.transport.client import IngestClient
    from agent.transport.deliver import Courier
    from agent.transport.spool import Priority, Spool
    from agent.transport.state import NodeState

    c = make_collector(max_inflight_bytes=256 * 1024, rate_limit=0)
    state = NodeState.load(tmp_path / "state.json")
    state.ensure_source_id()
    with held_commits(c) as gate, Spool(tmp_path / "spool.sqlite") as spool:
        for n in range(1, 21):
            r = snapshot(state.source_id, n, items=2000)
            spool.put(r.report_id, r.seq, Priority.IDENTITY, r.SerializeToString())
        threading.Timer(0.5, gate.set).start()  # commits resume while the agent is being pushed back
        with IngestClient(c.target, state, kind=report_pb2.SOURCE_KIND_AGENT) as client:
            result = Courier(spool, client, backoff=Backoff(base_s=0.05, cap_s=0.5)).drain(deadline=None)
        assert result.acked == 20 and result.remaining == 0
        assert spool.stats().counters["retries"] >= 1
    assert rejects(c, "inflight_bytes") >= 1
    assert 0 < c.collector.budget.peak <= 256 * 1024 and c.collector.budget.used == 0
    assert c.collector.store.query("SELECT count(*) AS n FROM reports")[0]["n"] == 20


def test_the_callers_address_survives_the_per_peer_guard(make_collector, caplog) -> None:  # type: ignore[no-untyped-def]
    """Behind the guard gRPC sees a Unix socket; the audit log and enrolment still see the TCP caller."""
    c = make_collector(max_connections_per_peer=5)
    assert c.collector is not None and c.collector.guard is not None
    with grpc.insecure_channel(c.target) as ch:
        enroll(ch, "guarded-agent")
        list(query_pb2_grpc.QueryStub(ch).ListAssets(query_pb2.AssetsRequest(), timeout=30, metadata=READER))
    peers = [row["peer"] for row in c.collector.store.audit_entries(10)]
    assert peers and all(p.startswith("ipv4:127.0.0.1:") for p in peers), peers
    assert client_peer("unix-abstract:netcensus-peer/ipv6:[::1]:40000/77.3") == "ipv6:[::1]:40000"
    assert client_peer("ipv4:192.0.2.7:50312") == "ipv4:192.0.2.7:50312"
