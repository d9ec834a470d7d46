"""Possible duplicates, manual merge/split decisions and asset explanations, as the query side hands them out.

One shape each (STYLE habit 13), used by the CLI whether the rows came from a DuckDB file (`--db`) or
over gRPC (`--collector`), and by the wire conversions (collector/wire/decisions.py). Field order is
the key order of `--format json`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from collector.domain.findings import AssetRow

MERGE = "merge"
SPLIT = "split"
APART = "apart"     # two assets are two devices: kept apart like a split, and never a possible duplicate
ACTIONS = (MERGE, SPLIT, APART)


@dataclass(frozen=True, slots=True)
class Decision:
    """A person's merge or split, as stored and as listed (`state` is filled in by a refresh).

    Attributes:
        decision_id: its number (`netcensus assets undo ID`).
        action: 'merge' | 'split' | 'apart'.
        subject: merge and apart: a subject of the first asset; split: the subject taken out of its asset.
        others: merge: a subject of the second asset; split: the other subjects of the asset then;
            apart: the subjects of the second asset then.
        asset_ids: the asset ids the person named, as they were then.
        reason / decided_by / decided_at: why, who (token name or 'local:<account>'), when.
        undone_by / undone_at: who undid it and when; None while it stands.
        state: 'applied', 'already joined by keys', 'blocked by split N' (or apart N), 'stale: ...' (a subject gone),
            'undone'; '' until a refresh says.
    """

    decision_id: int
    action: str
    subject: str
    others: tuple[str, ...]
    asset_ids: tuple[str, ...]
    reason: str
    decided_by: str
    decided_at: datetime | None
    undone_by: str | None = None
    undone_at: datetime | None = None
    state: str = ""


@dataclass(frozen=True, slots=True)
class DuplicateRow:
    """Two assets (or two register records of one asset) that may be one device, and why.

    `signals` names each strong signal they share ('serial', 'uuid', 'hostname', 'record' — one
    register record matched both —, 'records' — several records matched one asset); `why` says it in
    one sentence with the values. `other_asset_id` is None for 'records' (the records are the pair).
    """

    finding_id: str
    asset_id: str
    other_asset_id: str | None
    signals: tuple[str, ...]
    why: str
    hostname: str | None
    other_hostname: str | None
    records: tuple[str, ...]
    first_seen: datetime | None
    last_seen: datetime | None


@dataclass(frozen=True, slots=True)
class MemberRow:
    """One subject of an asset: which key joined it, when it was seen, by whom and what was seen."""

    subject: str
    key: str                     # anchor, serial, uuid, mac, hostname, ip-at-time, manual, ...
    first_seen: datetime | None
    last_seen: datetime | None
    sources: tuple[str, ...]     # '<source_id>:<method>'
    seen: tuple[str, ...]        # evidence lines, newest first


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why an asset is what it is: its subjects and keys, its register match, the decisions on it."""

    asset: AssetRow
    members: tuple[MemberRow, ...]
    record: str | None           # 'TAG (register snipeit, r.csv line 4, Deployed)'; None when unmatched
    record_key: str | None       # the key that matched the record: serial, mac, hostname
    decisions: tuple[Decision, ...]
    duplicates: tuple[DuplicateRow, ...]
