"""`netcensus asset REF`: one asset's whole story on one page (pure; one refresh plus what the store kept).

The asset and how it was matched come from the refresh (the same `explain` the `assets explain`
command prints); its identifiers per source, installed software, open findings and finding history
come from the store through `HistoryStore`. The same function runs for `--db` and in the collector
for the Query service, so both give the same page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from collector.domain.history import (
    AssetDetail,
    FieldComparison,
    FindingBrief,
    FindingEvent,
    IdentifierSeen,
    InstalledSoftware,
    RecordView,
)
from collector.inventory.explain import explain
from collector.inventory.identity import ResolvedAsset
from collector.inventory.reconcile import Record
from collector.inventory.refresh import Snapshot

Rows = list[dict[str, Any]]


class HistoryStore(Protocol):
    """What the page needs from storage (collector/store/duckdb.py's Store is one)."""

    def asset_history(self, subjects: Sequence[str], asset_id: str) -> Mapping[str, Rows]:
        """Rows 'identifiers', 'software', 'findings' (open) and 'timeline' of the asset (history.py)."""


def asset_detail(ref: str, snapshot: Snapshot, store: HistoryStore) -> AssetDetail:
    """The page of the one asset `ref` names (UsageError, one line, when it names none or several)."""
    explained = explain(ref, snapshot)
    a = explained.asset
    subjects = [m.subject for m in explained.members]
    kept = store.asset_history(subjects, a.asset_id)
    findings = tuple(_finding(row) for row in kept["findings"])
    record = snapshot.records.get(a.asset_id)
    resolved = next(x for x in snapshot.assets if x.asset_id == a.asset_id)
    return AssetDetail(
        asset=a, subjects=explained.members,
        record=_record_view(record, explained.record_key) if record else None,
        comparison=compare_record(record, resolved) if record else (),
        identifiers=tuple(IdentifierSeen(r["kind"], r["value"], r["source_id"], r["method"], r["first_seen"],
                                         r["last_seen"], int(r["sightings"])) for r in kept["identifiers"]),
        software=tuple(_software(r, findings) for r in kept["software"]),
        findings=findings,
        timeline=tuple(FindingEvent(r["at"], r["event"], r["finding_id"], r["kind"], r["severity"],
                                    r["summary"], r["detail"] if r["event"] in ("suppressed", "unsuppressed") else None)
                       for r in kept["timeline"]),
        decisions=explained.decisions, duplicates=explained.duplicates)


def _record_view(r: Record, key: str | None) -> RecordView:
    return RecordView(register=r.register, record_key=r.record_key, filename=r.filename, line=r.line,
                      asset_tag=r.asset_tag or None, name=r.name or None, status=r.status or None,
                      status_class=r.status_class, assigned_to=r.assigned_to or None, imported_at=r.imported_at,
                      matched_by=key)


def _joined(values: Sequence[str]) -> str | None:
    return ", ".join(values) if values else None


def compare_record(r: Record, a: ResolvedAsset) -> tuple[FieldComparison, ...]:
    """The record's host name, serial, MACs, IPs and model beside what was seen.

    The same tests as the mismatch finding (collector/inventory/reconcile.py): the host name
    against the current one, the serial against every serial the asset carried, MACs and IPs agree
    when they share one, models when one contains the other, as registers and firmware spell them
    differently ("Latitude 7440" vs "Dell Latitude 7440").
    """
    def state(recorded: Sequence[str], observed: Sequence[str], same: bool) -> str:
        if recorded and observed:
            return "same" if same else "differs"
        return "recorded only" if recorded else "observed only"

    current = a.hostnames[:1]
    rows = [
        ("hostname", [r.hostname] if r.hostname else [], current,
         bool(r.hostname and current) and r.hostname.lower() == current[0].lower()),
        ("serial", [r.serial] if r.serial else [], [a.serial] if a.serial else [],
         bool(r.serial) and r.serial.upper() in (s.upper() for s in a.serials)),
        ("mac", list(r.macs), list(a.macs), not {m.lower() for m in r.macs}.isdisjoint(m.lower() for m in a.macs)),
        ("ip", list(r.ips), list(a.ips), not set(r.ips).isdisjoint(a.ips)),
        ("model", [r.model] if r.model else [], [a.model] if a.model else [],
         bool(r.model and a.model) and _same_model(r.model, a.model)),
    ]
    return tuple(FieldComparison(name, _joined(rec), _joined(obs), state(rec, obs, same))
                 for name, rec, obs, same in rows if rec or obs)


def _same_model(recorded: str, seen: str) -> bool:
    x, y = (" ".join(s.lower().split()) for s in (recorded, seen))
    return x in y or y in x


def _finding(r: dict[str, Any]) -> FindingBrief:
    return FindingBrief(finding_id=r["finding_id"], kind=r["kind"], severity=r["severity"], summary=r["summary"],
                        rule_id=r["rule_id"], software_name=r["software_name"], software_version=r["software_version"],
                        first_seen=r["first_seen"], opened_at=r["opened_at"], suppressed=bool(r["suppressed"]),
                        suppression=r["suppression"])


def _on(f: FindingBrief, name: str, version: str) -> bool:
    """Whether finding `f` is about the package `name` `version`.

    Rule findings name the normalised product ("OpenSSL" for "OpenSSL 1.0.1e (32-bit)"): the same
    name, or a name that starts with the product when the versions agree.
    """
    if not f.software_name:
        return False
    product, low = f.software_name.casefold(), name.casefold()
    if product == low:
        return not f.software_version or f.software_version == version or version.startswith(f.software_version)
    return low.startswith(product) and bool(f.software_version) and f.software_version in (version, name)


def _software(r: dict[str, Any], findings: Sequence[FindingBrief]) -> InstalledSoftware:
    return InstalledSoftware(
        name=r["name"], version=r["version"], arch=r["arch"], source=r["source"], vendor=r["vendor"],
        installed_at=r["installed_at"], first_seen=r["first_seen"], last_seen=r["last_seen"],
        findings=tuple(f.finding_id for f in findings if _on(f, r["name"], r["version"])))
