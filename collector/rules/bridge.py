"""Bridge from rule findings (collector/rules) to reconciliation's Finding type.

Rules are loaded once per collector (or CLI call) and evaluated by a named engine from
:mod:`collector.rules.registry` against the store at every refresh, so new rules apply
retroactively to stored software.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from collector.domain.findings import Evidence
from collector.domain.posture import Posture
from collector.errors import RuleError
from collector.inventory.identity import ResolvedAsset
from collector.inventory.reconcile import Finding
from collector.inventory.refresh import RuleEvaluator
from collector.rules.engine import RuleFinding, utc_date
from collector.rules.posture import PostureAsset, evaluate_posture
from collector.rules.registry import DEFAULT_ENGINE, check_engine, engine_for
from collector.rules.schema import Rule, RuleSet, load_rules
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

        Software rules go to the engine; posture rules to collector/rules/posture.py, with the
        engine answering the `require` half of endpoint-protection-missing rules that list packages.
        `only`: per-asset rules (posture ones too) for these asset ids alone, licence rules whole (the
        live path).
        """
        engine = engine_for(store, self.engine, only)
        wanted = None if only is None else frozenset(only)
        posture = tuple(r for r in self.ruleset.rules if r.type == "posture")
        by_packages = {r.id for r in posture
                       if r.check == "endpoint-protection-missing" and (r.match.names or r.match.vendors)}
        software = RuleSet(rules=tuple(r for r in self.ruleset.rules if r.type != "posture") + tuple(
            replace(r, type="require") for r in posture if r.id in by_packages), files=self.ruleset.files)

        def run(now: datetime, assets: Mapping[str, ResolvedAsset], postures: Mapping[str, Posture]) -> list[Finding]:
            findings: list[Finding] = []
            lacking: dict[str, set[str]] = {}
            for rf in engine.evaluate(software, now):
                if rf.rule_id in by_packages:
                    lacking.setdefault(rf.rule_id, set()).add(rf.asset_id)
                else:
                    findings.append(to_finding(rf, assets.get(rf.asset_id)))
            if posture:
                findings += _posture_findings(posture, assets, postures, now,
                                              {k: frozenset(v) for k, v in lacking.items()}, wanted)
            return findings

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


def _posture_findings(rules: Sequence[Rule], assets: Mapping[str, ResolvedAsset], postures: Mapping[str, Posture],
                      now: datetime, lacking: Mapping[str, frozenset[str]], only: frozenset[str] | None = None
                      ) -> list[Finding]:
    """Posture findings on the assets with an agent's posture (asset_id -> it) or a lacking software
    inventory; of the asset ids `only` alone when given."""
    wanted = set(postures).union(*lacking.values()) if lacking else set(postures)
    if only is not None:
        wanted &= only
    targets = [PostureAsset(asset_id=a.asset_id, hostname=a.hostnames[0] if a.hostnames else None,
                            os_family=a.os_family, device_type=a.device_type, ips=tuple(a.ips),
                            posture=postures.get(a.asset_id))
               for a in assets.values() if a.asset_id in wanted]
    return [Finding(
        kind=pf.kind, severity=pf.severity, summary=pf.summary, asset=assets.get(pf.asset_id), rule_id=pf.rule_id,
        first_seen=pf.first_seen, last_seen=pf.last_seen, suppressed=pf.suppressed, suppression=pf.suppression,
        identifier=pf.identifier,
        evidence=(*((Evidence(source=pf.source_id, method="agent", seen_at=pf.reported_at, detail=pf.detail),)
                    if pf.source_id else ()),
                  Evidence(source="rules", method="rule", seen_at=pf.last_seen,
                           detail=f"rule {pf.rule_id}: {pf.rule_title}"
                           + ("" if pf.source_id else f"; {pf.detail}"))))
        for pf in evaluate_posture(rules, targets, utc_date(now), lacking)]


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
