"""The seam every host-fact collector satisfies (STYLE.md habit 1: seams are Protocols).

A collector is a plain object with a `name`, a cheap `is_present(root)` and a `collect(root)`
that does the I/O. It raises `agent.errors.CollectionError` with a one-line reason when its
source exists but cannot be read; the runner (agent/facts/_runner.py) turns that, any other
exception, and a timeout into a `CollectorStatus` so one broken source never aborts the run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, TypeVar

T_co = TypeVar("T_co", covariant=True)


class FactCollector(Protocol[T_co]):
    """Reads one kind of host fact from the filesystem under `root` (or the live machine)."""

    @property
    def name(self) -> str:
        """Stable collector name, reported in CollectorStatus.name."""
        ...

    def is_present(self, root: Path) -> bool:
        """Tell whether this machine has the source at all (False yields SKIPPED "not present")."""
        ...

    def collect(self, root: Path) -> T_co:
        """Read the facts; raise CollectionError with a one-line reason when the source is broken."""
        ...
