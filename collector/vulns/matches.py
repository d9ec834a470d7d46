"""What matching hands to the findings: compact rows per asset, details per distinct title.

Why two shapes: on an estate built from a few images, thousands of hosts share each vulnerable
(package, version), so everything that depends only on the advisory and the version (ids, fixed
version, the range that held it, the summary's wording) is computed once per *title*; a row per
asset carries only what differs between hosts (which asset, when the package was first seen).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

__all__ = ["AdvisoryInfo", "AffectedRow", "Hit", "MatchResult", "TitleKey", "fold_aliases", "group_label"]


@dataclass(frozen=True, slots=True)
class AdvisoryInfo:
    """What a finding says about one advisory."""

    source: str
    id: str
    aliases: tuple[str, ...]
    severity: str
    score: float | None
    severity_basis: str
    summary: str
    links: tuple[str, ...]
    modified: datetime | None
    covers: tuple[str, ...] = ()   # a notice's several upstream CVEs, else ()


@dataclass(frozen=True, slots=True)
class Hit:
    """One advisory holding one title: which, the fixed version it names, and the range that held."""

    source: str
    id: str
    fixed: str
    why: str


#: (group label, ecosystem, release, package, version): one vulnerable title.
TitleKey = tuple[str, str, str, str, str]


@dataclass(frozen=True, slots=True)
class AffectedRow:
    """One vulnerable title installed on one asset."""

    asset_id: str
    hostname: str | None
    title: TitleKey
    pkg_source: str
    first_installed: datetime | None   # naive UTC
    last_seen: datetime | None         # naive UTC


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Everything matching found."""

    rows: list[AffectedRow]           # sorted by asset id, then group label
    hits: dict[TitleKey, list[Hit]]
    advisories: dict[tuple[str, str], AdvisoryInfo]


def group_label(names: Iterable[str]) -> str:
    """The id a group is shown by: its CVE, else its GHSA, else its smallest id."""
    ordered = sorted(names)
    for prefix in ("CVE-", "GHSA-"):
        found = [n for n in ordered if n.upper().startswith(prefix)]
        if found:
            return found[0]
    return ordered[0]


def fold_aliases(advisories: Iterable[tuple[str, str, tuple[str, ...]]]) -> dict[tuple[str, str], str]:
    """(source, id) -> group label, by union-find over every id and alias of these advisories.

    One CVE published by Debian (DSA-..., DEBIAN-CVE-...), GitHub (GHSA-...) and PyPA (PYSEC-...) is
    one group, named by the CVE.
    """
    items = list(advisories)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for _source, ident, aliases in items:
        root = find(ident)
        for alias in aliases:
            other = find(alias)
            if other != root:
                parent[other] = root
    members: dict[str, list[str]] = {}
    for name in list(parent):
        members.setdefault(find(name), []).append(name)
    labels = {root: group_label(names) for root, names in members.items()}
    return {(source, ident): labels[find(ident)] for source, ident, _ in items}
