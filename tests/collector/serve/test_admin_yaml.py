"""Admin.ImportRegister on loopback with a billion-laughs mapping file (issue #14): INVALID_ARGUMENT at once."""

from __future__ import annotations

import grpc

from collector.client import CollectorClient
from tests.collector.test_safeyaml import BILLION_LAUGHS, CSV, GOOD_MAPPING, _rss_kib
from tests.conftest import TEST_TOKEN


def test_billion_laughs_through_admin_import_register(make_collector) -> None:  # type: ignore[no-untyped-def]
    c = make_collector()
    before = _rss_kib()
    stub_error: grpc.RpcError | None = None
    from netcensus.v1 import query_pb2, query_pb2_grpc

    with grpc.insecure_channel(c.target) as channel:
        stub = query_pb2_grpc.AdminStub(channel)
        try:
            stub.ImportRegister(query_pb2.ImportRequest(format="csv", content=CSV, filename="inv.csv",
                                                        mapping=BILLION_LAUGHS), timeout=60,
                                 metadata=[("authorization", f"Bearer {TEST_TOKEN}")])
        except grpc.RpcError as exc:
            stub_error = exc
    assert stub_error is not None
    assert stub_error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert stub_error.details() == ("inv.csv mapping:5: YAML anchors and aliases (&name, *name) are not accepted; "
                                    "write the value out in full")
    assert _rss_kib() - before < 64 * 1024
    # the collector is unharmed: a good mapping imports over the same service
    with CollectorClient(c.target, token=TEST_TOKEN) as client:
        assert client.import_register(CSV, "csv", "inv.csv", GOOD_MAPPING).added == 1
