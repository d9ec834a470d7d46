"""Collector input discipline (issue 5, item 4): reasons and status codes, isolation, idempotency."""

from __future__ import annotations

import threading

import grpc

from tests.collector.serve.helpers import enroll, report_stream, snapshot


def count(c, sql: str) -> int:
    return int(next(iter(c.collector.store.query(sql)[0].values())))


def test_invalid_reports_are_rejected_with_a_reason_and_nothing_written(make_collector) -> None:
    c = make_collector()
    with grpc.insecure_channel(c.target) as ch:
        source, key = enroll(ch)
        bad = []
        r = snapshot(source, 1)
        r.report_id = "not-a-uuid"
        bad.append((r, "not a UUID"))
        r = snapshot(source, 2)
        r.host_snapshot.facts.hostname = "x" * 5000
        bad.append((r, "longer than 4096"))
        r = snapshot(source, 3)
        r.created_at.seconds = 4_000_000_000
        bad.append((r, "implausible"))
        r = snapshot(source, 4)
        r.host_snapshot.collectors[0].state = 42
        bad.append((r, "not a known CollectorState"))
        r = snapshot(source, 5)
        r.host_snapshot.collectors[0].duration_ms = 2**32 - 1
        bad.append((r, "larger than"))
        r = snapshot(source, 6)
        r.host_snapshot.software[0].name = "a\x00b"
        bad.append((r, "NUL"))
        r = snapshot(source, 7)
        r.ClearField("host_snapshot")
        bad.append((r, "no body"))
        good = snapshot(source, 8)
        acks, err = report_stream(ch, [b.SerializeToString() for b, _ in bad] + [good.SerializeToString()], key)
    assert err is None
    for ack, (_, reason) in zip(acks, bad, strict=False):
        assert ack.status == 3 and reason in ack.reason, (ack.reason, reason)
    assert acks[-1].status == 1
    assert count(c, "SELECT count(*) FROM reports") == 1
    assert count(c, "SELECT count(*) FROM software_installs") == 20


def test_malformed_bytes_end_the_stream_with_invalid_argument_after_acking_earlier_reports(make_collector) -> None:
    c = make_collector()
    with grpc.insecure_channel(c.target) as ch:
        source, key = enroll(ch)
        acks, err = report_stream(ch, [snapshot(source, 1).SerializeToString(), b"\xff\xff\xff\x0f garbage"], key)
        assert [a.status for a in acks] == [1]
        assert err is not None and err.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "report #2" in err.details()
        # invalid UTF-8 in a string field is refused the same way
        raw = b"\x0a\x04\xc3\x28\xc3\x28"
        acks, err = report_stream(ch, [raw], key)
        assert err is not None and err.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_oversized_message_is_resource_exhausted(make_collector) -> None:
    c = make_collector(max_message_bytes=64 * 1024)
    with grpc.insecure_channel(c.target) as ch:
        source, key = enroll(ch)
        _, err = report_stream(ch, [snapshot(source, 1, items=3000).SerializeToString()], key)
    assert err is not None and err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_rate_limit_pushes_back_with_retry_after(make_collector) -> None:
    c = make_collector(rate_limit=5, rate_burst=5)
    with grpc.insecure_channel(c.target) as ch:
        source, key = enroll(ch)
        payloads = [snapshot(source, n, items=1).SerializeToString() for n in range(1, 11)]
        acks, err = report_stream(ch, payloads, key)
    assert len(acks) == 5 and all(a.status == 1 for a in acks)
    assert err is not None and err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "rate limit" in err.details()
    trailing = dict(err.trailing_metadata())
    assert int(trailing["retry-after-ms"]) >= 100


def test_agent_honours_pushback_and_delivers_everything(make_collector, tmp_path) -> None:
    from netcensus.v1 import report_pb2

    from agent.transport.backoff import Backoff
    from agent.transport.client import IngestClient
    from agent.transport.deliver import Courier
    from agent.transport.spool import Priority, Spool
    from agent.transport.state import NodeState

    c = make_collector(rate_limit=20, rate_burst=10)
    state = NodeState.load(tmp_path / "state.json")
    state.ensure_source_id()
    with Spool(tmp_path / "spool.sqlite") as spool:
        for n in range(1, 41):
            r = snapshot(state.source_id, n, items=1)
            spool.put(r.report_id, r.seq, Priority.IDENTITY, r.SerializeToString())
        with IngestClient(c.target, state, kind=report_pb2.SOURCE_KIND_AGENT) as client:
            result = Courier(spool, client, backoff=Backoff(base_s=0.05, cap_s=0.5)).drain(deadline=None)
        assert result.acked == 40 and result.remaining == 0
        assert spool.stats().counters["retries"] >= 1
    assert count(c, "SELECT count(*) FROM reports") == 40


def test_one_bad_agent_does_not_disturb_another(make_collector) -> None:
    c = make_collector()
    results: dict[str, object] = {}

    def good() -> None:
        with grpc.insecure_channel(c.target) as ch:
            source, key = enroll(ch, "good")
            results["good"] = report_stream(ch, [snapshot(source, n).SerializeToString() for n in range(1, 51)], key)

    def bad() -> None:
        with grpc.insecure_channel(c.target) as ch:
            source, key = enroll(ch, "bad")
            junk = []
            for n in range(1, 51):
                r = snapshot(source, n)
                r.host_snapshot.facts.interfaces[0].addresses.append("x" * 5000)
                junk.append(r.SerializeToString())
            results["bad"] = report_stream(ch, [*junk, b"\x00\x01garbage"], key)

    threads = [threading.Thread(target=good), threading.Thread(target=bad)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    good_acks, good_err = results["good"]
    assert good_err is None and [a.status for a in good_acks] == [1] * 50
    bad_acks, bad_err = results["bad"]
    assert all(a.status == 3 for a in bad_acks) and bad_err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert count(c, "SELECT count(*) FROM reports WHERE source_id = 'good'") == 50
    assert count(c, "SELECT count(*) FROM reports WHERE source_id = 'bad'") == 0


def test_resent_report_is_acked_duplicate_and_stored_once(make_collector) -> None:
    c = make_collector()
    with grpc.insecure_channel(c.target) as ch:
        source, key = enroll(ch)
        payload = snapshot(source, 1).SerializeToString()
        acks, _ = report_stream(ch, [payload, payload], key)
        again, _ = report_stream(ch, [payload], key)
    assert [a.status for a in acks + again] == [1, 2, 2]
    assert count(c, "SELECT count(*) FROM sightings") == 1
