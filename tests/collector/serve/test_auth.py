"""Enrolment, node keys, revocation and their counters (issue 5, item 1)."""

from __future__ import annotations

import grpc
import pytest

from tests.collector.serve.helpers import enroll, report_stream, snapshot
from tests.conftest import run_cli


def rejects(collector, reason: str) -> float:
    return collector.collector.metrics.rejects.labels(reason)._value.get()


def test_secret_required_and_key_stored_as_hash_only(make_collector) -> None:
    c = make_collector(enrol_secret="s3cret-enrol")
    with grpc.insecure_channel(c.target) as ch:
        with pytest.raises(grpc.RpcError) as info:
            enroll(ch, secret="wrong")
        assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert rejects(c, "bad_enrolment_secret") == 1
        source, key = enroll(ch, secret="s3cret-enrol")
        acks, err = report_stream(ch, [snapshot(source, 1).SerializeToString()], key)
        assert err is None and acks[0].status == 1
    rows = c.collector.store.query("SELECT key_hash FROM sources WHERE source_id = ?", [source])
    assert rows[0]["key_hash"] != key and len(rows[0]["key_hash"]) == 64


def test_missing_and_wrong_keys_are_unauthenticated_and_counted(make_collector) -> None:
    c = make_collector()
    with grpc.insecure_channel(c.target) as ch:
        source, _ = enroll(ch)
        payload = snapshot(source, 1).SerializeToString()
        for key in (None, "", "not-a-key"):
            acks, err = report_stream(ch, [payload], key)
            assert acks == [] and err is not None and err.code() == grpc.StatusCode.UNAUTHENTICATED
    assert rejects(c, "unauthenticated") == 3
    assert c.collector.store.query("SELECT count(*) AS n FROM reports")[0]["n"] == 0


def test_key_reports_only_for_its_own_source(make_collector) -> None:
    c = make_collector()
    with grpc.insecure_channel(c.target) as ch:
        a, key_a = enroll(ch, "agent-a")
        b, _ = enroll(ch, "agent-b")
        acks, err = report_stream(ch, [snapshot(b, 1).SerializeToString(), snapshot(a, 1).SerializeToString()], key_a)
    assert err is None
    assert acks[0].status == 3 and "only report for source agent-a" in acks[0].reason
    assert acks[1].status == 1  # the stream goes on
    assert rejects(c, "wrong_source") == 1


def test_revoked_key_stops_working_and_cannot_re_enrol(make_collector, tmp_path) -> None:
    c = make_collector()
    with grpc.insecure_channel(c.target) as ch:
        source, key = enroll(ch, "to-revoke")
        _acks, err = report_stream(ch, [snapshot(source, 1).SerializeToString()], key)
        assert err is None
        r = run_cli("netcensus", "sources", "revoke", source, "--collector", c.target)
        assert r.code == 0 and "revoked" in r.out, r.err
        _, err = report_stream(ch, [snapshot(source, 2).SerializeToString()], key)
        assert err is not None and err.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.RpcError) as info:
            enroll(ch, source)
        assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
    listed = run_cli("netcensus", "sources", "list", "--collector", c.target, "--format", "json")
    assert listed.code == 0 and '"revoked_at": null' not in listed.out, listed.out
    missing = run_cli("netcensus", "sources", "revoke", "nope", "--collector", c.target)
    assert missing.code == 1 and "no source" in missing.err


def test_agent_re_enrols_when_collector_lost_its_key(make_collector, tmp_path) -> None:
    """A fresh database does not know the agent's key: the agent enrols again under its own id."""
    c = make_collector()
    state = tmp_path / "agent"
    first = run_cli("netcensus-agent", "report", "--collector", c.target, "--once", "--state-dir", str(state))
    assert first.code == 0, first.err
    c.collector.keyring.replace("someone-else", "0" * 64)
    c.collector.keyring._by_hash.clear()  # the collector forgot every key
    again = run_cli("netcensus-agent", "report", "--collector", c.target, "--once", "--state-dir", str(state))
    assert again.code == 0, again.err
    assert c.collector.store.query("SELECT count(*) AS n FROM reports")[0]["n"] == 2


def test_revocation_ends_a_stream_that_is_already_open(make_collector) -> None:
    """The key was checked when the stream opened; revoking it must still stop the next report."""
    import queue

    from netcensus.v1 import ingest_pb2

    c = make_collector()
    with grpc.insecure_channel(c.target) as ch:
        source, key = enroll(ch, "revoked-mid-stream")
        outbox: queue.Queue[bytes | None] = queue.Queue()

        def requests():
            while (item := outbox.get()) is not None:
                yield item

        call = ch.stream_stream("/netcensus.v1.Ingest/Report", request_serializer=lambda b: b,
                                response_deserializer=ingest_pb2.Ack.FromString)(
            requests(), metadata=[("x-netcensus-node-key", key)], timeout=30)
        outbox.put(snapshot(source, 1).SerializeToString())
        assert next(call).status == 1
        assert c.collector.revoke(source)  # as the Admin service does it, from another thread
        outbox.put(snapshot(source, 2).SerializeToString())
        with pytest.raises(grpc.RpcError) as info:
            next(call)
        outbox.put(None)
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "was revoked" in (info.value.details() or "")
    assert c.collector.store.query("SELECT count(*) AS n FROM reports")[0]["n"] == 1
