"""Possible duplicates: assets kept apart that share a strong signal, and records held twice (pure).

One detector for the one finding kind `possible-duplicate` (reconcile.py turns each into a finding;
`netcensus assets --duplicates` lists them). What an asset manager calls a likely duplicate:

* the same serial number or system UUID on two assets (identity.py's SharedIdentifier: junk values
  and identity conflicts are already left out there);
* the same current host name (sysName, agent host name) on two assets seen in overlapping periods —
  a machine replaced under the same name (the old one fell silent first) is not reported;
* one register record matched by two assets (by serial, MAC or host name);
* several register records matching one asset (the register holds it more than once).

Not reported, on purpose: a shared MAC (a NIC or dock moved between machines, a VRRP/HSRP virtual MAC
on two routers: identity keeps those apart for a reason), a shared address (DHCP churn, proxy ARP),
placeholder host names (collector.domain.identifiers.JUNK_HOSTNAMES), a name on more than `max_share`
assets (a template name, like identity's junk rule), pairs a person split apart
(collector/inventory/decisions.py), and pairs that are an identity conflict (their own finding).

Every signal a pair shares is one reason in the same finding, so a pair appears once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from collector.domain.identifiers import JUNK_HOSTNAMES

if TYPE_CHECKING:
    from collector.inventory.identity import ResolvedAsset
    from collector.inventory.reconcile import Record

POSSIBLE_DUPLICATE = "possible-duplicate"

# Signal names, in the order reasons are given.
SIGNALS = ("serial", "uuid", "record", "hostname", "records")


@dataclass(slots=True)
class PossibleDuplicate:
    """Two assets that may be one device (or one asset that several records describe), with every reason."""

    assets: tuple[ResolvedAsset, ...]          # two, ordered by asset id; one for 'records'
    records: list[Record] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)   # signal -> one clause with its value

    @property
    def signals(self) -> tuple[str, ...]:
        """The signals found, strongest first."""
        return tuple(s for s in SIGNALS if s in self.reasons)

    @property
    def identifier(self) -> str:
        """What makes its finding id stable: the pair of asset ids, or the asset and its records."""
        if len(self.assets) == 2:
            return "|".join(a.asset_id for a in self.assets)
        return "|".join([self.assets[0].asset_id, *sorted(f"{r.register}:{r.record_key}" for r in self.records)])

    @property
    def why(self) -> str:
        """One sentence: which assets, and every shared signal with its value."""
        if len(self.assets) == 1:
            return self.reasons["records"]
        a, b = self.assets
        return (f"{_asset_label(a)} ({a.asset_id}) and {_asset_label(b)} ({b.asset_id}) may be one device: "
                + "; ".join(self.reasons[s] for s in self.signals) + ".")


def _overlap(a: ResolvedAsset, b: ResolvedAsset) -> bool:
    return a.first_seen <= b.last_seen and b.first_seen <= a.last_seen


class _Pairs:
    """Pairs of assets by sorted ids, each gathering its reasons."""

    def __init__(self, apart: frozenset[frozenset[str]], conflicted: set[frozenset[str]]) -> None:
        self.found: dict[tuple[str, str], PossibleDuplicate] = {}
        self._skip = apart | conflicted

    def add(self, a: ResolvedAsset, b: ResolvedAsset, signal: str, reason: str) -> None:
        if a.asset_id == b.asset_id or frozenset((a.asset_id, b.asset_id)) in self._skip:
            return
        if b.asset_id < a.asset_id:
            a, b = b, a
        pair = self.found.get((a.asset_id, b.asset_id))
        if pair is None:
            pair = self.found[(a.asset_id, b.asset_id)] = PossibleDuplicate((a, b))
        pair.reasons.setdefault(signal, reason)


def _each_pair(group: Sequence[ResolvedAsset]) -> Iterable[tuple[ResolvedAsset, ResolvedAsset]]:
    for n, a in enumerate(group):
        for b in group[n + 1:]:
            yield a, b


def find_duplicates(
    assets: Sequence[ResolvedAsset],
    record_on_many: Sequence[tuple[Record, Sequence[ResolvedAsset], str]],
    records_on_one: Sequence[tuple[ResolvedAsset, Sequence[Record]]],
    names: Mapping[str, Sequence[ResolvedAsset]],
    *,
    active: Callable[[ResolvedAsset], bool],
    apart: frozenset[frozenset[str]] = frozenset(),
    max_share: int = 8,
) -> list[PossibleDuplicate]:
    """Every possible duplicate among `assets` (see the module docstring).

    Args:
        assets: resolved assets (with `shared` and `conflicts` filled by identity.resolve).
        record_on_many: (record, the assets it matched, the key) for each record that matched several.
        records_on_one: (asset, its records) for each asset that several records matched.
        names: host name -> the assets carrying it, for names several assets carry (any of their names:
            only the current one counts here). reconcile.match_records has this index already.
        active: whether an asset was seen inside the window; a pair is reported while either is.
        apart: asset-id pairs a person split apart.
        max_share: a host name on more assets than this is a template name, not a signal.
    """
    flagged = [a for a in assets if a.shared or a.conflicts]  # few: one pass over all assets, then these
    conflicted = {frozenset(c.asset_ids) for a in flagged for c in a.conflicts}
    pairs = _Pairs(apart, conflicted)
    by_id = {a.asset_id: a for a in flagged if a.shared}
    done: set[tuple[str, str]] = set()
    for a in by_id.values():
        for s in a.shared:
            if (s.key, s.value) in done:
                continue
            done.add((s.key, s.value))
            holders = [by_id[i] for i in s.asset_ids if i in by_id]
            what = "serial number" if s.key == "serial" else "system UUID"
            for x, y in _each_pair(holders):
                pairs.add(x, y, s.key, f"both report {what} {s.value}")
    for r, matched, key in record_on_many:
        for x, y in _each_pair(list({m.asset_id: m for m in matched}.values())):
            pairs.add(x, y, "record", f"register record {_record_label(r)} matches both (by {key})")
    for name, group in _current_names(names).items():
        if 1 < len(group) <= max_share:
            for x, y in _each_pair(group):
                if _overlap(x, y):
                    pairs.add(x, y, "hostname", f"both are named {name} and were seen in the same period "
                              f"({_t(max(x.first_seen, y.first_seen))} to {_t(min(x.last_seen, y.last_seen))})")
    out = [p for p in pairs.found.values() if any(active(a) for a in p.assets)]
    for asset, records in records_on_one:
        labels = ", ".join(_record_label(r) for r in records)
        out.append(PossibleDuplicate((asset,), list(records), {"records": (
            f"Observed asset {_asset_label(asset)} ({asset.asset_id}) matches {len(records)} register records "
            f"({labels}); the register may hold it more than once.")}))
    for p in out:
        if len(p.assets) == 2 and not p.records:
            p.records = [r for r, matched, _ in record_on_many
                         if {a.asset_id for a in p.assets} <= {m.asset_id for m in matched}]
    out.sort(key=lambda p: p.identifier)
    return out


def _current_names(names: Mapping[str, Sequence[ResolvedAsset]]) -> dict[str, list[ResolvedAsset]]:
    """Of the shared host names, those that are the current name of several assets; placeholders left out."""
    groups: dict[str, dict[str, ResolvedAsset]] = {}
    for group in names.values():
        for a in group:
            if a.hostnames:
                groups.setdefault(a.hostnames[0].lower(), {})[a.asset_id] = a
    return {name: list(held.values()) for name, held in groups.items() if len(held) > 1 and name not in JUNK_HOSTNAMES}


def _record_label(r: Record) -> str:
    name = r.asset_tag or r.name or r.serial or r.record_key
    return f"{name} ({r.register} line {r.line})"


def _asset_label(a: ResolvedAsset) -> str:
    parts = [a.hostnames[0] if a.hostnames else "", a.ips[0] if a.ips else "", a.macs[0] if a.macs else ""]
    return " / ".join(p for p in parts if p) or a.asset_id


def _t(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")
