"""OSV records as the importer keeps them: frozen values built from validated JSON.

Only what matching and findings need is kept (ids, dates, aliases, severity, links and the
affected entries); the rest of a record stays in the feed. Names and ecosystems are split and
normalised here once (:mod:`collector.vulns.ecosystems`), so that matching is an equality join.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from collector.vulns.ecosystems import normalise_name, split_ecosystem
from collector.vulns.ranges import Range
from collector.vulns.severity import Severity, advisory_severity

__all__ = ["Advisory", "Affected", "parse_record", "parse_time"]

#: Links kept per advisory: the advisory pages first, then the rest, as many as a reader follows.
_MAX_LINKS = 5
_LINK_ORDER = {"ADVISORY": 0, "WEB": 1, "REPORT": 2, "ARTICLE": 3, "FIX": 4}


@dataclass(frozen=True, slots=True)
class Affected:
    """One affected package of an advisory, in one ecosystem and release."""

    ecosystem: str             # "Debian" (no release); a text we do not match stays whole
    release: str               # "12", "v3.18" -> "3.18", "" where the ecosystem has none
    raw_ecosystem: str         # as written: "Debian:12"
    name: str                  # normalised (PEP 503 for PyPI)
    ranges: tuple[Range, ...]
    versions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Advisory:
    """One OSV record."""

    id: str
    modified: datetime
    published: datetime | None
    withdrawn: datetime | None
    summary: str
    aliases: tuple[str, ...]
    severity: Severity
    links: tuple[str, ...]
    affected: tuple[Affected, ...]
    origin: str                # the file (and archive member) it came from
    covers: tuple[str, ...] = ()  # a notice's several upstream CVEs (a multi-CVE DSA or USN), else ()


def parse_time(text: str) -> datetime:
    """An RFC 3339 timestamp (validated by the schema) as an aware UTC datetime."""
    value = datetime.fromisoformat(text.strip().replace("z", "Z").replace("Z", "+00:00").replace(" ", "T"))
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _links(record: Mapping[str, Any]) -> tuple[str, ...]:
    refs = [r for r in record.get("references") or () if isinstance(r.get("url"), str)]
    refs.sort(key=lambda r: _LINK_ORDER.get(str(r.get("type")), 9))
    return tuple(dict.fromkeys(str(r["url"]) for r in refs))[:_MAX_LINKS]


_DISTRO_CVE = re.compile(r"^[A-Z]+-(CVE-\d{4}-\d+)$")


def _cve_of(name: str) -> str:
    """The CVE id an upstream id stands for: CVE-X itself, or a distribution's DEBIAN-CVE-X, UBUNTU-CVE-X."""
    m = _DISTRO_CVE.match(name.upper())
    return m.group(1) if m else name.upper()


def _aliases(record: Mapping[str, Any]) -> tuple[str, ...]:
    """Aliases, plus the upstream ids of a record derived from exactly one vulnerability.

    ``upstream`` names what a distribution record derives from: DEBIAN-CVE-X from CVE-X, a DSA from
    ["CVE-X", "DEBIAN-CVE-X"] (one vulnerability, two spellings). Those fold into the CVE's group. A
    record whose upstream names several vulnerabilities (a DSA or USN covering five CVEs) is not
    folded into any of them: that would merge five vulnerabilities into one finding.
    """
    names = [str(a) for a in record.get("aliases") or () if a]
    upstream = [str(u) for u in record.get("upstream") or () if u]
    if upstream and len({_cve_of(u) for u in upstream}) == 1:
        names.extend(upstream)
    return tuple(dict.fromkeys(n for n in names if n != record["id"]))


def _covers(record: Mapping[str, Any]) -> tuple[str, ...]:
    """The CVEs a notice covers when its upstream names several (see :func:`_aliases`)."""
    cves = sorted({_cve_of(str(u)) for u in record.get("upstream") or () if u})
    return tuple(cves) if len(cves) > 1 else ()


def _affected(entry: Mapping[str, Any]) -> Affected | None:
    package = entry.get("package")
    if not isinstance(package, Mapping):
        return None  # a GIT-only entry names a repository, not a package
    ecosystem, release = split_ecosystem(str(package["ecosystem"]))
    ranges = tuple(
        Range(str(r["type"]), tuple((str(k), str(v)) for event in r["events"] for k, v in event.items()))
        for r in entry.get("ranges") or ()
    )
    return Affected(ecosystem=ecosystem, release=release, raw_ecosystem=str(package["ecosystem"]),
                    name=normalise_name(ecosystem, str(package["name"])), ranges=ranges,
                    versions=tuple(str(v) for v in entry.get("versions") or ()))


def parse_record(record: Mapping[str, Any], origin: str) -> Advisory:
    """The advisory of a record that passed :func:`collector.vulns.osv_schema.schema_error`."""
    affected = tuple(a for a in (_affected(e) for e in record.get("affected") or ()) if a is not None)
    return Advisory(
        id=str(record["id"]),
        modified=parse_time(str(record["modified"])),
        published=parse_time(str(record["published"])) if record.get("published") else None,
        withdrawn=parse_time(str(record["withdrawn"])) if record.get("withdrawn") else None,
        summary=str(record.get("summary") or "").strip() or str(record.get("details") or "").strip()[:200],
        aliases=_aliases(record),
        covers=_covers(record),
        severity=advisory_severity(record),
        links=_links(record),
        affected=affected,
        origin=origin,
    )
