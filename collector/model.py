"""Frozen value objects of the collector's core.

The core (identity, reconciliation, register importers, rules) works on these, never on protobuf
messages or database rows: collector/codec.py converts at the gRPC edge and collector/store/ at the
database edge.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime


class StatusClass(enum.Enum):
    """What a recorded status says about whether the asset should be on the network (DESIGN.md)."""

    IN_USE = "in-use"        # unseen -> ghost; seen -> matched
    IN_STOCK = "in-stock"    # in stock / pending / in repair: unseen fine; seen -> mismatch (medium)
    RETIRED = "retired"      # archived, broken, decommissioning: seen -> zombie (high)
    LOST = "lost"            # lost / stolen: seen -> zombie (critical)


@dataclass(frozen=True, slots=True)
class RecordedAsset:
    """One row of the asset register, normalised.

    Identifiers are normalised on the way in (serial upper-case and stripped, MACs lower-case
    colon-separated, hostname lower-case short name) so that matching is plain equality.
    `line` is the 1-based line of the source file the row started on, for error messages and
    evidence.
    """

    record_key: str                 # stable key within the register: asset tag, else serial, else name
    line: int
    asset_tag: str = ""
    name: str = ""
    serial: str = ""
    hostname: str = ""
    macs: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()
    model: str = ""
    manufacturer: str = ""
    category: str = ""
    status: str = ""                # the label exactly as in the register
    status_class: StatusClass = StatusClass.IN_USE
    assigned_to: str = ""
    location: str = ""
    purchase_date: date | None = None
    extra: dict[str, str] = field(default_factory=dict)


# --- what a stored report contributes (built by collector/codec.py, written by the store) ---

@dataclass(frozen=True, slots=True)
class Sighting:
    """One observed entity in one report. `subject` names it across reports (see schema 001)."""

    subject: str
    method: str
    seen_at: datetime
    hostname: str = ""
    fqdn: str = ""
    ips: tuple[str, ...] = ()
    macs: tuple[str, ...] = ()
    local_macs: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    serial: str = ""
    system_uuid: str = ""
    vendor: str = ""
    model: str = ""
    device_type: str = ""
    os: str = ""
    os_family: str = ""
    seen_via_ip: str = ""
    seen_via_name: str = ""
    seen_via_port: str = ""
    vlan: int = 0
    detail: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class InstalledItem:
    """One installed item as stored; (name, version, arch, pkg_source) is its identity on a subject."""

    name: str
    version: str
    arch: str
    pkg_source: str
    vendor: str = ""
    source_package: str = ""
    purl: str = ""
    installed_at: datetime | None = None

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Identity of the install on its subject."""
        return (self.name, self.version, self.arch, self.pkg_source)


@dataclass(frozen=True, slots=True)
class InventoryUpdate:
    """Software of one subject from one report.

    `complete_sources` are the package sources whose collector ran to completion: only they may
    close (mark removed) stored rows. A snapshot carries every item in `items`; a delta carries
    `items` as added/changed and `removed` as removed.
    """

    subject: str
    seen_at: datetime
    complete_sources: frozenset[str]
    items: tuple[InstalledItem, ...] = ()
    removed: tuple[InstalledItem, ...] = ()
    is_delta: bool = False
    checksum: str = ""
    base_report_id: str = ""


@dataclass(frozen=True, slots=True)
class CollectorRun:
    """Completeness of one agent collector in one report."""

    subject: str
    name: str
    state: str
    duration_ms: int = 0
    items: int = 0
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ScanRun:
    """A sweep (or batch of one) that ran: coverage for ghost detection."""

    scan_id: str
    targets: tuple[str, ...]
    methods: tuple[str, ...]
    started_at: datetime | None
    finished_at: datetime
    complete: bool


@dataclass(frozen=True, slots=True)
class TargetOutcome:
    """Per-target outcome of a sweep."""

    scan_id: str
    target: str
    method: str
    ok: bool
    reason: str = ""
    duration_ms: int = 0


@dataclass(frozen=True, slots=True)
class IngestReport:
    """A decoded, validated report, ready to store in one transaction."""

    report_id: str
    source_id: str
    seq: int
    kind: str
    created_at: datetime | None
    sightings: tuple[Sighting, ...] = ()
    inventories: tuple[InventoryUpdate, ...] = ()
    collector_runs: tuple[CollectorRun, ...] = ()
    scan_runs: tuple[ScanRun, ...] = ()
    target_outcomes: tuple[TargetOutcome, ...] = ()

    @property
    def item_count(self) -> int:
        """Rows this report carries (for metrics and the reports ledger)."""
        return len(self.sightings) + sum(len(i.items) + len(i.removed) for i in self.inventories)
