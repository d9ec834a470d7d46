"""The import use case: read a feed, validate each record, replace the source's advisories at once.

A record that fails the schema, or a file that is not JSON, is reported (one line naming the file
and the field) and skipped; everything else is written in one transaction that replaces the previous
import of the same source, so a reader sees the old feed or the new one, never a mix. Within one
import an id seen twice keeps its most recently modified record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from collector.errors import UsageError
from collector.vulns.feed import FeedProblem, read_feed
from collector.vulns.osv_schema import schema_error
from collector.vulns.records import Advisory, parse_record

__all__ = ["ImportOutcome", "VulnWriter", "default_source", "import_feed"]

_SOURCE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:+-")


class VulnWriter(Protocol):
    """What the import needs from storage (collector/store/vulns_sql.py's VulnStore is one)."""

    def replace_source(self, source: str, path: str, advisories: list[Advisory], *, rejected: int,
                       now: datetime) -> None:
        """Make ``advisories`` the whole of ``source`` atomically."""


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What an import did."""

    source: str
    records: int
    withdrawn: int
    problems: tuple[FeedProblem, ...]
    ecosystems: tuple[tuple[str, int], ...]


def default_source(path: Path) -> str:
    """The source name of an import: the file or directory name, without .json/.zip.

    OSV's archives are all called ``all.zip`` inside a directory named after the ecosystem, so
    ``Debian/all.zip`` is the source ``Debian``.
    """
    resolved = path.resolve()
    name = resolved.stem if resolved.suffix.lower() in (".zip", ".json") else resolved.name
    if name.lower() == "all" and resolved.parent.name:
        name = resolved.parent.name
    return name


def check_source(name: str) -> str:
    """The source name, or a UsageError saying which characters it may use."""
    if not name or len(name) > 100 or not set(name) <= _SOURCE_CHARS:
        raise UsageError(f"--source {name!r}: use 1-100 letters, digits and . _ : + -")
    return name


def import_feed(writer: VulnWriter, path: Path, *, source: str | None, now: datetime,
                progress: Callable[[int], None] | None = None) -> ImportOutcome:
    """Import the OSV feed at ``path`` as ``source`` (default: :func:`default_source`).

    Raises:
        UsageError: the path does not exist, or not one record in it is valid (nothing is replaced:
            an empty or broken download must not wipe a working feed).
        StoreError: the store failed; nothing was written.
    """
    name = check_source(source or default_source(path))
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    problems: list[FeedProblem] = []
    by_id: dict[str, Advisory] = {}
    seen = 0
    for item in read_feed(path):
        if isinstance(item, FeedProblem):
            problems.append(item)
            continue
        seen += 1
        if progress is not None and seen % 10000 == 0:
            progress(seen)
        error = schema_error(item.value)
        if error is not None:
            problems.append(FeedProblem(item.origin, error))
            continue
        assert isinstance(item.value, dict)  # the schema says "object"
        try:
            advisory = parse_record(item.value, item.origin)
        except (ValueError, TypeError, KeyError) as exc:  # a value the schema allows but Python cannot read
            problems.append(FeedProblem(item.origin, f"unreadable value: {exc}"))
            continue
        known = by_id.get(advisory.id)
        if known is None or advisory.modified >= known.modified:
            by_id[advisory.id] = advisory
    if not by_id:
        first = f"; first problem: {problems[0]}" if problems else ""
        raise UsageError(f"{path}: no valid OSV record found ({len(problems)} problems){first}; nothing replaced")
    advisories = list(by_id.values())
    writer.replace_source(name, str(path), advisories, rejected=len(problems), now=now)
    ecosystems: dict[str, int] = {}
    for a in advisories:
        for eco in {f.raw_ecosystem.split(":", 1)[0] for f in a.affected}:
            ecosystems[eco] = ecosystems.get(eco, 0) + 1
    return ImportOutcome(source=name, records=len(advisories),
                         withdrawn=sum(1 for a in advisories if a.withdrawn is not None),
                         problems=tuple(problems),
                         ecosystems=tuple(sorted(ecosystems.items(), key=lambda kv: (-kv[1], kv[0]))))
