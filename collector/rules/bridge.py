"""Bridge from rule findings (collector/rules) to reconciliation's Finding type.

Rules are loaded once per collector (or CLI call) and evaluated by a named engine from
:mod:`collector.rules.registry` against the store at every refresh, so new rules apply
retroactively to stored software.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from collector.domain.findings import Evidence
from collector.errors import RuleError
from collector.inventory.identity import ResolvedAsset
from collector.inventory.reconcile import Finding
from collector.inventory.refresh import RuleEvaluator
from collector.rules.engine import RuleFinding
from collector.rules.registry import DEFAULT_ENGINE, check_engine, engine_for
from collector.rules.schema import RuleSet, load_rules
from collector.store.duckdb import Store

__all__ = ["SoftwareRules", "load_software_rules", "to_finding"]

# Reporters named in a software finding's evidence: the sources that can list installed software.
_SOFTWARE_METHODS = ("agent", "snmp")


@dataclass(frozen=True, slots=True)
class SoftwareRules:
    """Loaded rule packs and the engine that evaluates them; bound to a store per refresh."""

    ruleset: RuleSet
    engine: str = DEFAULT_ENGINE

    def evaluator(self, store: Store, only: Collection[str] | None = None) -> RuleEvaluator:
        """The refresh use case's rule step over `store` (collector/inventory/refresh.py).

        `only`: per-asset rules for these asset ids alone, licence rules whole (the live path).
        """
        engine = engine_for(store, self.engine, only)

        def run(now: datetime, assets: Mapping[str, ResolvedAsset]) -> list[Finding]:
            return [to_finding(rf, assets.get(rf.asset_id)) for rf in engine.evaluate(self.ruleset, now)]

        return run


def load_software_rules(dirs: Sequence[Path], engine: str = DEFAULT_ENGINE) -> SoftwareRules | None:
    """Load the rule packs in ``dirs`` for the engine called ``engine``; None when there are no rules.

    Raises:
        RuleError: a directory is missing or a rule file is invalid (file:line).
        UsageError: no engine has that name.
    """
    check_engine(engine)
    missing = [d for d in dirs if not d.exists()]
    if missing:
        raise RuleError(f"{missing[0]}: no such rules directory")
    ruleset = load_rules(list(dirs))
    return SoftwareRules(ruleset, engine) if ruleset.rules else None


def to_finding(rf: RuleFinding, asset: ResolvedAsset | None) -> Finding:
    """The reconciliation finding of one rule finding on ``asset`` (None if not resolved)."""
    return Finding(
        kind=rf.kind, severity=rf.severity, summary=rf.summary, asset=asset, rule_id=rf.rule_id,
        software_name=rf.software_name or "", software_version=rf.software_version or "",
        first_seen=rf.first_seen, last_seen=rf.last_seen, suppressed=rf.suppressed, suppression=rf.suppression,
        evidence=_evidence(rf, asset))


def _evidence(rf: RuleFinding, asset: ResolvedAsset | None) -> tuple[Evidence, ...]:
    """Which source reported the software (or, for missing software, the inventory), and the rule."""
    source = rf.software_source or ""
    reporters = [ev for ev in (asset.evidence if asset else ()) if ev[1] in _SOFTWARE_METHODS]
    what = (f"{rf.software_name} {rf.software_version or ''}".strip() + (f" ({source} package)" if source else "")
            if rf.software_name else "software inventory without a matching package")
    return (
        *(Evidence(source=src, method=method, seen_at=seen, detail=f"{what}; {detail}")
          for src, method, seen, detail in reporters[:3]),
        Evidence(source="rules", method="rule", seen_at=rf.last_seen, detail=f"rule {rf.rule_id}: {rf.rule_title}"),
    )
