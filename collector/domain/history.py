"""One asset's whole story (`netcensus asset REF`) and what changed in a window (`netcensus changes`).

Frozen values, one shape each (STYLE habit 13): built by collector/inventory/detail.py and
collector/inventory/changes.py from one refresh and what the store kept, printed by
collector/pages.py. Both are documents rather than row streams, so their JSON form (the fields
below, in this order) is what `--format json` prints and what the Query service sends, whether the
answer came from a DuckDB file (`--db`) or a running collector (`--collector`).

Finding kinds are plain strings: any kind a finding row carries (posture, vulnerable-software, ...)
shows here without a change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from collector.domain.decisions import Decision, DuplicateRow, MemberRow
from collector.domain.findings import AssetRow


@dataclass(frozen=True, slots=True)
class RecordView:
    """The register record an asset matched, as the register says it."""

    register: str
    record_key: str
    filename: str
    line: int
    asset_tag: str | None
    name: str | None
    status: str | None
    status_class: str
    assigned_to: str | None
    imported_at: datetime | None
    matched_by: str | None          # the key that matched it: serial, mac, hostname, ...


@dataclass(frozen=True, slots=True)
class FieldComparison:
    """One field of the register record beside what was observed."""

    field: str                      # hostname, serial, mac, ip, model
    recorded: str | None
    observed: str | None
    state: str                      # 'same' | 'differs' | 'recorded only' | 'observed only'


@dataclass(frozen=True, slots=True)
class IdentifierSeen:
    """An identifier the asset carried, as one source saw it: first and last time, how often."""

    kind: str                       # hostname, fqdn, serial, uuid, mac, local-mac, ip
    value: str
    source: str
    method: str
    first_seen: datetime | None
    last_seen: datetime | None
    sightings: int


@dataclass(frozen=True, slots=True)
class FindingBrief:
    """An open finding on the asset."""

    finding_id: str
    kind: str
    severity: str
    summary: str
    rule_id: str | None
    software_name: str | None
    software_version: str | None
    first_seen: datetime | None     # software findings: when the install was first seen
    opened_at: datetime | None
    suppressed: bool
    suppression: str | None


@dataclass(frozen=True, slots=True)
class InstalledSoftware:
    """A package installed now, with its dates and the ids of the open findings on it."""

    name: str
    version: str
    arch: str
    source: str
    vendor: str | None
    installed_at: datetime | None   # from the package database, when it records one
    first_seen: datetime | None     # when netcensus first saw this version installed
    last_seen: datetime | None      # the last complete collection of its source
    findings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FindingEvent:
    """One step of a finding's life: opened, reopened, resolved, suppressed or unsuppressed."""

    at: datetime | None
    event: str
    finding_id: str
    kind: str
    severity: str
    summary: str | None
    detail: str | None              # the suppression, for (un)suppressed events


@dataclass(frozen=True, slots=True)
class AssetDetail:
    """Everything about one asset (`netcensus asset REF`)."""

    asset: AssetRow
    subjects: tuple[MemberRow, ...]             # what makes it, and the key that joined each
    record: RecordView | None
    comparison: tuple[FieldComparison, ...]     # register beside observation, field by field
    identifiers: tuple[IdentifierSeen, ...]
    software: tuple[InstalledSoftware, ...]
    findings: tuple[FindingBrief, ...]
    timeline: tuple[FindingEvent, ...]
    decisions: tuple[Decision, ...]
    duplicates: tuple[DuplicateRow, ...]


@dataclass(frozen=True, slots=True)
class AssetChange:
    """An asset that appeared, disappeared, came back or changed identity inside the window."""

    change: str                     # 'appeared' | 'disappeared' | 'came back' | 'identity'
    asset_id: str
    hostname: str | None
    ip: str | None
    mac: str | None
    at: datetime | None             # when it was first seen, found gone, seen again, or the new value seen
    last_seen: datetime | None      # its last sighting (before the window, for disappeared and came back)
    detail: str                     # one sentence: why, with the evidence


@dataclass(frozen=True, slots=True)
class SoftwareChange:
    """A package installed, removed or moved to another version on one asset inside the window."""

    change: str                     # 'installed' | 'removed' | 'upgraded' | 'downgraded' | 'changed'
    asset_id: str | None
    hostname: str | None
    name: str
    arch: str
    source: str
    from_version: str | None
    to_version: str | None
    at: datetime | None
    installed_at: datetime | None   # the package database's install date of the new version


@dataclass(frozen=True, slots=True)
class SoftwareCounts:
    """Software changes of one asset (or of all, asset_id None)."""

    asset_id: str | None
    hostname: str | None
    installed: int
    removed: int
    upgraded: int
    downgraded: int
    changed: int
    first_inventory: int            # packages of a source reported for the first time (not "installed")


@dataclass(frozen=True, slots=True)
class FindingChange:
    """A finding event inside the window."""

    at: datetime | None
    event: str                      # opened, reopened, resolved, suppressed, unsuppressed
    finding_id: str
    kind: str
    severity: str
    asset_id: str | None
    hostname: str | None
    ip: str | None
    software_name: str | None
    summary: str | None
    suppression: str | None


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed between `since` and `until` (`netcensus changes --since`)."""

    since: datetime
    until: datetime
    assets: tuple[AssetChange, ...]
    software: tuple[SoftwareChange, ...]
    software_per_asset: tuple[SoftwareCounts, ...]
    software_totals: SoftwareCounts
    findings: tuple[FindingChange, ...]
