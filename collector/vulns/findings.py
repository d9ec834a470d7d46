"""Matches become ``vulnerable-software`` findings: one per asset and advisory group.

Advisory groups fold aliases: a CVE that Debian (DSA-..., DEBIAN-CVE-...), GitHub (GHSA-...) and
PyPA (PYSEC-...) each publish is one group, named by its CVE id where it has one (else its GHSA
id, else its smallest id), so it is one finding on each machine. Ids are folded over the advisories
that matched (union-find over id and aliases).

Every finding can be explained from the advisory and the installed version: the summary names the
package, the installed and the fixed version, the ids and the severity's basis; the evidence names
the agent that reported the package, each advisory with the range that held the version and its
first link, and the OSV sources that were checked. The finding id follows the asset, the group and
the package (not the version), so the finding stays open across an upgrade that is still
vulnerable and resolves when the package is upgraded past the fix (or removed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from collector.domain.findings import SEVERITY_ORDER, Evidence
from collector.inventory.identity import ResolvedAsset
from collector.inventory.reconcile import Finding
from collector.rules.globs import compile_glob
from collector.rules.versions import compare_versions
from collector.vulns.ecosystems import ECOSYSTEM_SCHEMES

__all__ = ["KIND", "ExceptionRule", "Matched", "MatchedAdvisory", "group_label", "vulnerability_findings"]

KIND = "vulnerable-software"
_SOFTWARE_METHODS = ("agent", "snmp")


@dataclass(frozen=True, slots=True)
class MatchedAdvisory:
    """An advisory as a finding cites it."""

    source: str
    id: str
    aliases: tuple[str, ...]
    severity: str
    score: float | None
    severity_basis: str
    summary: str
    links: tuple[str, ...]
    modified: datetime | None


@dataclass(frozen=True, slots=True)
class Matched:
    """One advisory matching one installed package on one asset (from the store's matching)."""

    asset_id: str
    hostname: str | None
    advisory: MatchedAdvisory
    ecosystem: str
    package: str
    version: str
    fixed: str
    why: str
    pkg_source: str
    first_installed: datetime | None
    last_seen: datetime | None


@dataclass(frozen=True, slots=True)
class ExceptionRule:
    """An accepted risk: the advisory (any id of its group), which assets and packages, until when."""

    exception_id: int
    advisory: str
    reason: str
    until: date
    package: str | None = None
    hostname: str | None = None
    asset_id: str | None = None

    def covers(self, ids: set[str], package: str, asset_id: str, hostname: str | None) -> bool:
        """Whether the exception names this group, package and asset (ignoring expiry)."""
        if self.advisory.upper() not in ids and self.advisory != "*":
            return False
        if self.asset_id is not None and self.asset_id != asset_id:
            return False
        if self.package is not None and compile_glob(self.package.casefold()).fullmatch(package.casefold()) is None:
            return False
        return self.hostname is None or compile_glob(self.hostname).fullmatch((hostname or "").casefold()) is not None

    def describe(self) -> str:
        """Text for the suppressed finding, e.g. "compensating control (until 2027-06-30, exception #3)"."""
        return f"{self.reason} (until {self.until.isoformat()}, exception #{self.exception_id})"


def group_label(names: Sequence[str]) -> str:
    """The id a group is shown by: its CVE, else its GHSA, else its smallest id."""
    for prefix in ("CVE-", "GHSA-"):
        found = sorted(n for n in names if n.upper().startswith(prefix))
        if found:
            return found[0]
    return sorted(names)[0]


def _groups(advisories: Sequence[MatchedAdvisory]) -> dict[tuple[str, str], str]:
    """(source, id) -> group label, by union-find over every id and alias."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a in advisories:
        root = find(a.id)
        for alias in a.aliases:
            other = find(alias)
            if other != root:
                parent[other] = root
    members: dict[str, list[str]] = {}
    for name in list(parent):
        members.setdefault(find(name), []).append(name)
    labels = {root: group_label(names) for root, names in members.items()}
    return {(a.source, a.id): labels[find(a.id)] for a in advisories}


def _highest(versions: Sequence[str], scheme: str) -> str:
    best = ""
    for v in versions:
        if v and (not best or compare_versions(v, best, scheme, True) > 0):
            best = v
    return best


def _ids(rows: Sequence[Matched], label: str) -> list[str]:
    names = {label}
    for r in rows:
        names.add(r.advisory.id)
        names.update(r.advisory.aliases)
    return [label, *sorted(names - {label})]


def _summary(rows: Sequence[Matched], label: str, ids: Sequence[str], severity: str, basis: str,
             host: str, fixed: str, expired: ExceptionRule | None) -> str:
    first = rows[0]
    packages = sorted({r.package for r in rows})
    what = f"{', '.join(packages)} {first.version}"
    others = [i for i in ids if i != label][:4]
    also = f" ({', '.join(others)}{', ...' if len(ids) - 1 > len(others) else ''})" if others else ""
    title = next((r.advisory.summary for r in rows if r.advisory.summary), "")
    title = f": {title[:120]}" if title else ""
    fix = f"fixed in {fixed}" if fixed else "no fixed version published"
    text = (f"{what} ({first.ecosystem}) on {host} is affected by {label}{also}{title}; {severity} "
            f"({basis}); {fix}.")
    if expired is not None:
        text = text[:-1] + f" (exception #{expired.exception_id} {expired.reason!r} expired {expired.until}.)"
    return text


def vulnerability_findings(matches: Sequence[Matched], *, assets: Mapping[str, ResolvedAsset],
                           exceptions: Sequence[ExceptionRule], checked: Sequence[str], today: date) -> list[Finding]:
    """One finding per asset and advisory group.

    Args:
        matches: every (asset, advisory, package) match.
        assets: the resolved assets by id (identifiers and the agents that reported the software).
        exceptions: live accepted risks (revoked ones left out by the caller).
        checked: the OSV sources loaded, named in the evidence ("checked against ...").
        today: the UTC date exceptions expire against.
    """
    labels = _groups([m.advisory for m in matches])
    grouped: dict[tuple[str, str], list[Matched]] = {}
    for m in matches:
        grouped.setdefault((m.asset_id, labels[(m.advisory.source, m.advisory.id)]), []).append(m)
    checked_text = "checked against OSV sources: " + ", ".join(checked)
    out: list[Finding] = []
    for (asset_id, label), rows in sorted(grouped.items()):
        rows.sort(key=lambda r: (r.package, r.advisory.source, r.advisory.id))
        first = rows[0]
        asset = assets.get(asset_id)
        ids = _ids(rows, label)
        top = max(rows, key=lambda r: (SEVERITY_ORDER.index(r.advisory.severity), r.advisory.score or 0))
        severity = top.advisory.severity
        basis = (f"CVSS {top.advisory.score:g} {top.advisory.severity_basis}" if top.advisory.score is not None
                 else top.advisory.severity_basis)
        fixed = _highest([r.fixed for r in rows], ECOSYSTEM_SCHEMES.get(first.ecosystem, "dotted"))
        id_set = {i.upper() for i in ids}
        suppression = ""
        expired: ExceptionRule | None = None
        for exc in exceptions:
            if not any(exc.covers(id_set, r.package, asset_id, first.hostname) for r in rows):
                continue
            if today <= exc.until:
                suppression = exc.describe()
                break
            expired = expired or exc
        host = first.hostname or asset_id
        reporters = [ev for ev in (asset.evidence if asset else ()) if ev[1] in _SOFTWARE_METHODS]
        installed = f"{first.package} {first.version} ({first.pkg_source} package, {first.ecosystem})"
        evidence = (
            *(Evidence(source=src, method=method, seen_at=seen, detail=f"{installed}; {detail}")
              for src, method, seen, detail in reporters[:3]),
            *(Evidence(source=f"osv:{r.advisory.source}", method="advisory", seen_at=r.advisory.modified,
                       detail=f"{r.advisory.id} ({r.ecosystem} {r.package} {r.version}): {r.why}; severity "
                              f"{r.advisory.severity} ({r.advisory.severity_basis})"
                              + (f"; {r.advisory.links[0]}" if r.advisory.links else ""))
              for r in rows[:5]),
            Evidence(source="osv", method="vulns", seen_at=None, detail=checked_text),
        )
        out.append(Finding(
            kind=KIND, severity=severity, asset=asset, rule_id=label, software_name=first.package,
            software_version=first.version,
            first_seen=min((r.first_installed for r in rows if r.first_installed), default=None),
            last_seen=max((r.last_seen for r in rows if r.last_seen), default=None),
            summary=_summary(rows, label, ids, severity, basis, host, fixed, None if suppression else expired),
            suppressed=bool(suppression), suppression=suppression, evidence=evidence,
            identifier=asset_id,
        ))
    return out
