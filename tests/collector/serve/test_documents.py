"""AssetDetail and ListChanges over real gRPC on loopback: a long changes document arrives in pieces
that join into the object `--format json` prints; a bad ref is INVALID_ARGUMENT; a reader may ask."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from netcensus.v1 import query_pb2, query_pb2_grpc

from collector.client import CollectorClient
from collector.errors import UsageError
from collector.serve import service
from tests.conftest import TEST_TOKEN


def test_changes_arrive_in_pieces_and_join_into_one_object(make_collector: Callable[..., Any],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "DOCUMENT_PIECE", 16)
    c = make_collector()
    since = datetime.now(UTC) - timedelta(days=1)
    request = query_pb2.ChangesRequest()
    request.since.FromDatetime(since)
    with grpc.insecure_channel(c.target) as channel:
        pieces = list(query_pb2_grpc.QueryStub(channel).ListChanges(
            request, metadata=[("authorization", f"Bearer {TEST_TOKEN}")], timeout=60))
    assert len(pieces) > 3 and all(len(p.json) <= 16 for p in pieces)
    with CollectorClient(c.target, token=TEST_TOKEN) as client:
        doc = client.changes(since)
    assert doc["assets"] == [] and doc["software_totals"]["installed"] == 0
    assert datetime.fromisoformat(doc["since"]) == since


def test_a_reader_gets_pages_and_a_bad_ref_is_invalid_argument(make_collector: Callable[..., Any]) -> None:
    c = make_collector()
    with CollectorClient(c.target, token=TEST_TOKEN) as admin:
        reader = admin.create_token("analyst", "reader")
    with CollectorClient(c.target, token=reader) as client:
        with pytest.raises(UsageError, match="no asset matches 'nobody'"):
            client.asset_detail("nobody")
        assert client.changes(datetime.now(UTC) - timedelta(hours=1))["findings"] == []
