"""Findings and assets <-> netcensus.v1 Query messages (pure; the Query service and its client).

The rows are the same values on both sides (collector.domain.findings), so `findings --collector`
prints what `findings --db` prints. What the wire does not carry comes back as None: a finding's
`register` and `record_key`. Empty strings on the wire are unset optional fields (None).
"""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from netcensus.v1 import query_pb2

from collector.domain.findings import AssetRow, Evidence, FindingRow
from collector.wire.codec import to_datetime

_FINDING_TEXT = ("finding_id", "kind", "severity", "asset_id", "hostname", "ip", "mac", "serial", "asset_tag",
                 "status", "rule_id", "software_name", "software_version", "summary", "suppression", "status_class",
                 "register", "record_key")
_FINDING_TIMES = ("first_seen", "last_seen", "opened_at", "resolved_at")
_ASSET_TEXT = ("asset_id", "vendor", "serial", "model", "device_type", "os", "asset_tag", "status", "matched_by",
               "system_uuid", "random_mac", "firmware")
_ASSET_LISTS = ("hostnames", "ips", "macs", "sources")


def _set_time(ts: Timestamp, value: datetime | None) -> None:
    if value is not None:
        ts.FromDatetime(value.astimezone(UTC))


def _time(msg: query_pb2.Finding | query_pb2.Asset, name: str) -> datetime | None:
    return to_datetime(getattr(msg, name)) if msg.HasField(name) else None  # type: ignore[arg-type]


def finding_to_proto(row: FindingRow) -> query_pb2.Finding:
    """A finding → netcensus.v1.Finding."""
    msg = query_pb2.Finding(suppressed=row.suppressed)
    for name in _FINDING_TEXT:
        value = getattr(row, name)
        if value is not None:
            setattr(msg, name, value)
    for name in _FINDING_TIMES:
        _set_time(getattr(msg, name), getattr(row, name))
    for ev in row.evidence:
        _set_time(msg.evidence.add(source=ev.source, method=ev.method, detail=ev.detail).seen_at, ev.seen_at)
    return msg


def finding_from_proto(msg: query_pb2.Finding) -> FindingRow:
    """netcensus.v1.Finding → a finding, as `--db` would have produced it."""
    return FindingRow(
        finding_id=msg.finding_id, kind=msg.kind, severity=msg.severity, asset_id=msg.asset_id or None,
        hostname=msg.hostname or None, ip=msg.ip or None, mac=msg.mac or None, serial=msg.serial or None,
        asset_tag=msg.asset_tag or None, status=msg.status or None, status_class=msg.status_class or None,
        rule_id=msg.rule_id or None, software_name=msg.software_name or None,
        software_version=msg.software_version or None, first_seen=_time(msg, "first_seen"),
        last_seen=_time(msg, "last_seen"),
        evidence=tuple(Evidence(source=e.source, method=e.method,
                                seen_at=to_datetime(e.seen_at) if e.HasField("seen_at") else None, detail=e.detail)
                       for e in msg.evidence),
        summary=msg.summary, suppressed=msg.suppressed, suppression=msg.suppression or None,
        register=msg.register or None, record_key=msg.record_key or None, opened_at=_time(msg, "opened_at"),
        resolved_at=_time(msg, "resolved_at"),
    )


def asset_to_proto(row: AssetRow) -> query_pb2.Asset:
    """An asset → netcensus.v1.Asset."""
    msg = query_pb2.Asset()
    for name in _ASSET_TEXT:
        value = getattr(row, name)
        if value is not None:
            setattr(msg, name, value)
    for name in _ASSET_LISTS:
        getattr(msg, name).extend(getattr(row, name))
    _set_time(msg.first_seen, row.first_seen)
    _set_time(msg.last_seen, row.last_seen)
    return msg


def asset_from_proto(msg: query_pb2.Asset) -> AssetRow:
    """netcensus.v1.Asset → an asset, as `--db` would have produced it."""
    return AssetRow(
        asset_id=msg.asset_id, hostnames=tuple(msg.hostnames), ips=tuple(msg.ips), macs=tuple(msg.macs),
        vendor=msg.vendor or None, serial=msg.serial or None, model=msg.model or None,
        device_type=msg.device_type or None, os=msg.os or None, first_seen=_time(msg, "first_seen"),
        last_seen=_time(msg, "last_seen"), sources=tuple(msg.sources), asset_tag=msg.asset_tag or None,
        status=msg.status or None, matched_by=msg.matched_by or None, system_uuid=msg.system_uuid or None,
        random_mac=msg.random_mac or None,
        firmware=msg.firmware or None,
    )
