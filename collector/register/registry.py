"""The one table of register formats: `parse_register`, `netcensus import --format` and Admin.Import
all read it, so adding a format means writing a module that satisfies `RegisterFormat` and listing it
here.
"""

from __future__ import annotations

from collector.errors import UsageError
from collector.register.base import RegisterFormat
from collector.register.generic import GenericCsvFormat, GenericJsonFormat
from collector.register.netbox import NetboxFormat
from collector.register.snipeit import SnipeitFormat

__all__ = ["FORMATS", "format_help", "format_names", "lookup"]

FORMATS: tuple[RegisterFormat, ...] = (
    SnipeitFormat(),
    NetboxFormat(),
    GenericCsvFormat(),
    GenericJsonFormat(),
)


def format_names() -> tuple[str, ...]:
    """Names of the registered formats, in table order."""
    return tuple(fmt.name for fmt in FORMATS)


def lookup(name: str) -> RegisterFormat:
    """The format called `name` or one of its aliases, case- and surrounding-space-insensitive.

    Raises:
        UsageError: no registered format has that name; the message lists the names.
    """
    key = name.strip().lower()
    for fmt in FORMATS:
        if key == fmt.name or key in fmt.aliases:
            return fmt
    raise UsageError(f"unknown register format {name!r} (use {', '.join(format_names())})")


def format_help() -> str:
    """Every format as "name: description", joined for `--format`'s help (argparse rewraps it)."""
    return "; ".join(f"{fmt.name}: {fmt.description}" for fmt in FORMATS)
