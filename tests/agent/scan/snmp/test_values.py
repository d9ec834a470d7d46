"""Plain SNMP values: SNMPv2-TC DateAndTime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from agent.scan.snmp.values import parse_date_and_time


def test_date_and_time() -> None:
    # RFC 2579 DateAndTime: 2026-11-25 04:19:56.0, and with a -05:00 offset.
    assert parse_date_and_time(bytes([0x07, 0xEA, 11, 25, 4, 19, 56, 0])) == datetime(2026, 11, 25, 4, 19, 56,
                                                                                      tzinfo=UTC)
    with_tz = parse_date_and_time(bytes([0x07, 0xEA, 11, 25, 4, 19, 56, 0]) + b"-\x05\x00")
    assert with_tz == datetime(2026, 11, 25, 4, 19, 56, tzinfo=timezone(-timedelta(hours=5)))
    assert parse_date_and_time(bytes(8)) is None
    assert parse_date_and_time(b"\x01\x02") is None
