"""Generic CSV/JSON register: any spreadsheet or export, with a mapping file saying what is what.

(Named generic.py, not csv.py as STYLE.md's sketch has it, so the module never shadows the stdlib
`csv` it is built on.)

With a `RegisterMapping`, every mapped column must exist in the file — a typo in the mapping is an
error naming the mapping file's line, not an empty field. Without one, columns named after our own
fields (asset_tag, serial, hostname, mac, ip, status, ...) are matched like Snipe-IT's, and status
values that are our class names ("in-use", "retired", ...) need no map; other labels always do.
"""

from __future__ import annotations

from collections.abc import Mapping

from collector.domain.model import RecordedAsset, StatusClass
from collector.errors import RegisterError
from collector.register._common import (
    CLASS_NAMES,
    ColumnSpec,
    RowContext,
    build_records,
    class_from_name,
    header_key,
    match_columns,
    status_key,
)
from collector.register._table import Table, quote
from collector.register.base import ParseOptions
from collector.register.mapping import RegisterMapping

__all__ = ["DEFAULT_COLUMNS", "GenericCsvFormat", "GenericJsonFormat"]

DEFAULT_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("asset_tag", ("asset_tag", "Asset Tag", "Tag", "Asset Number", "Inventory Number")),
    ColumnSpec("name", ("name", "Asset Name", "Device Name")),
    ColumnSpec("serial", ("serial", "Serial Number", "Serial No", "SN", "Service Tag")),
    ColumnSpec("hostname", ("hostname", "Host Name", "Computer Name", "Computer", "FQDN", "DNS Name")),
    ColumnSpec("mac", ("mac", "macs", "MAC Address", "MAC Addresses")),
    ColumnSpec("ip", ("ip", "ips", "IP Address", "IP Addresses")),
    ColumnSpec("model", ("model", "Model Name")),
    ColumnSpec("manufacturer", ("manufacturer", "Vendor", "Make")),
    ColumnSpec("category", ("category", "Type", "Device Type")),
    ColumnSpec("status", ("status", "State", "Lifecycle Status")),
    ColumnSpec("assigned_to", ("assigned_to", "Assigned To", "Owner", "User")),
    ColumnSpec("location", ("location", "Site")),
    ColumnSpec("purchase_date", ("purchase_date", "Purchase Date", "Purchased")),
)
_ID_FIELDS = ("asset_tag", "serial", "name", "hostname", "mac")


class _Resolve:
    """Caller's map, then the mapping file's, then our own class names; nothing else."""

    def __init__(self, *maps: Mapping[str, StatusClass]) -> None:
        self._maps = maps

    def __call__(self, label: str, row: RowContext) -> tuple[StatusClass | None, str, str]:
        key = status_key(label)
        for table in self._maps:
            if key in table:
                return table[key], label, ""
        return class_from_name(label), label, ""


def _resolve_mapped_columns(table: Table, mapping: RegisterMapping) -> dict[str, list[int]]:
    exact = {h: i for i, h in reversed(list(enumerate(table.header)))}
    loose = {header_key(h): i for i, h in reversed(list(enumerate(table.header)))}
    found = ", ".join(quote(h, 30) for h in table.header[:15]) + (" …" if len(table.header) > 15 else "")
    columns: dict[str, list[int]] = {}
    for name, headers in mapping.columns.items():
        for header in headers:
            index = exact.get(header, loose.get(header_key(header)))
            if index is None:
                raise RegisterError(
                    f"{table.filename}:{table.header_line}: column {quote(header)} (mapped to {name} at "
                    f"{mapping.where('columns.' + name)}) is not in the file; found {found} "
                    "(fix the mapping or the export)")
            columns.setdefault(name, []).append(index)
    return columns


class GenericCsvFormat:
    """Any CSV (or JSON) export, matched by our field names or by a mapping file."""

    name = "csv"
    aliases: tuple[str, ...] = ("generic",)
    description = "generic CSV, columns named after our fields or given by --mapping"
    json_only = False

    def parse(self, table: Table, options: ParseOptions) -> list[RecordedAsset]:
        """Generic table -> records.

        Args:
            table: the parsed CSV or JSON file.
            options: `mapping` is the validated mapping file, or None to match columns by our field
                names; `status_map` (keys in `status_key` form) overrides the mapping's.

        Raises:
            RegisterError: a mapped column is missing, no status/identifying column, or a bad row.
            UnmappedStatusError: a label in neither map nor one of our class names.
        """
        mapping = options.mapping
        where = f"{table.filename}:{table.header_line}"
        found = ", ".join(quote(h, 30) for h in table.header[:15]) + (" …" if len(table.header) > 15 else "")
        if mapping is None:
            columns = match_columns(table.header, DEFAULT_COLUMNS)
            defaults: Mapping[str, str] = {}
            file_map: dict[str, StatusClass] = {}
            how = "pass a mapping file (--mapping) saying which column is which"
        else:
            columns = _resolve_mapped_columns(table, mapping)
            defaults = mapping.defaults
            file_map = {status_key(k): v for k, v in mapping.status_map.items()}
            how = f"add it under columns in {mapping.source}"
        if "status" not in columns and "status" not in defaults:
            raise RegisterError(f"{where}: missing required column \"status\"; found {found} ({how}, "
                                f"or set defaults.status to one of {', '.join(CLASS_NAMES)})")
        if not any(f in columns for f in _ID_FIELDS):
            raise RegisterError(f"{where}: no identifying column (asset_tag, serial, name, hostname or mac); "
                                f"found {found} ({how})")
        return build_records(table, columns, _Resolve(options.status_map, file_map), defaults=defaults)


class GenericJsonFormat(GenericCsvFormat):
    """The generic format, read as JSON whatever the file is called.

    The file is an array of objects, or an API response holding one under "rows"/"results"; nested
    objects are flattened to dotted keys ("status.value"). A user who says `--format json` gets a
    JSON error for a CSV file rather than a guess.
    """

    name = "json"
    aliases: tuple[str, ...] = ()
    description = "generic JSON array of objects, keys named after our fields or given by --mapping"
    json_only = True
