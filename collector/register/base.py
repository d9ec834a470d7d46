"""The seam every register format satisfies, and the one options value they all take.

A format is a small object: a `name` (what `--format` takes and the default register name), its
`aliases`, a one-line `description` for the command line's help, whether it reads every file as
JSON, and `parse(table, options)`. The bytes-to-table part (decoding, CSV or JSON, line numbers) is
shared and done before `parse` is called, so a format only says which column means what and how
its status labels map to classes. Options a single format needs (the generic format's mapping
file) travel in `ParseOptions` so that every format has the same signature; a format ignores what
does not apply to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from collector.domain.model import RecordedAsset, StatusClass

if TYPE_CHECKING:  # types only: the seam itself depends on no format's machinery
    from collector.register._table import Table
    from collector.register.mapping import RegisterMapping

__all__ = ["ParseOptions", "RegisterFormat"]


@dataclass(frozen=True, slots=True)
class ParseOptions:
    """What the caller says about a file besides its bytes.

    Attributes:
        mapping: the column mapping file of the generic formats (collector.register.mapping);
            formats that know their own headers ignore it.
        status_map: the user's label -> class, keys already in `status_key` form (case- and
            space-insensitive); it wins over a mapping file's status_map and the format's defaults.
    """

    mapping: RegisterMapping | None = None
    status_map: Mapping[str, StatusClass] = field(default_factory=dict)


class RegisterFormat(Protocol):
    """One register export format (Snipe-IT, NetBox, generic CSV/JSON...)."""

    @property
    def name(self) -> str:
        """What `--format` and ImportRequest.format take; also the default register name."""
        ...

    @property
    def aliases(self) -> tuple[str, ...]:
        """Other spellings accepted for `name` (lower-case)."""
        ...

    @property
    def description(self) -> str:
        """One line for `netcensus import --help`."""
        ...

    @property
    def json_only(self) -> bool:
        """Read every file as JSON; otherwise a .json name or JSON-looking content decides."""
        ...

    def parse(self, table: Table, options: ParseOptions) -> list[RecordedAsset]:
        """Turn the file's table into records, all of them or an exception.

        Raises:
            RegisterError: a missing column or a bad row, as one line naming file and line.
            UnmappedStatusError: a status label without a class (never guessed).
        """
        ...
