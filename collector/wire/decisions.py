"""Possible duplicates, manual decisions and explanations <-> netcensus.v1 messages (pure).

The values are collector.domain.decisions on both sides, so `assets --duplicates|explain|decisions
--collector` print what the `--db` forms print. Empty strings on the wire are None where the value
may be missing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from netcensus.v1 import query_pb2

from collector.domain.decisions import Decision, DuplicateRow, Explanation, MemberRow
from collector.wire.codec import to_datetime
from collector.wire.query import asset_from_proto, asset_to_proto


def _set(ts: Timestamp, value: datetime | None) -> None:
    if value is not None:
        ts.FromDatetime(value.astimezone(UTC))


def _get(msg: object, name: str) -> datetime | None:
    return to_datetime(getattr(msg, name)) if msg.HasField(name) else None  # type: ignore[attr-defined]


def duplicate_to_proto(row: DuplicateRow) -> query_pb2.PossibleDuplicate:
    """A possible duplicate → netcensus.v1.PossibleDuplicate."""
    msg = query_pb2.PossibleDuplicate(
        finding_id=row.finding_id, asset_id=row.asset_id, other_asset_id=row.other_asset_id or "",
        signals=row.signals, why=row.why, hostname=row.hostname or "", other_hostname=row.other_hostname or "",
        records=row.records)
    _set(msg.first_seen, row.first_seen)
    _set(msg.last_seen, row.last_seen)
    return msg


def duplicate_from_proto(msg: query_pb2.PossibleDuplicate) -> DuplicateRow:
    """netcensus.v1.PossibleDuplicate → a possible duplicate."""
    return DuplicateRow(
        finding_id=msg.finding_id, asset_id=msg.asset_id, other_asset_id=msg.other_asset_id or None,
        signals=tuple(msg.signals), why=msg.why, hostname=msg.hostname or None,
        other_hostname=msg.other_hostname or None, records=tuple(msg.records),
        first_seen=_get(msg, "first_seen"), last_seen=_get(msg, "last_seen"))


def decision_to_proto(d: Decision) -> query_pb2.Decision:
    """A manual decision → netcensus.v1.Decision."""
    msg = query_pb2.Decision(
        decision_id=d.decision_id, action=d.action, subject=d.subject, others=d.others, asset_ids=d.asset_ids,
        reason=d.reason, decided_by=d.decided_by, undone_by=d.undone_by or "", state=d.state)
    _set(msg.decided_at, d.decided_at)
    _set(msg.undone_at, d.undone_at)
    return msg


def decision_from_proto(msg: query_pb2.Decision) -> Decision:
    """netcensus.v1.Decision → a manual decision."""
    return Decision(
        decision_id=msg.decision_id, action=msg.action, subject=msg.subject, others=tuple(msg.others),
        asset_ids=tuple(msg.asset_ids), reason=msg.reason, decided_by=msg.decided_by,
        decided_at=_get(msg, "decided_at"), undone_by=msg.undone_by or None, undone_at=_get(msg, "undone_at"),
        state=msg.state)


def explanation_to_proto(e: Explanation) -> query_pb2.Explanation:
    """An explanation → netcensus.v1.Explanation."""
    msg = query_pb2.Explanation(
        asset=asset_to_proto(e.asset), record=e.record or "", record_key=e.record_key or "",
        decisions=[decision_to_proto(d) for d in e.decisions],
        duplicates=[duplicate_to_proto(d) for d in e.duplicates])
    for m in e.members:
        sub = msg.subjects.add(subject=m.subject, key=m.key, sources=m.sources, seen=m.seen)
        _set(sub.first_seen, m.first_seen)
        _set(sub.last_seen, m.last_seen)
    return msg


def explanation_from_proto(msg: query_pb2.Explanation) -> Explanation:
    """netcensus.v1.Explanation → an explanation."""
    return Explanation(
        asset=asset_from_proto(msg.asset),
        members=tuple(MemberRow(subject=m.subject, key=m.key, first_seen=_get(m, "first_seen"),
                                last_seen=_get(m, "last_seen"), sources=tuple(m.sources), seen=tuple(m.seen))
                      for m in msg.subjects),
        record=msg.record or None, record_key=msg.record_key or None,
        decisions=tuple(decision_from_proto(d) for d in msg.decisions),
        duplicates=tuple(duplicate_from_proto(d) for d in msg.duplicates))
