"""Bridge from the rules engine (collector/rules) to reconciliation's Finding type.

Rules are loaded once per collector (or CLI call) and evaluated against the store's
software_scoped / assets_scoped views, so new rules apply retroactively to stored software.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from collector.inventory.identity import ResolvedAsset
from collector.inventory.reconcile import Finding
from collector.inventory.refresh import RuleEvaluator
from collector.store.duckdb import Store


def rule_evaluator(dirs: Sequence[Path]) -> RuleEvaluator | None:
    """Load the rule packs in `dirs` (RuleError on any invalid file); None when there are no rules."""
    from collector.rules.schema import load_rules

    existing = [d for d in dirs if d.exists()]
    missing = [d for d in dirs if not d.exists()]
    if missing:
        from collector.errors import RuleError

        raise RuleError(f"{missing[0]}: no such rules directory")
    ruleset = load_rules(existing)
    if not ruleset.rules:
        return None
    def run(store: Store, now: datetime, assets: Mapping[str, ResolvedAsset]) -> list[Finding]:
        out = []
        for rf in store.evaluate_rules(ruleset, now):
            out.append(Finding(
                kind=rf.kind, severity=rf.severity, summary=rf.summary, asset=assets.get(rf.asset_id),
                rule_id=rf.rule_id,
                software_name=rf.software_name or "", software_version=rf.software_version or "",
                first_seen=rf.first_seen, last_seen=rf.last_seen, suppressed=rf.suppressed,
                suppression=rf.suppression or "",
                evidence=_evidence(rf, assets.get(rf.asset_id))))
        return out

    return run



def _evidence(rf: Any, asset: ResolvedAsset | None) -> list[dict[str, object]]:
    """Which source reported the software (or, for missing software, the inventory), and the rule."""
    source = getattr(rf, "software_source", None) or ""
    reporters = [ev for ev in (asset.evidence if asset else []) if ev[1] in ("agent", "snmp")]
    what = (f"{rf.software_name} {rf.software_version or ''}".strip() + (f" ({source} package)" if source else "")
            if rf.software_name else "software inventory without a matching package")
    out: list[dict[str, object]] = [
        {"source": src, "method": method, "seen_at": seen, "detail": f"{what}; {detail}"}
        for src, method, seen, detail in reporters[:3]]
    out.append({"source": "rules", "method": "rule", "seen_at": rf.last_seen,
                "detail": f"rule {rf.rule_id}: {rf.rule_title}"})
    return out
