"""Register import use-case: bytes → records (collector.register) → atomic replace in the store."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from collector.domain.model import StatusClass
from collector.errors import UsageError
from collector.register import RegisterMapping, parse_register
from collector.store.duckdb import RegisterCounts, Store


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What an import did."""

    import_id: str
    register: str
    counts: RegisterCounts


def import_register(
    store: Store,
    data: bytes,
    fmt: str,
    *,
    filename: str,
    now: datetime,
    mapping: RegisterMapping | None = None,
    status_map: Mapping[str, StatusClass] | None = None,
    register: str | None = None,
) -> ImportOutcome:
    """Parse the whole file first (errors name file:line), then replace the register in one transaction.

    Re-importing identical content changes no row (counts come back as all unchanged).
    """
    records = parse_register(data, fmt, filename=filename, mapping=mapping, status_map=status_map)
    name = register or fmt.strip().lower()
    import_id = str(uuid.uuid4())
    counts = store.replace_register(
        name, records, import_id=import_id, filename=filename, fmt=fmt, sha256=hashlib.sha256(data).hexdigest(),
        now=now)
    return ImportOutcome(import_id=import_id, register=name, counts=counts)


def parse_status_map(pairs: Sequence[str]) -> dict[str, StatusClass]:
    """'LABEL=class' strings (class: in-use, in-stock, retired, lost) → mapping; UsageError names a bad one."""
    out: dict[str, StatusClass] = {}
    classes = {c.value: c for c in StatusClass}
    for pair in pairs:
        label, sep, cls = pair.rpartition("=")
        if not sep or not label.strip() or cls.strip().lower() not in classes:
            raise UsageError(f"--status-map {pair!r}: use LABEL=CLASS with CLASS one of {', '.join(classes)}")
        out[label.strip()] = classes[cls.strip().lower()]
    return out
