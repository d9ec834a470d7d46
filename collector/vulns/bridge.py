"""Bridge from the store's vulnerability matches to the refresh use case's rule step.

The refresh (collector/inventory/refresh.py) takes one software step; :func:`with_vulnerabilities`
wraps the rule packs' step so that, when a feed is loaded, the ``vulnerable-software`` findings join
the rule findings and share their lifecycle (opened_at, resolved_at), filters and outputs. With no
feed loaded it returns the rules' step unchanged and costs one count.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from collector.domain.posture import Posture
from collector.inventory.identity import ResolvedAsset
from collector.inventory.reconcile import Finding
from collector.inventory.refresh import RuleEvaluator
from collector.rules.engine import utc_date
from collector.store.duckdb import Store
from collector.store.vulns_sql import VulnStore
from collector.vulns.findings import ExceptionRule, vulnerability_findings

__all__ = ["vulnerability_step", "with_vulnerabilities"]


def vulnerability_step(store: Store, only: Collection[str] | None = None) -> RuleEvaluator:
    """The vulnerable-software findings of ``store`` at a time, for the refresh (of the asset ids
    ``only`` alone when given: the live path)."""
    vulns = VulnStore(store)

    def run(now: datetime, assets: Mapping[str, ResolvedAsset], posture: Mapping[str, Posture]) -> list[Finding]:
        del posture  # vulnerabilities follow installed packages, not the agents' posture facts
        result = vulns.match(only)
        today = utc_date(now)
        exceptions = [ExceptionRule(e.exception_id, e.advisory, e.reason, e.until, e.package, e.hostname, e.asset_id)
                      for e in vulns.exceptions() if e.revoked_at is None]
        checked = [s.source for s in vulns.status()]
        return vulnerability_findings(result, assets=assets, exceptions=exceptions, checked=checked, today=today)

    return run


def with_vulnerabilities(store: Store, rules: RuleEvaluator | None,
                         only: Collection[str] | None = None) -> RuleEvaluator | None:
    """``rules`` plus the vulnerability step when a feed is loaded; ``rules`` itself otherwise.

    ``only``: the vulnerability step for these asset ids alone (``rules`` comes narrowed the same way).
    """
    if not VulnStore(store).has_advisories():
        return rules
    vulns = vulnerability_step(store, only)
    if rules is None:
        return vulns

    def both(now: datetime, assets: Mapping[str, ResolvedAsset], posture: Mapping[str, Posture]) -> list[Finding]:
        return rules(now, assets, posture) + vulns(now, assets, posture)

    return both
