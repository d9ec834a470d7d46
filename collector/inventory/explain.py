"""`netcensus assets explain REF`: which subjects make an asset, which key joined each, what was seen
and when, the register record it matched and by which key, and the decisions and possible
duplicates that concern it (pure; built from one refresh's Snapshot, the same for --db and gRPC).
"""

from __future__ import annotations

from datetime import datetime

from collector.domain.decisions import Explanation, MemberRow
from collector.inventory.refresh import Snapshot, asset_row
from collector.inventory.refs import one_asset

MAX_SEEN = 5  # evidence lines per subject: the newest few say enough


def explain(ref: str, snapshot: Snapshot) -> Explanation:
    """The explanation of the one asset `ref` names (UsageError when it names none or several)."""
    a = one_asset(ref, snapshot)
    facts = {f.subject: f for f in snapshot.facts if f.subject in a.matched_by}
    members = []
    for subject in a.members:
        f = facts.get(subject)
        members.append(MemberRow(
            subject=subject, key=a.matched_by.get(subject, "anchor"),
            first_seen=f.first_seen if f else None, last_seen=f.last_seen if f else None,
            sources=f.sources if f else (),
            seen=tuple(f"{_t(at)} {source} {method}: {detail}" for source, method, at, detail in
                       (f.evidence[:MAX_SEEN] if f else ()))))
    r = snapshot.records.get(a.asset_id)
    record = None
    if r is not None:
        record = (f"{r.asset_tag or r.name or r.record_key} (register {r.register}, {r.filename} line {r.line}, "
                  f"status {r.status or r.status_class})")
    members_set = set(a.members)
    decisions = tuple(d for d in snapshot.decisions
                      if a.asset_id in d.asset_ids or d.subject in members_set or members_set.intersection(d.others))
    duplicates = tuple(d for d in snapshot.duplicates if a.asset_id in (d.asset_id, d.other_asset_id))
    return Explanation(asset=asset_row(a, r), members=tuple(members), record=record,
                       record_key=snapshot.keys.get(a.asset_id), decisions=decisions, duplicates=duplicates)


def _t(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"
