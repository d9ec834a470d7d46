"""Frozen value objects of the collector's core.

The core (identity, reconciliation, register importers, rules) works on these, never on protobuf
messages or database rows: collector/codec.py converts at the gRPC edge and collector/store/ at the
database edge.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date


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
