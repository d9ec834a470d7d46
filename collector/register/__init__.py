"""Recorded-inventory importers: register export bytes in, `RecordedAsset` records out.

Pure functions — no database, no files except a mapping file read by `load_mapping` — so the import
command, the gRPC service and the tests share one code path, and re-importing the same bytes gives
the same records (DESIGN.md: imports are atomic and repeatable).

    parse_register(data, "snipeit" | "netbox" | "csv" | "json" | ..., filename=..., mapping=..., status_map=...)
        -> list[RecordedAsset], all rows or an exception, never half

Errors (collector.errors):

    RegisterError            "FILE:LINE: what is wrong (what to do)" — not CSV/JSON, binary, empty,
    │                        missing column, bad MAC/IP/date/host name, duplicate asset tag, ...
    └── UnmappedStatusError  a status label has no class; names the label, its line and how to map it

Layout: _table.py (bytes -> rows with line numbers), _common.py (normalisation and the row driver),
base.py (the `RegisterFormat` seam and its `ParseOptions`), one module per format (snipeit.py,
netbox.py, generic.py), registry.py (the one list of formats) and mapping.py for generic mapping
files. A new format is a new module plus one line in registry.py.

Imports: collector.domain, collector.errors and this package (PyYAML for mapping files); only the
import use case (importing.py) talks to the store. Never grpc or duckdb.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from collector.domain.model import RecordedAsset, StatusClass
from collector.errors import RegisterError
from collector.register import registry
from collector.register._common import status_key
from collector.register._table import decode, looks_like_json, read_csv, read_json
from collector.register.base import ParseOptions, RegisterFormat
from collector.register.mapping import RegisterMapping, load_mapping, parse_mapping

__all__ = [
    "SAMPLE_REGISTER",
    "ParseOptions",
    "RegisterFormat",
    "RegisterMapping",
    "load_mapping",
    "parse_mapping",
    "parse_register",
]

# The demo's bundled register (Snipe-IT custom-report export). Read it with
# SAMPLE_REGISTER.read_bytes() and parse it as "snipeit".
SAMPLE_REGISTER = Path(__file__).with_name("sample_register.csv")


def parse_register(
    data: bytes,
    fmt: str,
    *,
    filename: str,
    mapping: RegisterMapping | None = None,
    status_map: Mapping[str, StatusClass] | None = None,
) -> list[RecordedAsset]:
    """Parse a register export into normalised records, all of them or none.

    Args:
        data: the file's bytes (UTF-8 with or without BOM, or UTF-16 with BOM).
        fmt: a name or alias in collector.register.registry: "snipeit", "netbox", "csv" (generic) or
            "json" (generic JSON array of objects). With any of them, JSON content or a .json name
            is read as JSON (an array of objects, or an
            API response holding one under "rows"/"results"), nested objects flattened to
            dotted keys ("status.value").
        filename: name used in every message ("FILE:LINE: ...").
        mapping: column mapping for the generic formats (see collector.register.mapping); ignored
            by formats that know their own headers (snipeit, netbox).
        status_map: label -> class from the user (e.g. --status-map), case- and space-insensitive;
            it wins over the mapping file's status_map and over the format's defaults.

    Returns:
        One record per non-blank row, in file order.

    Raises:
        UsageError: `fmt` is not a known format.
        RegisterError: anything wrong with the input, as one line naming file and line.
        UnmappedStatusError: a status label without a class (never guessed).
    """
    register_format = registry.lookup(fmt)
    if not data.strip():
        raise RegisterError(f"{filename}:1: file is empty (export the register with its header row)")
    options = ParseOptions(mapping=mapping,
                           status_map={status_key(label): cls for label, cls in (status_map or {}).items()})
    text = decode(data, filename)
    # API exports (Snipe-IT /api/v1/hardware, NetBox /api/dcim/devices/) are JSON; a CSV header never
    # starts with '[' or '{', so content decides as well as the name.
    as_json = register_format.json_only or filename.lower().endswith(".json") or looks_like_json(text)
    table = read_json(text, filename) if as_json else read_csv(text, filename)
    return register_format.parse(table, options)

