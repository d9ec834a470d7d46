"""An older agent that sends its software list in the retired PackedSoftware form is told, over real
gRPC, what to send instead, and nothing of that report is stored."""

from __future__ import annotations

import grpc
from netcensus.v1 import ingest_pb2

from collector.wire.validate import RETIRED_PACKED_REASON
from tests.collector.serve.helpers import enroll, report_stream, snapshot, with_packed


def test_packed_software_is_rejected_with_the_supported_form(make_collector) -> None:  # type: ignore[no-untyped-def]
    c = make_collector()
    with grpc.insecure_channel(c.target) as ch:
        source, key = enroll(ch)
        old = with_packed(snapshot(source, 1, items=3), 6)
        acks, err = report_stream(ch, [old, snapshot(source, 2, items=4).SerializeToString()], key)
    assert err is None
    # rejected, then the same source's next report is stored
    assert [a.status for a in acks] == [ingest_pb2.ACK_STATUS_REJECTED, ingest_pb2.ACK_STATUS_STORED]
    assert acks[0].reason == f"host_snapshot.software_packed: {RETIRED_PACKED_REASON}"
    rows = c.collector.store.query("SELECT count(*) AS n FROM software_installs")
    assert rows == [{"n": 4}]
