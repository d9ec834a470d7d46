"""The one table of software sources the agent runs (nornir-style registration in one place)."""

from __future__ import annotations

from agent.facts.software._dpkg import DpkgSource
from agent.facts.software.base import SoftwareSource

SOURCES: tuple[SoftwareSource, ...] = (
    DpkgSource(),
)


def source_names() -> tuple[str, ...]:
    """Names of the registered sources, in run order."""
    return tuple(source.name for source in SOURCES)
