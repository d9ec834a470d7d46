"""Report.sender_state on the way in: optional, bounded, one line."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from netcensus.v1 import report_pb2

from collector.wire.codec import MAX_SENDER_ERROR, InvalidReport, decode_report

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def ts(value: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(value)
    return out


def report(**state: object) -> report_pb2.Report:
    msg = report_pb2.Report(report_id=str(uuid.uuid4()), source_id="s1", seq=1,
                            heartbeat=report_pb2.Heartbeat(hostname="h"))
    if state:
        msg.sender_state.CopyFrom(report_pb2.SenderState(**state))  # type: ignore[arg-type]
    return msg


def test_a_report_without_it_is_decoded_as_before() -> None:
    assert decode_report(report(), NOW).sender is None


def test_it_is_decoded_with_its_times() -> None:
    oldest = NOW - timedelta(hours=5)
    sender = decode_report(report(queued_reports=12, queued_bytes=34_567, oldest_queued_at=ts(oldest),
                                  last_error="collector 127.0.0.1:9 is unreachable", last_error_at=ts(oldest),
                                  sent_at=ts(NOW)), NOW).sender
    assert sender is not None
    assert (sender.queued_reports, sender.queued_bytes, sender.oldest_queued_at) == (12, 34_567, oldest)
    assert (sender.last_error, sender.last_error_at, sender.sent_at) == ("collector 127.0.0.1:9 is unreachable",
                                                                        oldest, NOW)


def test_an_idle_sender_is_zero_with_no_times() -> None:
    sender = decode_report(report(sent_at=ts(NOW)), NOW).sender
    assert sender is not None and sender.queued_reports == 0 and sender.oldest_queued_at is None
    assert sender.last_error == "" and sender.last_error_at is None


def test_the_error_is_one_bounded_line() -> None:
    text = "first\r\nsecond\x1b[31m <b>" + "x" * 3000
    sender = decode_report(report(last_error=text, last_error_at=ts(NOW)), NOW).sender
    assert sender is not None and "\n" not in sender.last_error and "\r" not in sender.last_error
    assert sender.last_error.startswith("first second\x1b[31m <b>") and len(sender.last_error) == MAX_SENDER_ERROR


@pytest.mark.parametrize(("state", "says"), [
    ({"last_error": "e" * 5000}, "sender_state.last_error: longer than"),
    ({"last_error": "a\x00b"}, "sender_state.last_error: contains a NUL"),
    ({"oldest_queued_at": Timestamp(seconds=10**11)}, "sender_state.oldest_queued_at: timestamp"),
])
def test_out_of_bounds_is_refused_with_the_field_named(state: dict[str, object], says: str) -> None:
    with pytest.raises(InvalidReport, match=says):
        decode_report(report(**state), NOW)
