"""Register import use-case: bytes → records (collector.register) → atomic replace in the store."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from collector.domain.model import RecordedAsset, StatusClass
from collector.errors import UsageError
from collector.register import RegisterMapping, parse_register
from collector.store.duckdb import RegisterCounts, Store


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What an import did."""

    import_id: str
    register: str
    counts: RegisterCounts


@dataclass(frozen=True, slots=True)
class ParsedRegister:
    """A register file read in full and checked, not yet stored."""

    records: Sequence[RecordedAsset]
    fmt: str
    filename: str
    sha256: str


def read_register(
    data: bytes,
    fmt: str,
    *,
    filename: str,
    mapping: RegisterMapping | None = None,
    status_map: Mapping[str, StatusClass] | None = None,
) -> ParsedRegister:
    """Parse the whole file (errors name file:line); nothing is stored yet, so a bad file touches no database."""
    records = parse_register(data, fmt, filename=filename, mapping=mapping, status_map=status_map)
    return ParsedRegister(records, fmt, filename, hashlib.sha256(data).hexdigest())


def save_register(store: Store, parsed: ParsedRegister, *, now: datetime, register: str | None = None) -> ImportOutcome:
    """Replace the register with the parsed records in one transaction.

    Re-importing identical content changes no row (counts come back as all unchanged).
    """
    name = register or parsed.fmt.strip().lower()
    import_id = str(uuid.uuid4())
    counts = store.replace_register(name, parsed.records, import_id=import_id, filename=parsed.filename,
                                    fmt=parsed.fmt, sha256=parsed.sha256, now=now)
    return ImportOutcome(import_id=import_id, register=name, counts=counts)


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
    """read_register, then save_register: the whole file is checked before anything is replaced."""
    parsed = read_register(data, fmt, filename=filename, mapping=mapping, status_map=status_map)
    return save_register(store, parsed, now=now, register=register)


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
