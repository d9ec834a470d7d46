"""The one table of software sources the agent runs (nornir-style registration in one place).

Adding a source means writing a module that satisfies `SoftwareSource` and listing it here;
collect_inventory runs whatever this table holds.
"""

from __future__ import annotations

from agent.facts.software._dpkg import DpkgSource
from agent.facts.software._flatpak import FlatpakSource
from agent.facts.software._macos import MacosAppSource, PkgutilSource
from agent.facts.software._npm import NpmSource
from agent.facts.software._pip import PipSource
from agent.facts.software._rpm import RpmSource
from agent.facts.software._snap import SnapSource
from agent.facts.software._windows import WindowsSource
from agent.facts.software.base import SoftwareSource

SOURCES: tuple[SoftwareSource, ...] = (
    DpkgSource(),
    RpmSource(),
    PipSource(),
    SnapSource(),
    FlatpakSource(),
    NpmSource(),
    WindowsSource(),
    MacosAppSource(),
    PkgutilSource(),
)


def source_names() -> tuple[str, ...]:
    """Names of the registered sources, in run order."""
    return tuple(source.name for source in SOURCES)


def product_source_names() -> frozenset[str]:
    """Names of the sources whose items are installed products, not language libraries."""
    return frozenset(source.name for source in SOURCES if not source.libraries)
