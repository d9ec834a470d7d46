"""What all register importers share: header matching, value normalisation, the row driver.

A format module (snipeit, netbox, generic) only says which header texts mean which field and how a
status label becomes a `StatusClass`; everything else — MAC/IP/date parsing, record keys, duplicate
detection, error collection with line numbers, all-or-nothing — happens here once.

Identifiers go through `collector.domain.identifiers` so that the recorded side is normalised exactly like
the observed side: matching is then plain equality.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from collector.domain import identifiers
from collector.domain.model import RecordedAsset, StatusClass
from collector.errors import RegisterError, UnmappedStatusError
from collector.register._table import Table, quote

__all__ = [
    "CLASS_NAMES",
    "FIELDS",
    "ColumnSpec",
    "RowContext",
    "RowError",
    "StatusResolver",
    "build_records",
    "class_from_name",
    "header_key",
    "match_columns",
    "parse_date",
    "status_key",
    "unmapped_hint",
]

# The RecordedAsset fields a register column can feed. "mac" and "ip" collect every matching column.
FIELDS = (
    "asset_tag", "name", "serial", "hostname", "mac", "ip", "model", "manufacturer", "category",
    "status", "assigned_to", "location", "purchase_date",
)
CLASS_NAMES = {c.value: c for c in StatusClass}

# Cell contents that mean "nothing here" in hand-kept registers. Serials have their own, longer list
# in collector.domain.identifiers.
_EMPTY_MARKERS = frozenset({"", "-", "--", "n/a", "na", "none", "null", "unknown", "tbd", "?"})
_SPLIT_LIST = re.compile(r"[\s,;|]+")
_MAC_COLON = re.compile(r"[0-9a-f]{1,2}([:-])[0-9a-f]{1,2}(?:\1[0-9a-f]{1,2}){4}")
_MAC_DOTTED = re.compile(r"[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}")
_MAC_BARE = re.compile(r"[0-9a-f]{12}")
_HOST_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp][Mm])?(?:Z|[+-]\d{2}:?\d{2})?)?"
_ISO_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})" + _TIME)
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})" + _TIME)


class RowError(ValueError):
    """A bad value in one row; the driver adds FILE:LINE in front of the message."""


def header_key(text: str) -> str:
    """Case-, space- and punctuation-insensitive form of a header ("Model No." -> "modelno")."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def status_key(text: str) -> str:
    """Case- and whitespace-insensitive form of a status label ("Lost / Stolen" -> "lost/stolen")."""
    return "".join(text.casefold().split())


def class_from_name(text: str) -> StatusClass | None:
    """Our own class names, forgiving about case, '_' and spaces ("IN_USE", "in use" -> IN_USE)."""
    key = "-".join(text.strip().casefold().replace("_", " ").replace("-", " ").split())
    return CLASS_NAMES.get(key)


def unmapped_hint(label: str) -> str:
    """The "how to map it" half of every unmapped-status message."""
    return (f'add it to status_map in the mapping file or pass --status-map '
            f'"{label}=in-use|in-stock|retired|lost"')


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """Which header texts feed one field.

    Attributes:
        field: a name from FIELDS, "extra:KEY" (kept in RecordedAsset.extra under KEY), or a
            format-specific pseudo-field the format's status resolver reads (e.g. "checkout").
        aliases: header texts, compared with `header_key`. Every matching column feeds the field, in
            alias order: "mac" and "ip" combine them all, other fields take the first non-empty
            cell — so an API export whose "location" is null in one row and an object
            ("location.name") in the next still finds the name.
    """

    field: str
    aliases: tuple[str, ...]


def match_columns(header: Sequence[str], specs: Iterable[ColumnSpec],
                  key: Callable[[str], str] = header_key) -> dict[str, list[int]]:
    """Map each spec's field to the header indices it matched, in alias order.

    A column is claimed by the first spec that matches it, so "Location" cannot feed two fields.
    """
    keyed: dict[str, list[int]] = {}
    for index, text in enumerate(header):
        keyed.setdefault(key(text), []).append(index)
    claimed: set[int] = set()
    result: dict[str, list[int]] = {}
    for spec in specs:
        found: list[int] = []
        for alias in spec.aliases:
            for index in keyed.get(header_key(alias), []):
                if index not in claimed:
                    found.append(index)
                    claimed.add(index)
        if found:
            result.setdefault(spec.field, []).extend(found)
    return result


def parse_date(text: str) -> date | None:
    """Parse the dates registers hold: ISO (optionally with a time), M/D/YYYY and Excel's M/D/YY.

    Day-first dates are not guessed: 25/12/2021 is refused rather than read as 25 December, because
    05/04/2021 would then silently mean two different days depending on the row.
    Two-digit years follow POSIX strptime %y: 69-99 -> 1969-1999, 00-68 -> 2000-2068.

    Raises:
        RowError: not a date in one of those forms, or not a real day.
    """
    value = text.strip()
    if value.casefold() in _EMPTY_MARKERS:
        return None
    try:
        if m := _ISO_DATE.fullmatch(value):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _US_DATE.fullmatch(value):
            year = int(m[3])
            if len(m[3]) == 2:
                year += 1900 if year >= 69 else 2000
            return date(year, int(m[1]), int(m[2]))
    except ValueError:
        pass
    raise RowError(f"bad date {quote(value)} (use YYYY-MM-DD, or M/D/YYYY as Excel writes it)")


def parse_macs(text: str) -> list[str]:
    """Every MAC in a cell, normalised to lower-case colon form.

    Accepts aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff (Windows), aabb.ccdd.eeff (Cisco), aabbccddeeff,
    and single-digit octets (0:1b:21:a:0:1, as macOS prints them); several MACs may be separated by
    ',', ';', '|' or whitespace. The all-zero and broadcast addresses are placeholders, not NICs, and
    are dropped. Locally administered MACs are kept — whether they identify anything is
    collector.domain.identifiers' call, not the importer's.

    Raises:
        RowError: a token is not a MAC.
    """
    if text.strip().casefold() in _EMPTY_MARKERS:
        return []
    macs: list[str] = []
    for token in _SPLIT_LIST.split(text.strip().lower()):
        if not token:
            continue
        if _MAC_BARE.fullmatch(token) or _MAC_DOTTED.fullmatch(token):
            digits = token.replace(".", "")
        elif _MAC_COLON.fullmatch(token):
            digits = "".join(part.zfill(2) for part in re.split(r"[:-]", token))
        else:
            raise RowError(f"bad MAC {quote(token)} (write it as aa:bb:cc:dd:ee:ff; separate several with ',')")
        mac = identifiers.normalise_mac(digits)
        if mac not in ("00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff") and mac not in macs:
            macs.append(mac)
    return macs


def parse_ips(text: str) -> list[str]:
    """Every IP address in a cell, canonical, prefix length dropped ("192.0.2.10/24" -> "192.0.2.10").

    Raises:
        RowError: a token is not an IPv4/IPv6 address (with or without /prefix).
    """
    if text.strip().casefold() in _EMPTY_MARKERS:
        return []
    ips: list[str] = []
    for token in _SPLIT_LIST.split(text.strip()):
        if not token:
            continue
        try:
            ip = str(ipaddress.ip_interface(token).ip)
        except ValueError:
            raise RowError(f"bad IP address {quote(token)} (write it as 192.0.2.10 or 192.0.2.10/24)") from None
        if ip not in ips:
            ips.append(ip)
    return ips


def parse_hostname(text: str, *, strict: bool) -> tuple[str, str]:
    """(short name, FQDN or "") for a host-name cell.

    Args:
        text: the cell.
        strict: the cell comes from a column that *is* a host name (refuse junk loudly); when False
            the text is an asset name that may or may not be a host name, and non-names give "".

    Raises:
        RowError: strict and the text is not a DNS/NetBIOS-style name.
    """
    name = text.strip().lower().rstrip(".")
    if name.casefold() in _EMPTY_MARKERS:
        return "", ""
    labels = name.split(".")
    valid = all(_HOST_LABEL.fullmatch(label) for label in labels)
    is_ip = True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        is_ip = False
    if not valid or is_ip:
        if strict:
            what = "an IP address" if is_ip else "not a host name"
            raise RowError(f"host name {quote(text.strip())} is {what} "
                           "(use letters, digits and '-' only, e.g. fin-lt-014 or fin-lt-014.corp.example)")
        return "", ""
    short = identifiers.normalise_hostname(name)
    return short, (name if short and len(labels) > 1 else "")


def parse_serial(text: str) -> str:
    """Serial upper-case and stripped; "" for placeholders ("To be filled by O.E.M.", "N/A", "0")."""
    return identifiers.normalise_serial(text)


@dataclass(frozen=True, slots=True)
class RowContext:
    """One row as the status resolver sees it: its cells by field (non-empty values only)."""

    filename: str
    line: int
    cells: Mapping[str, Sequence[str]]

    def first(self, name: str) -> str:
        """First non-empty value of a field, or ""."""
        values = self.cells.get(name, ())
        return values[0] if values else ""


class StatusResolver(Protocol):
    """The format-specific seam: status label + row -> class, or None when the label is unmapped.

    It may also return a value for `assigned_to` that it found in the status text
    (Snipe-IT's "Deployed (Jane Doe)").
    """

    def __call__(self, label: str, row: RowContext) -> tuple[StatusClass | None, str, str]:
        """Return (class or None if unmapped, label to name in an unmapped message, assignee found)."""
        ...


@dataclass(slots=True)
class _Problems:
    """Errors collected over the whole file; the earliest is raised, the rest are counted.

    Reporting every row in one go would need a multi-line message; reporting only the first and how
    many follow keeps the one-line contract while telling the user there is more to fix.
    """

    filename: str
    errors: list[tuple[int, str]] = field(default_factory=list)
    unmapped: dict[str, int] = field(default_factory=dict)  # label -> first line

    def add(self, line: int, message: str) -> None:
        self.errors.append((line, message))

    def add_unmapped(self, line: int, label: str) -> None:
        self.unmapped.setdefault(label, line)

    def raise_if_any(self) -> None:
        candidates = [(line, 0, msg) for line, msg in self.errors]
        candidates += [(line, 1, label) for label, line in self.unmapped.items()]
        if not candidates:
            return
        line, kind, text = min(candidates)
        others = len(candidates) - 1
        if kind == 1:
            message = (f"{self.filename}:{line}: status {quote(text)} is not mapped to a status class "
                       f"({unmapped_hint(text)})")
            more = [f"{quote(label)} (line {ln})" for label, ln in sorted(self.unmapped.items(), key=lambda i: i[1])
                    if label != text]
            if more:
                message += "; also unmapped: " + ", ".join(more[:5]) + (" …" if len(more) > 5 else "")
                others -= len(more)
            if others:
                message += f"; {others} other problem(s) in this file"
            raise UnmappedStatusError(message)
        message = f"{self.filename}:{line}: {text}"
        if others:
            message += f"; {others} more problem(s) in this file"
        raise RegisterError(message)


def _row_cells(table_row: Sequence[str], columns: Mapping[str, Sequence[int]]) -> dict[str, list[str]]:
    cells: dict[str, list[str]] = {}
    for name, indices in columns.items():
        values = [table_row[i].strip() for i in indices if table_row[i].strip()]
        if values:
            cells[name] = values
    return cells


def _key_kind(record: RecordedAsset) -> tuple[str, str]:
    """(what the record key is, advice) for duplicate-key messages."""
    if record.asset_tag:
        return "asset tag", "asset tags must be unique; fix one of the two rows"
    if record.serial:
        return "serial", "rows without an asset tag are keyed by serial; give them asset tags"
    if record.name or record.hostname:
        return "name", "rows without asset tag or serial are keyed by name; give them asset tags"
    return "key", "give the rows asset tags"


def build_records(
    table: Table,
    columns: Mapping[str, Sequence[int]],
    resolve: StatusResolver,
    *,
    defaults: Mapping[str, str] | None = None,
    name_is_hostname: bool = False,
    location_parts: Sequence[str] = (),
) -> list[RecordedAsset]:
    """Turn matched table rows into records, all or nothing.

    Args:
        table: the parsed file.
        columns: field (FIELDS, "extra:KEY" or a pseudo-field) -> header indices, from match_columns.
        resolve: the format's status resolver.
        defaults: field -> value used when the row's cell is empty (generic format's `defaults`).
        name_is_hostname: without a host-name column, take the host name from the asset name when
            that name is a valid host name (Snipe-IT and NetBox registers usually name assets so).
        location_parts: "extra:KEY" fields joined with " / " into `location` when there is no
            location field of its own (NetBox: site / location / rack).

    Raises:
        RegisterError: any row is bad; the message names the earliest bad line.
        UnmappedStatusError: the earliest problem is a status label without a class.
    """
    problems = _Problems(table.filename)
    used = {i for indices in columns.values() for i in indices}
    records: list[RecordedAsset] = []
    seen_keys: dict[str, int] = {}
    for line, row in table.rows:
        cells = _row_cells(row, columns)
        for name, value in (defaults or {}).items():
            if value and name not in cells:
                cells[name] = [value]
        ctx = RowContext(table.filename, line, cells)
        # Columns no field claimed are kept verbatim under their header: the register's own words
        # (Company, Supplier, custom fields) stay available as evidence without a schema change.
        unclaimed = {header or f"column {index + 1}": row[index].strip()
                     for index, header in enumerate(table.header) if index not in used and row[index].strip()}
        try:
            record = _build_one(ctx, resolve, problems, name_is_hostname=name_is_hostname,
                                location_parts=location_parts, unclaimed=unclaimed)
        except RowError as exc:
            problems.add(line, str(exc))
            continue
        if record is None:
            continue
        key = record.record_key.casefold()
        if key in seen_keys:
            kind, advice = _key_kind(record)
            problems.add(line, f"duplicate {kind} {quote(record.record_key)} (also on line {seen_keys[key]}); "
                               f"{advice}")
        else:
            seen_keys[key] = line
        records.append(record)
    problems.raise_if_any()
    return records


def _build_one(ctx: RowContext, resolve: StatusResolver, problems: _Problems, *, name_is_hostname: bool,
               location_parts: Sequence[str], unclaimed: Mapping[str, str]) -> RecordedAsset | None:
    """One row -> record; RowError for a bad value; None when only the status is unmapped."""
    macs: list[str] = []
    for cell in ctx.cells.get("mac", ()):
        macs.extend(m for m in parse_macs(cell) if m not in macs)
    ips: list[str] = []
    for cell in ctx.cells.get("ip", ()):
        ips.extend(i for i in parse_ips(cell) if i not in ips)
    extra: dict[str, str] = {}
    hostname, fqdn = "", ""
    if ctx.first("hostname"):
        hostname, fqdn = parse_hostname(ctx.first("hostname"), strict=True)
    elif name_is_hostname and ctx.first("name"):
        hostname, fqdn = parse_hostname(ctx.first("name"), strict=False)
    if fqdn:
        extra["fqdn"] = fqdn
    purchase = parse_date(ctx.first("purchase_date")) if ctx.first("purchase_date") else None
    for name, values in ctx.cells.items():
        if name.startswith("extra:"):
            extra[name.removeprefix("extra:")] = values[0]
    location = ctx.first("location") or " / ".join(
        ctx.first(part) for part in location_parts if ctx.first(part))

    label = ctx.first("status")
    if not label:
        raise RowError("status is empty (every asset needs a status; fill it in"
                       " or, for the generic format, set defaults.status in the mapping file)")
    status_class, unmapped_label, assignee = resolve(label, ctx)
    if status_class is None:
        problems.add_unmapped(ctx.line, unmapped_label or label)
        return None

    asset_tag = ctx.first("asset_tag")
    serial = parse_serial(ctx.first("serial"))
    if ctx.first("serial") and not serial:
        # A placeholder is not identity, but keep what the register said for the evidence trail.
        extra["serial_as_recorded"] = ctx.first("serial")
    name = ctx.first("name")
    record_key = asset_tag or serial or name or hostname or f"line-{ctx.line}"
    return RecordedAsset(
        record_key=record_key,
        line=ctx.line,
        asset_tag=asset_tag,
        name=name,
        serial=serial,
        hostname=hostname,
        macs=tuple(macs),
        ips=tuple(ips),
        model=ctx.first("model"),
        manufacturer=ctx.first("manufacturer"),
        category=ctx.first("category"),
        status=label,
        status_class=status_class,
        assigned_to=ctx.first("assigned_to") or assignee,
        location=location,
        purchase_date=purchase,
        extra={**unclaimed, **extra},
    )
