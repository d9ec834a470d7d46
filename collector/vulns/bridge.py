"""Bridge from the store's vulnerability matches to the refresh use case's rule step.

The refresh (collector/inventory/refresh.py) takes one software step; :func:`with_vulnerabilities`
wraps the rule packs' step so that, when a feed is loaded, the ``vulnerable-software`` findings join
the rule findings and share their lifecycle (opened_at, resolved_at), filters and outputs. With no
feed loaded it returns the rules' step unchanged and costs one count.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from collector.inventory.identity import ResolvedAsset
from collector.inventory.reconcile import Finding
from collector.inventory.refresh import RuleEvaluator
from collector.rules.engine import utc_date
from collector.store.duckdb import Store
from collector.store.vulns_sql import AdvisoryInfo, MatchRow, VulnStore
from collector.vulns.findings import ExceptionRule, Matched, MatchedAdvisory, vulnerability_findings

__all__ = ["vulnerability_step", "with_vulnerabilities"]


def _matched(row: MatchRow, info: AdvisoryInfo) -> Matched:
    advisory = MatchedAdvisory(source=info.source, id=info.id, aliases=info.aliases, severity=info.severity,
                               score=info.score, severity_basis=info.severity_basis, summary=info.summary,
                               links=info.links, modified=info.modified)
    return Matched(asset_id=row.asset_id, hostname=row.hostname, advisory=advisory, ecosystem=row.ecosystem,
                   package=row.package, version=row.version, fixed=row.fixed, why=row.why,
                   pkg_source=row.pkg_source, first_installed=row.first_installed, last_seen=row.last_seen)


def vulnerability_step(store: Store) -> RuleEvaluator:
    """The vulnerable-software findings of ``store`` at a time, for the refresh."""
    vulns = VulnStore(store)

    def run(now: datetime, assets: Mapping[str, ResolvedAsset]) -> list[Finding]:
        rows, info = vulns.match()
        today = utc_date(now)
        exceptions = [ExceptionRule(e.exception_id, e.advisory, e.reason, e.until, e.package, e.hostname, e.asset_id)
                      for e in vulns.exceptions() if e.revoked_at is None]
        checked = [s.source for s in vulns.status()]
        return vulnerability_findings([_matched(r, info[(r.source, r.advisory_id)]) for r in rows], assets=assets,
                                      exceptions=exceptions, checked=checked, today=today)

    return run


def with_vulnerabilities(store: Store, rules: RuleEvaluator | None) -> RuleEvaluator | None:
    """``rules`` plus the vulnerability step when a feed is loaded; ``rules`` itself otherwise."""
    if not VulnStore(store).has_advisories():
        return rules
    vulns = vulnerability_step(store)
    if rules is None:
        return vulns

    def both(now: datetime, assets: Mapping[str, ResolvedAsset]) -> list[Finding]:
        return rules(now, assets) + vulns(now, assets)

    return both
