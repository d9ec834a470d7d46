"""Findings and assets for the CLI and the Query service: load, resolve, reconcile, persist.

`refresh()` is the use case where the pure core meets the store: it asks the store for the
aggregated sightings, the register and the coverage (as the core's own values), resolves
identities (identity.py), reconciles against the register (reconcile.py), evaluates rules, and
hands the assets and findings back to the store to persist the findings lifecycle (opened_at /
resolved_at). No SQL here: the store owns it (collector/store/inventory.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from collector.domain.decisions import Decision, DuplicateRow
from collector.domain.findings import SEVERITY_ORDER, AssetRow, FindingRow
from collector.domain.posture import Posture
from collector.inventory.decisions import ManualDecisions, annotate
from collector.inventory.gc import paused_gc
from collector.inventory.identity import ResolvedAsset, SubjectFacts, resolve
from collector.inventory.oui import oui_vendor
from collector.inventory.posture import asset_posture
from collector.inventory.reconcile import Coverage, Finding, Match, Record, reconcile

#: The rule step of a refresh: software and posture findings for the resolved assets at `now` (with
#: each asset's agent posture), bound to the store the refresh reads (collector/rules/bridge.py builds
#: it from the loaded rule packs).
RuleEvaluator = Callable[[datetime, Mapping[str, ResolvedAsset], Mapping[str, Posture]], list[Finding]]


class InventoryStore(Protocol):
    """What the refresh use case needs from storage (collector/store/duckdb.py's Store is one).

    A seam of plain values, so the use case holds no SQL and the pure core never sees a connection.
    """

    @property
    def read_only(self) -> bool:
        """True when nothing may be written (a read-only query of a file a collector holds)."""

    def load_subjects(self) -> list[SubjectFacts]:
        """Sightings aggregated per subject, with per-source evidence."""

    def load_records(self) -> list[Record]:
        """The recorded inventory."""

    def load_coverage(self) -> list[Coverage]:
        """What could have seen a recorded machine, and when."""

    def load_decisions(self) -> list[Decision]:
        """People's merge and split decisions, undone ones included."""

    def load_posture(self) -> dict[str, Posture]:
        """subject -> the security posture of every agent subject's freshest report."""

    def replace_assets(self, assets: Sequence[ResolvedAsset], matched: Mapping[str, Match],
                       posture: Mapping[str, Posture] | None = None) -> None:
        """Make the stored assets these, with their posture (the rules engine reads them)."""

    def open_finding_times(self) -> dict[str, datetime]:
        """finding_id -> opened_at of every finding still open."""

    def persist_findings(self, rows: Sequence[FindingRow], now: datetime) -> None:
        """Make `rows` the open findings and resolve every other open one."""

    def window_finding_times(self, window: timedelta) -> dict[str, datetime]:
        """finding_id -> opened_at of what the last refresh with this (not persisted) window raised."""

    def keep_window_findings(self, window: timedelta, rows: Sequence[FindingRow]) -> None:
        """Remember when the findings of a refresh with this (not persisted) window first came up."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The outcome of one refresh."""

    assets: list[ResolvedAsset]
    findings: list[FindingRow]
    records: dict[str, Record]          # asset_id -> matched record
    duplicates: list[DuplicateRow] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)     # newest first, each with its state
    facts: Sequence[SubjectFacts] = ()  # the subjects resolved (for `assets explain`)
    keys: dict[str, str] = field(default_factory=dict)          # asset_id -> key its record matched by


def one_asset(asset: ResolvedAsset, facts: Iterable[SubjectFacts], record: Record | None, key: str | None,
              duplicates: Iterable[DuplicateRow], decisions: list[Decision]) -> Snapshot:
    """A Snapshot holding just `asset`: its subjects' facts, its record, and the duplicate pairs that
    name it beside every decision (what `assets explain` and the asset page read), so that a page about
    one asset does not scan or sort every other one."""
    return Snapshot(assets=[asset], findings=[], records={asset.asset_id: record} if record is not None else {},
                    duplicates=[d for d in duplicates if asset.asset_id in (d.asset_id, d.other_asset_id)],
                    decisions=decisions, facts=list(facts),
                    keys={asset.asset_id: key} if key is not None else {})


def refresh(
    store: InventoryStore,
    *,
    now: datetime,
    ghost_after: timedelta,
    rules: RuleEvaluator | None = None,
    persist: bool = True,
) -> Snapshot:
    """Resolve, reconcile and evaluate rules; persist assets and the findings lifecycle if asked."""
    with paused_gc():  # a few hundred thousand acyclic objects: see collector/inventory/gc.py
        return _refresh(store, now=now, ghost_after=ghost_after, rules=rules, persist=persist)[0]


@dataclass(frozen=True, slots=True)
class RefreshState:
    """What one full refresh computed on the way, so the live path (live.py) can continue from it.

    Not a second shape of anything: the same facts, assets, records, coverage and findings the
    refresh used, kept instead of thrown away.
    """

    facts: list[SubjectFacts]
    assets: list[ResolvedAsset]
    records: list[Record]
    coverage: list[Coverage]
    decisions: list[Decision]             # as stored (undone ones included)
    matched: dict[str, Match]             # asset_id -> its record
    apart: frozenset[frozenset[str]]      # asset-id pairs people set apart
    reconciled: list[Finding]             # reconciliation's findings
    rule_findings: list[Finding]
    rows: list[FindingRow]                # the open findings, as persisted
    postures: dict[str, Posture]          # subject -> its agent's posture (asset_posture picks per asset)


def full_refresh_state(store: InventoryStore, *, now: datetime, ghost_after: timedelta,
                       rules: RuleEvaluator | None = None, persist: bool = True) -> tuple[Snapshot, RefreshState]:
    """`refresh()`, also handing back what it computed (the live path starts from it)."""
    with paused_gc():
        return _refresh(store, now=now, ghost_after=ghost_after, rules=rules, persist=persist)


def resolve_assets(facts: Sequence[SubjectFacts], manual: ManualDecisions
                   ) -> tuple[list[ResolvedAsset], frozenset[frozenset[str]]]:
    """Identity resolution with people's decisions, as every refresh (full or live) runs it.

    Returns the assets (decisions noted in their evidence, vendor from the OUI registry where no
    source named one) and the asset-id pairs people set apart.
    """
    assets = resolve(facts, decisions=manual)
    apart = annotate(manual, assets)
    for a in assets:
        if not a.vendor and a.macs:
            a.vendor = oui_vendor(a.macs[0])
    return assets, apart


def finding_rows(findings: Sequence[Finding], matched: Mapping[str, Match], opened: Mapping[str, datetime],
                 now: datetime) -> list[FindingRow]:
    """The persisted form of `findings`: open ones keep the opened_at on record, new ones open `now`.

    One row per finding id, the first given: two findings can share an id (one rule on two versions
    of one product, on an asset two agents merged into), and the findings table keys on it.
    """
    rows: dict[str, FindingRow] = {}
    for f in findings:
        fid = f.finding_id
        if fid not in rows:
            rows[fid] = _finding_row(f, matched, opened.get(fid) or now, fid)
    return list(rows.values())


def snapshot_of(assets: list[ResolvedAsset], rows: list[FindingRow], findings: Sequence[Finding],
                matched: Mapping[str, Match], decisions: list[Decision], facts: Sequence[SubjectFacts]) -> Snapshot:
    """The Snapshot the CLI and the Query service read, from one refresh's results (`rows` get sorted)."""
    rows.sort(key=lambda r: (-SEVERITY_ORDER.index(r.severity), r.kind, r.hostname or "", r.finding_id))
    return Snapshot(assets=assets, findings=rows, records={k: m.record for k, m in matched.items()},
                    duplicates=[duplicate_row(f) for f in findings if f.duplicate is not None],
                    decisions=decisions, facts=facts, keys={k: m.key for k, m in matched.items()})


def _refresh(store: InventoryStore, *, now: datetime, ghost_after: timedelta, rules: RuleEvaluator | None,
             persist: bool) -> tuple[Snapshot, RefreshState]:
    stored = store.load_decisions()
    manual = ManualDecisions(stored)
    facts = store.load_subjects()
    assets, apart = resolve_assets(facts, manual)
    records = store.load_records()
    coverage = store.load_coverage()
    findings, matches = reconcile(assets, records, coverage, now=now, ghost_after=ghost_after, apart=apart)
    matched = {m.asset.asset_id: m for m in matches}
    postures = store.load_posture()
    posture = asset_posture(assets, postures)
    if not store.read_only:
        store.replace_assets(assets, matched, posture)  # the rules engine reads them; they do not depend on the window
    reconciled = list(findings)
    rule_findings = rules(now, {a.asset_id: a for a in assets}, posture) if rules is not None else []
    findings += rule_findings
    # Open findings keep the opened_at already on record, new ones open now. A refresh with another
    # window than the lifecycle's (persist=False) keeps its own record, so opened_at never moves
    # between two runs of the same query.
    opened = store.open_finding_times()
    if not persist:
        opened = {**store.window_finding_times(ghost_after), **opened}
    rows = finding_rows(findings, matched, opened, now)
    if not store.read_only:
        if persist:
            store.persist_findings(rows, now)
        else:
            store.keep_window_findings(ghost_after, rows)
    state = RefreshState(facts, assets, records, coverage, stored, matched, apart, reconciled, rule_findings,
                         list(rows), postures)
    return snapshot_of(assets, rows, findings, matched, manual.stated(stored), facts), state


def duplicate_row(f: Finding) -> DuplicateRow:
    d = f.duplicate
    assert d is not None
    a, b = d.assets[0], d.assets[1] if len(d.assets) > 1 else None
    return DuplicateRow(
        finding_id=f.finding_id, asset_id=a.asset_id, other_asset_id=b.asset_id if b else None, signals=d.signals,
        why=d.why, hostname=a.hostnames[0] if a.hostnames else None,
        other_hostname=b.hostnames[0] if b and b.hostnames else None,
        records=tuple(r.asset_tag or r.name or r.record_key for r in d.records),
        first_seen=f.first_seen, last_seen=f.last_seen)


def _finding_row(f: Finding, matched: Mapping[str, Match], opened_at: datetime, fid: str = "") -> FindingRow:
    a, r = f.asset, f.record
    if r is None and a is not None and a.asset_id in matched:
        r = matched[a.asset_id].record
    return FindingRow(
        finding_id=fid or f.finding_id, kind=f.kind, severity=f.severity,
        asset_id=a.asset_id if a else None,
        hostname=(a.hostnames[0] if a and a.hostnames else None) or (r.hostname if r and r.hostname else None),
        ip=(a.ips[0] if a and a.ips else None) or (r.ips[0] if r and r.ips else None),
        mac=(a.macs[0] if a and a.macs else None) or (r.macs[0] if r and r.macs else None),
        serial=(a.serial if a and a.serial else None) or (r.serial if r and r.serial else None),
        asset_tag=r.asset_tag or None if r else None, status=r.status or None if r else None,
        status_class=r.status_class if r else None, rule_id=f.rule_id or None,
        software_name=f.software_name or None, software_version=f.software_version or None,
        first_seen=f.first_seen, last_seen=f.last_seen, evidence=f.evidence,
        summary=f.summary, suppressed=f.suppressed, suppression=f.suppression or None,
        register=r.register if r else None, record_key=r.record_key if r else None,
        opened_at=opened_at, resolved_at=None,
    )


def asset_rows(snapshot: Snapshot) -> list[AssetRow]:
    """Assets in the order and shape of the contract (DESIGN.md, `assets --format json`)."""
    return [asset_row(a, snapshot.records.get(a.asset_id)) for a in
            sorted(snapshot.assets, key=lambda a: (a.hostnames[0] if a.hostnames else "~", a.ips[:1], a.asset_id))]


def asset_row(a: ResolvedAsset, r: Record | None) -> AssetRow:
    """One asset, with its matched record `r`, in the shape of the contract."""
    return AssetRow(
        asset_id=a.asset_id, hostnames=tuple(a.hostnames), ips=tuple(a.ips), macs=tuple(a.macs),
        vendor=a.vendor or None, serial=a.serial or None, model=a.model or None,
        device_type=a.device_type or None, os=a.os or None, first_seen=a.first_seen,
        last_seen=a.last_seen, sources=tuple(a.sources), asset_tag=r.asset_tag or None if r else None,
        status=r.status or None if r else None, matched_by=None if r is None else next(
            (k for k in ("serial", "mac", "hostname") if _matches(r, a, k)), None),
        system_uuid=a.uuids[0] if a.uuids else None, random_mac=a.random_mac or None,
        firmware=a.firmware or None,
    )


def _matches(r: Record, a: ResolvedAsset, key: str) -> bool:
    if key == "serial":
        return bool(r.serial) and r.serial in a.serials
    if key == "mac":
        return bool(set(r.macs) & set(a.macs))
    return bool(r.hostname) and r.hostname in a.hostnames
