"""Frozen value objects of the collector's core.

The core (identity, reconciliation, register importers, rules) works on these, never on protobuf
messages or database rows: collector/wire/codec.py converts at the gRPC edge and collector/store/ at the
database edge.
"""

from __future__ import annotations

import enum
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate, chain, pairwise
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import pyarrow as pa

_T = TypeVar("_T")


def _pickled_by_fields(cls: type[_T]) -> type[_T]:
    """Pickle a frozen dataclass as its class and field values, rebuilt by calling the class.

    Why: `serve --workers` sends every decoded report from a front-end to the writer process by
    pickle, and the default for slotted frozen dataclasses restores each object field by field
    through dataclasses.fields(): a third of the writer's unpickling time.
    """
    names = tuple(cls.__dataclass_fields__)  # type: ignore[attr-defined]

    def reduce(self: _T) -> tuple[type[_T], tuple[Any, ...]]:
        return cls, tuple([getattr(self, name) for name in names])

    cls.__reduce__ = reduce  # type: ignore[assignment,method-assign]
    return cls


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

@_pickled_by_fields
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


@dataclass(frozen=True, slots=True)
class InstalledItem:
    """One installed item as stored; (name, version, arch, pkg_source) is its identity on a subject.

    The ingest path does not build these (see SoftwareColumns); they are the per-item view for
    tests and for callers that want one object per install.
    """

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
class SoftwareColumns:
    """Software items of one report list as parallel columns, one Python tuple per field.

    Why columns: a snapshot carries thousands of items and the store writes them as Arrow
    columns; building one object per item and taking it apart again cost more than everything
    else on the ingest path. Row i is (name[i], version[i], ...). Strings are already bounded,
    stripped and (pkg_source) lower-cased by the codec; `installed_at` holds microseconds since
    the Unix epoch, None when the source does not record it. Identical duplicates (same name,
    version, arch, pkg_source) may remain: the store collapses them.
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

    def __reduce__(self) -> tuple[type[PackedColumns], tuple[Any, ...]]:
        """Pickled (front-end → writer, `serve --workers`) as PackedColumns: a few byte strings
        instead of one object per value, and the writer builds Arrow columns from them directly."""
        text = (self.name, self.version, self.arch, self.pkg_source, self.vendor, self.source_package, self.purl)
        data, lengths = [], []
        for column in text:
            joined = "".join(column)
            data.append(joined.encode())
            sizes = map(len, column) if joined.isascii() else (len(v.encode()) for v in column)
            lengths.append(array("I", sizes).tobytes())
        return PackedColumns, (len(self.name), tuple(data), tuple(lengths), self.installed_at)

    def rows(self) -> list[InstalledItem]:
        """The items one object per row (tests, debugging; not the hot path)."""
        return [
            InstalledItem(name=n, version=v, arch=a, pkg_source=s, vendor=vd, source_package=sp, purl=pu,
                          installed_at=None if t is None else _EPOCH + timedelta(microseconds=t))
            for n, v, a, s, vd, sp, pu, t in zip(self.name, self.version, self.arch, self.pkg_source, self.vendor,
                                                 self.source_package, self.purl, self.installed_at, strict=True)
        ]

    @classmethod
    def concat(cls, parts: Sequence[SoftwareColumns]) -> SoftwareColumns:
        """Several lists as one, rows in order (one C-level chain per column)."""
        if len(parts) == 1:
            return parts[0]

        def joined(name: str) -> tuple[Any, ...]:
            return tuple(chain.from_iterable(getattr(p, name) for p in parts))

        return cls(name=joined("name"), version=joined("version"), arch=joined("arch"),
                   pkg_source=joined("pkg_source"), vendor=joined("vendor"),
                   source_package=joined("source_package"), purl=joined("purl"),
                   installed_at=joined("installed_at"))

    @classmethod
    def from_items(cls, items: Iterable[InstalledItem]) -> SoftwareColumns:
        """Columns from per-item objects (tests and small callers)."""
        rows = list(items)
        return cls(
            name=tuple(i.name for i in rows), version=tuple(i.version for i in rows),
            arch=tuple(i.arch for i in rows), pkg_source=tuple(i.pkg_source for i in rows),
            vendor=tuple(i.vendor for i in rows), source_package=tuple(i.source_package for i in rows),
            purl=tuple(i.purl for i in rows),
            installed_at=tuple(None if i.installed_at is None else (i.installed_at - _EPOCH) // _MICROSECOND
                               for i in rows))


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class PackedColumns:
    """SoftwareColumns as they reach the writer process from a front-end (see SoftwareColumns.__reduce__).

    Per string field, in SoftwareColumns' order: the UTF-8 bytes of every row back to back, and
    each row's byte length as a native uint32. The values are the codec's (bounded, stripped,
    lower-cased pkg_source). The store concatenates a whole round's blocks into Arrow columns
    (collector/wire/packed.py, packed_to_arrow) without a Python object per value.
    """

    count: int
    data: tuple[bytes, ...]
    lengths: tuple[bytes, ...]
    installed_at: tuple[int | None, ...]

    def __len__(self) -> int:
        return self.count

    def columns(self) -> SoftwareColumns:
        """Back to tuple columns (tests, debugging; not the hot path)."""
        text = []
        for data, lengths in zip(self.data, self.lengths, strict=True):
            ends = list(accumulate(array("I", lengths), initial=0))
            text.append(tuple(data[a:b].decode() for a, b in pairwise(ends)))
        name, version, arch, pkg_source, vendor, source_package, purl = text
        return SoftwareColumns(name=name, version=version, arch=arch, pkg_source=pkg_source, vendor=vendor,
                               source_package=source_package, purl=purl, installed_at=self.installed_at)

    def rows(self) -> list[InstalledItem]:
        """The items one object per row (tests, debugging; not the hot path)."""
        return self.columns().rows()


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
NO_SOFTWARE = SoftwareColumns()


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class ArrowSoftware:
    """Software items of one report list as one Arrow table (from a PackedSoftware block).

    Same content and guarantees as SoftwareColumns (bounded, stripped, lower-cased pkg_source,
    duplicates left for the store), but the columns never became Python objects: the codec built
    them from the packed bytes and the store hands them to DuckDB as they are. Columns, in order:
    name, version, arch, pkg_source, vendor, source_package, purl (string) and installed_at
    (timestamp[us, UTC], null where not recorded) — collector.wire.packed.SOFTWARE_SCHEMA.
    """

    table: pa.Table

    def __len__(self) -> int:
        return int(self.table.num_rows)

    def rows(self) -> list[InstalledItem]:
        """The items one object per row (tests, debugging; not the hot path)."""
        return [InstalledItem(name=r["name"], version=r["version"], arch=r["arch"], pkg_source=r["pkg_source"],
                              vendor=r["vendor"], source_package=r["source_package"], purl=r["purl"],
                              installed_at=r["installed_at"])
                for r in self.table.to_pylist()]


SoftwareList = SoftwareColumns | ArrowSoftware | PackedColumns


@_pickled_by_fields
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
    items: SoftwareList = NO_SOFTWARE
    removed: SoftwareList = NO_SOFTWARE
    changed: SoftwareList = NO_SOFTWARE
    is_delta: bool = False
    checksum: str = ""
    base_report_id: str = ""

    @property
    def row_count(self) -> int:
        """Software rows this update carries."""
        return len(self.items) + len(self.changed) + len(self.removed)


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class CollectorRun:
    """Completeness of one agent collector in one report."""

    subject: str
    name: str
    state: str
    duration_ms: int = 0
    items: int = 0
    reason: str = ""


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class ScanRun:
    """A sweep (or batch of one) that ran: coverage for ghost detection."""

    scan_id: str
    targets: tuple[str, ...]
    methods: tuple[str, ...]
    started_at: datetime | None
    finished_at: datetime
    complete: bool


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class TargetOutcome:
    """Per-target outcome of a sweep."""

    scan_id: str
    target: str
    method: str
    ok: bool
    reason: str = ""
    duration_ms: int = 0


@_pickled_by_fields
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
