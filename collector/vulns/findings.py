"""Matches become ``vulnerable-software`` findings: one per asset and advisory group.

Advisory groups fold aliases (:func:`collector.vulns.matches.fold_aliases`): a CVE that Debian
(DSA-..., DEBIAN-CVE-...), GitHub (GHSA-...) and PyPA (PYSEC-...) each publish is one group, named
by its CVE id where it has one, so it is one finding on each machine.

Every finding can be explained from the advisory and the installed version: the summary names the
package, the installed and the fixed version, the ids and the severity's basis; the evidence names
the agent that reported the package, each advisory with the range that held the version and its
first link, and the OSV sources that were checked. The finding id follows the asset, the group and
the package (not the version), so a finding stays open across an upgrade that is still vulnerable
and resolves when the package is upgraded past the fix (or removed).

Speed: what depends only on the advisory and the version is worded once per vulnerable title
(:class:`_Title`), not once per host; 10,000 hosts from a few images share most titles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from collector.domain.findings import SEVERITY_ORDER, Evidence
from collector.inventory.identity import ResolvedAsset
from collector.inventory.reconcile import Finding
from collector.rules.globs import compile_glob
from collector.rules.versions import compare_versions
from collector.vulns.ecosystems import ECOSYSTEM_SCHEMES
from collector.vulns.matches import AffectedRow, Hit, MatchResult, TitleKey

__all__ = ["KIND", "ExceptionRule", "vulnerability_findings"]

KIND = "vulnerable-software"
_SOFTWARE_METHODS = ("agent", "snmp")
_MAX_ADVISORY_EVIDENCE = 5


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

    def covers(self, package: str, asset_id: str, hostname: str | None) -> bool:
        """Whether the exception names this package and asset (the advisory is checked by the caller)."""
        if self.asset_id is not None and self.asset_id != asset_id:
            return False
        if self.package is not None and compile_glob(self.package.casefold()).fullmatch(package.casefold()) is None:
            return False
        return self.hostname is None or compile_glob(self.hostname).fullmatch((hostname or "").casefold()) is not None

    def describe(self) -> str:
        """Text for the suppressed finding, e.g. "compensating control (until 2027-06-30, exception #3)"."""
        return f"{self.reason} (until {self.until.isoformat()}, exception #{self.exception_id})"


@dataclass(frozen=True, slots=True)
class _Title:
    """The host-independent part of the findings on one vulnerable title."""

    label: str
    package: str
    version: str
    ecosystem: str          # as shown: "Debian:7", "PyPI"
    ids: frozenset[str]     # every id and alias of the group, upper case (for exceptions)
    severity: str
    rank: tuple[int, float]
    tail: str               # the summary after "<package> <version> (<ecosystem>) on <host>"
    evidence: tuple[Evidence, ...]
    covers: frozenset[str]  # a notice group's CVEs (every advisory in it covers several), else empty


def _highest(versions: Sequence[str], scheme: str) -> str:
    best = ""
    for v in versions:
        if v and (not best or compare_versions(v, best, scheme, True) > 0):
            best = v
    return best


def _title(key: TitleKey, hits: Sequence[Hit], result: MatchResult) -> _Title:
    label, eco, release, package, version = key
    shown = f"{eco}:{release}" if release else eco
    infos = [result.advisories[(h.source, h.id)] for h in hits]
    names = {label, *(i.id for i in infos), *(a for i in infos for a in i.aliases)}
    others = sorted(names - {label})
    top = max(infos, key=lambda i: (SEVERITY_ORDER.index(i.severity), i.score or 0.0))
    basis = f"CVSS {top.score:g} {top.severity_basis}" if top.score is not None else top.severity_basis
    fixed = _highest([h.fixed for h in hits], ECOSYSTEM_SCHEMES.get(eco, "dotted"))
    also = f" ({', '.join(others[:4])}{', ...' if len(others) > 4 else ''})" if others else ""
    # The shortest text is the advisory's own title where one database gave one; the others fall back
    # to the first words of their details.
    title = min((i.summary for i in infos if i.summary), key=len, default="")
    if len(title) > 120:
        title = title[:117].rsplit(" ", 1)[0] + "..."
    title = f": {title}" if title else ""
    fix = f"fixed in {fixed}" if fixed else "no fixed version published"
    tail = f" is affected by {label}{also}{title}; {top.severity} ({basis}); {fix}."
    evidence = tuple(
        Evidence(source=f"osv:{h.source}", method="advisory", seen_at=i.modified,
                 detail=f"{h.id} ({shown} {package} {version}): {h.why}; severity {i.severity} ({i.severity_basis})"
                        + (f"; {i.links[0]}" if i.links else ""))
        for h, i in sorted(zip(hits, infos, strict=True), key=lambda hi: (hi[0].source, hi[0].id))
    )[:_MAX_ADVISORY_EVIDENCE]
    covers = frozenset(c for i in infos for c in i.covers) if all(i.covers for i in infos) else frozenset()
    return _Title(label=label, package=package, version=version, ecosystem=shown,
                  ids=frozenset(n.upper() for n in names), severity=top.severity,
                  rank=(SEVERITY_ORDER.index(top.severity), top.score or 0.0), tail=tail, evidence=evidence,
                  covers=covers)


def _exception_for(exceptions: Sequence[ExceptionRule], t: _Title, rows: Sequence[AffectedRow], titles: Mapping[
        TitleKey, _Title], asset_id: str, hostname: str | None, today: date) -> tuple[str, ExceptionRule | None]:
    """(suppression text, expired exception) of the first exception covering this finding."""
    expired: ExceptionRule | None = None
    for exc in exceptions:
        if exc.advisory.upper() not in t.ids and exc.advisory != "*":
            continue
        if not any(exc.covers(titles[r.title].package, asset_id, hostname) for r in rows):
            continue
        if today <= exc.until:
            return exc.describe(), None
        expired = expired or exc
    return "", expired


def vulnerability_findings(result: MatchResult, *, assets: Mapping[str, ResolvedAsset],
                           exceptions: Sequence[ExceptionRule], checked: Sequence[str], today: date) -> list[Finding]:
    """One finding per asset and advisory group.

    Args:
        result: what matching found; its rows sorted by asset and group label (the store sorts them).
        assets: the resolved assets by id (identifiers and the agents that reported the software).
        exceptions: live accepted risks (revoked ones left out by the caller).
        checked: the OSV sources loaded, named in the evidence ("checked against ...").
        today: the UTC date exceptions expire against.
    """
    titles = {key: _title(key, hits, result) for key, hits in result.hits.items()}
    # Per title, its whole evidence when no agent evidence is added (one tuple shared by its findings);
    # per timestamp, its aware form (hosts of one rollout share install times): a few hundred thousand
    # findings each saved two allocations, about a fifth of this function's time (bench_vulns).
    with_checked: dict[TitleKey, tuple[Evidence, ...]] = {}
    aware_of: dict[datetime, datetime] = {}

    def aware(value: datetime | None) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        found = aware_of.get(value)
        if found is None:
            found = aware_of[value] = value.replace(tzinfo=UTC)
        return found

    checked_evidence = Evidence(source="osv", method="vulns", seen_at=None,
                                detail="checked against OSV sources: " + ", ".join(checked))
    out: list[Finding] = []
    rows = result.rows
    n = len(rows)
    i = 0
    labels_here: set[str] = set()   # the groups found on the current asset
    asset_start = 0
    while i < n:
        first = rows[i]
        if i == asset_start:
            k = i
            while k < n and rows[k].asset_id == first.asset_id:
                k += 1
            labels_here = {r.title[0] for r in rows[i:k]}
            next_asset = k
        j = i + 1
        while j < n and rows[j].asset_id == first.asset_id and rows[j].title[0] == first.title[0]:
            j += 1
        group = rows[i:j]
        i = j
        if i == next_asset:
            asset_start = i
        covers = titles[first.title].covers
        if covers and covers <= labels_here:
            # A notice covering several CVEs, each already a finding here with its own fix: it adds
            # nothing but a duplicate (its id is still in the CVE findings' evidence when it aliases them).
            continue
        if len(group) > 1:  # several packages of one group on one asset: the most severe leads
            group.sort(key=lambda r: (-titles[r.title].rank[0], -titles[r.title].rank[1], r.title))
            first = group[0]
        t = titles[first.title]
        asset_id = first.asset_id
        host = first.hostname or asset_id
        packages = t.package if len(group) == 1 else ", ".join(sorted({titles[r.title].package for r in group}))
        summary = f"{packages} {t.version} ({t.ecosystem}) on {host}{t.tail}"
        suppression, expired = (_exception_for(exceptions, t, group, titles, asset_id, first.hostname, today)
                                if exceptions else ("", None))
        if expired is not None:
            summary = summary[:-1] + f" (exception #{expired.exception_id} {expired.reason!r} expired {expired.until})."
        asset = assets.get(asset_id)
        advisories = t.evidence if len(group) == 1 else tuple(e for r in group for e in titles[r.title].evidence)
        reporters = [ev for ev in asset.evidence if ev[1] in _SOFTWARE_METHODS][:3] if asset else ()
        if reporters:
            installed = f"{t.package} {t.version} ({first.pkg_source} package, {t.ecosystem})"
            evidence: tuple[Evidence, ...] = (
                *(Evidence(source=src, method=method, seen_at=seen, detail=f"{installed}; {detail}")
                  for src, method, seen, detail in reporters),
                *advisories, checked_evidence)
        elif len(group) == 1:
            evidence = with_checked.get(first.title) or with_checked.setdefault(first.title,
                                                                                (*advisories, checked_evidence))
        else:
            evidence = (*advisories, checked_evidence)
        if len(group) == 1:
            first_seen, last_seen = first.first_installed, first.last_seen
        else:
            first_seen = min((r.first_installed for r in group if r.first_installed), default=None)
            last_seen = max((r.last_seen for r in group if r.last_seen), default=None)
        out.append(Finding(
            kind=KIND, severity=t.severity, asset=asset, rule_id=t.label, software_name=t.package,
            software_version=t.version, first_seen=aware(first_seen), last_seen=aware(last_seen),
            summary=summary, suppressed=bool(suppression), suppression=suppression, evidence=evidence,
            identifier=asset_id,
        ))
    return out
