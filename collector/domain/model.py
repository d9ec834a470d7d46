"""Frozen value objects of the collector's core.

The core (identity, reconciliation, register importers, rules) works on these, never on protobuf
messages or database rows: collector/wire/codec.py converts at the gRPC edge and collector/store/ at the
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


# --- what a stored report contributes (built by collector/wire/codec.py, written by the store) ---

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
    detail: str = ""  # JSON object: everything else the report said (cpu, disks, snmp, ports); "" if nothing
    # The MAC the scanner bound this observation's address to in the same sweep (L2 binding), "" if none.
    bound_mac: str = ""
    firmware: str = ""  # OS or firmware version: a device's firmware (SNMP), an agent's OS version


@dataclass(frozen=True, slots=True)
class SoftwareColumns:
    """The software items of one report list, as parallel columns: one tuple per field.

    The one in-memory form of a software list. Row i is (name[i], version[i], ...);
    (name, version, arch, pkg_source) is an install's identity on its subject. Why columns and not
    one object per item: a snapshot carries thousands of items, the codec checks them a column at a
    time and the store hands each column to Arrow whole. Strings are already bounded, stripped and
    (pkg_source) lower-cased by the codec; `installed_at` holds microseconds since the Unix epoch,
    None when the source does not record it. Identical duplicates may remain: the store collapses
    them.
    """

    name: tuple[str, ...] = ()
    version: tuple[str, ...] = ()
    arch: tuple[str, ...] = ()
    pkg_source: tuple[str, ...] = ()
    vendor: tuple[str, ...] = ()
    source_package: tuple[str, ...] = ()
    purl: tuple[str, ...] = ()
    installed_at: tuple[int | None, ...] = ()

    def __len__(self) -> int:
        return len(self.name)


NO_SOFTWARE = SoftwareColumns()


@dataclass(frozen=True, slots=True)
class InventoryUpdate:
    """Software of one subject from one report.

    `complete_sources` are the package sources whose collector ran to completion: only they may
    close (mark removed) stored rows. A snapshot carries every item in `items`. A delta carries
    `items` as added, `changed` as items whose version changed (new version) and `removed` as
    removed (name, arch and pkg_source identify them; the version is ignored), on top of the host
    report `base_report_id`; `checksum` is the sender's checksum of the complete list after it.
    """

    subject: str
    seen_at: datetime
    complete_sources: frozenset[str]
    items: SoftwareColumns = NO_SOFTWARE
    removed: SoftwareColumns = NO_SOFTWARE
    changed: SoftwareColumns = NO_SOFTWARE
    is_delta: bool = False
    checksum: str = ""
    base_report_id: str = ""

    @property
    def row_count(self) -> int:
        """Software rows this update carries."""
        return len(self.items) + len(self.changed) + len(self.removed)


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
class SenderState:
    """What a source said of its own spool and its last failure when it sent a report (Report.sender_state).

    Times are the source's clock except `received_at`. `last_error` is one line, bounded on decoding.
    """

    queued_reports: int
    queued_bytes: int
    oldest_queued_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    sent_at: datetime | None


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
    sender: SenderState | None = None  # unset by senders older than Report.sender_state

    @property
    def item_count(self) -> int:
        """Rows this report carries (for metrics and the reports ledger)."""
        return len(self.sightings) + sum(i.row_count for i in self.inventories)

    @property
    def host_inventory(self) -> InventoryUpdate | None:
        """The agent host's own software update of a host_snapshot or host_delta report."""
        if self.kind in ("host_snapshot", "host_delta") and self.inventories:
            return self.inventories[0]
        return None


@dataclass(frozen=True, slots=True)
class StoreResult:
    """What the store did with one batch, per report_id.

    `stored` were written now; `duplicates` were already stored, or repeated within the batch (a
    report_id both stored and repeated is in both sets: its first copy was stored). `rejected`
    maps report ids that were not stored to the reason (a delta on an unknown base).
    `need_full_snapshot` names reports whose ack must ask the sender for a full HostSnapshot:
    every rejected delta, and stored deltas whose checksum did not match the collector's rows.
    """

    stored: frozenset[str] = frozenset()
    duplicates: frozenset[str] = frozenset()
    rejected: dict[str, str] = field(default_factory=dict)
    need_full_snapshot: frozenset[str] = frozenset()
